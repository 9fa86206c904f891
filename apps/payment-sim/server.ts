import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, randomInt } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureDevKeys, DevKeys } from '../../payments/dev-keys';
import { fenToYuanString, yuanStringToFen } from '../../domain/money';
import {
  encryptResource,
  MAX_CLOCK_SKEW_SECONDS,
  newNonce,
  parseAuthorization,
  requestMessage,
  responseMessage,
  rfc3339China,
  SIGNATURE_PROBE_PREFIX,
  signRsaSha256,
  unixSeconds,
  verifyRsaSha256,
} from '../../payments/wechatpay/signing';
import { BillDesk, BillRequestError } from './bills';
import { alipayDateTime, alipaySignContent, flipBase64, rsa2Sign, signedAlipayResponse, verifyAlipayRequest } from './alipay-signing';
import { DEFAULT_RETRY_SCHEDULE_MS, Notifier, OutgoingNotification } from './notifier';
import { RefundLimits } from './refund-limits';
import type { RefundSpacing } from '../../domain/refund-provider-rules';
import type {
  FaultOutcome,
  FaultRule,
  ForgeMode,
  LedgerEntry,
  NotificationControl,
  RefundScript,
  RequestLogEntry,
  SimInfo,
  SimOperation,
  SimProvider,
  SimRefund,
  SimTrade,
} from './types';

export interface PaymentSimOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  keysDir: string;
  /** How long a WeChat refund stays PROCESSING unless scripted (default 5000). Alipay refunds are synchronous unless scripted. */
  refundProcessingMs?: number;
  /** Delays between notification attempts; replaces both providers' compressed default schedules. */
  notifyRetryScheduleMs?: number[];
  /** How long a scripted timeout holds the connection before dropping it (default 30000). */
  hangMs?: number;
  /** Time between refunds of one payment it insists on, per provider (default the real 1 min / 3 s; WECHATPAY_REFUND_SPACING, ALIPAY_REFUND_SPACING). */
  refundSpacing?: RefundSpacing;
}

export interface PaymentSim {
  url: string;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  /** WeChat: JSON object or undefined for 204. */
  json?: unknown;
  /** The request log's outcome when it is not 'ok' (a refund refused by the provider's limits). */
  outcome?: string;
}

/** Marks an Alipay answer refused by the refund limits, for the request log (symbol keys are not serialised). */
const LIMIT_OUTCOME = Symbol('refund-limit-outcome');

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
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

/** Alipay gateway code for a scripted sub_code. */
function alipayCodeFor(subCode: string): { code: string; msg: string } {
  if (subCode === 'isp.unknow-error' || subCode === 'aop.unknow-error') return { code: '20000', msg: 'Service Currently Unavailable' };
  if (subCode.startsWith('isv.')) return { code: '40002', msg: 'Invalid Arguments' };
  return { code: '40004', msg: 'Business Failed' };
}

const ALIPAY_OPERATIONS: Record<string, SimOperation> = {
  'alipay.trade.precreate': 'createPayment',
  'alipay.trade.page.pay': 'createPayment',
  'alipay.trade.query': 'queryPayment',
  'alipay.trade.close': 'closePayment',
  'alipay.trade.refund': 'submitRefund',
  'alipay.trade.fastpay.refund.query': 'queryRefund',
  'alipay.data.dataservice.bill.downloadurl.query': 'tradeBill',
};

const OUT_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function digits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(0, 10));
  return s;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The simulated WeChat Pay + Alipay provider. One instance per server. */
class Simulator {
  private readonly keys: DevKeys;
  private readonly merchantKey: KeyObject;
  private readonly wechatPlatformKey: KeyObject;
  private readonly appPublicKey: KeyObject;
  private readonly alipayKey: KeyObject;
  /** Signs forgeries "from an unknown key". */
  private readonly attackerKey: KeyObject;
  private readonly refundProcessingMs: number;
  private readonly hangMs: number;
  readonly notifier: Notifier;
  /** Daily bills built from the ledger (bills.ts). */
  private readonly bills: BillDesk;
  url = '';

  private trades = new Map<string, SimTrade>();
  private tradeFingerprints = new Map<string, string>();
  private refunds = new Map<string, SimRefund>();
  private refundFingerprints = new Map<string, string>();
  private refundScripts = new Map<string, RefundScript>();
  private faults: FaultRule[] = [];
  private seenNonces = new Map<string, number>();
  private ledger: LedgerEntry[] = [];
  private requests: RequestLogEntry[] = [];
  private seq = 0;
  private clockOffsetMs = 0;
  private refundTimers = new Set<NodeJS.Timeout>();
  private readonly refundLimits: RefundLimits;
  readonly hanging = new Set<http.ServerResponse>();

  constructor(opts: PaymentSimOptions) {
    this.keys = ensureDevKeys(opts.keysDir);
    this.merchantKey = createPublicKey(this.keys.wechatpay.merchantPublicKeyPem);
    this.wechatPlatformKey = createPrivateKey(this.keys.wechatpay.platformPrivateKeyPem);
    this.appPublicKey = createPublicKey(this.keys.alipay.appPublicKeyPem);
    this.alipayKey = createPrivateKey(this.keys.alipay.alipayPrivateKeyPem);
    this.attackerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.refundProcessingMs = opts.refundProcessingMs ?? 5000;
    this.hangMs = opts.hangMs ?? 30000;
    this.refundLimits = new RefundLimits(opts.refundSpacing);
    const schedule = opts.notifyRetryScheduleMs
      ? { wechatpay: opts.notifyRetryScheduleMs, alipay: opts.notifyRetryScheduleMs }
      : DEFAULT_RETRY_SCHEDULE_MS;
    this.notifier = new Notifier(schedule);
    this.bills = new BillDesk({
      keys: this.keys,
      url: () => this.url,
      now: () => this.now(),
      ledger: () => this.ledger,
      nextSeq: () => ++this.seq,
      trades: this.trades,
      refunds: this.refunds,
      refundKey: (provider, outTradeNo, outRefundNo) => (provider === 'wechatpay' ? `wechatpay::${outRefundNo}` : `alipay:${outTradeNo}:${outRefundNo}`),
    });
  }

