import type { Queryable } from './queryable';

/**
 * Reads and locks of the `orders` table the API and the activities take. Its statuses are written only
 * by the order workflow's steps (db/order-transitions.ts); its money columns by the refund and payment steps.
 */

/** The buyer's order, locked for an after-sale application; undefined when not theirs. */
export async function lockBuyerOrderForAfterSale(manager: Queryable, orderSn: string, buyerId: string): Promise<Record<string, any> | undefined> {
  const [order] = await manager.query(
    'SELECT order_sn, seller_id, buyer_id, order_status, service_status, payment_type, order_type, paid_fen, completed_at FROM orders WHERE order_sn = ? AND buyer_id = ? FOR UPDATE',
    [orderSn, buyerId],
  );
  return order;
}
