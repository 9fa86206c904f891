/**
 * The Alipay OpenAPI v2 gateway: signed form posts to /gateway.do (precreate, page.pay, query, close,
 * refund, refund query, the bill URL), answered and signed as Alipay does, with the scripted faults
 * applied. page.pay answers with the cashier page.
 */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { fenToYuanString, yuanStringToFen } from '../../domain/money';
import { alipayDateTime, signedAlipayResponse, verifyAlipayRequest } from './alipay-signing';
import type { BillDesk } from './bills';
import { renderCashier } from './cashier';
import type { SimLedger } from './ledger';
import type { SimKeys } from './sim-keys';
import type { FaultOutcome, SimOperation, SimRefund, SimTrade } from './types';
import { digits, OUT_NO, stableStringify, type Wire } from './wire';

/** Marks an Alipay answer refused by the refund limits, for the request log (symbol keys are not serialised). */
const LIMIT_OUTCOME = Symbol('refund-limit-outcome');

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

export class AlipayGateway {
  constructor(
    private readonly keys: SimKeys,
    private readonly ledger: SimLedger,
    private readonly wire: Wire,
    private readonly bills: BillDesk,
  ) {}

  private alipayParams(url: URL, raw: Buffer): Record<string, string> {
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) params[k] = v;
    if (raw.length > 0) for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params[k] = v;
    return params;
  }

  private sendAlipay(res: http.ServerResponse, method: string, inner: Record<string, unknown>, corrupt = false): void {
    const body = signedAlipayResponse(method, inner, this.keys.alipayKey, corrupt);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), trace_id: randomBytes(8).toString('hex') });
    res.end(body);
  }

  private alipayError(subCode: string, subMsg: string): Record<string, unknown> {
    const { code, msg } = alipayCodeFor(subCode);
    return { code, msg, sub_code: subCode, sub_msg: subMsg };
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
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
    const entry = this.wire.logRequest({
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

    if (params.app_id !== this.keys.dev.alipay.appId) return finish(this.alipayError('isv.invalid-app-id', '无效的AppID参数'), 'isv.invalid-app-id');
    if (params.sign_type !== 'RSA2') return finish(this.alipayError('isv.invalid-signature-type', '无效的签名类型'), 'isv.invalid-signature-type');
    if (!verifyAlipayRequest(params, this.keys.appPublicKey)) return finish(this.alipayError('isv.invalid-signature', '验签出错'), 'isv.invalid-signature');
    if (!operation) return finish(this.alipayError('isv.invalid-method', `不存在的方法名 ${method}`), 'isv.invalid-method');
    if (!params.biz_content) return finish({ code: '40001', msg: 'Missing Required Arguments', sub_code: 'isv.missing-biz-content', sub_msg: '缺少biz_content' }, 'isv.missing-biz-content');

    if (method === 'alipay.trade.page.pay') {
      // The browser is talking to the cashier here, not our backend: no fault scripting, HTML answer.
      const result = this.alipayCreateTrade(biz, params);
      entry.outcome = 'code' in result ? String(result.sub_code) : 'ok';
      entry.status = 200;
      return renderCashier(res, result);
    }

    const taken = this.wire.takeFault('alipay', operation, key || undefined);
    const respond = (fault: FaultOutcome | undefined): void => {
      if (fault === '500') {
        entry.outcome = fault;
        entry.status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        return void res.end('Internal Server Error');
      }
      if (fault === 'rate-limit') return finish(this.alipayError('isp.unknow-error', '服务暂不可用（限流）'), fault);
      if (fault === 'timeout-before-commit') {
        entry.outcome = fault;
        return this.wire.hang(res);
      }
      const signatureFaults = ['bad-signature', 'stale-timestamp', 'unknown-serial'];
      if (fault !== undefined && !['commit-then-timeout', 'commit-then-500', ...signatureFaults].includes(fault)) {
        return finish(this.alipayError(fault, `scripted ${fault}`), fault);
      }
      const inner = this.alipayOperation(method, biz, params);
      if (fault === 'commit-then-timeout') {
        entry.outcome = fault;
        return this.wire.hang(res);
      }
      if (fault === 'commit-then-500') {
        entry.outcome = fault;
        entry.status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        return void res.end('Internal Server Error');
      }
      finish(inner, fault ?? ((inner as { [LIMIT_OUTCOME]?: string })[LIMIT_OUTCOME] ?? 'ok'), fault !== undefined && signatureFaults.includes(fault));
    };
    // A slow provider: the call is applied and answered as usual, only later (applied even if the client gave up).
    if (taken.fault === 'slow') return this.wire.later(res, taken.delayMs, () => respond(undefined));
    respond(taken.fault);
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
    const existing = this.ledger.trades.get(id);
    if (existing) {
      if (existing.status === 'PAID' || existing.status === 'REFUNDED') return this.alipayError('ACQ.TRADE_HAS_SUCCESS', '交易已被支付');
      if (existing.status === 'CLOSED') return this.alipayError('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
      if (this.ledger.tradeFingerprints.get(id) !== fingerprint) return this.alipayError('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
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
      createdAt: alipayDateTime(this.ledger.now()),
      refundedFen: 0,
    };
    this.ledger.trades.set(id, trade);
    this.ledger.tradeFingerprints.set(id, fingerprint);
    return { trade };
  }

  private alipayOperation(method: string, biz: Record<string, unknown>, params: Record<string, string>): Record<string, unknown> {
    const ok = { code: '10000', msg: 'Success' };
    const trade = typeof biz.out_trade_no === 'string' ? this.ledger.trades.get(`alipay:${biz.out_trade_no}`) : undefined;
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
        const refund = this.ledger.refunds.get(`alipay:${trade.outTradeNo}:${outRequestNo}`);
        if (refund) this.ledger.settle(refund);
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
    if (biz.out_request_no === undefined && (amountFen !== trade.totalFen || this.ledger.refundsOf(trade).length > 0)) {
      return this.alipayError('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '部分退款必须传入 out_request_no');
    }
    const outRequestNo = String(biz.out_request_no ?? trade.outTradeNo);
    if (!OUT_NO.test(outRequestNo)) return this.alipayError('ACQ.INVALID_PARAMETER', 'out_request_no 无效');
    const id = `alipay:${trade.outTradeNo}:${outRequestNo}`;
    const fingerprint = stableStringify(biz);
    const existing = this.ledger.refunds.get(id);
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
      if (this.ledger.refundFingerprints.get(id) === fingerprint) return view('N', existing);
      return this.alipayError('ACQ.DISCORDANT_REPEAT_REQUEST', '请求信息不一致');
    }
    if (trade.status === 'REFUNDED') return this.alipayError('ACQ.TRADE_HAS_CLOSE', '交易已关闭');
    if (trade.status !== 'PAID') return this.alipayError('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (this.ledger.refundable(trade, amountFen)) return this.alipayError('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    const limit = this.ledger.refundLimits.check('alipay', trade.outTradeNo, this.ledger.refundsOf(trade).length, this.ledger.now());
    if (limit) {
      // Alipay documents no code of its own for this: ACQ.SYSTEM_ERROR, "retry with the same parameters".
      const refused = limit.kind === 'too-many' ? this.alipayError('ACQ.TRADE_NOT_ALLOW_REFUND', limit.message) : this.alipayError('ACQ.SYSTEM_ERROR', '同一笔交易的退款请求需间隔 3 秒以上，请稍后使用相同的参数重试');
      return Object.assign(refused, { [LIMIT_OUTCOME]: limit.kind === 'too-many' ? 'TOO_MANY_REFUNDS' : 'FREQUENCY_LIMITED' });
    }
    const refund = this.ledger.createRefund(trade, outRequestNo, amountFen, String(biz.refund_reason ?? ''), trade.notifyUrl, 0);
    this.ledger.refundLimits.accepted('alipay', trade.outTradeNo, this.ledger.now());
    this.ledger.refundFingerprints.set(id, fingerprint);
    return view(refund.status === 'SUCCESS' ? 'Y' : 'N', refund);
  }
}
