import type { EntityManager } from 'typeorm';
import { CancellationRequest } from './entities';
import { CancellationStatus } from '../domain';
import { CANCELLATION_STATUS_EVENTS, EventActor, businessEvent } from '../domain/events';
import { emitEvent, nextOrdinal, ordinalKey, sellerOfOrder } from './business-events';

/**
 * The cancellation request's status writers, each emitting its business event (cancellation.*) when
 * the status actually changed. Call them inside a step (db/business-events.ts runStep).
 */

type Queryable = Pick<EntityManager, 'query'>;

interface RequestRow {
  id: number | string;
  order_sn: string;
  status: CancellationStatus;
  reason: string;
  actor_role: string;
  actor_id: string;
}

/** The request's status → `status`, once: a request already there changes nothing. Returns undefined when there is no such request. */
export async function setCancellationStatus(manager: Queryable, id: number, status: CancellationStatus, actor: EventActor): Promise<{ changed: boolean } | undefined> {
  const [row]: RequestRow[] = await manager.query('SELECT id, order_sn, status, reason, actor_role, actor_id FROM cancellation_request WHERE id = ? FOR UPDATE', [id]);
  if (!row) return undefined;
  if (row.status === status) return { changed: false };
  await manager.query('UPDATE cancellation_request SET status = ? WHERE id = ? AND status = ?', [status, id, row.status]);
  await emitCancellationEvent(manager, row, row.status, status, actor);
  return { changed: true };
}

/**
 * A request the order workflow refused after the API had accepted it (202): REFUSED with the order's
 * code and reason, or ALREADY_CANCELLED when another cancellation had cancelled the order. Once.
 */
export async function refuseCancellationRequest(manager: Queryable, id: number, status: typeof CancellationStatus.REFUSED | typeof CancellationStatus.ALREADY_CANCELLED, refusal: { code: string; reason: string }, actor: EventActor): Promise<{ changed: boolean } | undefined> {
  const [row]: RequestRow[] = await manager.query('SELECT id, order_sn, status, reason, actor_role, actor_id FROM cancellation_request WHERE id = ? FOR UPDATE', [id]);
  if (!row) return undefined;
  if (row.status === status) return { changed: false };
  await manager.query('UPDATE cancellation_request SET status = ?, refusal_code = ?, refusal_reason = ? WHERE id = ? AND status = ?', [status, refusal.code, refusal.reason.slice(0, 500), id, row.status]);
  await emitCancellationEvent(manager, row, row.status, status, actor);
  return { changed: true };
}

/** A cancellation the system itself decided (unpaid timeout), at REQUESTED, once per order; returns its id. */
export async function recordSystemCancellationRequest(manager: Queryable, request: { orderSn: string; reason: string }): Promise<number> {
  const inserted = await manager.query(
    `INSERT IGNORE INTO cancellation_request (order_sn, actor_role, actor_id, idempotency_key, request_hash, reason, status)
     VALUES (?, 'SYSTEM_TIMER', 'system', ?, '', ?, ?)`,
    [request.orderSn, `auto-cancel:${request.orderSn}`, request.reason, CancellationStatus.REQUESTED],
  );
  const [row]: RequestRow[] = await manager.query(
    `SELECT id, order_sn, status, reason, actor_role, actor_id FROM cancellation_request WHERE actor_role = 'SYSTEM_TIMER' AND actor_id = 'system' AND idempotency_key = ?`,
    [`auto-cancel:${request.orderSn}`],
  );
  if (inserted.affectedRows === 1) await emitCancellationEvent(manager, row, null, CancellationStatus.REQUESTED, { role: 'SYSTEM_TIMER', id: null });
  return Number(row.id);
}

/**
 * A person's request, recorded at RECEIVED (its idempotency key taken) with cancellation.received, inside
 * the caller's step. A second request under the key fails with ER_DUP_ENTRY.
 */
