import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order's out-status per stock kind (javashop's es_order_out_status, issue 23 point 5): one row per
 * order and out type (GOODS, GROUPBUY_GOODS), WAIT when the order is written with its reservation,
 * then SUCCESS / FAIL (with the reason) when the order workflow's first step confirms the stock.
 */
export class OrderOutStatus1732000001210 implements MigrationInterface {
  name = 'OrderOutStatus1732000001210';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE order_out_status (
      order_sn VARCHAR(32) NOT NULL,
      out_type VARCHAR(20) NOT NULL,
      out_status VARCHAR(10) NOT NULL,
      reason VARCHAR(255) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (order_sn, out_type)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE order_out_status');
  }
}
