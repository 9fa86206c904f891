import type { EntityManager } from 'typeorm';
import { EventActor, GOODWILL_STATUS_EVENTS, GoodwillRefundStatus, businessEvent, eventActor } from '../domain/events';
import { emitEvent, sellerOfOrder } from './business-events';

/**
 * Status writes of `goodwill_refund`, each with its business event (goodwill_refund.*) when the status
 * moved. Call them inside a step (db/business-events.ts runStep).
 */

type Queryable = Pick<EntityManager, 'query'>;

interface GoodwillRow {
  id: number | string;
  order_sn: string;
  refund_fen: number;
  reason: string;
  status: GoodwillRefundStatus;
  refund_sn: string | null;
  refusal: string | null;
}

/** Support's request, recorded at RECEIVED (its idempotency key taken); returns its id. A second request under the key fails with ER_DUP_ENTRY. */
export async function insertGoodwillRequest(
  manager: Queryable,
  request: { orderSn: string; actorRole: string; actorId: string; idempotencyKey: string; requestHash: string; refundFen: number; reason: string },
): Promise<number> {
  const inserted = await manager.query(
    `INSERT INTO goodwill_refund (order_sn, actor_role, actor_id, idempotency_key, request_hash, refund_fen, reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'RECEIVED')`,
    [request.orderSn, request.actorRole, request.actorId, request.idempotencyKey, request.requestHash, request.refundFen, request.reason],
  );
  const id = Number(inserted.insertId);
  await emitGoodwillEvent(manager, { id, order_sn: request.orderSn, refund_fen: request.refundFen, reason: request.reason, status: 'RECEIVED', refund_sn: null, refusal: null }, null, 'received', { actor: { role: request.actorRole.toUpperCase(), id: request.actorId } });
  return id;
}

/** Its refund recorded (attempt n: a re-issue after a CLOSED one keeps it REFUNDING): RECEIVED/REFUNDING → REFUNDING with the refund number. */
export async function markGoodwillRefunding(manager: Queryable, request: { requestId: number; refundSn: string; attempt: number; supportId: string }): Promise<void> {
  const row = await lockRow(manager, request.requestId);
  const updated = await manager.query(`UPDATE goodwill_refund SET status = 'REFUNDING', refund_sn = ? WHERE id = ? AND status IN ('RECEIVED', 'REFUNDING')`, [request.refundSn, request.requestId]);
  if (!row || updated.affectedRows !== 1 || (row.status === 'REFUNDING' && row.refund_sn === request.refundSn)) return;
  await emitGoodwillEvent(manager, { ...row, refund_sn: request.refundSn }, row.status, `refunding:${request.attempt}`, { to: 'REFUNDING', attempt: request.attempt, actor: eventActor('SUPPORT', request.supportId) });
}

/** Refused (more than remains refundable, nothing paid): RECEIVED → REFUSED with the reason. */
export async function markGoodwillRefused(manager: Queryable, request: { requestId: number; refusal: string }): Promise<void> {
  const row = await lockRow(manager, request.requestId);
  const updated = await manager.query(`UPDATE goodwill_refund SET status = 'REFUSED', refusal = ? WHERE id = ? AND status = 'RECEIVED'`, [request.refusal.slice(0, 255), request.requestId]);
  if (!row || updated.affectedRows !== 1) return;
  await emitGoodwillEvent(manager, { ...row, refusal: request.refusal.slice(0, 255) }, row.status, 'refused', { to: 'REFUSED', actor: eventActor('SYSTEM') });
}

/** Its refund was paid out: REFUNDING → REFUNDED. */
export async function markGoodwillRefunded(manager: Queryable, request: { requestId: number; refundSn: string }): Promise<void> {
  const row = await lockRow(manager, request.requestId);
  const updated = await manager.query(`UPDATE goodwill_refund SET status = 'REFUNDED', refund_sn = ? WHERE id = ? AND status = 'REFUNDING'`, [request.refundSn, request.requestId]);
  if (!row || updated.affectedRows !== 1) return;
  await emitGoodwillEvent(manager, { ...row, refund_sn: request.refundSn }, row.status, 'refunded', { to: 'REFUNDED', actor: eventActor('SYSTEM') });
}

async function lockRow(manager: Queryable, id: number): Promise<GoodwillRow | undefined> {
  const [row] = await manager.query('SELECT id, order_sn, refund_fen, reason, status, refund_sn, refusal FROM goodwill_refund WHERE id = ? FOR UPDATE', [id]);
  return row;
}

async function emitGoodwillEvent(
  manager: Queryable,
  row: GoodwillRow,
  from: GoodwillRefundStatus | null,
  key: string,
  change: { to?: GoodwillRefundStatus; attempt?: number; actor: EventActor },
): Promise<void> {
  const to = change.to ?? row.status;
  emitEvent(
    manager,
    businessEvent(
      { type: 'goodwill_refund', id: Number(row.id), sellerId: await sellerOfOrder(manager, row.order_sn), orderSn: row.order_sn },
      {
        type: GOODWILL_STATUS_EVENTS[to],
        key,
        payload: {
          goodwillRefundId: Number(row.id),
          orderSn: row.order_sn,
          refundFen: Number(row.refund_fen),
          reason: row.reason,
          from,
          to,
          refundSn: row.refund_sn,
          attempt: change.attempt ?? null,
          refusal: row.refusal,
          actor: change.actor,
        },
      },
    ),
  );
}

export interface GoodwillRequestRow {
  id: number;
  order_sn: string;
  request_hash: string;
  refund_fen: number;
  reason: string;
  status: string;
  refund_sn: string | null;
  refusal: string | null;
  response_json: unknown;
}

/** A goodwill request by its id. */
export async function findGoodwillRequest(db: Queryable, id: number | string): Promise<GoodwillRequestRow | undefined> {
  const [row] = await db.query(`SELECT * FROM goodwill_refund WHERE id = ?`, [id]);
  return row;
}

/** The goodwill request a staff member recorded under this idempotency key. */
export async function findGoodwillRequestByKey(db: Queryable, actorRole: string, actorId: string, idempotencyKey: string): Promise<GoodwillRequestRow | undefined> {
  const [row] = await db.query(`SELECT * FROM goodwill_refund WHERE actor_role = ? AND actor_id = ? AND idempotency_key = ?`, [actorRole, actorId, idempotencyKey]);
  return row;
}

/** A goodwill request of this order, or undefined. */
export async function findGoodwillRequestOfOrder(db: Queryable, id: string, orderSn: string): Promise<GoodwillRequestRow | undefined> {
  const rows: GoodwillRequestRow[] = await db.query('SELECT * FROM goodwill_refund WHERE id = ? AND order_sn = ?', [id, orderSn]);
  return rows[0];
}

/** Keeps the first answer given to the request (concurrent retries of one key all answer the same). */
export async function storeGoodwillAnswer(db: Queryable, id: number, answer: unknown): Promise<void> {
  await db.query('UPDATE goodwill_refund SET response_json = COALESCE(response_json, ?) WHERE id = ?', [JSON.stringify(answer), id]);
}
