import type { Queryable } from './queryable';

/**
 * The `payment_share` table: which orders a trade payment pays for, and how much of it is each
 * order's. Written once, with the trade payment's attempt (db/payments.ts insertTradePaymentAttempt);
 * never changed afterwards (the attempt's out_trade_no names its set of orders).
 */

export interface PaymentShare {
  orderSn: string;
  amountFen: number;
}

/** The shares of a trade payment attempt; a second call for the same attempt changes nothing. */
export async function insertPaymentShares(manager: Queryable, outTradeNo: string, shares: readonly PaymentShare[]): Promise<void> {
  for (const share of shares) {
    await manager.query('INSERT IGNORE INTO payment_share (out_trade_no, order_sn, amount_fen) VALUES (?, ?, ?)', [outTradeNo, share.orderSn, share.amountFen]);
  }
}

/** The orders a trade payment pays for, with each one's share, in order number order. */
export async function readPaymentShares(db: Queryable, outTradeNo: string): Promise<PaymentShare[]> {
  const rows: { order_sn: string; amount_fen: number }[] = await db.query('SELECT order_sn, amount_fen FROM payment_share WHERE out_trade_no = ? ORDER BY order_sn', [outTradeNo]);
  return rows.map((r) => ({ orderSn: r.order_sn, amountFen: Number(r.amount_fen) }));
}
