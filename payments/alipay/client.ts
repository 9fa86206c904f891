import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AlipaySdk } from 'alipay-sdk';
import { BillIntegrityError, BillRow, BillTotals, TradeBill, emptyTotals } from '../bills';
import { listZipEntries, openZipEntry } from '../zip-reader';
import { ALIPAY_DETAIL_SUFFIX, parseAlipayTradeBill } from './trade-bill';
import type { AlipayConfig } from '../config';
import { classifyAlipayError } from '../error-classes';
import { alipayTimeToIso, isoToAlipayTime } from '../provider-time';
import { fenToYuanString, yuanStringToFen } from '../../domain/money';
import {
  CreatePaymentInput,
  CreatePaymentResult,
  NotificationAck,
  NotificationRejectedError,
  PaymentProvider,
  PaymentQueryResult,
  PaymentState,
  ProviderError,
  ProviderNotification,
  RefundQueryResult,
  RefundResult,
  SubmitRefundInput,
} from '../provider';

/** Response fields we read (snake_case: the SDK runs with camelcase off so names match the docs). */
interface AlipayResult {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  [field: string]: unknown;
}

interface PrecreateResult extends AlipayResult {
  out_trade_no?: string;
  qr_code?: string;
}

interface TradeQueryResult extends AlipayResult {
  trade_no?: string;
  out_trade_no?: string;
  trade_status?: 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED';
  total_amount?: string;
  send_pay_date?: string;
}

interface RefundCreateResult extends AlipayResult {
  trade_no?: string;
  out_trade_no?: string;
  fund_change?: string;
  refund_fee?: string;
  gmt_refund_pay?: string;
}

interface BillUrlResult extends AlipayResult {
  bill_download_url?: string;
}

/** A bill of a million rows takes a while to download; it gets its own, longer limit. */
const BILL_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

interface RefundQueryResultWire extends AlipayResult {
  out_request_no?: string;
  out_trade_no?: string;
  trade_no?: string;
  refund_amount?: string;
  refund_status?: string;
  gmt_refund_pay?: string;
}

/**
 * Parameters alipay-sdk puts in the gateway URL query rather than the POST body; the cashier form
 * keeps that split so the browser posts exactly what was signed.
 */
const URL_PARAMS = new Set([
  'app_id', 'method', 'format', 'charset', 'sign_type', 'sign', 'timestamp', 'version',
  'notify_url', 'return_url', 'auth_token', 'app_auth_token', 'app_cert_sn', 'alipay_root_cert_sn', 'ws_service_url',
]);

export interface AlipayClientOptions {
  config: AlipayConfig;
  timeoutMs: number;
}

/** Alipay OpenAPI v2 gateway through the official alipay-sdk v4, always verifying answers. */
export class AlipayProvider implements PaymentProvider {
  readonly name = 'alipay' as const;
  private readonly sdk: AlipaySdk;
  private readonly config: AlipayConfig;

