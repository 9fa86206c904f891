import type { EntityManager } from 'typeorm';

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
 */
export async function appendOrderLog(manager: Pick<EntityManager, 'query'>, entry: OrderLogEntry, repeat: 'ignore' | 'fail'): Promise<void> {
  await manager.query(
    `INSERT ${repeat === 'ignore' ? 'IGNORE ' : ''}INTO order_log (order_sn, event_key, operation, old_status, new_status, actor_role, actor_id, message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [entry.orderSn, entry.eventKey, entry.operation, entry.oldStatus ?? null, entry.newStatus ?? null, entry.actorRole, entry.actorId ?? null, entry.message.slice(0, 500)],
  );
}
