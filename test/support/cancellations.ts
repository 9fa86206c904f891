import { TestSystem, eventually } from './system';

/**
 * A cancel is answered 202 once its request is recorded and `cancel-{orderSn}` started; the work
 * follows in that workflow. Waits until the request (GET /orders/{sn}/cancellations/{id}) reaches
 * `status` and returns what it says; fails early if it ends in another final status.
 */
export async function waitForCancellation(system: TestSystem, orderSn: string, cancellationId: number | string, status: string, timeoutMs = 60_000) {
  const finals = ['COMPLETED', 'REFUSED', 'ALREADY_CANCELLED'];
  return eventually(async () => {
    const [row] = await system.dataSource.query('SELECT status, refusal_code, refusal_reason FROM cancellation_request WHERE id = ?', [cancellationId]);
    if (row?.status === status) {
      return { status: row.status as string, ...(row.refusal_code ? { refusal: { code: row.refusal_code as string, reason: row.refusal_reason as string } } : {}) } as { status: string; refusal: { code: string; reason: string } };
    }
    if (row && finals.includes(row.status) && row.status !== status) throw new Error(`cancellation ${cancellationId} of ${orderSn} ended ${row.status}, not ${status}`);
    return undefined;
  }, timeoutMs, `cancellation ${cancellationId} of ${orderSn} ${status}`);
}

/** The order's cancellation request that a cancel accepted (202) has completed, whichever request it was. */
export async function waitForOrderCancelled(system: TestSystem, orderSn: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => {
    const [row] = await system.dataSource.query(`SELECT id FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [orderSn]);
    return row ? true : undefined;
  }, timeoutMs, `cancellation of ${orderSn} completed`);
}

/** Waits until the order workflow has answered a 202 cancel (its request left RECEIVED); returns the request's status. */
export async function waitForCancelDecided(system: TestSystem, cancellationId: number | string, timeoutMs = 60_000): Promise<string> {
  return eventually(async () => {
    const [row] = await system.dataSource.query('SELECT status FROM cancellation_request WHERE id = ?', [cancellationId]);
    return row && row.status !== 'RECEIVED' ? (row.status as string) : undefined;
  }, timeoutMs, `cancellation ${cancellationId} decided by its order`);
}
