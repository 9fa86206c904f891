/**
 * The WeChat Pay v3 gateway: signed JSON calls under /v3/ (Native payments, close, refunds, the trade
 * bill), answered and signed as WeChat does, with the scripted faults applied.
 */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import type { DevKeys } from '../../payments/dev-keys';
import {
  MAX_CLOCK_SKEW_SECONDS,
  newNonce,
  parseAuthorization,
  requestMessage,
  responseMessage,
  rfc3339China,
  signRsaSha256,
  unixSeconds,
  verifyRsaSha256,
} from '../../payments/wechatpay/signing';
import { flipBase64 } from './alipay-signing';
import type { BillDesk } from './bills';
import type { SimLedger } from './ledger';
import type { SimKeys } from './sim-keys';
import type { FaultOutcome, SimOperation, SimRefund, SimTrade } from './types';
import { digits, OUT_NO, stableStringify, type Wire } from './wire';

interface Reply {
  status: number;
  /** WeChat: JSON object or undefined for 204. */
  json?: unknown;
  /** The request log's outcome when it is not 'ok' (a refund refused by the provider's limits). */
  outcome?: string;
}

const WECHAT_ERROR_STATUS: Record<string, number> = {
  PARAM_ERROR: 400,
  INVALID_REQUEST: 400,
  ORDER_PAID: 400,
  ORDER_CLOSED: 400,
  SIGN_ERROR: 401,
  NO_AUTH: 403,
  NOT_ENOUGH: 403,
  USER_ACCOUNT_ABNORMAL: 403,
  RESOURCE_NOT_EXISTS: 404,
  ORDER_NOT_EXIST: 404,
  MCH_NOT_EXISTS: 404,
  FREQUENCY_LIMITED: 429,
  RATELIMIT_EXCEEDED: 429,
  SYSTEM_ERROR: 500,
  BANK_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

/** A trade as WeChat Pay shows it: the query answer and the payment notification's resource. */
export function wechatTransaction(trade: SimTrade, dev: DevKeys): Record<string, unknown> {
  const w = dev.wechatpay;
  const paid = trade.status === 'PAID' || trade.status === 'REFUNDED';
  const state = { NOTPAY: 'NOTPAY', PAID: 'SUCCESS', CLOSED: 'CLOSED', REFUNDED: 'REFUND' }[trade.status];
  return {
    appid: w.appid,
    mchid: w.mchid,
    out_trade_no: trade.outTradeNo,
    ...(paid ? { transaction_id: trade.transactionId, bank_type: 'OTHERS', success_time: trade.paidAt, payer: { openid: 'oSim0000buyer' } } : {}),
    trade_type: 'NATIVE',
    trade_state: state,
    trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', REFUND: '转入退款' }[state],
    attach: '',
    amount: { total: trade.totalFen, ...(paid ? { payer_total: trade.totalFen } : {}), currency: 'CNY', payer_currency: 'CNY' },
  };
}

export class WechatPayGateway {
  private seenNonces = new Map<string, number>();

  constructor(
    private readonly keys: SimKeys,
    private readonly ledger: SimLedger,
    private readonly wire: Wire,
    private readonly bills: BillDesk,
    /** How long a refund stays PROCESSING unless scripted. */
    private readonly refundProcessingMs: number,
  ) {}

  private wechatError(status: number, code: string, message: string): Reply {
    return { status, json: { code, message } };
  }

  private sendWechat(res: http.ServerResponse, reply: Reply, faultOnSignature?: FaultOutcome): void {
    const body = reply.json === undefined ? '' : JSON.stringify(reply.json);
    let timestamp = String(unixSeconds());
    if (faultOnSignature === 'stale-timestamp') timestamp = String(unixSeconds() - MAX_CLOCK_SKEW_SECONDS - 60);
    const nonce = newNonce();
    const key = faultOnSignature === 'unknown-serial' ? this.keys.attackerKey : this.keys.wechatPlatformKey;
    let signature = signRsaSha256(responseMessage(timestamp, nonce, body), key);
    if (faultOnSignature === 'bad-signature') signature = flipBase64(signature);
    const headers: Record<string, string | number> = {
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': signature,
      'Wechatpay-Serial': faultOnSignature === 'unknown-serial' ? 'PUB_KEY_ID_0000000000UNKNOWN' : this.keys.dev.wechatpay.platformPublicKeyId,
      'Request-ID': `sim-${randomBytes(8).toString('hex')}`,
      'Content-Length': Buffer.byteLength(body),
    };
    if (reply.json !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
    res.writeHead(reply.status, headers);
    res.end(body);
  }

  private wechatRoute(method: string, path: string): { operation: SimOperation; key?: string } | undefined {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v3/pay/transactions/native') return { operation: 'createPayment' };
    if (method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(path))) return { operation: 'queryPayment', key: decodeURIComponent(m[1]) };
    if (method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(path))) return { operation: 'closePayment', key: decodeURIComponent(m[1]) };
    if (method === 'POST' && path === '/v3/refund/domestic/refunds') return { operation: 'submitRefund' };
    if (method === 'GET' && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path))) return { operation: 'queryRefund', key: decodeURIComponent(m[1]) };
    if (method === 'GET' && path === '/v3/bill/tradebill') return { operation: 'tradeBill' };
    return undefined;
  }

  /** The bill file: the request is signed like any v3 call, the answer is the file, unsigned (as WeChat does). */
  billDownload(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
    const problem = this.wechatSignProblem(req, raw.toString('utf8'));
    const entry = this.wire.logRequest({ provider: 'wechatpay', operation: 'tradeBill', method: req.method ?? 'GET', url: req.url ?? '', authorization: req.headers.authorization, body: '', business: '', outcome: problem ? 'SIGN_ERROR' : 'ok' });
    if (problem) {
      entry.status = 401;
      return this.sendWechat(res, this.wechatError(401, 'SIGN_ERROR', problem));
    }
    entry.status = 200;
    this.bills.wechatDownload(url, res);
  }

  /** Exactly the checks WeChat makes: scheme, merchant, serial, time window, nonce reuse, RSA signature. */
  private wechatSignProblem(req: http.IncomingMessage, bodyText: string): string | undefined {
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) return 'Authorization is missing or not WECHATPAY2-SHA256-RSA2048 k="v" pairs';
    if (auth.mchid !== this.keys.dev.wechatpay.mchid) return `mchid ${auth.mchid} does not match`;
    if (auth.serial_no.toUpperCase() !== this.keys.dev.wechatpay.merchantSerial.toUpperCase()) return '商户证书序列号有误';
    if (!/^\d{1,12}$/.test(auth.timestamp) || Math.abs(unixSeconds() - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SECONDS) return '请求时间戳与当前时间相差过大';
    const nowMs = Date.now();
    for (const [n, exp] of this.seenNonces) if (exp < nowMs) this.seenNonces.delete(n);
    if (this.seenNonces.has(auth.nonce_str)) return 'nonce_str 重复';
    if (!verifyRsaSha256(requestMessage(req.method ?? '', req.url ?? '', auth.timestamp, auth.nonce_str, bodyText), auth.signature, this.keys.merchantKey)) return '签名错误';
    this.seenNonces.set(auth.nonce_str, nowMs + 2 * MAX_CLOCK_SKEW_SECONDS * 1000);
    return undefined;
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
    const bodyText = raw.toString('utf8');
    const method = req.method ?? 'GET';
    const route = this.wechatRoute(method, url.pathname);
    let body: Record<string, unknown> = {};
    if (bodyText !== '') {
      try {
        body = JSON.parse(bodyText) as Record<string, unknown>;
      } catch {
        body = {};
      }
    }
    const key = route?.key ?? (route?.operation === 'submitRefund' ? String(body.out_refund_no ?? '') : String(body.out_trade_no ?? ''));
    const entry = this.wire.logRequest({
      provider: 'wechatpay',
      operation: route?.operation ?? 'unknown',
      method,
      url: req.url ?? '',
      authorization: req.headers.authorization,
      body: bodyText,
      business: bodyText,
      ...(key ? { key } : {}),
      outcome: 'ok',
    });
    const finish = (reply: Reply, outcome = 'ok', fault?: FaultOutcome): void => {
      entry.outcome = outcome;
      entry.status = reply.status;
      this.sendWechat(res, reply, fault);
    };

    const signProblem = this.wechatSignProblem(req, bodyText);
    if (signProblem) return finish(this.wechatError(401, 'SIGN_ERROR', signProblem), 'SIGN_ERROR');
    if (!route) return finish(this.wechatError(404, 'NOT_FOUND', `no such API ${method} ${url.pathname}`), 'NOT_FOUND');
    if (bodyText !== '' && Object.keys(body).length === 0) return finish(this.wechatError(400, 'PARAM_ERROR', 'body is not a JSON object'), 'PARAM_ERROR');

    const taken = this.wire.takeFault('wechatpay', route.operation, key || undefined);
    const respond = (fault: FaultOutcome | undefined): void => {
      if (fault === '500') return finish(this.wechatError(500, 'SYSTEM_ERROR', '系统错误'), fault);
      if (fault === 'rate-limit') {
        const code = route.operation === 'submitRefund' ? 'FREQUENCY_LIMITED' : 'RATELIMIT_EXCEEDED';
        return finish(this.wechatError(429, code, '频率限制'), fault);
      }
      if (fault === 'timeout-before-commit') {
        entry.outcome = fault;
        return this.wire.hang(res);
      }
      const scriptedError = fault !== undefined && !['commit-then-timeout', 'commit-then-500', 'bad-signature', 'stale-timestamp', 'unknown-serial'].includes(fault);
      if (scriptedError) return finish(this.wechatError(WECHAT_ERROR_STATUS[fault] ?? 400, fault, `scripted ${fault}`), fault);

      const reply = this.wechatOperation(route.operation, route.key, body, url);
      if (fault === 'commit-then-timeout') {
        entry.outcome = fault;
        entry.status = reply.status;
        return this.wire.hang(res);
      }
      if (fault === 'commit-then-500') return finish(this.wechatError(500, 'SYSTEM_ERROR', '系统超时'), fault);
      finish(reply, fault ?? reply.outcome ?? 'ok', fault);
    };
    // A slow provider: the call is applied and answered as usual, only later (applied even if the client gave up).
    if (taken.fault === 'slow') return this.wire.later(res, taken.delayMs, () => respond(undefined));
    respond(taken.fault);
  }

  private wechatOperation(operation: SimOperation, key: string | undefined, body: Record<string, unknown>, url: URL): Reply {
    const w = this.keys.dev.wechatpay;
    switch (operation) {
      case 'createPayment': {
        const amount = body.amount as { total?: unknown; currency?: unknown } | undefined;
        const outTradeNo = body.out_trade_no;
        if (body.appid !== w.appid) return this.wechatError(400, 'PARAM_ERROR', 'appid 与 mchid 不匹配');
        if (body.mchid !== w.mchid) return this.wechatError(400, 'PARAM_ERROR', 'mchid 不正确');
        if (typeof outTradeNo !== 'string' || !/^[0-9A-Za-z_\-|*]{6,32}$/.test(outTradeNo)) return this.wechatError(400, 'PARAM_ERROR', 'out_trade_no 格式错误');
        if (typeof body.description !== 'string' || body.description === '') return this.wechatError(400, 'PARAM_ERROR', '缺少 description');
        if (typeof body.notify_url !== 'string' || !/^https?:\/\/[^?]+$/.test(body.notify_url)) return this.wechatError(400, 'PARAM_ERROR', 'notify_url 格式错误');
        if (!amount || !Number.isSafeInteger(amount.total) || (amount.total as number) <= 0) return this.wechatError(400, 'PARAM_ERROR', 'amount.total 必须为正整数');
        if (amount.currency !== undefined && amount.currency !== 'CNY') return this.wechatError(400, 'PARAM_ERROR', 'currency 只支持 CNY');
        const id = `wechatpay:${outTradeNo}`;
        const fingerprint = stableStringify(body);
        const existing = this.ledger.trades.get(id);
        if (existing) {
          if (this.ledger.tradeFingerprints.get(id) !== fingerprint) return this.wechatError(400, 'INVALID_REQUEST', '请求重入时，参数与首次请求时不一致');
          if (existing.status === 'PAID' || existing.status === 'REFUNDED') return this.wechatError(400, 'ORDER_PAID', '该订单已支付');
          if (existing.status === 'CLOSED') return this.wechatError(400, 'ORDER_CLOSED', '订单已关闭');
          return { status: 200, json: { code_url: existing.codeUrl } };
        }
        const trade: SimTrade = {
          provider: 'wechatpay',
          outTradeNo,
          transactionId: `4200${digits(24)}`,
          totalFen: amount.total as number,
          description: body.description,
          notifyUrl: body.notify_url,
          status: 'NOTPAY',
          visible: true,
          codeUrl: `weixin://wxpay/bizpayurl?pr=${randomBytes(6).toString('base64url')}`,
          createdAt: rfc3339China(new Date(this.ledger.now())),
          refundedFen: 0,
        };
        this.ledger.trades.set(id, trade);
        this.ledger.tradeFingerprints.set(id, fingerprint);
        return { status: 200, json: { code_url: trade.codeUrl } };
      }
      case 'queryPayment': {
        if (url.searchParams.get('mchid') !== w.mchid) return this.wechatError(400, 'PARAM_ERROR', 'mchid 不正确');
        const trade = this.ledger.trades.get(`wechatpay:${key}`);
        if (!trade) return this.wechatError(404, 'ORDER_NOT_EXIST', '订单不存在');
        return { status: 200, json: wechatTransaction(trade, this.keys.dev) };
      }
      case 'closePayment': {
        if (body.mchid !== w.mchid) return this.wechatError(400, 'PARAM_ERROR', 'mchid 不正确');
        const trade = this.ledger.trades.get(`wechatpay:${key}`);
        if (!trade) return this.wechatError(404, 'ORDER_NOT_EXIST', '订单不存在');
        if (trade.status === 'PAID' || trade.status === 'REFUNDED') return this.wechatError(400, 'ORDER_PAID', '订单已支付');
        trade.status = 'CLOSED';
        return { status: 204 };
      }
      case 'submitRefund':
        return this.wechatRefund(body);
      case 'tradeBill':
        return this.bills.wechatTradeBill(url);
      case 'queryRefund': {
        const refund = this.ledger.refunds.get(`wechatpay::${key}`);
        if (!refund) return this.wechatError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
        // Refund state is a function of time: a query after the due time sees it settled even if the
        // settle timer has not run yet (a busy event loop), as the real provider would.
        this.ledger.settle(refund);
        return { status: 200, json: this.wechatRefundObject(refund) };
      }
    }
  }

  private wechatRefundObject(r: SimRefund): Record<string, unknown> {
    const trade = this.ledger.trades.get(`wechatpay:${r.outTradeNo}`);
    return {
      refund_id: r.refundId,
      out_refund_no: r.outRefundNo,
      transaction_id: trade?.transactionId ?? '',
      out_trade_no: r.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      ...(r.successTime ? { success_time: r.successTime } : {}),
      create_time: r.createdAt,
      status: r.status,
      funds_account: 'AVAILABLE',
      amount: {
        total: r.totalFen,
        refund: r.amountFen,
        from: [],
        payer_total: r.totalFen,
        payer_refund: r.amountFen,
        settlement_refund: r.amountFen,
        settlement_total: r.totalFen,
        discount_refund: 0,
        currency: 'CNY',
      },
    };
  }

  private wechatRefund(body: Record<string, unknown>): Reply {
    const amount = body.amount as { refund?: unknown; total?: unknown; currency?: unknown } | undefined;
    const outRefundNo = body.out_refund_no;
    const outTradeNo = body.out_trade_no;
    if (typeof outRefundNo !== 'string' || !OUT_NO.test(outRefundNo)) return this.wechatError(400, 'PARAM_ERROR', 'out_refund_no 格式错误');
    if (typeof outTradeNo !== 'string') return this.wechatError(400, 'PARAM_ERROR', '缺少 out_trade_no');
    if (typeof body.reason === 'string' && [...body.reason].length > 80) return this.wechatError(400, 'PARAM_ERROR', 'reason 超过 80 字');
    if (!amount || !Number.isSafeInteger(amount.refund) || !Number.isSafeInteger(amount.total) || (amount.refund as number) <= 0) {
      return this.wechatError(400, 'PARAM_ERROR', 'amount.refund/total 必须为正整数');
    }
    const id = `wechatpay::${outRefundNo}`;
    const fingerprint = stableStringify(body);
    const existing = this.ledger.refunds.get(id);
    if (existing) {
      // Same number, same request: the same refund, money not moved again.
      if (this.ledger.refundFingerprints.get(id) === fingerprint) return { status: 200, json: this.wechatRefundObject(existing) };
      return this.wechatError(400, 'INVALID_REQUEST', '请求内容和上次请求不一致，商户退款单号已经被其他请求使用');
    }
    const trade = this.ledger.trades.get(`wechatpay:${outTradeNo}`);
    if (!trade || trade.status === 'NOTPAY' || trade.status === 'CLOSED') return this.wechatError(404, 'RESOURCE_NOT_EXISTS', '订单不存在或未支付');
    if (amount.total !== trade.totalFen) return this.wechatError(400, 'INVALID_REQUEST', '订单金额与之前请求不一致');
    const check = this.ledger.refundable(trade, amount.refund as number);
    if (check) return this.wechatError(400, 'INVALID_REQUEST', check);
    const limit = this.ledger.refundLimits.check('wechatpay', trade.outTradeNo, this.ledger.refundsOf(trade).length, this.ledger.now());
    // The 51st refund: a business rule, so INVALID_REQUEST (请求参数符合格式但不符合业务规则).
    if (limit?.kind === 'too-many') return { ...this.wechatError(400, 'INVALID_REQUEST', limit.message), outcome: 'TOO_MANY_REFUNDS' };
    // Too soon after the last refund of this payment: nothing was accepted, retry the same number later.
    if (limit?.kind === 'too-early') return { ...this.wechatError(429, 'FREQUENCY_LIMITED', '频率限制，同一笔订单的多次退款需间隔 1 分钟，请降低频率后原单重试'), outcome: 'FREQUENCY_LIMITED' };
    const refund = this.ledger.createRefund(trade, outRefundNo, amount.refund as number, String(body.reason ?? ''), String(body.notify_url ?? ''), this.refundProcessingMs);
    this.ledger.refundLimits.accepted('wechatpay', trade.outTradeNo, this.ledger.now());
    this.ledger.refundFingerprints.set(id, fingerprint);
    return { status: 200, json: this.wechatRefundObject(refund) };
  }
}