  constructor(options: AlipayClientOptions) {
    this.config = options.config;
    this.sdk = new AlipaySdk({
      appId: options.config.appId,
      privateKey: options.config.appPrivateKeyPem,
      keyType: 'PKCS8',
      alipayPublicKey: options.config.alipayPublicKeyPem,
      gateway: options.config.gatewayUrl,
      timeout: options.timeoutMs,
      camelcase: false,
      signType: 'RSA2',
    });
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult> {
    const timeExpire = input.expiresAt ? isoToAlipayTime(input.expiresAt) : undefined;
    if (input.channel === 'page') {
      const signedUrl = this.sdk.pageExecute('alipay.trade.page.pay', 'GET', {
        bizContent: {
          out_trade_no: input.outTradeNo,
          total_amount: fenToYuanString(checkFen(input.amountFen)),
          subject: input.description,
          product_code: 'FAST_INSTANT_TRADE_PAY',
          ...(timeExpire ? { time_expire: timeExpire } : {}),
        },
        notify_url: input.notifyUrl,
        ...(input.returnUrl ? { return_url: input.returnUrl } : {}),
      });
      const url = new URL(signedUrl);
      const action = new URL(this.config.gatewayUrl);
      const formItems: { name: string; value: string }[] = [];
      for (const [name, value] of url.searchParams) {
        if (URL_PARAMS.has(name)) action.searchParams.append(name, value);
        else formItems.push({ name, value });
      }
      return { kind: 'form', gatewayUrl: action.toString(), formItems };
    }
    const res = await this.exec<PrecreateResult>(
      'alipay.trade.precreate',
      {
        out_trade_no: input.outTradeNo,
        total_amount: fenToYuanString(checkFen(input.amountFen)),
        subject: input.description,
        ...(timeExpire ? { time_expire: timeExpire } : {}),
      },
      { notify_url: input.notifyUrl },
      true,
    );
    if (res.code !== '10000') throw this.businessError(res, true);
    if (typeof res.qr_code !== 'string' || res.qr_code === '') throw this.malformed('precreate answer without qr_code');
    return { kind: 'qr', codeUrl: res.qr_code };
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    const res = await this.exec<TradeQueryResult>('alipay.trade.query', { out_trade_no: outTradeNo });
    // Before the buyer scans there is no trade at all; that is "not paid yet", not a failure.
    if (res.code !== '10000' && res.sub_code === 'ACQ.TRADE_NOT_EXIST') return { state: 'NOTPAY', outTradeNo };
    if (res.code !== '10000') throw this.businessError(res, false);
    if (res.out_trade_no !== undefined && res.out_trade_no !== outTradeNo) throw this.malformed(`asked for ${outTradeNo}, got ${res.out_trade_no}`);
    let state: PaymentState;
    switch (res.trade_status) {
      case 'WAIT_BUYER_PAY':
        state = 'NOTPAY';
        break;
      case 'TRADE_SUCCESS':
      case 'TRADE_FINISHED':
        state = 'PAID';
        break;
      case 'TRADE_CLOSED':
        // Alipay closes a trade both when it expires unpaid and when it is fully refunded; only
        // the latter has a payment date.
        state = res.send_pay_date ? 'REFUNDED' : 'CLOSED';
        break;
      default:
        throw this.malformed(`unknown trade_status ${String(res.trade_status)}`);
    }
    return {
      state,
      outTradeNo,
      ...(res.trade_no ? { transactionId: res.trade_no } : {}),
      ...(res.total_amount ? { amountFen: this.fen(res.total_amount) } : {}),
      ...(res.send_pay_date ? { paidAt: this.instant(res.send_pay_date, 'send_pay_date') } : {}),
    };
  }

  async closePayment(outTradeNo: string): Promise<{ alreadyPaid: boolean }> {
    const res = await this.exec<AlipayResult>('alipay.trade.close', { out_trade_no: outTradeNo }, {}, true);
    if (res.code === '10000') return { alreadyPaid: false };
    // Never scanned: no trade exists, and nothing can be paid under this number once its QR expires.
    if (res.sub_code === 'ACQ.TRADE_NOT_EXIST') return { alreadyPaid: false };
    // Closing a paid or already closed trade is a status error; the query says which one it is.
    if (res.sub_code === 'ACQ.TRADE_STATUS_ERROR') {
      const q = await this.queryPayment(outTradeNo);
      if (q.state === 'PAID' || q.state === 'REFUNDED') return { alreadyPaid: true };
      if (q.state === 'CLOSED') return { alreadyPaid: false };
    }
    throw this.businessError(res, true);
  }

  async submitRefund(input: SubmitRefundInput): Promise<RefundResult> {
    const res = await this.exec<RefundCreateResult>(
      'alipay.trade.refund',
      {
        out_trade_no: input.outTradeNo,
        refund_amount: fenToYuanString(checkFen(input.refundFen)),
        out_request_no: input.outRefundNo,
        refund_reason: input.reason,
      },
      {},
      true,
    );
    if (res.code !== '10000') throw this.businessError(res, true);
    return {
      // code 10000 only means "request accepted"; fund_change 'Y' is Alipay's word that money moved.
      status: normaliseFundChange(res.fund_change),
      outRefundNo: input.outRefundNo,
      ...(res.trade_no ? { providerRefundId: res.trade_no } : {}),
      refundFen: input.refundFen,
      ...(res.fund_change === 'Y' && res.gmt_refund_pay ? { succeededAt: this.instant(res.gmt_refund_pay, 'gmt_refund_pay') } : {}),
    };
  }

  async queryRefund(outTradeNo: string, outRefundNo: string): Promise<RefundQueryResult> {
    const res = await this.exec<RefundQueryResultWire>('alipay.trade.fastpay.refund.query', {
      out_trade_no: outTradeNo,
      out_request_no: outRefundNo,
      query_options: ['gmt_refund_pay'],
    });
    if (res.code !== '10000' && res.sub_code === 'ACQ.TRADE_NOT_EXIST') return { status: 'NOT_FOUND', outRefundNo };
    if (res.code !== '10000') throw this.businessError(res, false);
    // "未返回该字段表示退款请求未收到或者退款失败": re-submitting with the same out_request_no is the
    // documented next step, and it is safe because Alipay refunds a request number at most once.
    if (res.refund_status !== 'REFUND_SUCCESS') return { status: 'NOT_FOUND', outRefundNo };
    return {
      status: 'SUCCESS',
      outRefundNo,
      ...(res.trade_no ? { providerRefundId: res.trade_no } : {}),
      ...(res.refund_amount ? { refundFen: this.fen(res.refund_amount) } : {}),
      ...(res.gmt_refund_pay ? { succeededAt: this.instant(res.gmt_refund_pay, 'gmt_refund_pay') } : {}),
    };
  }

  verifyNotification(_headers: Record<string, string | string[] | undefined>, rawBody: Buffer): ProviderNotification {
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(rawBody.toString('utf8'))) params[k] = v;
    if (!params.sign) throw new NotificationRejectedError('no sign');
    let verified: boolean;
    try {
      verified = this.sdk.checkNotifySignV2(params);
    } catch (err) {
      throw new NotificationRejectedError(`signature check failed: ${(err as Error).message}`);
    }
    if (!verified) throw new NotificationRejectedError('bad signature');
    if (params.app_id !== this.config.appId) throw new NotificationRejectedError(`app_id ${params.app_id} is not ours`);
    const notificationId = params.notify_id;
    const outTradeNo = params.out_trade_no;
    const tradeStatus = params.trade_status;
    if (!notificationId || !outTradeNo || !tradeStatus) throw new NotificationRejectedError('missing notify_id, out_trade_no or trade_status');

    const amount = (name: string): number => {
      const v = params[name];
      if (v === undefined) throw new NotificationRejectedError(`missing ${name}`);
      try {
        return yuanStringToFen(v);
      } catch {
        throw new NotificationRejectedError(`${name} is not a yuan amount: ${v}`);
      }
    };

    // Refund notifications reuse trade_status_sync and are recognised by out_biz_no + refund_fee.
    if (params.out_biz_no && params.refund_fee !== undefined) {
      return {
        provider: 'alipay',
        notificationId,
        kind: 'refund',
        outTradeNo,
        outRefundNo: params.out_biz_no,
        ...(params.trade_no ? { providerRefundId: params.trade_no } : {}),
        status: 'SUCCESS',
        refundFen: amount('refund_fee'),
        ...(params.gmt_refund ? { succeededAt: notifiedInstant(params.gmt_refund, 'gmt_refund') } : {}),
      };
    }
    let state: PaymentState;
    if (tradeStatus === 'TRADE_SUCCESS' || tradeStatus === 'TRADE_FINISHED') state = 'PAID';
    else if (tradeStatus === 'TRADE_CLOSED') state = 'CLOSED';
    else throw new NotificationRejectedError(`unexpected trade_status ${tradeStatus}`);
    if (!params.trade_no) throw new NotificationRejectedError('missing trade_no');
    return {
      provider: 'alipay',
      notificationId,
      kind: 'payment',
      outTradeNo,
      transactionId: params.trade_no,
      state,
      amountFen: amount('total_amount'),
      ...(params.gmt_payment ? { paidAt: notifiedInstant(params.gmt_payment, 'gmt_payment') } : {}),
    };
  }

