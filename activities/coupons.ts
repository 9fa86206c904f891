import type { DataSource } from 'typeorm';
import { appendOrderLog } from '../db/order-log';
import { runStep } from '../db/business-events';
import { releaseOrderCoupons as releaseCopies } from '../db/coupons';

/**
 * Gives the coupons a cancelled, unpaid order used back to the buyer, exactly once (db/coupons.ts:
 * each copy USED → UNUSED with its coupon.released event), with the order's log row. The order meta
 * keeps which coupon the order had. Returns how many copies came back.
 */
export async function releaseOrderCoupons(dataSource: DataSource, orderSn: string): Promise<number> {
  return runStep(dataSource, async (manager) => {
    const released = await releaseCopies(manager, orderSn);
    if (released > 0) {
      await appendOrderLog(manager, { orderSn, eventKey: 'coupon:RELEASE', operation: 'COUPON', actorRole: 'SYSTEM', message: `${released} coupon(s) given back to the buyer` }, 'ignore');
    }
    return released;
  });
}
