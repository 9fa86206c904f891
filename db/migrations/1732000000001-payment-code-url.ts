import { MigrationInterface, QueryRunner } from 'typeorm';

/** Keeps the WeChat Pay code_url (valid 2 h) so the QR image can be served without calling the provider again. */
export class PaymentCodeUrl1732000000001 implements MigrationInterface {
  name = 'PaymentCodeUrl1732000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE payment ADD COLUMN code_url VARCHAR(255) NULL AFTER transaction_id');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE payment DROP COLUMN code_url');
  }
}
