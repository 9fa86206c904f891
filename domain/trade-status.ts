/**
 * The one rule for a trade's status (issue 23): it follows its orders. A trade leaves NEW once no
 * order of it awaits payment — PAID_OFF when at least one was paid (by the trade's payment or on its
 * own; a cancelled, paid order counts as paid), CANCELLED when every order closed without being paid
 * (cancelled, or refused for stock). COD orders are paid at the door, so their trade stays NEW until
 * then. Only NEW moves: a later refund or cancellation never re-opens a settled trade.
 *
 * Pure: db/trades.ts (the only writer of trade.trade_status) decides with it under the trade's lock.
 */
import { OrderStatus, PayStatus, TradeStatus } from './enums';

export interface TradeOrderStatus {
  orderStatus: OrderStatus | string;
  payStatus: PayStatus | string;
}

const CLOSED_UNPAID: readonly string[] = [OrderStatus.CANCELLED, OrderStatus.INTODB_ERROR];

/** The status the trade moves to from `current`, or undefined when it stays. */
export function tradeStatusAfter(current: TradeStatus | string, orders: readonly TradeOrderStatus[]): TradeStatus | undefined {
  if (current !== TradeStatus.NEW || orders.length === 0) return undefined;
  const paid = (o: TradeOrderStatus) => o.payStatus !== PayStatus.PAY_NO;
  if (orders.some((o) => !paid(o) && !CLOSED_UNPAID.includes(o.orderStatus))) return undefined; // still awaits payment
  return orders.some(paid) ? TradeStatus.PAID_OFF : TradeStatus.CANCELLED;
}
