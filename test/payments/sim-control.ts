/**
 * Typed client for the payment simulator's control API (`/__sim/...`), for integration tests:
 * pay trades, script faults and refund outcomes, steer notifications, read the ledger and logs.
 */
import type {
  BillInjection,
  BillSeed,
  DeliveryLogEntry,
  FaultRule,
  LedgerEntry,
  NotificationControl,
  RefundScript,
  RequestLogEntry,
  SimInfo,
  SimOperation,
  SimProvider,
  SimRefund,
  SimTrade,
} from '../../apps/payment-sim/types';

export type * from '../../apps/payment-sim/types';

export class SimControl {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`payment-sim ${method} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  info(): Promise<SimInfo> {
    return this.call('GET', '/info');
  }

  /** Forgets trades, refunds, faults, scripts, logs and the ledger; resets the refund clock. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  /** The buyer scans and pays: NOTPAY → PAID, money captured, payment notification sent. */
  payTrade(outTradeNo: string, provider?: SimProvider): Promise<SimTrade> {
    return this.call('POST', `/trades/${encodeURIComponent(outTradeNo)}/pay`, provider ? { provider } : {});
  }

  /** Alipay: the buyer scanned but has not paid yet (the trade becomes WAIT_BUYER_PAY). */
  scanTrade(outTradeNo: string, provider?: SimProvider): Promise<SimTrade> {
    return this.call('POST', `/trades/${encodeURIComponent(outTradeNo)}/scan`, provider ? { provider } : {});
  }

  /** Closes an unpaid trade as if it expired. */
  expireTrade(outTradeNo: string, provider?: SimProvider): Promise<SimTrade> {
    return this.call('POST', `/trades/${encodeURIComponent(outTradeNo)}/close`, provider ? { provider } : {});
  }

  getTrade(outTradeNo: string, provider?: SimProvider): Promise<SimTrade> {
    return this.call('GET', `/trades/${encodeURIComponent(outTradeNo)}${provider ? `?provider=${provider}` : ''}`);
  }

  getRefund(outRefundNo: string, provider?: SimProvider): Promise<SimRefund> {
    return this.call('GET', `/refunds/${encodeURIComponent(outRefundNo)}${provider ? `?provider=${provider}` : ''}`);
  }

  /** The next `outcomes.length` calls of `operation` (optionally only for `key`) answer as scripted, in order. */
  async scriptFaults(rule: FaultRule): Promise<void> {
    await this.call('POST', '/faults', rule);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  /** Every call of `operations` (of `provider`, or both) fails with 500 SYSTEM_ERROR for `durationMs` (absent: until endOutages). */
  async startOutage(rule: { provider?: SimProvider; operations: SimOperation[]; durationMs?: number }): Promise<void> {
    await this.call('POST', '/outages', rule);
  }

  async endOutages(): Promise<void> {
    await this.call('DELETE', '/outages');
  }

  /** Applies to the refund with this number when it is created (or right away if it is PROCESSING). */
  async scriptRefund(outRefundNo: string, script: RefundScript, provider?: SimProvider): Promise<void> {
    await this.call('POST', `/refunds/${encodeURIComponent(outRefundNo)}/script`, { ...script, ...(provider ? { provider } : {}) });
  }

  /** Moves the refund clock forward; refunds whose processing time has passed settle now. */
  async advanceClock(ms: number): Promise<void> {
    await this.call('POST', '/clock/advance', { ms });
  }

  async controlNotifications(control: NotificationControl): Promise<void> {
    await this.call('POST', '/notifications/controls', control);
  }

  /** Sends notifications held back by a 'reorder' control. */
  flushNotifications(): Promise<{ released: number }> {
    return this.call('POST', '/notifications/flush');
  }

  ledger(): Promise<LedgerEntry[]> {
    return this.call('GET', '/ledger');
  }

  requests(filter: { provider?: SimProvider; operation?: SimOperation; key?: string } = {}): Promise<RequestLogEntry[]> {
    const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const qs = q.toString();
    return this.call('GET', `/requests${qs ? `?${qs}` : ''}`);
  }

  notifications(): Promise<DeliveryLogEntry[]> {
    return this.call('GET', '/notifications');
  }

  /** Polls until `predicate` holds for the delivery log (notifications are asynchronous). */
  async waitForNotifications(predicate: (log: DeliveryLogEntry[]) => boolean, timeoutMs = 10000): Promise<DeliveryLogEntry[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await this.notifications();
      if (predicate(log)) return log;
      if (Date.now() > deadline) throw new Error(`notification condition not met within ${timeoutMs} ms; log: ${JSON.stringify(log)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Money actually moved for a trade: captured payments and paid refunds. */
  async moneyMoved(outTradeNo: string, provider?: SimProvider): Promise<{ capturedFen: number; refundedFen: number; refunds: number }> {
    const entries = (await this.ledger()).filter((e) => e.outTradeNo === outTradeNo && (!provider || e.provider === provider));
    const sum = (kind: LedgerEntry['kind']): number => entries.filter((e) => e.kind === kind).reduce((s, e) => s + e.amountFen, 0);
    return { capturedFen: sum('payment'), refundedFen: sum('refund'), refunds: entries.filter((e) => e.kind === 'refund').length };
  }

  /** Books payments and refunds straight into the ledger (no notifications): volume for the daily bills. */
  async seedBill(seed: BillSeed): Promise<number> {
    return (await this.call<{ booked: number }>('POST', '/bills/seed', seed)).booked;
  }

  /** Puts one difference into a day's bill; answers with what it booked (unknown-payment / unknown-refund). */
  injectBillDifference(injection: BillInjection): Promise<{ kind: string; outTradeNo?: string; outRefundNo?: string; transactionId?: string; amountFen?: number }> {
    return this.call('POST', '/bills/injections', injection);
  }
}
