import { TradeStatus, tradeStatusAfter } from '../domain';
import { PLATFORM_SELLER_ID, businessEvent, eventActor } from '../domain/events';
import { emitEvent } from './business-events';
import type { Queryable } from './queryable';

/**
 * The `trade` table: one checkout (its orders are in db/orders.ts). Inserted by the checkout: NEW
 * with zero amounts first (its idempotency key's unique key serialises a concurrent twin), then the
 * totals. Its status is written only here, by settleTradeStatus, inside the order transition that
 * settles it (activities/order-transitions.ts), decided by domain/trade-status.ts.
 */

export async function insertTrade(
  manager: Queryable,
  trade: { tradeSn: string; buyerId: string; paymentType: string; consigneeJson: string | null; idempotencyKey: string | null; requestHash: string },
): Promise<void> {
  await manager.query(
    `INSERT INTO trade (trade_sn, buyer_id, payment_type, trade_status, total_fen, goods_fen, freight_fen, discount_fen, consignee_json, idempotency_key, request_hash)
       VALUES (?, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?)`,
    [trade.tradeSn, trade.buyerId, trade.paymentType, TradeStatus.NEW, trade.consigneeJson, trade.idempotencyKey, trade.requestHash],
  );
}

/** The trade's amounts, once every order is priced. */
export async function setTradeTotals(manager: Queryable, tradeSn: string, sum: { payable: number; goods: number; shipping: number; discount: number }): Promise<void> {
  await manager.query('UPDATE trade SET total_fen = ?, goods_fen = ?, freight_fen = ?, discount_fen = ? WHERE trade_sn = ?', [sum.payable, sum.goods, sum.shipping, sum.discount, tradeSn]);
}

/** The trade recorded under this buyer's idempotency key, if any. */
export async function findTradeByIdempotencyKey(db: Queryable, buyerId: string, key: string): Promise<{ trade_sn: string; payment_type: string; request_hash: string } | undefined> {
  const [trade] = await db.query('SELECT trade_sn, payment_type, request_hash FROM trade WHERE buyer_id = ? AND idempotency_key = ?', [buyerId, key]);
  return trade;
}

/** A linked order's own trade, PAID_OFF with nothing to pay (a replayed checkout of the source's trade never sees it). */
export async function insertLinkedTrade(manager: Queryable, trade: { tradeSn: string; buyerId: number | string; paymentType: string }): Promise<void> {
  await manager.query(
    `INSERT INTO trade (trade_sn, buyer_id, payment_type, trade_status, total_fen, goods_fen, freight_fen, discount_fen) VALUES (?, ?, ?, ?, 0, 0, 0, 0)`,
    [trade.tradeSn, trade.buyerId, trade.paymentType, TradeStatus.PAID_OFF],
  );
}

/**
 * Locks the order's row, then its trade's row, before the order's status changes: every order
 * transition that may settle the trade (PAY, CANCEL) takes the trade's lock, so two orders of one
 * trade paid at once settle it one after the other. Both are locking reads, which fix no
 * consistent-read snapshot: every plain read of the step comes after the trade's lock, so it sees what
 * a sibling order's transition committed before (and a retried twin's log row). Returns the trade's
 * number, or undefined for an order without a trade row.
 */
export async function lockTradeOfOrder(manager: Queryable, orderSn: string): Promise<string | undefined> {
  const [order] = await manager.query('SELECT trade_sn FROM orders WHERE order_sn = ? FOR UPDATE', [orderSn]);
  if (!order) return undefined;
  const [trade] = await manager.query('SELECT trade_sn FROM trade WHERE trade_sn = ? FOR UPDATE', [order.trade_sn]);
  return trade?.trade_sn;
}

/**
 * The trade's status from its orders' (domain tradeStatusAfter), moved NEW → PAID_OFF / CANCELLED by a
 * compare-and-set, with its trade_log row (naming the order that settled it) and trade.paid_off /
 * trade.cancelled on the platform stream, in the caller's transaction (which holds the trade's lock: lockTradeOfOrder).
 * The decision sees every other order's committed status and this order's new one.
 */
export async function settleTradeStatus(manager: Queryable, tradeSn: string, causedBy: { orderSn: string; actorRole: string; actorId?: string | null }): Promise<TradeStatus | undefined> {
  const [trade] = await manager.query('SELECT trade_status FROM trade WHERE trade_sn = ? FOR UPDATE', [tradeSn]);
  if (!trade) return undefined;
  // A plain read: this step's snapshot was taken after the trade's lock (lockTradeOfOrder), so it holds
  // every sibling's PAY / CANCEL (each commits before releasing that lock) and this order's new status.
  const orders: { order_sn: string; order_status: string; pay_status: string }[] = await manager.query(
    'SELECT order_sn, order_status, pay_status FROM orders WHERE trade_sn = ? ORDER BY order_sn',
    [tradeSn],
  );
  const to = tradeStatusAfter(trade.trade_status, orders.map((o) => ({ orderStatus: o.order_status, payStatus: o.pay_status })));
  if (!to) return undefined;
  const moved = await manager.query('UPDATE trade SET trade_status = ? WHERE trade_sn = ? AND trade_status = ?', [to, tradeSn, trade.trade_status]);
  if (moved.affectedRows !== 1) return undefined;
  const event = businessEvent(
    { type: 'trade', id: tradeSn, sellerId: PLATFORM_SELLER_ID, orderSn: causedBy.orderSn },
    {
      type: to === TradeStatus.PAID_OFF ? 'trade.paid_off' : 'trade.cancelled',
      key: to,
      payload: { tradeSn, from: trade.trade_status, to, orders: orders.map((o) => ({ orderSn: o.order_sn, orderStatus: o.order_status, payStatus: o.pay_status })), causedBy: causedBy.orderSn, actor: eventActor(causedBy.actorRole, causedBy.actorId) },
    },
  );
  const logged = await manager.query(
    `INSERT IGNORE INTO trade_log (trade_sn, event_key, old_status, new_status, caused_by_order_sn, actor_role, actor_id, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      tradeSn, to, trade.trade_status, to, causedBy.orderSn, causedBy.actorRole, causedBy.actorId ?? null,
      `trade ${tradeSn} ${to === TradeStatus.PAID_OFF ? 'paid off' : 'cancelled'}: ${orders.map((o) => `${o.order_sn} ${o.order_status}/${o.pay_status}`).join(', ')}`.slice(0, 500),
    ],
  );
  if (logged.affectedRows === 1) emitEvent(manager, event);
  return to;
}

/** The trade, when the caller may see it (a buyer only their own: `buyerId`; support any), or undefined. */
export async function readTradeFor(db: Queryable, tradeSn: string, buyerId?: string): Promise<{ trade_sn: string; buyer_id: number | string; trade_status: TradeStatus; total_fen: number } | undefined> {
  const [trade] = await db.query(
    `SELECT trade_sn, buyer_id, trade_status, total_fen FROM trade WHERE trade_sn = ?${buyerId === undefined ? '' : ' AND buyer_id = ?'}`,
    buyerId === undefined ? [tradeSn] : [tradeSn, buyerId],
  );
  return trade;
}
