import type { EntityManager } from 'typeorm';
import { ClaimedCoupon, FullReductionRule, MemberCouponStatus } from '../domain';

/**
 * The shop promotions a seller sets (`shop_shipping`, `full_reduction`: their one writer), and the reads
 * that price a checkout (with the buyer's claimed coupons; coupons are written by db/coupons.ts).
 */

export interface ShopPromotions {
  shippingFen: number;
  fullReductions: (FullReductionRule & { title: string })[];
}

/** The shop's flat shipping fee per order, set or replaced. */
export async function setShopShipping(manager: Pick<EntityManager, 'query'>, sellerId: string, shippingFen: number): Promise<void> {
  await manager.query('INSERT INTO shop_shipping (seller_id, shipping_fen) VALUES (?, ?) ON DUPLICATE KEY UPDATE shipping_fen = VALUES(shipping_fen)', [sellerId, shippingFen]);
}

/** A full-reduction rule of the shop; returns its id. */
export async function insertFullReduction(
  manager: Pick<EntityManager, 'query'>,
  rule: { sellerId: string; title: string; thresholdFen: number; discountFen: number; startsAt: Date; endsAt: Date },
): Promise<number> {
  const result = await manager.query(
    'INSERT INTO full_reduction (seller_id, title, threshold_fen, discount_fen, starts_at, ends_at) VALUES (?, ?, ?, ?, ?, ?)',
    [rule.sellerId, rule.title, rule.thresholdFen, rule.discountFen, rule.startsAt, rule.endsAt],
  );
  return result.insertId;
}

/** Reads promotions for pricing; the checkout view and the trade writer read through here. */
export async function readShopPromotions(manager: Pick<EntityManager, 'query'>, sellerIds: number[], now: Date): Promise<Map<number, ShopPromotions>> {
  const result = new Map<number, ShopPromotions>(sellerIds.map((id) => [id, { shippingFen: 0, fullReductions: [] }]));
  if (!sellerIds.length) return result;
  const shipping = await manager.query('SELECT seller_id, shipping_fen FROM shop_shipping WHERE seller_id IN (?)', [sellerIds]);
  for (const row of shipping) result.get(row.seller_id)!.shippingFen = row.shipping_fen;
  const rules = await manager.query(
    'SELECT id, seller_id, title, threshold_fen, discount_fen FROM full_reduction WHERE seller_id IN (?) AND starts_at <= ? AND ends_at > ? ORDER BY id',
    [sellerIds, now, now],
  );
  for (const row of rules) result.get(row.seller_id)!.fullReductions.push({ id: row.id, title: row.title, thresholdFen: row.threshold_fen, discountFen: row.discount_fen });
  return result;
}

const COUPON_COLUMNS = `mc.id AS memberCouponId, c.id AS couponId, c.seller_id AS sellerId, c.title, c.threshold_fen AS thresholdFen,
  c.value_fen AS valueFen, c.valid_from AS validFrom, c.valid_until AS validUntil, mc.status`;

function toClaimed(row: Record<string, any>): ClaimedCoupon {
  return {
    memberCouponId: row.memberCouponId,
    couponId: row.couponId,
    sellerId: row.sellerId,
    title: row.title,
    thresholdFen: row.thresholdFen,
    valueFen: row.valueFen,
    validFromMs: new Date(row.validFrom).getTime(),
    validUntilMs: new Date(row.validUntil).getTime(),
    status: row.status as MemberCouponStatus,
  };
}

/** The buyer's claimed coupons with these ids (others' coupons are simply not found). */
export async function readClaimedCoupons(manager: Pick<EntityManager, 'query'>, buyerId: string, memberCouponIds: number[]): Promise<Map<number, ClaimedCoupon>> {
  if (!memberCouponIds.length) return new Map();
  const rows = await manager.query(`SELECT ${COUPON_COLUMNS} FROM member_coupon mc JOIN coupon c ON c.id = mc.coupon_id WHERE mc.buyer_id = ? AND mc.id IN (?)`, [buyerId, memberCouponIds]);
  return new Map(rows.map((row: Record<string, any>) => [row.memberCouponId, toClaimed(row)]));
}

/** The buyer's unused coupons of these shops (what the checkout view offers). */
export async function readUnusedCoupons(manager: Pick<EntityManager, 'query'>, buyerId: string, sellerIds: number[]): Promise<ClaimedCoupon[]> {
  if (!sellerIds.length) return [];
  const rows = await manager.query(
    `SELECT ${COUPON_COLUMNS} FROM member_coupon mc JOIN coupon c ON c.id = mc.coupon_id WHERE mc.buyer_id = ? AND mc.status = ? AND c.seller_id IN (?) ORDER BY mc.id`,
    [buyerId, MemberCouponStatus.UNUSED, sellerIds],
  );
  return rows.map(toClaimed);
}

/** One page of a buyer's claimed coupons, in claim order (member_coupon id ascending): ids above `afterId`, at most `take`. */
export async function readBuyerCoupons(manager: Pick<EntityManager, 'query'>, buyerId: string, page: { afterId: number; take: number }): Promise<(ClaimedCoupon & { orderSn: string | null })[]> {
  const rows = await manager.query(
    `SELECT ${COUPON_COLUMNS}, mc.order_sn AS orderSn FROM member_coupon mc JOIN coupon c ON c.id = mc.coupon_id WHERE mc.buyer_id = ? AND mc.id > ? ORDER BY mc.id LIMIT ?`,
    [buyerId, page.afterId, page.take],
  );
  return rows.map((row: Record<string, any>) => ({ ...toClaimed(row), orderSn: row.orderSn }));
}
