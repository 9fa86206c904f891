import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refund pacing (the providers' spacing and count rules, domain/refund-provider-rules.ts) and the
 * payment's status after partial refunds.
 * - payment.next_refund_at: the earliest instant the payment's next refund may be submitted. A refund
 *   workflow claims its slot under the payment row's lock (activities/refund-slots.ts), so two refunds
 *   of one payment never both go to the provider inside the spacing.
 * - refund.submit_slot_at / slot_claims: the slot this refund holds and how many it has claimed (a
 *   claim is idempotent per number: a retried activity gets the same slot).
 * - refund.payment_refund_no: the refund's position among its payment's refunds (1..50 at WeChat
 *   Pay), unique per payment, so the count rule holds under concurrency (the key also serves the
 *   per-payment sums by out_trade_no).
 * - A partial refund used to mark the whole payment REFUNDED: such rows become PARTIALLY_REFUNDED.
 */
export class RefundPacing1732000000600 implements MigrationInterface {
  name = 'RefundPacing1732000000600';

  async up(q: QueryRunner): Promise<void> {
    // PARTIALLY_REFUNDED is 18 characters.
    await q.query(`ALTER TABLE payment MODIFY status VARCHAR(20) NOT NULL, ADD COLUMN next_refund_at DATETIME(3) NULL`);
    await q.query(`ALTER TABLE refund
      ADD COLUMN submit_slot_at DATETIME(3) NULL,
      ADD COLUMN slot_claims INT NOT NULL DEFAULT 0,
      ADD COLUMN payment_refund_no INT NULL,
      ADD UNIQUE KEY uk_refund_payment_no (out_trade_no, payment_refund_no)`);
    await q.query(`UPDATE payment p SET p.status = 'PARTIALLY_REFUNDED'
      WHERE p.status = 'REFUNDED'
        AND p.amount_fen > (SELECT COALESCE(SUM(r.refund_fen), 0) FROM refund r WHERE r.out_trade_no = p.out_trade_no AND r.status = 'SUCCESS')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE payment SET status = 'REFUNDED' WHERE status = 'PARTIALLY_REFUNDED'`);
    await q.query(`ALTER TABLE refund DROP INDEX uk_refund_payment_no, DROP COLUMN submit_slot_at, DROP COLUMN slot_claims, DROP COLUMN payment_refund_no`);
    await q.query(`ALTER TABLE payment DROP COLUMN next_refund_at, MODIFY status VARCHAR(16) NOT NULL`);
  }
}
