import type { EntityManager } from 'typeorm';
import { ESCALATION_KEY_PREFIX, WorkItem, WorkKind, escalationKey } from '../domain/support-work';
import { appendOrderLog } from './order-log';

/**
 * Support's work queue, read from the rows that already say something waits on a person (no copy
 * kept): refunds parked ABNORMAL/CLOSED, after-sales in WAIT_FOR_MANUAL, complaints in
 * WAIT_ARBITRATION, open reconciliation cases, late payments logged for support and not refunded.
 * Ages are computed by the database against its own clock, the clock that wrote the rows.
 *
 * The only write is an item's escalation: one order-log row under a unique key (escalationKey).
 */

type Queryable = Pick<EntityManager, 'query'>;

const AGE = (column: string) => `TIMESTAMPDIFF(MICROSECOND, ${column}, CURRENT_TIMESTAMP(3)) DIV 1000`;
const ESCALATED = (kind: WorkKind, id: string) => `EXISTS (SELECT 1 FROM order_log e WHERE e.order_sn = o.order_sn AND e.event_key = CONCAT('${ESCALATION_KEY_PREFIX}${kind}:', ${id}))`;

/** One SELECT per kind, each giving: id, order_sn, seller_id, buyer_id, since, age_ms, amount_fen, summary, escalated. */
const QUERIES: Record<WorkKind, string> = {
  PARKED_REFUND: `
    SELECT r.refund_sn AS id, r.order_sn, o.seller_id, o.buyer_id, r.updated_at AS since, ${AGE('r.updated_at')} AS age_ms, r.refund_fen AS amount_fen,
           CONCAT('refund ', r.refund_sn, ' ', r.status, ' at ', r.provider, COALESCE(CONCAT(': ', r.failure_reason), '')) AS summary, ${ESCALATED('PARKED_REFUND', 'r.refund_sn')} AS escalated
    FROM refund r JOIN orders o ON o.order_sn = r.order_sn
    WHERE r.status = 'ABNORMAL'
       OR (r.status = 'CLOSED' AND NOT EXISTS (SELECT 1 FROM order_log l WHERE l.order_sn = r.order_sn AND l.event_key = CONCAT('refund:', r.refund_sn, ':reissue')))`,
  MANUAL_AFTER_SALE: `
    SELECT a.service_sn AS id, a.order_sn, o.seller_id, o.buyer_id, w.since, ${AGE('w.since')} AS age_ms, GREATEST(COALESCE(a.agreed_fen, a.requested_fen) - a.refunded_fen, 0) AS amount_fen,
           CONCAT('after-sale ', a.service_sn, ' (', a.service_type, ') waits for a decision', COALESCE(CONCAT(': ', a.closed_reason), '')) AS summary, ${ESCALATED('MANUAL_AFTER_SALE', 'a.service_sn')} AS escalated
    FROM after_sale a JOIN orders o ON o.order_sn = a.order_sn
    JOIN (SELECT a2.service_sn, COALESCE(MAX(l.created_at), MAX(a2.updated_at)) AS since FROM after_sale a2 LEFT JOIN after_sale_log l ON l.service_sn = a2.service_sn AND l.new_status = 'WAIT_FOR_MANUAL'
          WHERE a2.status = 'WAIT_FOR_MANUAL' GROUP BY a2.service_sn) w ON w.service_sn = a.service_sn
    WHERE a.status = 'WAIT_FOR_MANUAL'`,
  COMPLAINT_ARBITRATION: `
    SELECT CAST(c.id AS CHAR) AS id, c.order_sn, o.seller_id, o.buyer_id, c.updated_at AS since, ${AGE('c.updated_at')} AS age_ms,
           COALESCE((SELECT SUM(i.paid_fen) FROM order_item i WHERE i.order_sn = c.order_sn AND i.sku_id = c.sku_id), 0) AS amount_fen,
           CONCAT('complaint ', c.id, ' "', c.topic, '" waits for arbitration') AS summary, ${ESCALATED('COMPLAINT_ARBITRATION', 'c.id')} AS escalated
    FROM complaint c JOIN orders o ON o.order_sn = c.order_sn
    WHERE c.status = 'WAIT_ARBITRATION'`,
  RECONCILIATION_CASE: `
    SELECT CAST(d.id AS CHAR) AS id, d.order_sn, o.seller_id, o.buyer_id, d.created_at AS since, ${AGE('d.created_at')} AS age_ms,
           ABS(COALESCE(d.provider_fen, 0) - COALESCE(d.our_fen, 0)) AS amount_fen,
           CONCAT(d.provider, ' ', d.bill_date, ' ', d.kind, ': ', d.detail) AS summary, ${ESCALATED('RECONCILIATION_CASE', 'd.id')} AS escalated
    FROM reconciliation_difference d LEFT JOIN orders o ON o.order_sn = d.order_sn
    WHERE d.status = 'OPEN'`,
  LATE_PAYMENT: `
    SELECT p.out_trade_no AS id, l.order_sn, o.seller_id, o.buyer_id, l.created_at AS since, ${AGE('l.created_at')} AS age_ms, p.amount_fen, l.message AS summary,
           ${ESCALATED('LATE_PAYMENT', 'p.out_trade_no')} AS escalated
    FROM order_log l JOIN orders o ON o.order_sn = l.order_sn
    JOIN payment p ON p.order_sn = l.order_sn AND l.event_key LIKE CONCAT('late-payment-unconfirmed:', p.out_trade_no, ':%')
    WHERE l.event_key LIKE 'late-payment-unconfirmed:%'
      AND NOT EXISTS (SELECT 1 FROM refund r WHERE r.cause_key = CONCAT('late-payment:', p.out_trade_no))
      AND NOT EXISTS (SELECT 1 FROM goodwill_refund g WHERE g.order_sn = l.order_sn AND g.created_at >= l.created_at AND g.status <> 'REFUSED')`,
};

