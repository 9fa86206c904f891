/**
 * WeChat Pay API v3 operations (native QR payment, query, close, refund, trade bill): each request
 * signed with the merchant key, each answer verified against the platform key. Failures become
 * ProviderErrors in errors.ts, notifications are read in notifications.ts, states mapped in states.ts.
 */
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { positiveFen } from '../amounts';
import { TradeBill, emptyTotals } from '../bills';
import type { WechatPayConfig } from '../config';
import { rfc3339ToIso } from '../provider-time';
import {
  CreatePaymentInput,
  CreatePaymentResult,
  NotificationAck,
  PaymentProvider,
  PaymentQueryResult,
  ProviderError,
  ProviderNotification,
  RefundQueryResult,
  RefundResult,
  SubmitRefundInput,
} from '../provider';
import type { CloseOrderRequest, CreateRefundRequest, NativePrepayRequest, NativePrepayResponse, Refund, TradeBillAnswer, Transaction } from './dto';
import { billDownloadRefused, billDownloadUnanswered, errorAnswer, malformedAnswer, unansweredCall, unverifiedAnswer } from './errors';
import { readWechatPayNotification } from './notifications';
import { formatAuthorization, header, newNonce, requestMessage, rfc3339China, signRsaSha256, unixSeconds, wechatpaySignatureProblem } from './signing';
import { REFUND_STATUS, TRADE_STATE } from './states';
import { parseWechatTradeBill } from './trade-bill';

/** A bill of a million rows takes a while to stream; the download gets its own, longer limit. */
const BILL_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

export interface WechatPayClientOptions {
  config: WechatPayConfig;
  timeoutMs: number;
  /** Injected clock for tests of the timestamp window. */
  now?: () => number;
}

interface RawResponse {
  status: number;
  body: Buffer;
  headers: Headers;
}

