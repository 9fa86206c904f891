import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Promotions per shop and the per-line amounts refunds depend on.
 * - shop_shipping: the shop's flat shipping fee per order (no row: free shipping).
 * - full_reduction: "spend ≥ threshold, take discount off", valid in a time window.
 * - coupon / member_coupon: a seller's coupon and the copies buyers claimed. A copy is used at most
 *   once: checkout flips it UNUSED → USED with `WHERE status = 'UNUSED'` (one winner under any
 *   concurrency), and a cancelled unpaid order flips it back with `WHERE order_sn = ? AND status = 'USED'`.
 * - order_item.discount_fen / paid_fen: the line's share of the shop's discount (largest remainder)
 *   and what the buyer paid for it; refundable_fen starts equal to paid_fen.
 */
export class Promotions1732000000100 implements MigrationInterface {
  name = 'Promotions1732000000100';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await table(`CREATE TABLE shop_shipping (
      seller_id BIGINT NOT NULL PRIMARY KEY,
      shipping_fen INT NOT NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      CONSTRAINT chk_shop_shipping CHECK (shipping_fen >= 0)
    )`);
    await table(`CREATE TABLE full_reduction (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      seller_id BIGINT NOT NULL,
      title VARCHAR(100) NOT NULL,
      threshold_fen INT NOT NULL,
      discount_fen INT NOT NULL,
      starts_at DATETIME(3) NOT NULL,
      ends_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY idx_full_reduction_seller (seller_id, ends_at),
      CONSTRAINT chk_full_reduction CHECK (discount_fen > 0 AND threshold_fen >= discount_fen AND ends_at > starts_at)
    )`);
    await table(`CREATE TABLE coupon (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      seller_id BIGINT NOT NULL,
      title VARCHAR(100) NOT NULL,
      threshold_fen INT NOT NULL,
      value_fen INT NOT NULL,
      valid_from DATETIME(3) NOT NULL,
      valid_until DATETIME(3) NOT NULL,
      total_count INT NOT NULL,
      claimed_count INT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY idx_coupon_seller (seller_id),
      CONSTRAINT chk_coupon CHECK (value_fen > 0 AND threshold_fen >= 0 AND valid_until > valid_from AND claimed_count >= 0 AND claimed_count <= total_count)
    )`);
    await table(`CREATE TABLE member_coupon (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      coupon_id BIGINT NOT NULL,
      seller_id BIGINT NOT NULL,
      buyer_id BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      order_sn VARCHAR(32) NULL,
      used_at DATETIME(3) NULL,
      claimed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_member_coupon (coupon_id, buyer_id),
      KEY idx_member_coupon_buyer (buyer_id, status),
      KEY idx_member_coupon_order (order_sn)
    )`);
    await q.query(`ALTER TABLE order_item
      ADD COLUMN discount_fen INT NOT NULL DEFAULT 0 AFTER price_fen,
      ADD COLUMN paid_fen INT NOT NULL DEFAULT 0 AFTER discount_fen`);
    await q.query('UPDATE order_item SET paid_fen = price_fen * num');
    await q.query('ALTER TABLE order_item ADD CONSTRAINT chk_order_item_paid CHECK (discount_fen >= 0 AND paid_fen >= 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE order_item DROP CONSTRAINT chk_order_item_paid');
    await q.query('ALTER TABLE order_item DROP COLUMN paid_fen, DROP COLUMN discount_fen');
    for (const t of ['member_coupon', 'coupon', 'full_reduction', 'shop_shipping']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
