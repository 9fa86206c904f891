import type { DataSource, EntityManager } from 'typeorm';
import type { BusinessEvent, EventPayloads, EventType } from '../domain/events';
import { transactionWithLockRetry } from './lock-retry';
import { eventsCommitted } from './event-commit-listeners';

/**
 * The outbox's repository: every write to `business_event` and `seller_event_sequence` is here, and
 * the readers the event feed, webhooks and the support timeline need.
 *
 * A business step runs in `runStep` (one transaction). Its writers `emitEvent` on the step's manager
 * when their guard says the change is new (a won compare-and-set, a log row actually inserted); the
 * events are queued and written as the step's last statements, just before commit:
 *
 * 1. `SELECT` the event id: already there (a retried step whose first attempt committed) → skipped,
 *    and no sequence number is taken.
 * 2. The seller's number: `INSERT … ON DUPLICATE KEY UPDATE last_seq = LAST_INSERT_ID(last_seq + 1)`
 *    on `seller_event_sequence`. The row lock it takes is held to commit and taken after every other
 *    lock of the step, so one seller's steps commit in the order of their numbers (a consumer reading
 *    `seller_seq > cursor` never misses one that commits later with a smaller number), and no lock-order
 *    cycle can form (several sellers in one step: in seller id order).
 * 3. `INSERT` the event. A concurrent twin of the step that got past its own guard and past step 1
 *    fails here on the unique event id: the whole step rolls back (its number with it: no gap) and
 *    runs again, when its guard (or step 1) finds the change done.
 */

type Queryable = Pick<EntityManager, 'query'>;

/** The events a running step has emitted, by its transaction's manager. */
const pending = new WeakMap<object, BusinessEvent[]>();

/** Thrown when a writer emits outside `runStep`: the event could not commit with its change. */
export class EventOutsideStepError extends Error {
  constructor(eventId: string) {
    super(`business event ${eventId} emitted outside a step transaction (db/business-events.ts runStep)`);
    this.name = 'EventOutsideStepError';
  }
}

/**
 * One business step: `work` in one transaction, then the events it emitted, then commit. Run again as
 * a whole on a deadlock / lock wait timeout, or when a twin's event id won (see above).
 */
export async function runStep<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  let committed: BusinessEvent[] = [];
  const result = await transactionWithLockRetry(
    dataSource,
    async (manager) => {
      const events: BusinessEvent[] = [];
      pending.set(manager, events);
      try {
        const result = await work(manager);
        await writeEvents(manager, events);
        committed = events;
        return result;
      } finally {
        pending.delete(manager);
      }
    },
    isDuplicateEventId,
  );
  if (committed.length > 0) eventsCommitted(dataSource, committed);
  return result;
}

/** Whether `manager` is a running step's (events emitted on it commit with its change). */
export function inStep(manager: Queryable): boolean {
  return pending.has(manager);
}

/**
 * Queues an event of the running step on `manager`, written just before the step commits. Call it only
 * when the change is new (the guard won). The same event id twice in one step is kept once.
 */
export function emitEvent(manager: Queryable, event: BusinessEvent): void {
  const events = pending.get(manager);
  if (!events) throw new EventOutsideStepError(event.eventId);
  if (!events.some((e) => e.eventId === event.eventId)) events.push(event);
}

/** The seller of an order (the stream its events go to). */
export async function sellerOfOrder(manager: Queryable, orderSn: string): Promise<number> {
  const [row] = await manager.query('SELECT seller_id FROM orders WHERE order_sn = ?', [orderSn]);
  if (!row) throw new Error(`order ${orderSn} does not exist`);
  return Number(row.seller_id);
}

/**
 * For an entity that may take the same transition more than once (a cancellation going REFUNDING →
 * NEEDS_SUPPORT → REFUNDING): how many events of this type it has (committed, and queued in this
 * step), plus one — a transition key part that is the same when a rolled-back step runs again. Call it
 * under the entity row's lock (its compare-and-set), which orders every writer of the entity.
 */
export async function nextOrdinal(manager: Queryable, entityType: string, entityId: string | number, eventType: EventType): Promise<number> {
  const [{ n }] = await manager.query('SELECT COUNT(*) AS n FROM business_event WHERE entity_type = ? AND entity_id = ? AND event_type = ?', [entityType, String(entityId), eventType]);
  const queued = (pending.get(manager) ?? []).filter((e) => e.entityType === entityType && e.entityId === String(entityId) && e.eventType === eventType).length;
  return Number(n) + queued + 1;
}

