import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Complaints as workflows, and buyer reviews.
 * - complaint.open_line_key is `{orderSn}:{skuId}` while the complaint is open and NULL once it is
 *   withdrawn or complete: the unique key is what makes "one open complaint per line" hold under
 *   concurrent requests (NULLs do not collide, so a freed line can be complained about again).
 * - complaint_message.message_key names the workflow step that wrote it, so a retried activity
 *   never posts a message twice.
 * - order_review: one INITIAL and one FOLLOW_UP review per line, ever (unique key); the window's
 *   timer inserts the automatic positive review with the same key, so it can never overwrite or
 *   double a buyer's review.
 */
export class ComplaintsReviews1732000000500 implements MigrationInterface {
  name = 'ComplaintsReviews1732000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE complaint
      ADD COLUMN open_line_key VARCHAR(64) NULL,
      ADD COLUMN appeal_content TEXT NULL,
      ADD COLUMN refund_fen INT NULL,
      ADD COLUMN refund_sn VARCHAR(64) NULL,
      ADD COLUMN closed_reason VARCHAR(255) NULL,
      ADD UNIQUE KEY uk_complaint_open_line (open_line_key),
      ADD KEY idx_complaint_status (status, seller_id, id),
      ADD KEY idx_complaint_buyer (buyer_id, id)`);
    await q.query(`ALTER TABLE complaint_message
      ADD COLUMN message_key VARCHAR(40) NULL,
      ADD UNIQUE KEY uk_complaint_message_step (complaint_id, message_key)`);
    await q.query(`CREATE TABLE order_review (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      sku_id BIGINT NOT NULL,
      buyer_id BIGINT NOT NULL,
      seller_id BIGINT NOT NULL,
      kind VARCHAR(16) NOT NULL,
      grade VARCHAR(16) NULL,
      content TEXT NOT NULL,
      automatic TINYINT(1) NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_order_review (order_sn, sku_id, kind),
      KEY idx_order_review_sku (sku_id, id),
      KEY idx_order_review_seller (seller_id, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS order_review');
    await q.query('ALTER TABLE complaint_message DROP INDEX uk_complaint_message_step, DROP COLUMN message_key');
    await q.query(`ALTER TABLE complaint DROP INDEX uk_complaint_open_line, DROP INDEX idx_complaint_status, DROP INDEX idx_complaint_buyer,
      DROP COLUMN open_line_key, DROP COLUMN appeal_content, DROP COLUMN refund_fen, DROP COLUMN refund_sn, DROP COLUMN closed_reason`);
  }
}
