import { providerGateWorkflowId } from '../../domain/provider-gate';
import { ProviderGateState, providerGateStateQuery } from '../../workflows/provider-gate.contract';
import type { RequestLogEntry } from '../payments/sim-control';
import type { PlacedOrder } from './orders';
import type { TestSystem } from './system';

/**
 * What the provider-gate test and the outage bench (bench/provider-outage.ts) measure: the gate's
 * state, the provider refund calls in a time span, the release pace, and the money check (every refund
 * once at the provider and SUCCESS in our table).
 */
/** The system's WeChat Pay refunds gate: its id carries the system's task queue. */
export const wechatRefundGate = (system: TestSystem): string => providerGateWorkflowId('wechatpay', 'refunds', system.config.temporal.taskQueue);

export async function gateState(system: TestSystem): Promise<ProviderGateState | undefined> {
  try {
    return await system.temporal.workflow.getHandle(wechatRefundGate(system)).query(providerGateStateQuery);
  } catch {
    return undefined;
  }
}

/** The seller cancels a paid order (202: the cancel-{orderSn} workflow refunds it). */
export async function cancelPaidOrder(system: TestSystem, order: PlacedOrder, key: string): Promise<void> {
  const answer = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': key }, body: { reason: 'provider outage drill' } });
  if (answer.status !== 202) throw new Error(`cancel ${order.orderSn}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** WeChat Pay refund calls (submit and query) that reached the simulator between the two instants. */
export async function refundCallsBetween(system: TestSystem, fromMs: number, toMs: number): Promise<RequestLogEntry[]> {
  const calls = await system.sim.requests({ provider: 'wechatpay' });
  return calls.filter((c) => (c.operation === 'submitRefund' || c.operation === 'queryRefund') && Date.parse(c.at) >= fromMs && Date.parse(c.at) < toMs);
}

/** The most instants inside any one-second window. */
export function maxInAnySecond(timesMs: number[]): number {
  const sorted = [...timesMs].sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= 1000) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

export interface RefundRow {
  refund_sn: string;
  order_sn: string;
  status: string;
  refund_fen: number;
  succeeded_at: Date | null;
}

export async function refundsOf(system: TestSystem, orders: PlacedOrder[]): Promise<RefundRow[]> {
  if (orders.length === 0) return [];
  return system.dataSource.query('SELECT refund_sn, order_sn, status, refund_fen, succeeded_at FROM refund WHERE order_sn IN (?)', [orders.map((o) => o.orderSn)]);
}

/** Lost: an order without a refund that reached the provider; doubled: a refund number or an order refunded twice there. */
export async function moneyCheck(system: TestSystem, orders: PlacedOrder[]): Promise<{ refunds: number; succeeded: number; atProvider: number; lost: number; doubled: number }> {
  const rows = await refundsOf(system, orders);
  const ours = new Set(orders.map((o) => o.outTradeNo));
  const ledger = (await system.sim.ledger()).filter((e) => e.kind === 'refund' && e.provider === 'wechatpay' && ours.has(e.outTradeNo));
  const perNumber = new Map<string, number>();
  const perTrade = new Map<string, number>();
  for (const e of ledger) {
    perNumber.set(e.outRefundNo!, (perNumber.get(e.outRefundNo!) ?? 0) + 1);
    perTrade.set(e.outTradeNo, (perTrade.get(e.outTradeNo) ?? 0) + 1);
  }
  const doubled = [...perNumber.values()].filter((n) => n > 1).length + [...perTrade.values()].filter((n) => n > 1).length;
  const lost = orders.filter((o) => !perTrade.has(o.outTradeNo!)).length;
  return { refunds: rows.length, succeeded: rows.filter((r) => r.status === 'SUCCESS').length, atProvider: ledger.length, lost, doubled };
}

/**
 * When the gate released each waiting refund: its `gateReleased` signals in its own histories (every
 * run: it continues as new on a long history), as the server recorded the commands.
 */
export async function releaseTimes(system: TestSystem): Promise<number[]> {
  const runIds = new Set<string>();
  const gateId = wechatRefundGate(system);
  for await (const run of system.temporal.workflow.list({ query: `WorkflowId = "${gateId}"` })) runIds.add(run.runId);
  runIds.add((await system.temporal.workflow.getHandle(gateId).describe()).runId);
  const times: number[] = [];
  for (const runId of runIds) {
    const history = await system.temporal.workflow.getHandle(gateId, runId).fetchHistory();
    for (const event of history.events ?? []) {
      if (event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName !== 'gateReleased') continue;
      const t = event.eventTime!;
      times.push(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
    }
  }
  return times;
}