  ack(ok: boolean): NotificationAck {
    // Alipay accepts exactly these 7 bytes; anything else (even a trailing newline) means resend.
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: ok ? 'success' : 'fail' };
  }

  /**
   * The day's trade bill: the signed (and verified) downloadurl answer names the zip; the zip is
   * streamed to a temporary file (its entry sizes live in the central directory at the end), then the
   * detail CSV is streamed out of it row by row. The temporary file is gone once the rows are read.
   */
  async fetchTradeBill(billDate: string): Promise<TradeBill> {
    const res = await this.exec<BillUrlResult>('alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: billDate });
    if (res.code !== '10000') throw this.businessError(res, false);
    if (typeof res.bill_download_url !== 'string' || res.bill_download_url === '') throw this.malformed('downloadurl answer without bill_download_url');
    const dir = await mkdtemp(join(tmpdir(), 'alipay-bill-'));
    const zipPath = join(dir, 'bill.zip');
    const digest = createHash('sha1');
    try {
      const download = await fetch(res.bill_download_url, { signal: AbortSignal.timeout(BILL_DOWNLOAD_TIMEOUT_MS) });
      if (!download.ok || !download.body) throw new ProviderError({ provider: 'alipay', errorClass: 'retryable', code: `HTTP_${download.status}`, message: `bill download: HTTP ${download.status}`, httpStatus: download.status });
      const hashing = new Transform({ transform: (chunk: Buffer, _enc, done) => (digest.update(chunk), done(null, chunk)) });
      await pipeline(Readable.fromWeb(download.body as unknown as WebReadableStream<Uint8Array>), hashing, createWriteStream(zipPath));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if (err instanceof ProviderError) throw err;
      throw new ProviderError({ provider: 'alipay', errorClass: 'retryable', code: 'NETWORK_ERROR', message: `bill download: ${(err as Error).message}`, cause: err });
    }
    const totals = emptyTotals();
    return { provider: 'alipay', billDate, totals, digest: digest.digest('hex'), rows: readDetailRows(dir, zipPath, totals) };
  }

  private fen(yuan: string): number {
    try {
      return yuanStringToFen(yuan);
    } catch (err) {
      throw this.malformed((err as Error).message);
    }
  }

  /** A time in an answer, read as China time; an unreadable one is a malformed answer. */
  private instant(text: string, field: string): string {
    try {
      return alipayTimeToIso(text, field);
    } catch (err) {
      throw this.malformed((err as Error).message);
    }
  }

  private malformed(message: string): ProviderError {
    return new ProviderError({ provider: 'alipay', errorClass: 'retryable', code: 'INVALID_RESPONSE', message, outcomeUnknown: true });
  }

  private businessError(res: AlipayResult, mutating: boolean): ProviderError {
    const code = res.sub_code ?? res.code;
    const errorClass = classifyAlipayError(res.code, res.sub_code);
    return new ProviderError({
      provider: 'alipay',
      errorClass,
      code,
      message: `${res.code} ${res.msg}${res.sub_msg ? `: ${res.sub_msg}` : ''}`,
      // 20000 / ACQ.SYSTEM_ERROR: "此时业务处理结果是未知的".
      outcomeUnknown: mutating && errorClass === 'retryable',
    });
  }

  /**
   * exec() with the answer's signature checked. Every throw from the SDK means we have no verified
   * answer (transport failure, HTTP status, unparsable or unverifiable body): outcome unknown.
   */
  private async exec<T extends AlipayResult>(method: string, bizContent: Record<string, unknown>, common: Record<string, string> = {}, mutating = false): Promise<T> {
    try {
      const result = await this.sdk.exec(method, { bizContent, ...common }, { validateSign: true });
      if (typeof result?.code !== 'string') throw this.malformed(`${method} answer without code`);
      return result as T;
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw sdkFailure(err, mutating);
    }
  }
}