  /** The refund clock: real time plus whatever tests advanced it by. */
  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  reset(): void {
    this.trades.clear();
    this.tradeFingerprints.clear();
    this.refunds.clear();
    this.refundFingerprints.clear();
    this.refundScripts.clear();
    this.faults = [];
    this.ledger = [];
    this.requests = [];
    this.clockOffsetMs = 0;
    this.refundLimits.reset();
    for (const t of this.refundTimers) clearTimeout(t);
    this.refundTimers.clear();
    this.notifier.reset();
    this.bills.reset();
  }

  shutdown(): void {
    for (const t of this.refundTimers) clearTimeout(t);
    this.refundTimers.clear();
    this.notifier.close();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const raw = await readBody(req);
    try {
      if (url.pathname.startsWith('/__sim/')) return await this.control(req, res, url, raw);
      if (url.pathname === '/v3/billdownload/file') return this.wechatBillDownload(req, res, url, raw);
      if (url.pathname === '/alipay/bills/download') return this.bills.alipayDownload(url, res);
      if (url.pathname.startsWith('/v3/')) return this.wechat(req, res, url, raw);
      if (url.pathname === '/gateway.do') return this.alipay(req, res, url, raw);
      if (url.pathname.startsWith('/cashier/')) return this.cashier(req, res, url, raw);
      this.sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (err) {
      const status = err instanceof HttpError || err instanceof BillRequestError ? err.status : 500;
      if (!res.headersSent) this.sendJson(res, status, { error: (err as Error).message });
      else res.destroy();
    }
  }

  private sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private logRequest(entry: Omit<RequestLogEntry, 'seq' | 'at'>): RequestLogEntry {
    const e: RequestLogEntry = { seq: ++this.seq, at: new Date().toISOString(), ...entry };
    this.requests.push(e);
    return e;
  }

  private takeFault(provider: SimProvider, operation: SimOperation, key: string | undefined): FaultOutcome | undefined {
    const rule = this.faults.find(
      (r) => r.outcomes.length > 0 && r.operation === operation && (r.provider === undefined || r.provider === provider) && (r.key === undefined || r.key === key),
    );
    if (!rule) return undefined;
    const outcome = rule.outcomes.shift();
    if (rule.outcomes.length === 0) this.faults = this.faults.filter((r) => r !== rule);
    return outcome;
  }

  /** Holds the request open past the client's timeout, then drops the connection. */
  private hang(res: http.ServerResponse): void {
    this.hanging.add(res);
    const timer = setTimeout(() => {
      this.hanging.delete(res);
      res.destroy();
    }, this.hangMs);
    timer.unref();
    res.on('close', () => {
      clearTimeout(timer);
      this.hanging.delete(res);
    });
  }

  // ---------------------------------------------------------------- WeChat Pay v3

  private wechatError(status: number, code: string, message: string): Reply {
    return { status, json: { code, message } };
  }

  private sendWechat(res: http.ServerResponse, reply: Reply, faultOnSignature?: FaultOutcome): void {
    const body = reply.json === undefined ? '' : JSON.stringify(reply.json);
    let timestamp = String(unixSeconds());
    if (faultOnSignature === 'stale-timestamp') timestamp = String(unixSeconds() - MAX_CLOCK_SKEW_SECONDS - 60);
    const nonce = newNonce();
    const key = faultOnSignature === 'unknown-serial' ? this.attackerKey : this.wechatPlatformKey;
    let signature = signRsaSha256(responseMessage(timestamp, nonce, body), key);
    if (faultOnSignature === 'bad-signature') signature = flipBase64(signature);
    const headers: Record<string, string | number> = {
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': signature,
      'Wechatpay-Serial': faultOnSignature === 'unknown-serial' ? 'PUB_KEY_ID_0000000000UNKNOWN' : this.keys.wechatpay.platformPublicKeyId,
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
  private wechatBillDownload(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
    const problem = this.wechatSignProblem(req, raw.toString('utf8'));
    const entry = this.logRequest({ provider: 'wechatpay', operation: 'tradeBill', method: req.method ?? 'GET', url: req.url ?? '', authorization: req.headers.authorization, body: '', business: '', outcome: problem ? 'SIGN_ERROR' : 'ok' });
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
    if (auth.mchid !== this.keys.wechatpay.mchid) return `mchid ${auth.mchid} does not match`;
    if (auth.serial_no.toUpperCase() !== this.keys.wechatpay.merchantSerial.toUpperCase()) return '商户证书序列号有误';
    if (!/^\d{1,12}$/.test(auth.timestamp) || Math.abs(unixSeconds() - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SECONDS) return '请求时间戳与当前时间相差过大';
    const nowMs = Date.now();
    for (const [n, exp] of this.seenNonces) if (exp < nowMs) this.seenNonces.delete(n);
    if (this.seenNonces.has(auth.nonce_str)) return 'nonce_str 重复';
    if (!verifyRsaSha256(requestMessage(req.method ?? '', req.url ?? '', auth.timestamp, auth.nonce_str, bodyText), auth.signature, this.merchantKey)) return '签名错误';
    this.seenNonces.set(auth.nonce_str, nowMs + 2 * MAX_CLOCK_SKEW_SECONDS * 1000);
    return undefined;
  }

  private wechat(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
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
    const entry = this.logRequest({
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

    const fault = this.takeFault('wechatpay', route.operation, key || undefined);
    if (fault === '500') return finish(this.wechatError(500, 'SYSTEM_ERROR', '系统错误'), fault);
    if (fault === 'rate-limit') {
      const code = route.operation === 'submitRefund' ? 'FREQUENCY_LIMITED' : 'RATELIMIT_EXCEEDED';
      return finish(this.wechatError(429, code, '频率限制'), fault);
    }
    if (fault === 'timeout-before-commit') {
      entry.outcome = fault;
      return this.hang(res);
    }
    const scriptedError = fault !== undefined && !['commit-then-timeout', 'commit-then-500', 'bad-signature', 'stale-timestamp', 'unknown-serial'].includes(fault);
    if (scriptedError) return finish(this.wechatError(WECHAT_ERROR_STATUS[fault] ?? 400, fault, `scripted ${fault}`), fault);

    const reply = this.wechatOperation(route.operation, route.key, body, url);
    if (fault === 'commit-then-timeout') {
      entry.outcome = fault;
      entry.status = reply.status;
      return this.hang(res);
    }
    if (fault === 'commit-then-500') return finish(this.wechatError(500, 'SYSTEM_ERROR', '系统超时'), fault);
    finish(reply, fault ?? reply.outcome ?? 'ok', fault);
  }

  private wechatOperation(operation: SimOperation, key: string | undefined, body: Record<string, unknown>, url: URL): Reply {
    const w = this.keys.wechatpay;
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
        const existing = this.trades.get(id);
        if (existing) {
          if (this.tradeFingerprints.get(id) !== fingerprint) return this.wechatError(400, 'INVALID_REQUEST', '请求重入时，参数与首次请求时不一致');
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
          createdAt: rfc3339China(new Date(this.now())),
          refundedFen: 0,
        };
        this.trades.set(id, trade);
        this.tradeFingerprints.set(id, fingerprint);
        return { status: 200, json: { code_url: trade.codeUrl } };
      }
      case 'queryPayment': {
        if (url.searchParams.get('mchid') !== w.mchid) return this.wechatError(400, 'PARAM_ERROR', 'mchid 不正确');
        const trade = this.trades.get(`wechatpay:${key}`);
        if (!trade) return this.wechatError(404, 'ORDER_NOT_EXIST', '订单不存在');
        return { status: 200, json: this.wechatTransaction(trade) };
      }
      case 'closePayment': {
        if (body.mchid !== w.mchid) return this.wechatError(400, 'PARAM_ERROR', 'mchid 不正确');
        const trade = this.trades.get(`wechatpay:${key}`);
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
        const refund = this.refunds.get(`wechatpay::${key}`);
        if (!refund) return this.wechatError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
        // Refund state is a function of time: a query after the due time sees it settled even if the
        // settle timer has not run yet (a busy event loop), as the real provider would.
        this.settle(refund);
        return { status: 200, json: this.wechatRefundObject(refund) };
      }
    }
  }

  private wechatTransaction(trade: SimTrade): Record<string, unknown> {
    const w = this.keys.wechatpay;
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

  private wechatRefundObject(r: SimRefund): Record<string, unknown> {
    const trade = this.trades.get(`wechatpay:${r.outTradeNo}`);
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
    const existing = this.refunds.get(id);
    if (existing) {
      // Same number, same request: the same refund, money not moved again.
      if (this.refundFingerprints.get(id) === fingerprint) return { status: 200, json: this.wechatRefundObject(existing) };
      return this.wechatError(400, 'INVALID_REQUEST', '请求内容和上次请求不一致，商户退款单号已经被其他请求使用');
    }
    const trade = this.trades.get(`wechatpay:${outTradeNo}`);
    if (!trade || trade.status === 'NOTPAY' || trade.status === 'CLOSED') return this.wechatError(404, 'RESOURCE_NOT_EXISTS', '订单不存在或未支付');
    if (amount.total !== trade.totalFen) return this.wechatError(400, 'INVALID_REQUEST', '订单金额与之前请求不一致');
    const check = this.refundable(trade, amount.refund as number);
    if (check) return this.wechatError(400, 'INVALID_REQUEST', check);
    const limit = this.refundLimits.check('wechatpay', trade.outTradeNo, this.refundsOf(trade).length, this.now());
    // The 51st refund: a business rule, so INVALID_REQUEST (请求参数符合格式但不符合业务规则).
    if (limit?.kind === 'too-many') return { ...this.wechatError(400, 'INVALID_REQUEST', limit.message), outcome: 'TOO_MANY_REFUNDS' };
    // Too soon after the last refund of this payment: nothing was accepted, retry the same number later.
    if (limit?.kind === 'too-early') return { ...this.wechatError(429, 'FREQUENCY_LIMITED', '频率限制，同一笔订单的多次退款需间隔 1 分钟，请降低频率后原单重试'), outcome: 'FREQUENCY_LIMITED' };
    const refund = this.createRefund(trade, outRefundNo, amount.refund as number, String(body.reason ?? ''), String(body.notify_url ?? ''), this.refundProcessingMs);
    this.refundLimits.accepted('wechatpay', trade.outTradeNo, this.now());
    this.refundFingerprints.set(id, fingerprint);
    return { status: 200, json: this.wechatRefundObject(refund) };
  }

  // ---------------------------------------------------------------- refunds, shared

  private refundsOf(trade: SimTrade): SimRefund[] {
    return [...this.refunds.values()].filter((r) => r.provider === trade.provider && r.outTradeNo === trade.outTradeNo);
  }

  /** Σ refunds (in flight, done or stuck) must stay within the paid total (the count and spacing: RefundLimits). */
  private refundable(trade: SimTrade, amountFen: number): string | undefined {
    const refunds = this.refundsOf(trade);
    const committed = refunds.filter((r) => r.status !== 'CLOSED').reduce((sum, r) => sum + r.amountFen, 0);
    if (committed + amountFen > trade.totalFen) return '退款金额超过订单可退金额';
    return undefined;
  }

  private createRefund(trade: SimTrade, outRefundNo: string, amountFen: number, reason: string, notifyUrl: string, defaultProcessingMs: number): SimRefund {
    const script = this.refundScripts.get(outRefundNo) ?? { processingMs: defaultProcessingMs, then: 'SUCCESS' as const };
    const now = this.now();
    const refund: SimRefund = {
      provider: trade.provider,
      outTradeNo: trade.outTradeNo,
      outRefundNo,
      refundId: trade.provider === 'wechatpay' ? `50${digits(28)}` : trade.transactionId,
      amountFen,
      totalFen: trade.totalFen,
      reason,
      ...(notifyUrl ? { notifyUrl } : {}),
      status: 'PROCESSING',
      createdAt: trade.provider === 'wechatpay' ? rfc3339China(new Date(now)) : alipayDateTime(now),
      createdAtMs: now,
      dueAt: now + Math.max(0, script.processingMs),
      then: script.then,
    };
    this.refunds.set(trade.provider === 'wechatpay' ? `wechatpay::${outRefundNo}` : `alipay:${trade.outTradeNo}:${outRefundNo}`, refund);
    if (script.processingMs <= 0) this.settle(refund);
    else this.scheduleSettle(refund);
    return refund;
  }

  private scheduleSettle(refund: SimRefund): void {
    const t = setTimeout(() => {
      this.refundTimers.delete(t);
      // Timers run on a monotonic clock and can fire a millisecond before Date.now() reaches dueAt;
      // settle() would then do nothing and the refund would stay PROCESSING for good.
      if (refund.status === 'PROCESSING' && this.now() < refund.dueAt) this.scheduleSettle(refund);
      else this.settle(refund);
    }, Math.max(0, refund.dueAt - this.now()) + 1);
    t.unref();
    this.refundTimers.add(t);
  }

  private settleDue(): void {
    for (const r of this.refunds.values()) this.settle(r);
  }

  private settle(refund: SimRefund): void {
    if (refund.status !== 'PROCESSING' || this.now() < refund.dueAt) return;
    const trade = this.trades.get(`${refund.provider}:${refund.outTradeNo}`);
    if (!trade) return;
    refund.status = refund.then;
    if (refund.status === 'SUCCESS') {
      refund.successTime = refund.provider === 'wechatpay' ? rfc3339China(new Date(this.now())) : alipayDateTime(this.now());
      trade.refundedFen += refund.amountFen;
      if (trade.refundedFen === trade.totalFen) trade.status = 'REFUNDED';
      this.ledger.push({
        seq: ++this.seq,
        provider: refund.provider,
        kind: 'refund',
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.outRefundNo,
        amountFen: refund.amountFen,
        at: new Date().toISOString(),
      });
    }
    if (refund.provider === 'wechatpay') this.emitWechatRefund(refund, trade);
    else if (refund.status === 'SUCCESS') this.emitAlipayRefund(refund, trade);
  }

  private pay(trade: SimTrade): void {
    if (trade.status !== 'NOTPAY') throw new HttpError(409, `trade ${trade.outTradeNo} is ${trade.status}, cannot pay`);
    const now = this.now();
    trade.status = 'PAID';
    trade.visible = true;
    trade.paidAt = trade.provider === 'wechatpay' ? rfc3339China(new Date(now)) : alipayDateTime(now);
    this.ledger.push({ seq: ++this.seq, provider: trade.provider, kind: 'payment', outTradeNo: trade.outTradeNo, amountFen: trade.totalFen, at: new Date().toISOString() });
    if (trade.provider === 'wechatpay') this.emitWechatPayment(trade);
    else this.emitAlipayPayment(trade);
  }

  // ---------------------------------------------------------------- WeChat notifications

  private wechatNotification(
    trade: SimTrade,
    kind: 'payment' | 'refund',
    event: string,
    summary: string,
    originalType: 'transaction' | 'refund',
    url: string,
    resource: Record<string, unknown>,
    outRefundNo?: string,
  ): OutgoingNotification {
    const id = randomBytes(16).toString('hex');
    const w = this.keys.wechatpay;
    const plaintext = JSON.stringify(resource);
    return {
      provider: 'wechatpay',
      notificationId: id,
      kind,
      outTradeNo: trade.outTradeNo,
      ...(outRefundNo ? { outRefundNo } : {}),
      event,
      url,
      render: (forge?: ForgeMode) => {
        const nonce = newNonce(12);
        let ciphertext = encryptResource(plaintext, w.apiV3Key, nonce, originalType);
        if (forge === 'tampered-ciphertext') {
          const bytes = Buffer.from(ciphertext, 'base64');
          bytes[0] ^= 0x01;
          ciphertext = bytes.toString('base64');
        }
        const body = JSON.stringify({
          id,
          create_time: rfc3339China(new Date()),
          resource_type: 'encrypt-resource',
          event_type: event,
          summary,
          resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: originalType, nonce },
        });
        const timestamp = String(forge === 'stale-timestamp' ? unixSeconds() - MAX_CLOCK_SKEW_SECONDS - 60 : unixSeconds());
        const sigNonce = newNonce();
        const signer = forge === 'unknown-key' || forge === 'unknown-serial' ? this.attackerKey : this.wechatPlatformKey;
        let signature = signRsaSha256(responseMessage(timestamp, sigNonce, body), signer);
        if (forge === 'bad-signature') signature = flipBase64(signature);
        if (forge === 'signature-probe') signature = `${SIGNATURE_PROBE_PREFIX}${randomBytes(32).toString('base64')}`;
        return {
          headers: {
            'Content-Type': 'application/json',
            'Wechatpay-Timestamp': timestamp,
            'Wechatpay-Nonce': sigNonce,
            'Wechatpay-Signature': signature,
            'Wechatpay-Serial': forge === 'unknown-serial' ? 'PUB_KEY_ID_0000000000UNKNOWN' : w.platformPublicKeyId,
            'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
            'Request-ID': `sim-${randomBytes(8).toString('hex')}`,
          },
          body,
        };
      },
    };
  }

  private emitWechatPayment(trade: SimTrade): void {
    const resource = { ...this.wechatTransaction(trade), trade_state: 'SUCCESS', trade_state_desc: '支付成功' };
    this.notifier.emit(this.wechatNotification(trade, 'payment', 'TRANSACTION.SUCCESS', '支付成功', 'transaction', trade.notifyUrl, resource));
  }

  private emitWechatRefund(refund: SimRefund, trade: SimTrade): void {
    if (!refund.notifyUrl) return;
    const resource = {
      mchid: this.keys.wechatpay.mchid,
      transaction_id: trade.transactionId,
      out_trade_no: trade.outTradeNo,
      refund_id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      refund_status: refund.status,
      ...(refund.successTime ? { success_time: refund.successTime } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: refund.totalFen, refund: refund.amountFen, payer_total: refund.totalFen, payer_refund: refund.amountFen },
    };
    const summary = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭', PROCESSING: '退款处理中' }[refund.status];
    this.notifier.emit(this.wechatNotification(trade, 'refund', `REFUND.${refund.status}`, summary, 'refund', refund.notifyUrl, resource, refund.outRefundNo));
  }

  // ---------------------------------------------------------------- Alipay v2 gateway

  private alipayParams(url: URL, raw: Buffer): Record<string, string> {
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) params[k] = v;
    if (raw.length > 0) for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params[k] = v;
    return params;
  }

  private sendAlipay(res: http.ServerResponse, method: string, inner: Record<string, unknown>, corrupt = false): void {
    const body = signedAlipayResponse(method, inner, this.alipayKey, corrupt);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), trace_id: randomBytes(8).toString('hex') });
    res.end(body);
  }

