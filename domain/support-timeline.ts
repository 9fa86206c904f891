import { EVENT_CATALOGUE, EventType } from './events';

/**
 * Support's order timeline: one list, in time order, of everything that happened to an order, built
 * from the rows that already record it. Pure: the rows come in (db/support-timeline.ts), the entries
 * go out; the API adds each entry's Temporal history event and the pending timers.
 *
 * Sources and why each is there once:
 * - business events (the outbox): one per business transition of the order, its payments, refunds,
 *   cancellation requests, after-sales, complaints (messages included), reviews, coupons, goodwill
 *   refunds and reconciliation cases. They are the backbone.
 * - order-log rows that no business event records: the escalations of the work queue, late payments
 *   logged for support, the after-sale sweep's overdue notes, refused offline marks and re-issues.
 *   Every other log row is the log line of a transition whose event is already in the list.
 * - stock movements: what stock moved (the events name the transition, the ledger the units).
 * - provider inbox deliveries: each verified notification and whether its workflow took it.
 */

/** A database timestamp (mysql2 reads DATETIME columns as Dates); only its ISO form is read here, and pure code names no clock type. */
type Timestamp = { toISOString(): string };

export interface TimelineActor {
  role: string;
  id: string | null;
}

export interface TimelineEntry {
  /** When it happened (ISO 8601), or when a pending timer fires. */
  at: string;
  /** What kind of step: a business event type (order.paid), `stock.{KIND}`, `provider.{kind}_notification`, `log.{operation}`, `timer.pending`. */
  kind: string;
  source: 'business_event' | 'order_log' | 'stock_movement' | 'provider_inbox' | 'workflow';
  /** Unique within the timeline: the event id, log key, … */
  key: string;
  entity: { type: string; id: string } | null;
  actor: TimelineActor;
  /** What changed, in words. */
  what: string;
  /** Money the step moved or concerns, integer fen (null: none). */
  moneyFen: number | null;
  /** Stock the step moved (null: none). */
  stock: { skuId: number; kind: string; quantity: number } | null;
}

/** Order-log keys whose rows are steps of their own (no business event records them). */
const LOG_ONLY = [/^support-escalation:/, /^late-payment-unconfirmed:/, /^after-sale:[^:]+:overdue:/, /^refund:[^:]+:offline-refused$/, /^refund:[^:]+:reissue$/];

export function isLogOnlyStep(eventKey: string): boolean {
  return LOG_ONLY.some((pattern) => pattern.test(eventKey));
}

interface EventLike {
  eventId: string;
  eventType: string;
  entityType: string;
  entityId: string;
  payload: Record<string, any>;
  occurredAt: Timestamp;
}

/** The money a business event moved or concerns, integer fen. */
export function moneyOfEvent(eventType: string, payload: Record<string, any>): number | null {
  for (const value of [payload.refundFen, payload.amountFen, payload.payment?.amountFen, payload.agreedFen, eventType === 'order.created' ? payload.orderFen : undefined]) {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
  }
  return null;
}

export function entryOfEvent(event: EventLike): TimelineEntry {
  const p = event.payload ?? {};
  let summary = (EVENT_CATALOGUE as Record<string, { summary: string }>)[event.eventType]?.summary ?? event.eventType;
  // The catalogue explains the flag for consumers; the timeline says what happened to this payment.
  if (event.eventType === 'payment.paid') summary = `Money arrived for the payment${p.acceptedByOrder === false ? '; the order could not take it: refunded automatically' : ''}.`;
  const move = p.from !== undefined && p.to !== undefined && p.from !== p.to ? ` (${p.from} → ${p.to})` : '';
  const detail = p.message ?? p.detail ?? p.content ?? p.reason ?? p.note ?? null;
  return {
    at: event.occurredAt.toISOString(),
    kind: event.eventType as EventType,
    source: 'business_event',
    key: event.eventId,
    entity: { type: event.entityType, id: event.entityId },
    actor: { role: p.actor?.role ?? 'SYSTEM', id: p.actor?.id ?? null },
    what: `${summary}${move}${typeof detail === 'string' && detail ? `: ${detail}` : ''}`,
    moneyFen: moneyOfEvent(event.eventType, p),
    stock: null,
  };
}