export interface WorkQueueFilter {
  kinds?: readonly WorkKind[];
  orderSn?: string;
}

/** Everything waiting on a person, oldest first. */
export async function readWorkQueue(db: Queryable, filter: WorkQueueFilter = {}): Promise<WorkItem[]> {
  const kinds = filter.kinds ?? (Object.keys(QUERIES) as WorkKind[]);
  const items: WorkItem[] = [];
  for (const kind of kinds) {
    const rows: Record<string, unknown>[] = filter.orderSn
      ? await db.query(`SELECT * FROM (${QUERIES[kind]}) q WHERE q.order_sn = ?`, [filter.orderSn])
      : await db.query(QUERIES[kind]);
    for (const row of rows) items.push(toItem(kind, row));
  }
  return items.sort((a, b) => b.ageMs - a.ageMs || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
}

function toItem(kind: WorkKind, row: Record<string, unknown>): WorkItem {
  return {
    kind,
    id: String(row.id),
    orderSn: (row.order_sn as string | null) ?? null,
    sellerId: row.seller_id == null ? null : Number(row.seller_id),
    buyerId: row.buyer_id == null ? null : Number(row.buyer_id),
    since: new Date(row.since as string).toISOString(),
    ageMs: Math.max(0, Number(row.age_ms)),
    amountFen: Number(row.amount_fen ?? 0),
    summary: String(row.summary ?? ''),
    escalated: Number(row.escalated) === 1,
  };
}

/**
 * Writes an item's escalation to its order's log, once (the unique (order_sn, event_key)); an item
 * without an order (a reconciliation case about an unknown trade) has no log to write to. Returns
 * whether this call wrote it.
 */
export async function recordEscalation(db: Queryable, item: WorkItem, serviceLevelMs: number): Promise<boolean> {
  if (!item.orderSn) return false;
  const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 10) / 10} h`;
  return appendOrderLog(db, {
    orderSn: item.orderSn,
    eventKey: escalationKey(item),
    operation: 'SUPPORT',
    actorRole: 'SYSTEM_TIMER',
    message: `escalated: ${item.kind} ${item.id} has waited ${hours(item.ageMs)} for support (service level ${hours(serviceLevelMs)}): ${item.summary}`,
  }, 'ignore');
}
