import type { ComplainWindowStatus, OrderStatus, PayStatus } from '../domain';
import type { EntityManager } from 'typeorm';
import { Order } from './entities';
import type { Queryable } from './queryable';

/** Reads and locks of the `orders` table the API and the activities take (the writes: db/orders.ts). */

/** The buyer's order, locked for an after-sale application; undefined when not theirs. */
export async function lockBuyerOrderForAfterSale(manager: Queryable, orderSn: string, buyerId: string): Promise<Record<string, any> | undefined> {
  const [order] = await manager.query(
    'SELECT order_sn, seller_id, buyer_id, order_status, service_status, payment_type, order_type, paid_fen, completed_at FROM orders WHERE order_sn = ? AND buyer_id = ? FOR UPDATE',
    [orderSn, buyerId],
  );
  return order;
}

/** A trade's orders as a replay of its checkout restarts their workflows, by seller. */
export function readOrdersOfTrade(db: Queryable, tradeSn: string): Promise<Record<string, any>[]> {
  return db.query(
    'SELECT order_sn, order_status, seller_id, buyer_id, payment_type, order_type, order_fen, group_id, created_at FROM orders WHERE trade_sn = ? ORDER BY seller_id',
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

/** The provider transaction that paid the order (orders.pay_order_no), or null. */
export async function readOrderPayOrderNo(db: Queryable, orderSn: string): Promise<string | null> {
  const [row] = await db.query('SELECT pay_order_no FROM orders WHERE order_sn = ?', [orderSn]);
  return row?.pay_order_no ?? null;
}

/** A trade's orders with what the trade payment and the trade status need, by order number. */
export function readTradeOrders(db: Queryable, tradeSn: string): Promise<{ order_sn: string; seller_id: number; buyer_id: number | string; order_status: OrderStatus; pay_status: PayStatus; payment_type: string; order_type: string; order_fen: number; created_at: Date }[]> {
  return db.query(
    'SELECT order_sn, seller_id, buyer_id, order_status, pay_status, payment_type, order_type, order_fen, created_at FROM orders WHERE trade_sn = ? ORDER BY order_sn',
    [tradeSn],
  );
}

/**
 * One page of orders, newest first (id descending, a unique and stable order): those with an id
 * below `beforeId`, at most `take`. The party filters are the caller's visibility (a seller's own, a
 * buyer's own, support's choice of seller), applied here so no other module reads the table.
 */
export function listOrdersPage(
  db: Pick<EntityManager, 'getRepository'>,
  filter: { sellerId?: string; buyerId?: string; status?: string },
  page: { beforeId?: string; take: number },
): Promise<Order[]> {
  const query = db.getRepository(Order).createQueryBuilder('o').orderBy('o.id', 'DESC').take(page.take);
  if (filter.sellerId !== undefined) query.andWhere('o.seller_id = :sellerId', { sellerId: filter.sellerId });
  if (filter.buyerId !== undefined) query.andWhere('o.buyer_id = :buyerId', { buyerId: filter.buyerId });
  if (filter.status !== undefined) query.andWhere('o.order_status = :status', { status: filter.status });
  if (page.beforeId !== undefined) query.andWhere('o.id < :beforeId', { beforeId: page.beforeId });
  return query.getMany();
}