function sdkFailure(err: unknown, mutating: boolean): ProviderError {
  const e = err as Error & { cause?: Error & { name?: string; code?: string } };
  const message = e?.message ?? String(err);
  const statusMatch = /status: (\d{3})/.exec(message);
  if (statusMatch) {
    const httpStatus = Number(statusMatch[1]);
    return new ProviderError({
      provider: 'alipay',
      errorClass: classifyAlipayError(`HTTP_${httpStatus}`, undefined, httpStatus),
      code: `HTTP_${httpStatus}`,
      message,
      httpStatus,
      outcomeUnknown: mutating && httpStatus >= 500,
      cause: err,
    });
  }
  if (message.startsWith('HttpClient Request error')) {
    const timedOut = /timeout/i.test(`${e.cause?.name ?? ''} ${e.cause?.code ?? ''} ${message}`);
    return new ProviderError({
      provider: 'alipay',
      errorClass: 'retryable',
      code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
      message,
      outcomeUnknown: true,
      cause: err,
    });
  }
  return new ProviderError({
    provider: 'alipay',
    errorClass: 'retryable',
    code: /验签|sign/i.test(message) ? 'INVALID_RESPONSE_SIGNATURE' : 'INVALID_RESPONSE',
    message,
    outcomeUnknown: true,
    cause: err,
  });
}

async function* readDetailRows(dir: string, zipPath: string, totals: BillTotals): AsyncGenerator<BillRow> {
  try {
    let entries;
    try {
      entries = await listZipEntries(zipPath);
    } catch (err) {
      throw new BillIntegrityError('alipay', (err as Error).message);
    }
    const detail = entries.find((e) => e.name.endsWith(ALIPAY_DETAIL_SUFFIX));
    if (!detail) throw new BillIntegrityError('alipay', `zip has no *${ALIPAY_DETAIL_SUFFIX} (entries: ${entries.map((e) => e.name).join(', ')})`);
    yield* parseAlipayTradeBill(await openZipEntry(zipPath, detail), totals);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Alipay's rule: only fund_change 'Y' proves the money moved; 'N' or nothing means go and query. */
export function normaliseFundChange(fundChange: unknown): 'SUCCESS' | 'PROCESSING' {
  return fundChange === 'Y' ? 'SUCCESS' : 'PROCESSING';
}

/** A time in a signed notification; an unreadable one refuses the notification (Alipay sends it again). */
function notifiedInstant(text: string, field: string): string {
  try {
    return alipayTimeToIso(text, field);
  } catch (err) {
    throw new NotificationRejectedError((err as Error).message);
  }
}

function checkFen(fen: number): number {
  if (!Number.isSafeInteger(fen) || fen <= 0) throw new RangeError(`amount must be a positive integer number of fen, got ${fen}`);
  return fen;
}

