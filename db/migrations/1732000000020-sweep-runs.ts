import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scheduled reconcilers' memory: one `sweep_run` row per run of the order-status sweep or the
 * refund-status check (its counts, for operators), and one `sweep_handover` row per order a sweep
 * handed to its workflow. The handover key (sweep day, rule, order) is what makes a sweep idempotent
 * per order and day: a retried page, a restarted worker or a second run the same day finds the row
 * instead of handing the order over again, and a run's "advanced" count is read from these rows, so
 * it stays exact when a page is retried after a crash.
 */
export class SweepRuns1732000000020 implements MigrationInterface {
  name = 'SweepRuns1732000000020';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    await table(`CREATE TABLE sweep_run (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      sweep_name VARCHAR(40) NOT NULL,
      workflow_id VARCHAR(160) NOT NULL,
      first_run_id VARCHAR(64) NOT NULL,
      dry_run TINYINT(1) NOT NULL DEFAULT 0,
      sweep_day DATE NOT NULL,
      as_of DATETIME(3) NOT NULL,
      status VARCHAR(16) NOT NULL,
      counts_json JSON NOT NULL,
      started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_sweep_run_execution (first_run_id),
      KEY idx_sweep_run_name (sweep_name, id)
    )`);

    await table(`CREATE TABLE sweep_handover (
      sweep_day DATE NOT NULL,
      rule_key VARCHAR(32) NOT NULL,
      order_sn VARCHAR(32) NOT NULL,
      order_id BIGINT NOT NULL,
      sweep_run_id BIGINT NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (sweep_day, rule_key, order_sn),
      KEY idx_sweep_handover_run (sweep_run_id, rule_key, order_id)
    )`);

    // Each sweep rule pages through one status in id order (keyset): WHERE order_status = ? AND id > ? ORDER BY id.
    await q.query('CREATE INDEX idx_orders_status_id ON orders (order_status, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_orders_status_id ON orders');
    await q.query('DROP TABLE IF EXISTS sweep_handover');
    await q.query('DROP TABLE IF EXISTS sweep_run');
  }
}
