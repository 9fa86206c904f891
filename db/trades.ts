import { TradeStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * The `trade` table: one checkout (its orders are in db/orders.ts). Written only by the checkout: NEW
 * with zero amounts first (its idempotency key's unique key serialises a concurrent twin), then the totals.
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
