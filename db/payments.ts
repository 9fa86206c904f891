import type { EntityManager } from 'typeorm';
import { businessEvent, eventActor } from '../domain/events';
import { emitEvent } from './business-events';

/**
 * The payment attempt of an order at one provider, at CREATED, once (unique out_trade_no): a second
 * call finds it and changes nothing. A new attempt emits payment.created (inside a step:
 * db/business-events.ts runStep). Returns whether this call created it.
 */
export async function insertPaymentAttempt(
  manager: Pick<EntityManager, 'query'>,
  payment: { orderSn: string; sellerId: number | string; buyerId: number | string; provider: string; outTradeNo: string; amountFen: number },
): Promise<boolean> {
  const inserted = await manager.query(
    `INSERT IGNORE INTO payment (order_sn, provider, out_trade_no, amount_fen, status) VALUES (?, ?, ?, ?, 'CREATED')`,
    [payment.orderSn, payment.provider, payment.outTradeNo, payment.amountFen],
  );
  if (inserted.affectedRows !== 1) return false;
  emitEvent(manager, businessEvent(
    { type: 'payment', id: payment.outTradeNo, sellerId: payment.sellerId, orderSn: payment.orderSn },
    { type: 'payment.created', key: 'CREATED', payload: { outTradeNo: payment.outTradeNo, orderSn: payment.orderSn, provider: payment.provider, amountFen: payment.amountFen, actor: eventActor('BUYER', payment.buyerId) } },
  ));
  return true;
}
