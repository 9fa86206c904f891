import type { EntityManager } from 'typeorm';
import { MemberCouponStatus, OrderStatus, PayStatus } from '../domain';
import { EventActor, businessEvent, eventActor } from '../domain/events';
import { emitEvent } from './business-events';

/**
 * Writes of `coupon` and `member_coupon` (a buyer's copy), each with its business event: coupon.created,
 * coupon.claimed, coupon.used, coupon.released. Call them inside a step (db/business-events.ts runStep).
 */

type Queryable = Pick<EntityManager, 'query'>;

export interface NewCoupon {
  sellerId: number | string;
  title: string;
  thresholdFen: number;
  valueFen: number;
  validFrom: Date;
  validUntil: Date;
  totalCount: number;
}

/** A seller's coupon; returns its id. */
export async function insertCoupon(manager: Queryable, coupon: NewCoupon): Promise<number> {
  const result = await manager.query(
    'INSERT INTO coupon (seller_id, title, threshold_fen, value_fen, valid_from, valid_until, total_count) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [coupon.sellerId, coupon.title, coupon.thresholdFen, coupon.valueFen, coupon.validFrom, coupon.validUntil, coupon.totalCount],
  );
  const couponId = Number(result.insertId);
  emitEvent(manager, businessEvent(
    { type: 'coupon', id: couponId, sellerId: coupon.sellerId, orderSn: null },
    {
      type: 'coupon.created',
      key: 'created',
      payload: {
        couponId,
        title: coupon.title,
        thresholdFen: coupon.thresholdFen,
        valueFen: coupon.valueFen,
        validFrom: coupon.validFrom.toISOString(),
        validUntil: coupon.validUntil.toISOString(),
        totalCount: coupon.totalCount,
        actor: eventActor('SELLER', coupon.sellerId),
      },
    },
  ));
  return couponId;
}

export type ClaimOutcome =
  | { kind: 'claimed'; memberCouponId: number; couponId: number; sellerId: number }
  | { kind: 'not-found' }
  | { kind: 'already-claimed'; memberCouponId: number }
  | { kind: 'unavailable' };

/**
 * One copy per buyer and coupon (unique key; a concurrent second claim fails with ER_DUP_ENTRY and
 * must roll back); the claimed count rises only while copies are left (guarded update).
 */
export async function claimCoupon(manager: Queryable, couponId: number, buyerId: string): Promise<ClaimOutcome> {
  const [coupon] = await manager.query('SELECT id, seller_id, valid_until FROM coupon WHERE id = ?', [couponId]);
  if (!coupon) return { kind: 'not-found' };
  const [mine] = await manager.query('SELECT id FROM member_coupon WHERE coupon_id = ? AND buyer_id = ?', [couponId, buyerId]);
  if (mine) return { kind: 'already-claimed', memberCouponId: Number(mine.id) };
  const taken = await manager.query('UPDATE coupon SET claimed_count = claimed_count + 1 WHERE id = ? AND claimed_count < total_count AND valid_until > NOW(3)', [couponId]);
  if (taken.affectedRows === 0) return { kind: 'unavailable' };
  const inserted = await manager.query('INSERT INTO member_coupon (coupon_id, seller_id, buyer_id, status) VALUES (?, ?, ?, ?)', [couponId, coupon.seller_id, buyerId, MemberCouponStatus.UNUSED]);
  const memberCouponId = Number(inserted.insertId);
  emitEvent(manager, memberCouponEvent('coupon.claimed', 'claimed', { memberCouponId, couponId, buyerId, sellerId: coupon.seller_id, orderSn: null, actor: eventActor('BUYER', buyerId) }));
  return { kind: 'claimed', memberCouponId, couponId, sellerId: Number(coupon.seller_id) };
}

/** The copy goes UNUSED → USED for this order at checkout; false when another checkout used it first (nothing changed). */
export async function useCoupon(manager: Queryable, use: { buyerId: string; memberCouponId: number; couponId: number; sellerId: number | string; orderSn: string }): Promise<boolean> {
  const result = await manager.query(
    'UPDATE member_coupon SET status = ?, order_sn = ?, used_at = NOW(3) WHERE id = ? AND buyer_id = ? AND status = ?',
    [MemberCouponStatus.USED, use.orderSn, use.memberCouponId, use.buyerId, MemberCouponStatus.UNUSED],
  );
  if (result.affectedRows !== 1) return false;
  emitEvent(manager, memberCouponEvent('coupon.used', `used:${use.orderSn}`, { ...use, actor: eventActor('BUYER', use.buyerId) }));
  return true;
}

/**
 * Gives back the copies a cancelled, unpaid order used, exactly once: a copy flips USED → UNUSED only
 * while it still names this order and the order is CANCELLED and unpaid, so a retry (or a copy already
 * re-used by a later order) changes nothing. Returns how many came back.
 */
export async function releaseOrderCoupons(manager: Queryable, orderSn: string): Promise<number> {
  const copies: { id: number | string; coupon_id: number | string; buyer_id: number | string; seller_id: number | string }[] = await manager.query(
    `SELECT mc.id, mc.coupon_id, mc.buyer_id, mc.seller_id FROM member_coupon mc JOIN orders o ON o.order_sn = mc.order_sn
      WHERE mc.order_sn = ? AND mc.status = ? AND o.order_status = ? AND o.pay_status = ? ORDER BY mc.id FOR UPDATE`,
    [orderSn, MemberCouponStatus.USED, OrderStatus.CANCELLED, PayStatus.PAY_NO],
  );
  let released = 0;
  for (const copy of copies) {
    const result = await manager.query(
      'UPDATE member_coupon SET status = ?, order_sn = NULL, used_at = NULL WHERE id = ? AND order_sn = ? AND status = ?',
      [MemberCouponStatus.UNUSED, copy.id, orderSn, MemberCouponStatus.USED],
    );
    if (result.affectedRows !== 1) continue;
    released += 1;
    emitEvent(manager, memberCouponEvent('coupon.released', `released:${orderSn}`, { memberCouponId: Number(copy.id), couponId: Number(copy.coupon_id), buyerId: copy.buyer_id, sellerId: copy.seller_id, orderSn, actor: eventActor('SYSTEM') }));
  }
  return released;
}

function memberCouponEvent(
  type: 'coupon.claimed' | 'coupon.used' | 'coupon.released',
  key: string,
  copy: { memberCouponId: number; couponId: number; buyerId: number | string; sellerId: number | string; orderSn: string | null; actor: EventActor },
) {
  return businessEvent(
    { type: 'member_coupon', id: copy.memberCouponId, sellerId: copy.sellerId, orderSn: copy.orderSn },
    { type, key, payload: { memberCouponId: copy.memberCouponId, couponId: copy.couponId, buyerId: String(copy.buyerId), orderSn: copy.orderSn, actor: copy.actor } },
  );
}
