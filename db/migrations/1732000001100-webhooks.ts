import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks (issue 22 item 3; docs/webhooks.md): sellers' endpoints, and what was delivered to them.
 * - webhook_endpoint: one seller's receiver URL, its event-type filter, its Standard Webhooks secret
 *   (and the previous one while a rotation overlaps), its status, and its cursor: every event of the
 *   seller with seller_seq ≤ cursor_seq is settled for it (delivered, failed for good, or filtered out).
 *   The cursor only moves forward; a replay or re-send queues PENDING messages at or below it, which
 *   the delivery activity reads first. The counters feed the worker's metrics. Deleting is soft (deleted_at, status DELETED).
 * - webhook_message: one event for one endpoint once it was tried: PENDING, DELIVERED or FAILED (a 4xx
 *   that is not retried). (endpoint_id, seller_seq) is the key: an endpoint belongs to one seller, and a
 *   seller's numbers are unique. A re-send or replay sets it PENDING again.
 * - webhook_attempt: every HTTP attempt (time, status code, latency, error, a capped excerpt of the
 *   answer), read by the seller through the API with an id cursor.
 */
export class Webhooks1732000001100 implements MigrationInterface {
  name = 'Webhooks1732000001100';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await table(`CREATE TABLE webhook_endpoint (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      seller_id BIGINT NOT NULL,
      url VARCHAR(2048) NOT NULL,
      description VARCHAR(500) NOT NULL DEFAULT '',
      event_types JSON NULL,
      secret VARCHAR(128) NOT NULL,
      previous_secret VARCHAR(128) NULL,
      previous_secret_until DATETIME(3) NULL,
      status VARCHAR(16) NOT NULL,
      status_reason VARCHAR(500) NULL,
      cursor_seq BIGINT NOT NULL DEFAULT 0,
      failing_since DATETIME(3) NULL,
      delivered_count BIGINT NOT NULL DEFAULT 0,
      failed_count BIGINT NOT NULL DEFAULT 0,
      failed_attempt_count BIGINT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      deleted_at DATETIME(3) NULL,
      KEY idx_webhook_endpoint_seller (seller_id, status),
      CONSTRAINT chk_webhook_endpoint_status CHECK (status IN ('ENABLED', 'DISABLED', 'PAUSED', 'DELETED'))
    )`);
    await table(`CREATE TABLE webhook_message (
      endpoint_id BIGINT NOT NULL,
      seller_seq BIGINT NOT NULL,
      event_id VARCHAR(255) NOT NULL,
      status VARCHAR(16) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      last_attempt_at DATETIME(3) NULL,
      last_status_code SMALLINT NULL,
      last_error VARCHAR(500) NULL,
      delivered_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (endpoint_id, seller_seq),
      KEY idx_webhook_message_status (endpoint_id, status, seller_seq),
      CONSTRAINT chk_webhook_message_status CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED'))
    )`);
    await table(`CREATE TABLE webhook_attempt (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      endpoint_id BIGINT NOT NULL,
      seller_seq BIGINT NOT NULL,
      event_id VARCHAR(255) NOT NULL,
      attempt_no INT NOT NULL,
      attempted_at DATETIME(3) NOT NULL,
      status_code SMALLINT NULL,
      latency_ms INT NOT NULL,
      outcome VARCHAR(16) NOT NULL,
      error VARCHAR(500) NULL,
      response_excerpt VARCHAR(1000) NULL,
      KEY idx_webhook_attempt_endpoint (endpoint_id, id),
      KEY idx_webhook_attempt_message (endpoint_id, seller_seq, id)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS webhook_attempt');
    await q.query('DROP TABLE IF EXISTS webhook_message');
    await q.query('DROP TABLE IF EXISTS webhook_endpoint');
  }
}
