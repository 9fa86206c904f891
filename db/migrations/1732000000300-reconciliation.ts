import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily reconciliation against the providers' bills.
 * - `reconciliation_run`: one row per provider and bill day (the unique key is what makes a re-run of
 *   the same day the same run): what the bill held, what matched, how many differences.
 * - `reconciliation_bill_row`: the downloaded bill, one row per line, so the comparison runs in
 *   bounded pages of SQL instead of in memory. Replaced when the same day is downloaded again.
 * - `reconciliation_difference`: each difference is a support case. Unique per provider, day, kind and
 *   payment/refund (ref_key), so a re-run finds it instead of opening it twice.
 * - `reconciliation_case_log`: the audit trail of each case (opened, fixed automatically, resolved by whom, with what note).
 */
export class Reconciliation1732000000300 implements MigrationInterface {
  name = 'Reconciliation1732000000300';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    await table(`CREATE TABLE reconciliation_run (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      provider VARCHAR(16) NOT NULL,
      bill_date DATE NOT NULL,
      status VARCHAR(16) NOT NULL,
      workflow_id VARCHAR(160) NOT NULL,
      last_execution_id VARCHAR(64) NOT NULL,
      run_count INT NOT NULL DEFAULT 1,
      bill_digest VARCHAR(64) NULL,
      bill_payments INT NOT NULL DEFAULT 0,
      bill_payment_fen BIGINT NOT NULL DEFAULT 0,
      bill_refunds INT NOT NULL DEFAULT 0,
      bill_refund_fen BIGINT NOT NULL DEFAULT 0,
      matched_count INT NOT NULL DEFAULT 0,
      matched_fen BIGINT NOT NULL DEFAULT 0,
      difference_count INT NOT NULL DEFAULT 0,
      started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_reconciliation_run_day (provider, bill_date),
      KEY idx_reconciliation_run_day (bill_date, provider)
    )`);

    await table(`CREATE TABLE reconciliation_bill_row (
      run_id BIGINT NOT NULL,
      line_no INT NOT NULL,
      kind VARCHAR(8) NOT NULL,
      out_trade_no VARCHAR(64) NOT NULL,
      out_refund_no VARCHAR(64) NOT NULL DEFAULT '',
      transaction_id VARCHAR(64) NOT NULL,
      provider_refund_id VARCHAR(64) NULL,
      amount_fen BIGINT NOT NULL,
      booked_at DATETIME(3) NOT NULL,
      PRIMARY KEY (run_id, line_no),
      KEY idx_bill_row_trade (run_id, kind, out_trade_no),
      KEY idx_bill_row_refund (run_id, kind, out_refund_no)
    )`);

    await table(`CREATE TABLE reconciliation_difference (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      run_id BIGINT NOT NULL,
      provider VARCHAR(16) NOT NULL,
      bill_date DATE NOT NULL,
      kind VARCHAR(32) NOT NULL,
      ref_key VARCHAR(80) NOT NULL,
      out_trade_no VARCHAR(64) NOT NULL,
      out_refund_no VARCHAR(64) NULL,
      transaction_id VARCHAR(64) NULL,
      order_sn VARCHAR(32) NULL,
      provider_fen BIGINT NULL,
      our_fen BIGINT NULL,
      detail VARCHAR(500) NOT NULL,
      status VARCHAR(16) NOT NULL,
      auto_fix VARCHAR(255) NULL,
      resolution_note VARCHAR(1000) NULL,
      resolved_by VARCHAR(64) NULL,
      resolved_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_reconciliation_difference (provider, bill_date, kind, ref_key),
      KEY idx_reconciliation_difference_status (status, id),
      KEY idx_reconciliation_difference_run (run_id, kind, id)
    )`);

    await table(`CREATE TABLE reconciliation_case_log (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      difference_id BIGINT NOT NULL,
      action VARCHAR(16) NOT NULL,
      actor VARCHAR(64) NOT NULL,
      note VARCHAR(1000) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_reconciliation_case_log (difference_id, action),
      CONSTRAINT fk_reconciliation_case_log FOREIGN KEY (difference_id) REFERENCES reconciliation_difference (id)
    )`);

    // Our side of a day, in time order: payments by when they were paid, refunds by when they succeeded.
    await q.query('CREATE INDEX idx_payment_provider_paid ON payment (provider, paid_at)');
    await q.query('CREATE INDEX idx_refund_provider_succeeded ON refund (provider, succeeded_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_refund_provider_succeeded ON refund');
    await q.query('DROP INDEX idx_payment_provider_paid ON payment');
    for (const name of ['reconciliation_case_log', 'reconciliation_difference', 'reconciliation_bill_row', 'reconciliation_run']) await q.query(`DROP TABLE IF EXISTS ${name}`);
  }
}