/** Hand-written WeChat Pay API v3 client (payments.md §0.4: no trustworthy Node SDK). */
export class WechatPayProvider implements PaymentProvider {
  readonly name = 'wechatpay' as const;
  private readonly config: WechatPayConfig;
  private readonly merchantKey: KeyObject;
  private readonly platformKeys: Map<string, KeyObject>;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: WechatPayClientOptions) {
    this.config = options.config;
    this.timeoutMs = options.timeoutMs;
    this.now = options.now ?? Date.now;
    this.merchantKey = createPrivateKey(options.config.merchantPrivateKeyPem);
    this.platformKeys = new Map([[options.config.platformPublicKeyId, createPublicKey(options.config.platformPublicKeyPem)]]);
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult> {
    const body: NativePrepayRequest = {
      appid: this.config.appid,
      mchid: this.config.mchid,
      description: input.description,
      out_trade_no: input.outTradeNo,
      ...(input.expiresAt ? { time_expire: rfc3339China(input.expiresAt) } : {}),
      notify_url: input.notifyUrl,
      amount: { total: positiveFen(input.amountFen), currency: 'CNY' },
    };
    const res = await this.call<NativePrepayResponse>('POST', '/v3/pay/transactions/native', body, true);
    if (typeof res.code_url !== 'string' || res.code_url === '') throw malformedAnswer('native order answer without code_url');
    return { kind: 'qr', codeUrl: res.code_url };
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    let tx: Transaction;
    try {
      tx = await this.call<Transaction>('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.config.mchid)}`);
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'ORDER_NOT_EXIST') return { state: 'NOTPAY', outTradeNo };
      throw err;
    }
    const state = TRADE_STATE[tx.trade_state];
    if (!state) throw malformedAnswer(`unknown trade_state ${String(tx.trade_state)}`);
    if (tx.out_trade_no !== outTradeNo) throw malformedAnswer(`asked for ${outTradeNo}, got ${tx.out_trade_no}`);
    return {
      state,
      outTradeNo,
      ...(tx.transaction_id ? { transactionId: tx.transaction_id } : {}),
      ...(typeof tx.amount?.total === 'number' ? { amountFen: tx.amount.total } : {}),
      ...(tx.success_time ? { paidAt: this.instant(tx.success_time, 'success_time') } : {}),
    };
  }

  async closePayment(outTradeNo: string): Promise<{ alreadyPaid: boolean }> {
    const body: CloseOrderRequest = { mchid: this.config.mchid };
    try {
      await this.call<void>('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`, body, true);
      return { alreadyPaid: false };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.code === 'ORDER_PAID') return { alreadyPaid: true };
      // Nothing was ever created under this number, so there is nothing a buyer could pay.
      if (err.code === 'ORDER_NOT_EXIST') return { alreadyPaid: false };
      throw err;
    }
  }

  async submitRefund(input: SubmitRefundInput): Promise<RefundResult> {
    // Field order is fixed so a retry sends byte-identical JSON (WeChat compares the request).
    const body: CreateRefundRequest = {
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      reason: input.reason,
      notify_url: input.notifyUrl,
      amount: { refund: positiveFen(input.refundFen), total: positiveFen(input.totalFen), currency: 'CNY' },
    };
    const refund = await this.call<Refund>('POST', '/v3/refund/domestic/refunds', body, true);
    return this.toRefundResult(refund, input.outRefundNo);
  }

  async queryRefund(outTradeNo: string, outRefundNo: string): Promise<RefundQueryResult> {
    let refund: Refund;
    try {
      refund = await this.call<Refund>('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`);
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'RESOURCE_NOT_EXISTS') return { status: 'NOT_FOUND', outRefundNo };
      throw err;
    }
    if (refund.out_trade_no !== outTradeNo) {
      throw new ProviderError({
        provider: 'wechatpay',
        errorClass: 'final',
        code: 'REFUND_TRADE_MISMATCH',
        message: `refund ${outRefundNo} belongs to ${refund.out_trade_no}, not ${outTradeNo}`,
      });
    }
    return this.toRefundResult(refund, outRefundNo);
  }

  /**
   * The day's trade bill (bill_type ALL, gzip): the signed tradebill answer gives the download URL and
   * the file's SHA1; the download itself is unsigned (WeChat documents this), so the hash is what
   * proves the file, checked when the last row has streamed past.
   */
  async fetchTradeBill(billDate: string): Promise<TradeBill> {
    const answer = await this.call<TradeBillAnswer>('GET', `/v3/bill/tradebill?bill_date=${encodeURIComponent(billDate)}&bill_type=ALL&tar_type=GZIP`);
    if (answer?.hash_type !== 'SHA1' || typeof answer.hash_value !== 'string' || typeof answer.download_url !== 'string') throw malformedAnswer('tradebill answer without SHA1 hash and download_url');
    const url = new URL(answer.download_url);
    // The download is signed with our merchant key: never send that signature to another host.
    if (url.origin !== new URL(this.config.baseUrl).origin) throw malformedAnswer(`download_url ${url.origin} is not the API host`);
    let res: Response;
    try {
      res = await fetch(url, { headers: { Accept: 'application/json', ...this.authorization('GET', `${url.pathname}${url.search}`, '') }, signal: AbortSignal.timeout(BILL_DOWNLOAD_TIMEOUT_MS), redirect: 'error' });
    } catch (err) {
      throw billDownloadUnanswered(err);
    }
    if (!res.ok || !res.body) throw billDownloadRefused(res.status, await res.text());
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    const gunzip = createGunzip();
    body.on('error', (err) => gunzip.destroy(err));
    const totals = emptyTotals();
    return { provider: 'wechatpay', billDate, totals, digest: answer.hash_value, rows: parseWechatTradeBill(body.pipe(gunzip), answer.hash_value, totals) };
  }

  verifyNotification(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): ProviderNotification {
    return readWechatPayNotification(headers, rawBody, this.config, this.platformKeys, this.now());
  }

  ack(ok: boolean): NotificationAck {
    return ok
      ? { status: 200, contentType: 'application/json', body: JSON.stringify({ code: 'SUCCESS', message: '成功' }) }
      : { status: 500, contentType: 'application/json', body: JSON.stringify({ code: 'FAIL', message: '失败' }) };
  }

  private toRefundResult(refund: Refund, outRefundNo: string): RefundResult {
    const status = REFUND_STATUS[refund.status];
    if (!status) throw malformedAnswer(`unknown refund status ${String(refund.status)}`);
    if (refund.out_refund_no !== outRefundNo) throw malformedAnswer(`asked for refund ${outRefundNo}, got ${refund.out_refund_no}`);
    return {
      status,
      outRefundNo,
      providerRefundId: refund.refund_id,
      ...(typeof refund.amount?.refund === 'number' ? { refundFen: refund.amount.refund } : {}),
      ...(refund.success_time ? { succeededAt: this.instant(refund.success_time, 'success_time') } : {}),
    };
  }

  /** A time in an answer; an unreadable one is a malformed answer. */
  private instant(text: string, field: string): string {
    try {
      return rfc3339ToIso(text, field);
    } catch (err) {
      throw malformedAnswer((err as Error).message);
    }
  }

  /** The signed Authorization (and serial) headers of one request. */
  private authorization(method: string, canonicalUrl: string, bodyText: string): Record<string, string> {
    const timestamp = String(unixSeconds(this.now()));
    const nonce = newNonce();
    const signature = signRsaSha256(requestMessage(method, canonicalUrl, timestamp, nonce, bodyText), this.merchantKey);
    return {
      Authorization: formatAuthorization({ mchid: this.config.mchid, serial_no: this.config.merchantSerial, timestamp, nonce_str: nonce, signature }),
      'Wechatpay-Serial': this.config.platformPublicKeyId,
      'User-Agent': 'order-backend-wechatpay/1',
    };
  }

  /**
   * Signs, sends, verifies. `mutating` marks calls whose effect may have happened although we saw
   * a failure, so callers know to retry only with the identical request.
   */
  private async call<T>(method: 'GET' | 'POST', canonicalUrl: string, body?: object, mutating = false): Promise<T> {
    const bodyText = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json', ...this.authorization(method, canonicalUrl, bodyText) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let raw: RawResponse;
    try {
      const res = await fetch(`${this.config.baseUrl}${canonicalUrl}`, {
        method,
        headers,
        body: body === undefined ? undefined : bodyText,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      raw = { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    } catch (err) {
      throw unansweredCall(err, this.timeoutMs);
    }

    const ok = raw.status >= 200 && raw.status < 300;
    const signed = header(raw.headers, 'Wechatpay-Signature') !== undefined;
    // Success must be provably from WeChat. An unsigned error answer (gateways in front of WeChat
    // do send those) is still read for its code: the worst a forged one can do is stop a retry.
    if (ok || signed) {
      const problem = wechatpaySignatureProblem(raw.headers, raw.body, this.platformKeys, this.now());
      if (problem) throw unverifiedAnswer(raw.status, problem);
    }

    if (ok) {
      if (raw.status === 204 || raw.body.length === 0) return undefined as T;
      try {
        return JSON.parse(raw.body.toString('utf8')) as T;
      } catch {
        throw malformedAnswer(`HTTP ${raw.status} body is not JSON`);
      }
    }

    throw errorAnswer(raw.status, raw.body, mutating);
  }
}
