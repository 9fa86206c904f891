import type { DataSource } from 'typeorm';
import { MemberCouponStatus, OrderStatus, PayStatus } from '../domain';
import { appendOrderLog } from '../db/order-log';

/**
 * Gives the coupons a cancelled, unpaid order used back to the buyer, exactly once: the copy flips
 * USED → UNUSED only while it still names this order and the order is CANCELLED and unpaid, so a
 * retry (or a copy already re-used by a later order) changes nothing. The order meta keeps which
 * coupon the order had. Returns how many copies came back.
 */
export async function releaseOrderCoupons(dataSource: DataSource, orderSn: string): Promise<number> {
  return dataSource.transaction(async (manager) => {
    const result = await manager.query(
      `UPDATE member_coupon mc JOIN orders o ON o.order_sn = mc.order_sn
         SET mc.status = ?, mc.order_sn = NULL, mc.used_at = NULL
       WHERE mc.order_sn = ? AND mc.status = ? AND o.order_status = ? AND o.pay_status = ?`,
      [MemberCouponStatus.UNUSED, orderSn, MemberCouponStatus.USED, OrderStatus.CANCELLED, PayStatus.PAY_NO],
    );
    const released = result.affectedRows as number;
    if (released > 0) {
      await appendOrderLog(manager, { orderSn, eventKey: 'coupon:RELEASE', operation: 'COUPON', actorRole: 'SYSTEM', message: `${released} coupon(s) given back to the buyer` }, 'ignore');
    }
    return released;
  });
}