export function entryOfLog(row: { eventKey: string; operation: string; oldStatus: string | null; newStatus: string | null; actorRole: string; actorId: string | null; message: string; createdAt: Timestamp }): TimelineEntry {
  const move = row.oldStatus && row.newStatus && row.oldStatus !== row.newStatus ? ` (${row.oldStatus} → ${row.newStatus})` : '';
  return {
    at: row.createdAt.toISOString(),
    kind: `log.${row.operation}`,
    source: 'order_log',
    key: `log:${row.eventKey}`,
    entity: null,
    actor: { role: row.actorRole, id: row.actorId },
    what: `${row.message}${move}`,
    moneyFen: null,
    stock: null,
  };
}

export function entryOfStock(orderSn: string, row: { skuId: number; kind: string; quantity: number; createdAt: Timestamp }): TimelineEntry {
  return {
    at: row.createdAt.toISOString(),
    kind: `stock.${row.kind}`,
    source: 'stock_movement',
    key: `stock:${orderSn}:${row.skuId}:${row.kind}`,
    entity: { type: 'sku', id: String(row.skuId) },
    actor: { role: 'SYSTEM', id: null },
    what: `stock ${row.kind.toLowerCase().replace(/_/g, ' ')}: ${row.quantity} unit(s) of SKU ${row.skuId}`,
    moneyFen: null,
    stock: { skuId: row.skuId, kind: row.kind, quantity: row.quantity },
  };
}

export function entryOfNotification(row: { provider: string; notificationId: string; kind: string; outTradeNo: string; outRefundNo: string | null; payload: Record<string, any>; receivedAt: Timestamp; deliveredAt: Timestamp | null }): TimelineEntry {
  const p = row.payload ?? {};
  const status = p.tradeState ?? p.refundStatus ?? p.status ?? p.trade_status ?? p.refund_status ?? null;
  const money = [p.amountFen, p.refundFen, p.totalFen].find((v) => typeof v === 'number' && Number.isInteger(v));
  const delivered = row.deliveredAt ? `delivered to its workflow at ${row.deliveredAt.toISOString()}` : 'not delivered to a workflow yet';
  return {
    at: row.receivedAt.toISOString(),
    kind: `provider.${row.kind.toLowerCase()}_notification`,
    source: 'provider_inbox',
    key: `notification:${row.provider}:${row.notificationId}`,
    entity: row.outRefundNo ? { type: 'refund', id: row.outRefundNo } : { type: 'payment', id: row.outTradeNo },
    actor: { role: 'PAYMENT_CALLBACK', id: row.provider },
    what: `${row.provider} ${row.kind.toLowerCase()} notification for ${row.outRefundNo ?? row.outTradeNo}${status ? ` (${status})` : ''}; ${delivered}`,
    moneyFen: money ?? null,
    stock: null,
  };
}

const SOURCE_ORDER: Record<TimelineEntry['source'], number> = { provider_inbox: 0, business_event: 1, order_log: 2, stock_movement: 3, workflow: 4 };

/**
 * In time order. Within the same millisecond: a notification before what it caused, the events in
 * their sequence (the input order), then log rows and stock. A stable sort keeps each source's order.
 */
export function inTimeOrder(entries: TimelineEntry[]): TimelineEntry[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || SOURCE_ORDER[a.entry.source] - SOURCE_ORDER[b.entry.source] || a.index - b.index)
    .map(({ entry }) => entry);
}

/** The workflow most likely to have made an entity's step, when the history cannot say by time alone. */
export function workflowOfEntity(entity: { type: string; id: string } | null, orderSn: string): string {
  switch (entity?.type) {
    case 'refund':
      return `refund-${entity.id}`;
    case 'after_sale':
      return `after-sale-${entity.id}`;
    case 'complaint':
      return `complaint-${entity.id}`;
    default:
      return `order-${orderSn}`;
  }
}
