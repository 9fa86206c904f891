/**
 * The control API under /__sim/: reset, scripted faults, outages (every call of some operations fails) and refunds, the refund clock, notification
 * controls, paying and closing trades by hand, bill seeds and injections (bills.ts), and the read-out
 * of trades, refunds, the ledger, logged requests and notifications.
 */
import type * as http from 'node:http';
import type { BillDesk } from './bills';
import type { SimLedger } from './ledger';
import type { Notifier } from './notifier';
import type { SimKeys } from './sim-keys';
import type { FaultRule, NotificationControl, OutageRule, RefundScript, SimInfo, SimOperation, SimRefund, SimTrade } from './types';
import { HttpError, sendJson, type Wire } from './wire';

export class ControlApi {
  constructor(
    private readonly keys: SimKeys,
    private readonly ledger: SimLedger,
    private readonly wire: Wire,
    private readonly notifier: Notifier,
    private readonly bills: BillDesk,
    /** The simulator's own address, known once it listens. */
    private readonly url: () => string,
  ) {}

  /** Forgets every trade, refund, script, fault, logged request, notification and bill change; the clock starts over. */
  reset(): void {
    this.ledger.reset();
    this.wire.reset();
    this.notifier.reset();
    this.bills.reset();
  }

  private findTrade(outTradeNo: string, provider: string | null | undefined): SimTrade {
    const candidates = (['wechatpay', 'alipay'] as const)
      .filter((p) => !provider || p === provider)
      .map((p) => this.ledger.trades.get(`${p}:${outTradeNo}`))
      .filter((t): t is SimTrade => t !== undefined);
    if (candidates.length === 0) throw new HttpError(404, `no trade ${outTradeNo}`);
    if (candidates.length > 1) throw new HttpError(400, `trade ${outTradeNo} exists for both providers; pass provider`);
    return candidates[0];
  }

  private findRefund(outRefundNo: string, provider: string | null | undefined): SimRefund {
    const found = [...this.ledger.refunds.values()].filter((r) => r.outRefundNo === outRefundNo && (!provider || r.provider === provider));
    if (found.length === 0) throw new HttpError(404, `no refund ${outRefundNo}`);
    if (found.length > 1) throw new HttpError(400, `refund ${outRefundNo} is ambiguous; pass provider`);
    return found[0];
  }

  info(): SimInfo {
    return {
      url: this.url(),
      wechatpay: { mchid: this.keys.dev.wechatpay.mchid, appid: this.keys.dev.wechatpay.appid, platformPublicKeyId: this.keys.dev.wechatpay.platformPublicKeyId },
      alipay: { appId: this.keys.dev.alipay.appId },
      refundClockMs: this.ledger.now(),
    };
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): Promise<void> {
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
    const ok = (value: unknown = { ok: true }): void => sendJson(res, 200, value);

    if (method === 'GET' && path === '/info') return ok(this.info());
    const billAnswer = this.bills.control(method, path, body);
    if (billAnswer !== undefined) return ok(billAnswer);
    if (method === 'POST' && path === '/reset') {
      this.reset();
      return ok();
    }
    if (method === 'GET' && path === '/ledger') return ok(this.ledger.entries);
    if (method === 'GET' && path === '/requests') {
      const op = url.searchParams.get('operation');
      const key = url.searchParams.get('key');
      return ok(this.wire.requests.filter((r) => (!provider || r.provider === provider) && (!op || r.operation === op) && (!key || r.key === key)));
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
      if (rule.delayMs !== undefined && !(Number.isInteger(rule.delayMs) && rule.delayMs > 0 && rule.delayMs <= 60_000)) throw new HttpError(400, 'delayMs must be a whole number of milliseconds from 1 to 60000');
      this.wire.faults.push({ ...rule, outcomes: [...rule.outcomes] });
      return ok();
    }
    if (method === 'POST' && path === '/outages') {
      const operations = body.operations as SimOperation[];
      const known: SimOperation[] = ['createPayment', 'queryPayment', 'closePayment', 'submitRefund', 'queryRefund', 'tradeBill'];
      if (!Array.isArray(operations) || operations.length === 0 || operations.some((o) => !known.includes(o))) throw new HttpError(400, `operations must list some of ${known.join(', ')}`);
      const durationMs = body.durationMs === undefined ? undefined : Number(body.durationMs);
      if (durationMs !== undefined && (!Number.isFinite(durationMs) || durationMs <= 0)) throw new HttpError(400, 'durationMs must be a positive number');
      const rule: OutageRule = { ...(provider ? { provider: provider as OutageRule['provider'] } : {}), operations: [...operations], ...(durationMs ? { untilMs: Date.now() + durationMs } : {}) };
      this.wire.outages.push(rule);
      return ok(rule);
    }
    if (method === 'DELETE' && path === '/outages') {
      this.wire.outages = [];
      return ok();
    }
    if (method === 'DELETE' && path === '/faults') {
      this.wire.faults = [];
      return ok();
    }
    if (method === 'POST' && path === '/clock/advance') {
      const ms = Number(body.ms);
      if (!Number.isFinite(ms) || ms < 0) throw new HttpError(400, 'ms must be a non-negative number');
      this.ledger.advanceClock(ms);
      return ok({ refundClockMs: this.ledger.now() });
    }
    if ((m = /^\/trades\/([^/]+)\/(pay|scan|close)$/.exec(path)) && method === 'POST') {
      const trade = this.findTrade(decodeURIComponent(m[1]), provider);
      if (m[2] === 'pay') this.ledger.pay(trade);
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
      this.ledger.script(outRefundNo, { processingMs, then }, provider);
      return ok();
    }
    if ((m = /^\/refunds\/([^/]+)$/.exec(path)) && method === 'GET') return ok(this.findRefund(decodeURIComponent(m[1]), provider));
    throw new HttpError(404, `no control route ${method} ${url.pathname}`);
  }
}