/** A transition key that names the n-th time (`REFUNDING`, then `REFUNDING:2`, …). */
export function ordinalKey(key: string, ordinal: number): string {
  return ordinal <= 1 ? key : `${key}:${ordinal}`;
}

async function writeEvents(manager: Queryable, events: BusinessEvent[]): Promise<void> {
  // Sequence rows in seller order (stable within a seller), so steps of several sellers cannot deadlock on them.
  const ordered = events.map((event, i) => ({ event, i })).sort((a, b) => a.event.sellerId - b.event.sellerId || a.i - b.i);
  for (const { event } of ordered) {
    const [known] = await manager.query('SELECT 1 AS known FROM business_event WHERE event_id = ?', [event.eventId]);
    if (known) continue;
    const bumped = await manager.query(
      'INSERT INTO seller_event_sequence (seller_id, last_seq) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE last_seq = LAST_INSERT_ID(last_seq + 1)',
      [event.sellerId],
    );
    const sellerSeq = Number(bumped.insertId);
    if (!Number.isSafeInteger(sellerSeq) || sellerSeq < 1) throw new Error(`no sequence number for seller ${event.sellerId} (got ${String(bumped.insertId)})`);
    await manager.query(
      `INSERT INTO business_event (seller_id, seller_seq, event_id, event_type, entity_type, entity_id, order_sn, payload_version, payload_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [event.sellerId, sellerSeq, event.eventId, event.eventType, event.entityType, event.entityId, event.orderSn, event.payloadVersion, JSON.stringify(event.payload)],
    );
  }
}

function isDuplicateEventId(err: unknown): boolean {
  const e = err as { code?: string; sqlMessage?: string; message?: string };
  return e?.code === 'ER_DUP_ENTRY' && /uk_business_event_id/.test(e.sqlMessage ?? e.message ?? '');
}

// ---------------------------------------------------------------------------------------------------
// Readers (the seller event feed, webhooks, the support timeline)

export interface StoredBusinessEvent<T extends EventType = EventType> {
  eventId: string;
  sellerId: number;
  sellerSeq: number;
  eventType: T;
  entityType: string;
  entityId: string;
  orderSn: string | null;
  payloadVersion: number;
  payload: EventPayloads[T];
  occurredAt: Date;
}

export const COLUMNS = 'seller_id, seller_seq, event_id, event_type, entity_type, entity_id, order_sn, payload_version, payload_json, occurred_at';

/**
 * A seller's events after `afterSeq` (0: from the start), in sequence order, at most `limit`. Every event
 * committed so far with a number ≤ the last one returned is in the answer or an earlier one: resume
 * with the last `sellerSeq` as the next `afterSeq`.
 */
export async function readSellerEvents(db: Queryable, sellerId: number | string, afterSeq: number, limit: number): Promise<StoredBusinessEvent[]> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM business_event WHERE seller_id = ? AND seller_seq > ? ORDER BY seller_seq LIMIT ?`, [sellerId, afterSeq, limit]);
  return rows.map(toStored);
}

/** Every event about one order (its own and its payments', refunds', after-sales'…), in the order they happened. */
export async function readOrderEvents(db: Queryable, orderSn: string): Promise<StoredBusinessEvent[]> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM business_event WHERE order_sn = ? ORDER BY occurred_at, seller_id, seller_seq`, [orderSn]);
  return rows.map(toStored);
}

/** A seller's last number (0: no event yet). */
export async function lastSellerSeq(db: Queryable, sellerId: number | string): Promise<number> {
  const [row] = await db.query('SELECT last_seq FROM seller_event_sequence WHERE seller_id = ?', [sellerId]);
  return row ? Number(row.last_seq) : 0;
}

export function toStored(row: Record<string, any>): StoredBusinessEvent {
  return {
    eventId: row.event_id,
    sellerId: Number(row.seller_id),
    sellerSeq: Number(row.seller_seq),
    eventType: row.event_type,
    entityType: row.entity_type,
    entityId: row.entity_id,
    orderSn: row.order_sn,
    payloadVersion: Number(row.payload_version),
    payload: typeof row.payload_json === 'string' ? JSON.parse(row.payload_json) : row.payload_json,
    occurredAt: new Date(row.occurred_at),
  };
}
