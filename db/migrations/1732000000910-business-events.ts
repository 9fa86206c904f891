import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of business events (issue 21; catalogue: domain/events.ts, docs/events.md). One row per
 * business state change, written by db/business-events.ts as the last statements of the transaction
 * that makes the change.
 * - business_event: event_id is derived from the entity and its transition (unique: a retried step
 *   inserts nothing twice). (seller_id, seller_seq) is the primary key: each seller's events are
 *   numbered 1, 2, 3… without gaps, in commit order, so a consumer resumes with `seller_seq > cursor`.
 *   Seller 0 is the marketplace's own stream (events that belong to no seller).
 * - seller_event_sequence: each seller's last number, bumped in the event's transaction (its row lock,
 *   held to commit, is what orders one seller's events by commit).
 */
export class BusinessEvents1732000000910 implements MigrationInterface {
  name = 'BusinessEvents1732000000910';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await table(`CREATE TABLE seller_event_sequence (
      seller_id BIGINT NOT NULL PRIMARY KEY,
      last_seq BIGINT NOT NULL,
      CONSTRAINT chk_seller_event_sequence CHECK (last_seq > 0)
    )`);
    await table(`CREATE TABLE business_event (
      seller_id BIGINT NOT NULL,
      seller_seq BIGINT NOT NULL,
      event_id VARCHAR(255) NOT NULL,
      event_type VARCHAR(64) NOT NULL,
      entity_type VARCHAR(32) NOT NULL,
      entity_id VARCHAR(100) NOT NULL,
      order_sn VARCHAR(32) NULL,
      payload_version SMALLINT NOT NULL,
      payload_json JSON NOT NULL,
      occurred_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (seller_id, seller_seq),
      UNIQUE KEY uk_business_event_id (event_id),
      KEY idx_business_event_order (order_sn, occurred_at),
      KEY idx_business_event_entity (entity_type, entity_id),
      CONSTRAINT chk_business_event_seq CHECK (seller_seq > 0)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS business_event');
    await q.query('DROP TABLE IF EXISTS seller_event_sequence');
  }
}
