import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * After-sales (issue 10): one `after_sale` row per application, its lines, its step log, per-line
 * refund amounts, and a ledger key that lets several after-sales move the same line's stock.
 * - after_sale.status is written only by its workflow (`after-sale-{service_sn}`); the API inserts
 *   the row at APPLY under the order row's lock, where the per-line quantity limit is checked.
 *   (buyer_id, idempotency_key) makes a retried application a replay (request_hash tells a
 *   different body under the same key: 422).
 * - after_sale_log: one row per workflow step, (service_sn, seq) unique, so a retried step is a no-op.
 * - refund_line: what each refund takes from each order line; written with the refund row (created
 *   once per cause key), so order_item.refundable_fen goes down exactly once per refund.
 * - stock_movement.cause: '' for the order's own movements (one per order, line and kind, as before),
 *   `after-sale:{service_sn}` for an after-sale's, so every after-sale of a line moves stock once.
 */
export class AfterSales1732000000700 implements MigrationInterface {
  name = 'AfterSales1732000000700';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await table(`CREATE TABLE after_sale (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      service_sn VARCHAR(32) NOT NULL,
      order_sn VARCHAR(32) NOT NULL,
      seller_id BIGINT NOT NULL,
      buyer_id BIGINT NOT NULL,
      service_type VARCHAR(24) NOT NULL,
      status VARCHAR(20) NOT NULL,
      reason VARCHAR(255) NOT NULL,
      description TEXT NULL,
      requested_fen INT NOT NULL,
      agreed_fen INT NULL,
      refunded_fen INT NOT NULL DEFAULT 0,
      refund_sn VARCHAR(64) NULL,
      refuse_reason VARCHAR(255) NULL,
      return_carrier VARCHAR(64) NULL,
      return_tracking_no VARCHAR(64) NULL,
      linked_order_sn VARCHAR(32) NULL,
      closed_reason VARCHAR(255) NULL,
      deadline_action VARCHAR(24) NULL,
      deadline_at DATETIME(3) NULL,
      idempotency_key VARCHAR(128) NOT NULL,
      request_hash CHAR(64) NOT NULL,
      response_json JSON NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_after_sale_sn (service_sn),
      UNIQUE KEY uk_after_sale_idempotency (buyer_id, idempotency_key),
      KEY idx_after_sale_order (order_sn, id),
      KEY idx_after_sale_seller (seller_id, status, id),
      KEY idx_after_sale_deadline (deadline_at),
      CONSTRAINT chk_after_sale_money CHECK (requested_fen >= 0 AND (agreed_fen IS NULL OR agreed_fen >= 0) AND refunded_fen >= 0)
    )`);
    await table(`CREATE TABLE after_sale_item (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      service_sn VARCHAR(32) NOT NULL,
      order_sn VARCHAR(32) NOT NULL,
      order_item_id BIGINT NOT NULL,
      sku_id BIGINT NOT NULL,
      name VARCHAR(200) NOT NULL,
      num INT NOT NULL,
      amount_fen INT NOT NULL,
      good_num INT NULL,
      damaged_num INT NULL,
      UNIQUE KEY uk_after_sale_item (service_sn, order_item_id),
      KEY idx_after_sale_item_line (order_item_id),
      CONSTRAINT chk_after_sale_item CHECK (num > 0 AND amount_fen >= 0 AND (good_num IS NULL OR good_num >= 0) AND (damaged_num IS NULL OR damaged_num >= 0))
    )`);
    await table(`CREATE TABLE after_sale_log (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      service_sn VARCHAR(32) NOT NULL,
      seq INT NOT NULL,
      action VARCHAR(24) NOT NULL,
      old_status VARCHAR(20) NULL,
      new_status VARCHAR(20) NOT NULL,
      actor_role VARCHAR(16) NOT NULL,
      actor_id VARCHAR(64) NULL,
      message VARCHAR(500) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_after_sale_log_step (service_sn, seq)
    )`);
    await table(`CREATE TABLE refund_line (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      refund_sn VARCHAR(64) NOT NULL,
      order_item_id BIGINT NOT NULL,
      refund_fen INT NOT NULL,
      UNIQUE KEY uk_refund_line (refund_sn, order_item_id),
      KEY idx_refund_line_item (order_item_id),
      CONSTRAINT chk_refund_line CHECK (refund_fen > 0)
    )`);
    await q.query(`ALTER TABLE stock_movement
      ADD COLUMN cause VARCHAR(48) NOT NULL DEFAULT '' AFTER kind,
      DROP INDEX uk_stock_movement,
      ADD UNIQUE KEY uk_stock_movement (order_sn, sku_id, kind, cause)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM stock_movement WHERE cause <> ''`);
    await q.query('ALTER TABLE stock_movement DROP INDEX uk_stock_movement, DROP COLUMN cause, ADD UNIQUE KEY uk_stock_movement (order_sn, sku_id, kind)');
    for (const name of ['refund_line', 'after_sale_log', 'after_sale_item', 'after_sale']) await q.query(`DROP TABLE IF EXISTS ${name}`);
  }
}
