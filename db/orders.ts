import { CommentStatus, ComplainWindowStatus, OrderStatus, PayStatus, ServiceStatus, ShipStatus } from '../domain';
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
}

/** A checkout's new order: NEW, unpaid, unshipped, no after-sale or complaint; from here its statuses are the order workflow's. */
export async function insertNewOrder(manager: Queryable, order: NewOrderRow): Promise<void> {
  await manager.query(
    `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status,
           comment_status, complain_status, payment_type, order_type, order_fen, goods_fen, shipping_fen, discount_fen, group_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [order.orderSn, order.tradeSn, order.sellerId, order.buyerId, OrderStatus.NEW, PayStatus.PAY_NO, ShipStatus.SHIP_NO, ServiceStatus.NOT_APPLY,
      CommentStatus.UNFINISHED, ComplainWindowStatus.NO_APPLY, order.paymentType, order.orderType, order.orderFen, order.goodsFen,
      order.shippingFen, order.discountFen, order.groupId, order.createdAt],
  );
}

/** The order's meta rows (javashop's keys: COUPON, COUPON_PRICE, FULL_MINUS, …), one per key. */
export async function insertOrderMeta(manager: Queryable, orderSn: string, meta: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(meta)) {
    await manager.query('INSERT INTO order_meta (order_sn, meta_key, meta_value) VALUES (?, ?, ?)', [orderSn, key, value]);
  }
}

/** A trade's orders as a replay of its checkout restarts their workflows, by seller. */
export function readOrdersOfTrade(db: Queryable, tradeSn: string): Promise<Record<string, any>[]> {
  return db.query(
    'SELECT order_sn, seller_id, buyer_id, payment_type, order_type, order_fen, group_id, created_at FROM orders WHERE trade_sn = ? ORDER BY seller_id',
    [tradeSn],
  );
}

/** Whether the buyer has an order in the group. */
export async function buyerIsInGroup(db: Queryable, groupId: string, buyerId: string): Promise<boolean> {
  const [member] = await db.query('SELECT 1 FROM orders WHERE group_id = ? AND buyer_id = ? LIMIT 1', [groupId, buyerId]);
  return Boolean(member);
}

/** The group's member orders, oldest first. */
export function readGroupMemberOrders(db: Queryable, groupId: string): Promise<{ orderSn: string; orderStatus: string; payStatus: string }[]> {
  return db.query('SELECT order_sn AS orderSn, order_status AS orderStatus, pay_status AS payStatus FROM orders WHERE group_id = ? ORDER BY id', [groupId]);
}

/** The buyer's order, locked while a review of it is written; undefined when not theirs. */
export async function lockBuyerOrderForReview(manager: Queryable, orderSn: string, buyerId: string): Promise<Record<string, any> | undefined> {
  const [order] = await manager.query(
    'SELECT order_sn, seller_id, buyer_id, order_status, comment_status, payment_type, order_type FROM orders WHERE order_sn = ? AND buyer_id = ? FOR UPDATE',
    [orderSn, buyerId],
  );
  return order;
}

/** The buyer's order, locked while a complaint about it is filed; undefined when not theirs. */
export async function lockBuyerOrderForComplaint(manager: Queryable, orderSn: string, buyerId: string): Promise<Record<string, any> | undefined> {
  const [order] = await manager.query('SELECT order_sn, seller_id, buyer_id, order_status, complain_status, completed_at FROM orders WHERE order_sn = ? AND buyer_id = ? FOR UPDATE', [orderSn, buyerId]);
  return order;
}

/** The order's complaint window status. */
export async function readOrderComplainStatus(db: Queryable, orderSn: string): Promise<{ complain_status: ComplainWindowStatus }> {
  const [order] = await db.query('SELECT complain_status FROM orders WHERE order_sn = ?', [orderSn]);
  return order;
}

/** The order's status (no lock); undefined when there is no such order. */
export async function readOrderStatus(db: Queryable, orderSn: string): Promise<{ order_status: OrderStatus } | undefined> {
  const rows: { order_status: OrderStatus }[] = await db.query('SELECT order_status FROM orders WHERE order_sn = ?', [orderSn]);
  return rows[0];
}

/** The order's pay status (no lock); undefined when there is no such order. */
export async function readOrderPayStatus(db: Queryable, orderSn: string): Promise<{ pay_status: PayStatus } | undefined> {
  const [row] = await db.query('SELECT pay_status FROM orders WHERE order_sn = ?', [orderSn]);
  return row;
}

/** The linked (exchange / re-ship) order an after-sale created, or undefined. */
export async function findLinkedOrderRow(db: Queryable, serviceSn: string): Promise<Record<string, any> | undefined> {
  const [row] = await db.query(
    'SELECT order_sn, seller_id, buyer_id, payment_type, order_type, order_fen, created_at FROM orders WHERE source_service_sn = ?',
    [serviceSn],
  );
  return row;
}

/** What a linked order takes from its source order: trade, seller, buyer, payment type; undefined when there is no such order. */
export async function readLinkedOrderSource(manager: Queryable, orderSn: string): Promise<{ trade_sn: string; seller_id: number | string; buyer_id: number | string; payment_type: string } | undefined> {
  const [source] = await manager.query('SELECT trade_sn, seller_id, buyer_id, payment_type FROM orders WHERE order_sn = ?', [orderSn]);
  return source;
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

/** Copies these meta keys of the source order to the new order. */
export async function copyOrderMeta(manager: Queryable, orderSn: string, sourceOrderSn: string, keys: readonly string[]): Promise<void> {
  await manager.query(
    `INSERT INTO order_meta (order_sn, meta_key, meta_value) SELECT ?, meta_key, meta_value FROM order_meta WHERE order_sn = ? AND meta_key IN (?)`,
    [orderSn, sourceOrderSn, keys],
  );
}

/** A refund paid: the order's refunded amount grows by it. */
export async function addOrderRefundedFen(manager: Queryable, orderSn: string, refundFen: number): Promise<void> {
  await manager.query('UPDATE orders SET refunded_fen = refunded_fen + ? WHERE order_sn = ?', [refundFen, orderSn]);
}
