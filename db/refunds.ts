import type { EntityManager } from 'typeorm';
import type { RefundStatus } from '../domain';

/**
 * A refund's status, read with the refund row's lock (the lock its compare-and-set takes anyway, so
 * the refund → order → payment lock order holds). A locking read leaves the transaction's snapshot
 * where it was: later plain reads (a payment's refund sum under its lock) still see the latest commits.
 */
export async function readRefundStatus(manager: Pick<EntityManager, 'query'>, refundSn: string): Promise<RefundStatus | undefined> {
  const [row] = await manager.query('SELECT status FROM refund WHERE refund_sn = ? FOR UPDATE', [refundSn]);
  return row?.status;
}
