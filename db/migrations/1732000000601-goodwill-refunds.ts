import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Support's goodwill refunds (issue 10 point 8): one row per request. (actor, idempotency_key)
 * replays a retried HTTP call and request_hash tells a replay from a different body under the same
 * key (422), as for cancellations. The refund itself is an ordinary refund row with cause key
 * `goodwill:{id}:{n}`; its workflow (`goodwill-refund-{id}`) writes status and refund_sn here.
 */
export class GoodwillRefunds1732000000601 implements MigrationInterface {
  name = 'GoodwillRefunds1732000000601';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE goodwill_refund (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      order_sn VARCHAR(32) NOT NULL,
      actor_role VARCHAR(16) NOT NULL,
      actor_id VARCHAR(64) NOT NULL,
      idempotency_key VARCHAR(128) NOT NULL,
      request_hash CHAR(64) NOT NULL,
      refund_fen INT NOT NULL,
      reason VARCHAR(200) NOT NULL,
      status VARCHAR(20) NOT NULL,
      refund_sn VARCHAR(64) NULL,
      refusal VARCHAR(255) NULL,
      response_json JSON NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_goodwill_idempotency (actor_role, actor_id, idempotency_key),
      KEY idx_goodwill_order (order_sn, id),
      CONSTRAINT chk_goodwill_amount CHECK (refund_fen > 0)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE goodwill_refund');
  }
}