  private alipayError(subCode: string, subMsg: string): Record<string, unknown> {
    const { code, msg } = alipayCodeFor(subCode);
    return { code, msg, sub_code: subCode, sub_msg: subMsg };
  }

  private alipay(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
    const params = this.alipayParams(url, raw);
    const method = params.method ?? '';
    const operation = ALIPAY_OPERATIONS[method];
    let biz: Record<string, unknown> = {};
    try {
      biz = params.biz_content ? (JSON.parse(params.biz_content) as Record<string, unknown>) : {};
    } catch {
      biz = {};
    }
    const key = operation === 'submitRefund' || operation === 'queryRefund' ? String(biz.out_request_no ?? biz.out_trade_no ?? '') : String(biz.out_trade_no ?? '');
    const entry = this.logRequest({
      provider: 'alipay',
      operation: operation ?? 'unknown',
      method: req.method ?? 'GET',
      url: req.url ?? '',
      body: raw.toString('utf8'),
      business: params.biz_content ?? '',
      ...(key ? { key } : {}),
      outcome: 'ok',
    });
    const finish = (inner: Record<string, unknown>, outcome = 'ok', corrupt = false): void => {
      entry.outcome = outcome;
      entry.status = 200;
      this.sendAlipay(res, method || 'error', inner, corrupt);
    };

    if (params.app_id !== this.keys.alipay.appId) return finish(this.alipayError('isv.invalid-app-id', '无效的AppID参数'), 'isv.invalid-app-id');
    if (params.sign_type !== 'RSA2') return finish(this.alipayError('isv.invalid-signature-type', '无效的签名类型'), 'isv.invalid-signature-type');
    if (!verifyAlipayRequest(params, this.appPublicKey)) return finish(this.alipayError('isv.invalid-signature', '验签出错'), 'isv.invalid-signature');
    if (!operation) return finish(this.alipayError('isv.invalid-method', `不存在的方法名 ${method}`), 'isv.invalid-method');
    if (!params.biz_content) return finish({ code: '40001', msg: 'Missing Required Arguments', sub_code: 'isv.missing-biz-content', sub_msg: '缺少biz_content' }, 'isv.missing-biz-content');

    if (method === 'alipay.trade.page.pay') {
      // The browser is talking to the cashier here, not our backend: no fault scripting, HTML answer.
      const result = this.alipayCreateTrade(biz, params);
      entry.outcome = 'code' in result ? String(result.sub_code) : 'ok';
      entry.status = 200;
      return this.renderCashier(res, result);
    }

    const fault = this.takeFault('alipay', operation, key || undefined);
    if (fault === '500') {
      entry.outcome = fault;
      entry.status = 500;
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      return void res.end('Internal Server Error');
    }
    if (fault === 'rate-limit') return finish(this.alipayError('isp.unknow-error', '服务暂不可用（限流）'), fault);
    if (fault === 'timeout-before-commit') {
      entry.outcome = fault;
      return this.hang(res);
    }
    const signatureFaults = ['bad-signature', 'stale-timestamp', 'unknown-serial'];
    if (fault !== undefined && !['commit-then-timeout', 'commit-then-500', ...signatureFaults].includes(fault)) {
      return finish(this.alipayError(fault, `scripted ${fault}`), fault);
    }
    const inner = this.alipayOperation(method, biz, params);
    if (fault === 'commit-then-timeout') {
      entry.outcome = fault;
      return this.hang(res);
    }
    if (fault === 'commit-then-500') {
      entry.outcome = fault;
      entry.status = 500;
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      return void res.end('Internal Server Error');
    }
    finish(inner, fault ?? ((inner as { [LIMIT_OUTCOME]?: string })[LIMIT_OUTCOME] ?? 'ok'), fault !== undefined && signatureFaults.includes(fault));
  }