export async function insertCancellationRequest(
  manager: EntityManager,
  request: { actorRole: string; actorId: string; idempotencyKey: string; orderSn: string; requestHash: string; reason: string },
  sellerId: number | string,
): Promise<CancellationRequest> {
  const repo = manager.getRepository(CancellationRequest);
  const saved = await repo.save(repo.create({ ...request, status: CancellationStatus.RECEIVED }));
  await emitCancellationReceived(manager, { id: Number(saved.id), orderSn: request.orderSn, reason: request.reason, actorRole: request.actorRole, actorId: request.actorId, sellerId });
  return saved;
}

/** The answer stored on the request (the first one stored wins). */
export async function readStoredCancellationAnswer<T>(db: Queryable, id: number): Promise<T> {
  const [stored] = await db.query('SELECT response_json FROM cancellation_request WHERE id = ?', [id]);
  return (typeof stored.response_json === 'string' ? JSON.parse(stored.response_json) : stored.response_json) as T;
}

/** A request the API just inserted (RECEIVED): its event. */
async function emitCancellationReceived(manager: Queryable, row: { id: number; orderSn: string; reason: string; actorRole: string; actorId: string; sellerId: number | string }): Promise<void> {
  await emitCancellationEvent(
    manager,
    { id: row.id, order_sn: row.orderSn, status: CancellationStatus.RECEIVED, reason: row.reason, actor_role: row.actorRole, actor_id: row.actorId },
    null,
    CancellationStatus.RECEIVED,
    { role: row.actorRole.toUpperCase(), id: row.actorId },
    row.sellerId,
  );
}

/**
 * Stores the API's first answer to a request (a retry of the same key replays it) and, for a request
 * that started nothing (refused, or the order was already cancelled), its final status. Returns
 * whether this call stored the answer (a concurrent twin's answer may have been first). With a final
 * status it must run in a step (runStep: the status change's event); without one it may run on its own.
 */
export async function storeCancellationAnswer(manager: Queryable, id: number, answer: unknown, final: CancellationStatus | null, actor: EventActor, refusal?: { code: string; reason: string }): Promise<boolean> {
  // The row (locked) is read only for a final status: its event and refusal need the status it had.
  // An accepted request's answer is the one guarded UPDATE (a single statement, no step needed).
  const [row]: (RequestRow | undefined)[] = final === null ? [] : await manager.query('SELECT id, order_sn, status, reason, actor_role, actor_id FROM cancellation_request WHERE id = ? FOR UPDATE', [id]);
  const refused = final !== null && refusal !== undefined && row?.status === CancellationStatus.RECEIVED;
  const stored = await manager.query(
    `UPDATE cancellation_request SET response_json = ?, status = IF(? IS NOT NULL AND status = ?, ?, status),
       refusal_code = IF(?, ?, refusal_code), refusal_reason = IF(?, ?, refusal_reason) WHERE id = ? AND response_json IS NULL`,
    [JSON.stringify(answer), final, CancellationStatus.RECEIVED, final, refused, refusal?.code ?? null, refused, refusal?.reason.slice(0, 500) ?? null, id],
  );
  const storedFirst = stored.affectedRows === 1;
  if (storedFirst && row && final && row.status === CancellationStatus.RECEIVED) await emitCancellationEvent(manager, row, row.status, final, actor);
  return storedFirst;
}

async function emitCancellationEvent(manager: Queryable, row: RequestRow, from: CancellationStatus | null, to: CancellationStatus, actor: EventActor, sellerId?: number | string): Promise<void> {
  const type = CANCELLATION_STATUS_EVENTS[to];
  // A cancellation may come back to a status (REFUNDING → NEEDS_SUPPORT → REFUNDING): the n-th time is its own transition.
  const ordinal = await nextOrdinal(manager, 'cancellation', row.id, type);
  emitEvent(
    manager,
    businessEvent(
      { type: 'cancellation', id: Number(row.id), sellerId: sellerId ?? (await sellerOfOrder(manager, row.order_sn)), orderSn: row.order_sn },
      {
        type,
        key: ordinalKey(to, ordinal),
        payload: { cancellationId: Number(row.id), orderSn: row.order_sn, from, to, reason: row.reason, requestedBy: { role: row.actor_role.toUpperCase(), id: String(row.actor_id) }, actor },
      },
    ),
  );
}
