/**
 * The order workflow's active payment queries: both providers say a merchant must ask when no
 * notification arrives. Once the buyer starts a payment (the paymentStarted signal), the order asks
 * the provider on a backoff while it still awaits payment; a PAID answer goes through the same inbox
 * as a verified notification (amount check, dedupe), which signals this workflow like a notification.
 * A payment paid before its first query costs nothing: the query's time only shortens the timer the
 * order's loop waits on anyway.
 * Workflow code: imports only @temporalio/workflow and pure relative modules.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { isAwaitingPayment, nextPaymentQueryDelay } from '../domain';
import type { OrderState, PaymentStarted, PaymentWatchState } from './order.contract';
import { PAYMENT_QUERY_RETRY } from './retry-policies';
import { PROVIDER_GATE_OPEN } from './provider-gate.contract';

/** A held query never waits longer than this for the gate's next probe (the probe interval is at most 10 min). */
const MAX_GATE_WAIT_MS = 10 * 60_000;
/** A held watch's detail in the order's query (the support console shows it). */
const HELD_BY_GATE = 'held by the open provider gate';

const { checkUnpaidPayment } = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: PAYMENT_QUERY_RETRY });

interface Watch {
  started: PaymentStarted;
  view: PaymentWatchState;
  nextAtMs?: number;
  last: boolean;
}

export class OrderPaymentWatches {
  private readonly watches: Watch[] = [];
  /** Bumped when a payment is started, so the order's loop re-reads when to wake. */
  version = 0;

  constructor(
    private readonly orderSn: string,
    private readonly state: OrderState,
  ) {}

  /** A payment started again (the same outTradeNo) keeps its watch. */
  start(started: PaymentStarted): void {
    if (this.watches.some((w) => w.started.outTradeNo === started.outTradeNo)) return;
    const view: PaymentWatchState = { outTradeNo: started.outTradeNo, provider: started.provider, queries: 0 };
    const watch: Watch = { started, view, last: false };
    this.watches.push(watch);
    (this.state.paymentWatches ??= []).push(view);
    this.schedule(watch);
    this.version += 1;
  }

  /** The next query of a watch still running, while the order awaits payment. */
  nextDue(): { atMs: number } | undefined {
    if (this.endUnlessAwaitingPayment()) return undefined;
    const due = this.running().map((w) => w.nextAtMs!);
    return due.length ? { atMs: Math.min(...due) } : undefined;
  }

  /** Asks the provider about every payment whose query is due (one activity each, named in the UI). */
  async queryDue(): Promise<void> {
    for (const watch of this.running().filter((w) => w.nextAtMs! <= Date.now())) {
      if (!this.awaitingPayment()) break;
      const { outTradeNo, provider } = watch.started;
      let check;
      try {
        check = await checkUnpaidPayment.executeWithOptions(
          { summary: `Ask ${provider} whether ${outTradeNo} was paid (query ${watch.view.queries + 1})` },
          [{ orderSn: this.orderSn, outTradeNo }],
        );
      } catch (err) {
        const askAgainAtMs = gateHeld(err);
        if (askAgainAtMs === undefined) throw err;
        // The provider is failing and its gate is open: ask after the gate's next probe, not on the watch's own schedule.
        this.holdUntil(watch, askAgainAtMs);
        continue;
      }
      watch.view.queries += 1;
      // Asked again: no longer held by the gate.
      if (watch.view.detail === HELD_BY_GATE) delete watch.view.detail;
      if (check.outcome !== 'waiting') this.end(watch, check.outcome, check.detail);
      else if (watch.last) this.end(watch, 'expired', check.detail);
      else this.schedule(watch);
    }
  }

  /** Not a query: the next one waits for the gate (bounded), and the watch's own schedule resumes after it. */
  private holdUntil(watch: Watch, askAgainAtMs: number): void {
    watch.nextAtMs = Math.min(Math.max(askAgainAtMs, Date.now() + 1_000), Date.now() + MAX_GATE_WAIT_MS);
    watch.view.nextQueryAtIso = new Date(watch.nextAtMs).toISOString();
    watch.view.detail = HELD_BY_GATE;
  }

  private schedule(watch: Watch): void {
    const next = nextPaymentQueryDelay(watch.started.queryScheduleMs, watch.view.queries, Date.now(), Date.parse(watch.started.expiresAtIso));
    if (!next) return this.end(watch, 'expired');
    watch.nextAtMs = Date.now() + Math.max(next.delayMs, 1);
    watch.last = next.last;
    watch.view.nextQueryAtIso = new Date(watch.nextAtMs).toISOString();
  }

  private end(watch: Watch, outcome: string, detail?: string): void {
    watch.nextAtMs = undefined;
    watch.view.nextQueryAtIso = undefined;
    watch.view.outcome = outcome;
    if (detail) watch.view.detail = detail;
  }

  /** Paid (by any route), cancelled or otherwise moved on: nothing left to ask. True if so. */
  endUnlessAwaitingPayment(): boolean {
    if (this.awaitingPayment()) return false;
    for (const watch of this.running()) this.end(watch, 'order-moved-on', `order is ${this.state.status}`);
    return true;
  }

  private running(): Watch[] {
    return this.watches.filter((w) => w.nextAtMs !== undefined);
  }

  private awaitingPayment(): boolean {
    return isAwaitingPayment(this.state.status, this.state.payStatus ?? '');
  }
}

/** When a query held by an open provider gate (PROVIDER_GATE_OPEN) should ask again; undefined for any other failure. */
function gateHeld(err: unknown): number | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure) || err.cause.type !== PROVIDER_GATE_OPEN) return undefined;
  const at = Date.parse((err.cause.details?.[0] as { askAgainAtIso?: string } | undefined)?.askAgainAtIso ?? '');
  return Number.isFinite(at) ? at : Date.now() + 60_000;
}