  private alipayTradeView(trade: SimTrade): Record<string, unknown> {
    return { trade_no: trade.transactionId, out_trade_no: trade.outTradeNo };
  }

  /** precreate and page.pay: remember the order; Alipay creates no queryable trade until the buyer acts. */
  private alipayCreateTrade(biz: Record<string, unknown>, params: Record<string, string>): { trade: SimTrade } | Record<string, unknown> {
    const outTradeNo = biz.out_trade_no;
    if (typeof outTradeNo !== 'string' || !OUT_NO.test(outTradeNo)) return this.alipayError('ACQ.INVALID_PARAMETER', 'out_trade_no 无效');
    let totalFen: number;
    try {
      totalFen = yuanStringToFen(String(biz.total_amount ?? ''));
    } catch {
      return this.alipayError('ACQ.INVALID_PARAMETER', 'total_amount 无效');
    }
    if (totalFen < 1 || totalFen > 10_000_000_000) return this.alipayError('ACQ.TOTAL_FEE_EXCEED', '订单金额超过限额');
    if (typeof biz.subject !== 'string' || biz.subject === '') return this.alipayError('ACQ.INVALID_PARAMETER', 'subject 不能为空');
    const id = `alipay:${outTradeNo}`;
    const fingerprint = stableStringify({ biz, notify_url: params.notify_url ?? '' });
    const existing = this.trades.get(id);
    if (existing) {
      if (existing.status === 'PAID' || existing.status === 'REFUNDED') return this.alipayError('ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
      if (existing.status === 'CLOSED') return this.alipayError('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
      if (this.tradeFingerprints.get(id) !== fingerprint) return this.alipayError('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
      return { trade: existing };
    }
    const trade: SimTrade = {
      provider: 'alipay',
      outTradeNo,
      transactionId: `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}22001${digits(15)}`,
      totalFen,
      description: biz.subject,
      notifyUrl: params.notify_url ?? '',
      ...(params.return_url ? { returnUrl: params.return_url } : {}),
      status: 'NOTPAY',
      visible: false,
      codeUrl: `https://qr.alipay.com/bax${randomBytes(12).toString('hex')}`,
      createdAt: alipayDateTime(this.now()),
      refundedFen: 0,
    };
    this.trades.set(id, trade);
    this.tradeFingerprints.set(id, fingerprint);
    return { trade };
  }

  private alipayOperation(method: string, biz: Record<string, unknown>, params: Record<string, string>): Record<string, unknown> {
    const ok = { code: '10000', msg: 'Success' };
    const trade = typeof biz.out_trade_no === 'string' ? this.trades.get(`alipay:${biz.out_trade_no}`) : undefined;
    switch (method) {
      case 'alipay.trade.precreate': {
        const result = this.alipayCreateTrade(biz, params);
        if (!('trade' in result)) return result;
        return { ...ok, out_trade_no: (result.trade as SimTrade).outTradeNo, qr_code: (result.trade as SimTrade).codeUrl };
      }
      case 'alipay.trade.query': {
        if (!trade || !trade.visible) return this.alipayError('ACQ.TRADE_NOT_EXIST', '交易不存在');
        const paid = trade.status === 'PAID' || trade.status === 'REFUNDED';
        const status = { NOTPAY: 'WAIT_BUYER_PAY', PAID: 'TRADE_SUCCESS', CLOSED: 'TRADE_CLOSED', REFUNDED: 'TRADE_CLOSED' }[trade.status];
        return {
          ...ok,
          ...this.alipayTradeView(trade),
          buyer_logon_id: 'sim***@example.com',
          trade_status: status,
          total_amount: fenToYuanString(trade.totalFen),
          ...(paid ? { receipt_amount: fenToYuanString(trade.totalFen), buyer_pay_amount: fenToYuanString(trade.totalFen), send_pay_date: trade.paidAt } : {}),
          buyer_user_id: '2088000000000001',
        };
      }
      case 'alipay.trade.close': {
        if (!trade) return this.alipayError('ACQ.TRADE_NOT_EXIST', '交易不存在');
        if (!trade.visible) {
          // Still unscanned: Alipay has no trade to close, but our QR must not be payable afterwards.
          trade.status = 'CLOSED';
          return this.alipayError('ACQ.TRADE_NOT_EXIST', '交易不存在');
        }
        if (trade.status !== 'NOTPAY') return this.alipayError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
        trade.status = 'CLOSED';
        return { ...ok, ...this.alipayTradeView(trade) };
      }
      case 'alipay.trade.refund':
        return this.alipayRefund(biz, trade);
      case 'alipay.data.dataservice.bill.downloadurl.query':
        return this.bills.alipayBillUrl(biz);
      case 'alipay.trade.fastpay.refund.query': {
        if (!trade || !trade.visible) return this.alipayError('ACQ.TRADE_NOT_EXIST', '交易不存在');
        const outRequestNo = String(biz.out_request_no ?? trade.outTradeNo);
        const refund = this.refunds.get(`alipay:${trade.outTradeNo}:${outRequestNo}`);
        if (refund) this.settle(refund);
        // Unknown or not (yet) successful: no refund_status, "退款请求未收到或者退款失败".
        if (!refund || refund.status !== 'SUCCESS') return { ...ok, ...this.alipayTradeView(trade), out_request_no: outRequestNo };
        return {
          ...ok,
          ...this.alipayTradeView(trade),
          out_request_no: outRequestNo,
          total_amount: fenToYuanString(trade.totalFen),
          refund_amount: fenToYuanString(refund.amountFen),
          refund_status: 'REFUND_SUCCESS',
          ...(refund.reason ? { refund_reason: refund.reason } : {}),
          gmt_refund_pay: refund.successTime,
        };
      }
      default:
        return this.alipayError('isv.invalid-method', `不存在的方法名 ${method}`);
    }
  }

  private alipayRefund(biz: Record<string, unknown>, trade: SimTrade | undefined): Record<string, unknown> {
    if (!trade || !trade.visible) return this.alipayError('ACQ.TRADE_NOT_EXIST', '交易不存在');
    let amountFen: number;
    try {
      amountFen = yuanStringToFen(String(biz.refund_amount ?? ''));
    } catch {
      return this.alipayError('ACQ.INVALID_PARAMETER', 'refund_amount 无效');
    }
    if (amountFen <= 0) return this.alipayError('ACQ.INVALID_PARAMETER', 'refund_amount 无效');
    // Without out_request_no a refund is the trade's one full refund; a partial one must name its own number.
    if (biz.out_request_no === undefined && (amountFen !== trade.totalFen || this.refundsOf(trade).length > 0)) {
      return this.alipayError('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '部分退款必须传入 out_request_no');
    }
    const outRequestNo = String(biz.out_request_no ?? trade.outTradeNo);
    if (!OUT_NO.test(outRequestNo)) return this.alipayError('ACQ.INVALID_PARAMETER', 'out_request_no 无效');
    const id = `alipay:${trade.outTradeNo}:${outRequestNo}`;
    const fingerprint = stableStringify(biz);
    const existing = this.refunds.get(id);
    const view = (fundChange: 'Y' | 'N', refund?: SimRefund): Record<string, unknown> => ({
      code: '10000',
      msg: 'Success',
      ...this.alipayTradeView(trade),
      buyer_logon_id: 'sim***@example.com',
      fund_change: fundChange,
      refund_fee: fenToYuanString(trade.refundedFen),
      ...(refund?.successTime ? { gmt_refund_pay: refund.successTime } : {}),
      buyer_user_id: '2088000000000001',
    });
    if (existing) {
      // Repeats never move money again, so Alipay reports no fund change this time.
      if (this.refundFingerprints.get(id) === fingerprint) return view('N', existing);
      return this.alipayError('ACQ.DISCORDANT_REPEAT_REQUEST', '请求信息不一致');
    }
    if (trade.status === 'REFUNDED') return this.alipayError('ACQ.TRADE_HAS_CLOSE', '交易已关闭');
    if (trade.status !== 'PAID') return this.alipayError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (this.refundable(trade, amountFen)) return this.alipayError('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    const limit = this.refundLimits.check('alipay', trade.outTradeNo, this.refundsOf(trade).length, this.now());
    if (limit) {
      // Alipay documents no code of its own for this: ACQ.SYSTEM_ERROR, "retry with the same parameters".
      const refused = limit.kind === 'too-many' ? this.alipayError('ACQ.TRADE_NOT_ALLOW_REFUND', limit.message) : this.alipayError('ACQ.SYSTEM_ERROR', '同一笔交易的退款请求需间隔 3 秒以上，请稍后使用相同的参数重试');
      return Object.assign(refused, { [LIMIT_OUTCOME]: limit.kind === 'too-many' ? 'TOO_MANY_REFUNDS' : 'FREQUENCY_LIMITED' });
    }
    const refund = this.createRefund(trade, outRequestNo, amountFen, String(biz.refund_reason ?? ''), trade.notifyUrl, 0);
    this.refundLimits.accepted('alipay', trade.outTradeNo, this.now());
    this.refundFingerprints.set(id, fingerprint);
    return view(refund.status === 'SUCCESS' ? 'Y' : 'N', refund);
  }

  // ---------------------------------------------------------------- Alipay notifications and cashier

  private signAlipayParams(params: Record<string, string>, signer: KeyObject = this.alipayKey): Record<string, string> {
    return { ...params, sign: rsa2Sign(alipaySignContent(params, ['sign', 'sign_type']), signer) };
  }

  private alipayNotification(trade: SimTrade, kind: 'payment' | 'refund', tradeStatus: string, extra: Record<string, string>, outRefundNo?: string): OutgoingNotification {
    const notifyId = `2024${randomBytes(14).toString('hex')}`;
    const a = this.keys.alipay;
    const now = this.now();
    const base: Record<string, string> = {
      notify_time: alipayDateTime(now),
      notify_type: 'trade_status_sync',
      notify_id: notifyId,
      app_id: a.appId,
      auth_app_id: a.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: trade.transactionId,
      out_trade_no: trade.outTradeNo,
      buyer_id: '2088000000000001',
      buyer_logon_id: 'sim***@example.com',
      seller_id: '2088000000000999',
      seller_email: 'seller@example.com',
      trade_status: tradeStatus,
      total_amount: fenToYuanString(trade.totalFen),
      receipt_amount: fenToYuanString(trade.totalFen),
      buyer_pay_amount: fenToYuanString(trade.totalFen),
      subject: trade.description,
      gmt_create: trade.createdAt,
      ...(trade.paidAt ? { gmt_payment: trade.paidAt } : {}),
      ...extra,
    };
    return {
      provider: 'alipay',
      notificationId: notifyId,
      kind,
      outTradeNo: trade.outTradeNo,
      ...(outRefundNo ? { outRefundNo } : {}),
      event: tradeStatus,
      url: trade.notifyUrl,
      render: (forge?: ForgeMode) => {
        let signed: Record<string, string>;
        if (forge === 'wrong-app-id') signed = this.signAlipayParams({ ...base, app_id: '2021000000000000', auth_app_id: '2021000000000000' });
        else if (forge === 'unknown-key') signed = this.signAlipayParams(base, this.attackerKey);
        else signed = this.signAlipayParams(base);
        // Alipay notifications carry no timestamp window, key serial or ciphertext; those WeChat
        // forgeries map to the nearest Alipay equivalent (a broken signature / a changed amount).
        if (forge === 'bad-signature' || forge === 'signature-probe' || forge === 'stale-timestamp' || forge === 'unknown-serial') signed.sign = flipBase64(signed.sign);
        if (forge === 'tampered-amount' || forge === 'tampered-ciphertext') signed.total_amount = fenToYuanString(trade.totalFen + 1);
        return { headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(signed).toString() };
      },
    };
  }

  private emitAlipayPayment(trade: SimTrade): void {
    if (!trade.notifyUrl) return;
    this.notifier.emit(this.alipayNotification(trade, 'payment', 'TRADE_SUCCESS', {}));
  }

  private emitAlipayRefund(refund: SimRefund, trade: SimTrade): void {
    if (!trade.notifyUrl) return;
    const status = trade.status === 'REFUNDED' ? 'TRADE_CLOSED' : 'TRADE_SUCCESS';
    this.notifier.emit(
      this.alipayNotification(
        trade,
        'refund',
        status,
        { out_biz_no: refund.outRefundNo, refund_fee: fenToYuanString(trade.refundedFen), gmt_refund: refund.successTime ?? alipayDateTime(this.now()), ...(status === 'TRADE_CLOSED' ? { gmt_close: refund.successTime ?? '' } : {}) },
        refund.outRefundNo,
      ),
    );
  }

  private renderCashier(res: http.ServerResponse, result: { trade: SimTrade } | Record<string, unknown>): void {
    let html: string;
    if ('trade' in result) {
      const trade = result.trade as SimTrade;
      const no = escapeHtml(trade.outTradeNo);
      html = `<!doctype html><html><head><meta charset="utf-8"><title>Alipay cashier (simulator)</title></head><body>
<h1>Alipay cashier (simulator)</h1><p>${escapeHtml(trade.description)}</p><p>¥ ${fenToYuanString(trade.totalFen)}</p>
<form method="post" action="/cashier/pay"><input type="hidden" name="out_trade_no" value="${no}"><button type="submit">Pay</button></form>
<form method="post" action="/cashier/cancel"><input type="hidden" name="out_trade_no" value="${no}"><button type="submit">Cancel</button></form>
</body></html>`;
    } else {
      html = `<!doctype html><html><head><meta charset="utf-8"><title>Alipay error</title></head><body><h1>${escapeHtml(String(result.sub_code))}</h1><p>${escapeHtml(String(result.sub_msg))}</p></body></html>`;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
    res.end(html);
  }

  /** The buyer's side of page.pay: Pay settles and redirects to return_url with signed parameters. */
  private cashier(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
    if (req.method !== 'POST') throw new HttpError(405, 'POST only');
    const form = new URLSearchParams(raw.toString('utf8'));
    const trade = this.trades.get(`alipay:${form.get('out_trade_no') ?? ''}`);
    if (!trade) throw new HttpError(404, 'unknown trade');
    if (url.pathname === '/cashier/cancel') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><p>Payment cancelled.</p>');
    }
    if (url.pathname !== '/cashier/pay') throw new HttpError(404, 'no such cashier action');
    this.pay(trade);
    if (!trade.returnUrl) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><p>Paid.</p>');
    }
    const a = this.keys.alipay;
    const back = this.signAlipayParams({
      charset: 'utf-8',
      out_trade_no: trade.outTradeNo,
      method: 'alipay.trade.page.pay.return',
      total_amount: fenToYuanString(trade.totalFen),
      sign_type: 'RSA2',
      trade_no: trade.transactionId,
      auth_app_id: a.appId,
      version: '1.0',
      app_id: a.appId,
      seller_id: '2088000000000999',
      timestamp: alipayDateTime(this.now()),
    });
    const target = new URL(trade.returnUrl);
    for (const [k, v] of Object.entries(back)) target.searchParams.set(k, v);
    res.writeHead(302, { Location: target.toString() });
    res.end();
  }

  // ---------------------------------------------------------------- control API

  private findTrade(outTradeNo: string, provider: string | null | undefined): SimTrade {
    const candidates = (['wechatpay', 'alipay'] as const)
      .filter((p) => !provider || p === provider)
      .map((p) => this.trades.get(`${p}:${outTradeNo}`))
      .filter((t): t is SimTrade => t !== undefined);
    if (candidates.length === 0) throw new HttpError(404, `no trade ${outTradeNo}`);
    if (candidates.length > 1) throw new HttpError(400, `trade ${outTradeNo} exists for both providers; pass provider`);
    return candidates[0];
  }

  private findRefund(outRefundNo: string, provider: string | null | undefined): SimRefund {
    const found = [...this.refunds.values()].filter((r) => r.outRefundNo === outRefundNo && (!provider || r.provider === provider));
    if (found.length === 0) throw new HttpError(404, `no refund ${outRefundNo}`);
    if (found.length > 1) throw new HttpError(400, `refund ${outRefundNo} is ambiguous; pass provider`);
    return found[0];
  }

  info(): SimInfo {
    return {
      url: this.url,
      wechatpay: { mchid: this.keys.wechatpay.mchid, appid: this.keys.wechatpay.appid, platformPublicKeyId: this.keys.wechatpay.platformPublicKeyId },
      alipay: { appId: this.keys.alipay.appId },
      refundClockMs: this.now(),
    };
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): Promise<void> {
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new HttpError(400, 'control API bodies are JSON');
      }
    }
    const method = req.method ?? 'GET';
    const path = url.pathname.slice('/__sim'.length);
    const provider = (body.provider as string | undefined) ?? url.searchParams.get('provider');
    let m: RegExpExecArray | null;
    const ok = (value: unknown = { ok: true }): void => this.sendJson(res, 200, value);

    if (method === 'GET' && path === '/info') return ok(this.info());
    const billAnswer = this.bills.control(method, path, body);
    if (billAnswer !== undefined) return ok(billAnswer);
    if (method === 'POST' && path === '/reset') {
      this.reset();
      return ok();
    }
    if (method === 'GET' && path === '/ledger') return ok(this.ledger);
    if (method === 'GET' && path === '/requests') {
      const op = url.searchParams.get('operation');
      const key = url.searchParams.get('key');
      return ok(this.requests.filter((r) => (!provider || r.provider === provider) && (!op || r.operation === op) && (!key || r.key === key)));
    }
    if (method === 'GET' && path === '/notifications') return ok(this.notifier.log);
    if (method === 'POST' && path === '/notifications/controls') {
      const control = body as unknown as NotificationControl;
      if (!['drop', 'duplicate', 'delay', 'reorder', 'forge'].includes(control.mode)) throw new HttpError(400, `unknown mode ${String(control.mode)}`);
      try {
        this.notifier.addControl(control);
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      return ok();
    }
    if (method === 'POST' && path === '/notifications/flush') return ok({ released: this.notifier.flush() });
    if (method === 'POST' && path === '/faults') {
      const rule = body as unknown as FaultRule;
      const operations: SimOperation[] = ['createPayment', 'queryPayment', 'closePayment', 'submitRefund', 'queryRefund', 'tradeBill'];
      if (!operations.includes(rule.operation)) throw new HttpError(400, `operation must be one of ${operations.join(', ')}`);
      if (!Array.isArray(rule.outcomes) || rule.outcomes.length === 0 || rule.outcomes.some((o) => typeof o !== 'string')) throw new HttpError(400, 'outcomes must be a non-empty array of strings');
      this.faults.push({ ...rule, outcomes: [...rule.outcomes] });
      return ok();
    }
    if (method === 'DELETE' && path === '/faults') {
      this.faults = [];
      return ok();
    }
    if (method === 'POST' && path === '/clock/advance') {
      const ms = Number(body.ms);
      if (!Number.isFinite(ms) || ms < 0) throw new HttpError(400, 'ms must be a non-negative number');
      this.clockOffsetMs += ms;
      this.settleDue();
      return ok({ refundClockMs: this.now() });
    }
    if ((m = /^\/trades\/([^/]+)\/(pay|scan|close)$/.exec(path)) && method === 'POST') {
      const trade = this.findTrade(decodeURIComponent(m[1]), provider);
      if (m[2] === 'pay') this.pay(trade);
      else if (m[2] === 'scan') {
        if (trade.status === 'CLOSED') throw new HttpError(409, 'trade closed');
        trade.visible = true;
      } else if (trade.status === 'NOTPAY') trade.status = 'CLOSED';
      return ok(trade);
    }
    if ((m = /^\/trades\/([^/]+)$/.exec(path)) && method === 'GET') return ok(this.findTrade(decodeURIComponent(m[1]), provider));
    if ((m = /^\/refunds\/([^/]+)\/script$/.exec(path)) && method === 'POST') {
      const outRefundNo = decodeURIComponent(m[1]);
      const processingMs = Number(body.processingMs ?? 0);
      const then = (body.then ?? 'SUCCESS') as RefundScript['then'];
      if (!Number.isFinite(processingMs) || processingMs < 0) throw new HttpError(400, 'processingMs must be >= 0');
      if (!['SUCCESS', 'ABNORMAL', 'CLOSED'].includes(then)) throw new HttpError(400, 'then must be SUCCESS, ABNORMAL or CLOSED');
      this.refundScripts.set(outRefundNo, { processingMs, then });
      // A refund already in flight takes the new script from now on.
      for (const r of this.refunds.values()) {
        if (r.outRefundNo === outRefundNo && r.status === 'PROCESSING' && (!provider || r.provider === provider)) {
          r.then = then;
          r.dueAt = this.now() + processingMs;
          if (processingMs === 0) this.settle(r);
          else this.scheduleSettle(r);
        }
      }
      return ok();
    }
    if ((m = /^\/refunds\/([^/]+)$/.exec(path)) && method === 'GET') return ok(this.findRefund(decodeURIComponent(m[1]), provider));
    throw new HttpError(404, `no control route ${method} ${url.pathname}`);
  }
}

export async function startPaymentSim(opts: PaymentSimOptions): Promise<PaymentSim> {
  const sim = new Simulator(opts);
  const server = http.createServer((req, res) => {
    sim.handle(req, res).catch((err: Error) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: err.message }));
      } else res.destroy();
    });
  });
  // Timeouts are scripted by holding responses; node's own idle timeouts must not interfere.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  sim.url = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: sim.url,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        sim.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
