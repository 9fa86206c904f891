import type { EntityManager } from 'typeorm';
import { type BusinessEvent, type EntityOf, type EventEntity, type EventTransition, type EventType, businessEvent } from '../domain/events';
import { emitEvent, sellerOfOrder } from './business-events';

export interface OrderLogEntry {
  orderSn: string;
  /** Names the step; unique per order, so the same step can never be logged twice. */
  eventKey: string;
  operation: string;
  actorRole: string;
  actorId?: string | null;
  oldStatus?: string;
  newStatus?: string;
  message: string;
}

/**
 * Appends one row to the order log. `repeat: 'ignore'` is for steps a retried activity may log again
 * (the first row stays); `repeat: 'fail'` is for rows written right after a winning compare-and-set,
 * where a second row for the same step would mean the books disagree.
 *
 * `events`: the business events of the step this row records (db/business-events.ts), emitted only
 * when the row was actually inserted — a retried step logs nothing and emits nothing. Returns whether
 * the row was inserted.
 */
export async function appendOrderLog(
  manager: Pick<EntityManager, 'query'>,
  entry: OrderLogEntry,
  repeat: 'ignore' | 'fail',
  events: BusinessEvent | readonly BusinessEvent[] = [],
): Promise<boolean> {
  const result = await manager.query(
    `INSERT ${repeat === 'ignore' ? 'IGNORE ' : ''}INTO order_log (order_sn, event_key, operation, old_status, new_status, actor_role, actor_id, message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [entry.orderSn, entry.eventKey, entry.operation, entry.oldStatus ?? null, entry.newStatus ?? null, entry.actorRole, entry.actorId ?? null, entry.message.slice(0, 500)],
  );
  const inserted = result.affectedRows === 1;
  if (inserted) for (const event of Array.isArray(events) ? events : [events as BusinessEvent]) emitEvent(manager, event);
  return inserted;
}

/**
 * A step of an entity that lives on an order (an after-sale, a complaint): its order-log row under
 * the step's event key and its business event, in the seller's stream of the order — once, like
 * every appendOrderLog ('fail': the caller's guard has already decided the step is new).
 */
export async function appendEntityStepLog<T extends EventType>(
  manager: Pick<EntityManager, 'query'>,
  step: { orderSn: string; eventKey: string; operation: string; from: string; to: string; actor: string; actorId?: string; message: string },
  entity: Omit<EventEntity<EntityOf<T>>, 'sellerId' | 'orderSn'>,
  transition: EventTransition<T>,
): Promise<boolean> {
  const event = businessEvent<T>({ ...entity, sellerId: await sellerOfOrder(manager, step.orderSn), orderSn: step.orderSn } as EventEntity<EntityOf<T>>, transition);
  return appendOrderLog(manager, { orderSn: step.orderSn, eventKey: step.eventKey, operation: step.operation, oldStatus: step.from, newStatus: step.to, actorRole: step.actor, actorId: step.actorId, message: step.message }, 'fail', event);
}

/** Whether the order log already has the step's row (a retried step finds it and repeats nothing). */
export async function orderLogHas(manager: Pick<EntityManager, 'query'>, orderSn: string, eventKey: string): Promise<boolean> {
  const logged = await manager.query('SELECT 1 FROM order_log WHERE order_sn = ? AND event_key = ?', [orderSn, eventKey]);
  return logged.length > 0;
}
