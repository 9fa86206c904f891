import { CommentStatus, ComplainWindowStatus, OrderStatus, PayStatus, ServiceStatus, ShipStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * Every write of `orders` (and its `order_meta`). A new order is inserted NEW by the checkout (or an
 * after-sale's linked order); from then on its statuses (order, pay, ship, service, comment, complain)
 * change only through the order workflow's steps here — the compare-and-set of a transition, a window
 * closing, the service status an after-sale sets, the pay status a won cancel settles — called by
 * activities/order-transitions.ts and activities/cancellations.ts inside their step (runStep). The
 * refunded amount grows with each refund paid (activities/refunds.ts). Reads: db/order-reads.ts.
 */

export interface NewOrderRow {
  orderSn: string;
  tradeSn: string;
  sellerId: number;
  buyerId: string;
  paymentType: string;
  orderType: string;
  orderFen: number;
  goodsFen: number;
  shippingFen: number;
  discountFen: number;
  groupId: string | null;
  createdAt: Date;
  /**
   * NEW, or INTODB_ERROR for an order kept although its stock could not be taken (a group-buy join
   * that found the activity's quota exhausted): it never gets a workflow, it shows why instead of vanishing.
   */
  orderStatus?: typeof OrderStatus.NEW | typeof OrderStatus.INTODB_ERROR;
}

/** A checkout's new order: NEW, unpaid, unshipped, no after-sale or complaint; from here its statuses are the order workflow's. */
export async function insertNewOrder(manager: Queryable, order: NewOrderRow): Promise<void> {
  await manager.query(
    `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status,
           comment_status, complain_status, payment_type, order_type, order_fen, goods_fen, shipping_fen, discount_fen, group_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [order.orderSn, order.tradeSn, order.sellerId, order.buyerId, order.orderStatus ?? OrderStatus.NEW, PayStatus.PAY_NO, ShipStatus.SHIP_NO, ServiceStatus.NOT_APPLY,
      CommentStatus.UNFINISHED, ComplainWindowStatus.NO_APPLY, order.paymentType, order.orderType, order.orderFen, order.goodsFen,
      order.shippingFen, order.discountFen, order.groupId, order.createdAt],
  );
}

/** An after-sale's free exchange / re-ship order: NEW, nothing to pay, linked to its source order and after-sale (unique). */
export async function insertLinkedOrder(
  manager: Queryable,
  order: { orderSn: string; tradeSn: string; sellerId: number | string; buyerId: number | string; paymentType: string; orderType: string; sourceOrderSn: string; serviceSn: string; createdAt: Date },
): Promise<void> {
  await manager.query(
    `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status,
         comment_status, complain_status, payment_type, order_type, order_fen, goods_fen, shipping_fen, discount_fen,
         source_order_sn, source_service_sn, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?)`,
    [order.orderSn, order.tradeSn, order.sellerId, order.buyerId, OrderStatus.NEW, PayStatus.PAY_NO, ShipStatus.SHIP_NO, ServiceStatus.NOT_APPLY,
      CommentStatus.UNFINISHED, ComplainWindowStatus.NO_APPLY, order.paymentType, order.orderType, order.sourceOrderSn, order.serviceSn, order.createdAt],
  );
}

/** The order's meta rows (javashop's keys: COUPON, COUPON_PRICE, FULL_MINUS, …), one per key. */
export async function insertOrderMeta(manager: Queryable, orderSn: string, meta: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(meta)) {
    await manager.query('INSERT INTO order_meta (order_sn, meta_key, meta_value) VALUES (?, ?, ?)', [orderSn, key, value]);
  }
}

/** Copies these meta keys of the source order to the new order. */
export async function copyOrderMeta(manager: Queryable, orderSn: string, sourceOrderSn: string, keys: readonly string[]): Promise<void> {
  await manager.query(
    `INSERT INTO order_meta (order_sn, meta_key, meta_value) SELECT ?, meta_key, meta_value FROM order_meta WHERE order_sn = ? AND meta_key IN (?)`,
    [orderSn, sourceOrderSn, keys],
  );
}

/** Compare-and-set: the columns, only while the order is still in `from`. Returns whether it matched. */
export async function compareAndSetOrder(manager: Queryable, orderSn: string, from: OrderStatus, set: Record<string, unknown>): Promise<boolean> {
  const assignments = Object.keys(set).map((column) => `${column} = ?`);
  const result = await manager.query(
    `UPDATE orders SET ${assignments.join(', ')} WHERE order_sn = ? AND order_status = ?`,
    [...Object.values(set), orderSn, from],
  );
  return result.affectedRows === 1;
}

/** A window column from its open value to its closed value, once. Returns whether this call closed it. */
export async function closeOrderWindowColumn(manager: Queryable, orderSn: string, window: { column: string; from: string; to: string }): Promise<boolean> {
  const updated = await manager.query(`UPDATE orders SET ${window.column} = ? WHERE order_sn = ? AND ${window.column} = ?`, [window.to, orderSn, window.from]);
  return updated.affectedRows === 1;
}

/** The order's service status (after-sale opened or closed); a cancelled order's row is not touched. */
export async function setOrderServiceStatus(manager: Queryable, orderSn: string, serviceStatus: string): Promise<void> {
  await manager.query('UPDATE orders SET service_status = ? WHERE order_sn = ? AND order_status <> ?', [serviceStatus, orderSn, OrderStatus.CANCELLED]);
}

/**
 * A won cancel's money is back: the pay and service statuses it settles to, only while the order's pay
 * status is still `fromPayStatus` (REFUNDING). Returns whether this call settled it.
 */
export async function settleOrderPayStatus(manager: Queryable, orderSn: string, set: Record<string, unknown>, fromPayStatus: string): Promise<boolean> {
  const settled = await manager.query(
    `UPDATE orders SET ${Object.keys(set).map((c) => `${c} = ?`).join(', ')} WHERE order_sn = ? AND pay_status = ?`,
    [...Object.values(set), orderSn, fromPayStatus],
  );
  return settled.affectedRows === 1;
}

/** The order's status, locked; undefined when there is no such order. */
export async function lockOrderStatus(manager: Queryable, orderSn: string): Promise<{ order_status: OrderStatus } | undefined> {
  const [order] = await manager.query('SELECT order_status FROM orders WHERE order_sn = ? FOR UPDATE', [orderSn]);
  return order;
}

/** A refund paid: the order's refunded amount grows by it. */
export async function addOrderRefundedFen(manager: Queryable, orderSn: string, refundFen: number): Promise<void> {
  await manager.query('UPDATE orders SET refunded_fen = refunded_fen + ? WHERE order_sn = ?', [refundFen, orderSn]);
}
