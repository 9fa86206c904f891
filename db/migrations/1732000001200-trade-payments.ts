import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Paying a whole trade at once (issue 23): a trade payment is a `payment` row with `trade_sn` set and
 * no `order_sn` (one out_trade_no, one provider payment for the trade's unpaid orders), and one
 * `payment_share` row per order it pays for, with that order's amount (Σ shares = the payment's
 * amount). Refunds of an order paid this way draw from its share (db/refund-balance.ts). The buyer's
 * Idempotency-Key on POST /trades/{sn}/payment is kept on the attempt it created. `trade_log` records
 * the trade's status moves (NEW → PAID_OFF / CANCELLED).
 */
export class TradePayments1732000001200 implements MigrationInterface {
  name = 'TradePayments1732000001200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment
      MODIFY order_sn VARCHAR(32) NULL,
      ADD COLUMN trade_sn VARCHAR(32) NULL AFTER order_sn,
      ADD COLUMN idempotency_key VARCHAR(128) NULL,
      ADD COLUMN request_hash CHAR(64) NULL,
      ADD KEY idx_payment_trade (trade_sn, provider),
      ADD UNIQUE KEY uk_payment_trade_idempotency (trade_sn, idempotency_key),
      ADD CONSTRAINT chk_payment_owner CHECK ((order_sn IS NULL) <> (trade_sn IS NULL))`);
    await q.query(`CREATE TABLE payment_share (
      out_trade_no VARCHAR(64) NOT NULL,
      order_sn VARCHAR(32) NOT NULL,
      amount_fen INT NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (out_trade_no, order_sn),
      KEY idx_payment_share_order (order_sn),
      CONSTRAINT chk_payment_share_amount CHECK (amount_fen > 0)
    )`);
    // The trade's own log: each status move (db/trades.ts settleTradeStatus), once per event_key.
    await q.query(`CREATE TABLE trade_log (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      trade_sn VARCHAR(32) NOT NULL,
      event_key VARCHAR(64) NOT NULL,
      old_status VARCHAR(16) NOT NULL,
      new_status VARCHAR(16) NOT NULL,
      caused_by_order_sn VARCHAR(32) NOT NULL,
      actor_role VARCHAR(16) NOT NULL,
      actor_id VARCHAR(64) NULL,
      message VARCHAR(500) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_trade_log_event (trade_sn, event_key)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE trade_log');
    await q.query('DROP TABLE payment_share');
    await q.query(`ALTER TABLE payment DROP CONSTRAINT chk_payment_owner, DROP KEY uk_payment_trade_idempotency, DROP KEY idx_payment_trade,
      DROP COLUMN request_hash, DROP COLUMN idempotency_key, DROP COLUMN trade_sn, MODIFY order_sn VARCHAR(32) NOT NULL`);
  }
}
