import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Group-buy activities set up by the seller (issue 23 point 6). `group_buy_activity` holds the terms
 * (fixed once created) and two moving columns: `status` (ACTIVE → ENDED, by its seller) and
 * `taken_units`, which only the quota's conditional update moves and the CHECK keeps within the quota.
 * `group_buy_activity_quota` is the quota's log: one row per order that took units, `returned_at` set
 * once when they are given back (its order cancelled, its group failed), so a retried give-back
 * changes nothing. A group opened in an activity names it (`group_buy.activity_id`).
 */
export class GroupBuyActivities1732000001300 implements MigrationInterface {
  name = 'GroupBuyActivities1732000001300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE group_buy_activity (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      seller_id BIGINT NOT NULL,
      sku_id BIGINT NOT NULL,
      group_price_fen INT NOT NULL,
      group_size INT NOT NULL,
      starts_at DATETIME(3) NOT NULL,
      ends_at DATETIME(3) NOT NULL,
      form_within_ms INT NOT NULL,
      quota_units INT NOT NULL,
      taken_units INT NOT NULL DEFAULT 0,
      limit_per_buyer INT NOT NULL,
      auto_form TINYINT(1) NOT NULL,
      status VARCHAR(10) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      KEY idx_group_buy_activity_seller (seller_id, id),
      KEY idx_group_buy_activity_sku (sku_id, status),
      CONSTRAINT chk_group_buy_activity_quota CHECK (taken_units BETWEEN 0 AND quota_units),
      CONSTRAINT chk_group_buy_activity_size CHECK (group_size BETWEEN 2 AND 50),
      CONSTRAINT chk_group_buy_activity_price CHECK (group_price_fen > 0)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE group_buy_activity_quota (
      order_sn VARCHAR(32) NOT NULL PRIMARY KEY,
      activity_id BIGINT NOT NULL,
      buyer_id BIGINT NOT NULL,
      units INT NOT NULL,
      taken_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      returned_at DATETIME(3) NULL,
      KEY idx_group_buy_activity_quota_buyer (activity_id, buyer_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query('ALTER TABLE group_buy ADD COLUMN activity_id BIGINT NULL AFTER sku_id');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE group_buy DROP COLUMN activity_id');
    await q.query('DROP TABLE IF EXISTS group_buy_activity_quota');
    await q.query('DROP TABLE IF EXISTS group_buy_activity');
  }
}
