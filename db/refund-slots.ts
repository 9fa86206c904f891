import { RefundStatus } from '../domain';
import type { Queryable } from './queryable';

/**
 * A refund's submit slot: `refund.submit_slot_at / slot_claims / payment_refund_no` and the payment's
 * refund clock `payment.next_refund_at`, claimed under the refund row's lock, then the payment row's
 * (the order recordRefundOutcome locks them in too). Call inside the claim's transaction.
 */

/** The refund's slot columns, locked; undefined when there is no such refund. */
export async function lockRefundForSlot(manager: Queryable, refundSn: string): Promise<Record<string, any> | undefined> {
  const [mine] = await manager.query('SELECT provider, out_trade_no, slot_claims, payment_refund_no, submit_slot_at FROM refund WHERE refund_sn = ? FOR UPDATE', [refundSn]);
  return mine;
}

/** The payment's refund clock and the database's now, locked; undefined when there is no such payment. */
export async function lockPaymentRefundClock(manager: Queryable, outTradeNo: string): Promise<{ next_refund_at: Date | null; now: Date } | undefined> {
  const [payment] = await manager.query('SELECT next_refund_at, NOW(3) AS now FROM payment WHERE out_trade_no = ? FOR UPDATE', [outTradeNo]);
  return payment;
}

/** How many other refunds of the payment were numbered or submitted (refunds submitted before numbering existed count too). */
export async function countPriorSubmittedRefunds(manager: Queryable, outTradeNo: string, refundSn: string): Promise<number | string> {
  const [{ prior }] = await manager.query(
    `SELECT COUNT(*) AS prior FROM refund WHERE out_trade_no = ? AND refund_sn <> ? AND (payment_refund_no IS NOT NULL OR submitted_at IS NOT NULL)`,
    [outTradeNo, refundSn],
  );
  return prior;
}

/** Why the provider would refuse the refund, on the row (it stays APPLY: never sent). */
export async function recordRefundRefusedBeforeSubmit(manager: Queryable, refundSn: string, refusal: string): Promise<void> {
  await manager.query('UPDATE refund SET failure_reason = ? WHERE refund_sn = ? AND status = ?', [refusal.slice(0, 255), refundSn, RefundStatus.APPLY]);
}

/** The claimed slot on the refund, then the payment's next free instant. */
export async function recordRefundSlot(manager: Queryable, slot: { refundSn: string; outTradeNo: string; slotAt: Date; claim: number; paymentRefundNo: number | null; nextFreeAt: Date }): Promise<void> {
  await manager.query('UPDATE refund SET submit_slot_at = ?, slot_claims = ?, payment_refund_no = ? WHERE refund_sn = ?', [slot.slotAt, slot.claim, slot.paymentRefundNo, slot.refundSn]);
  await manager.query('UPDATE payment SET next_refund_at = ? WHERE out_trade_no = ?', [slot.nextFreeAt, slot.outTradeNo]);
}

/** The refund's slot, number and the database's now. */
export async function readRefundSlot(manager: Queryable, refundSn: string): Promise<{ submit_slot_at: Date; payment_refund_no: number | string; now: Date }> {
  const [row] = await manager.query('SELECT submit_slot_at, payment_refund_no, NOW(3) AS now FROM refund WHERE refund_sn = ?', [refundSn]);
  return row;
}
