import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Linked orders (issue 10, point 7): an after-sale exchange or re-ship sends the buyer a free order of
 * type CHANGE / SUPPLY_AGAIN. It names the order it replaces and the after-sale that asked for it;
 * the unique key on the after-sale makes "create the replacement" happen once per after-sale, however
 * often the activity runs (MariaDB lets any number of ordinary orders keep NULL there).
 */
export class LinkedOrders1732000000800 implements MigrationInterface {
  name = 'LinkedOrders1732000000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders
      ADD COLUMN source_order_sn VARCHAR(32) NULL AFTER group_id,
      ADD COLUMN source_service_sn VARCHAR(64) NULL AFTER source_order_sn,
      ADD UNIQUE KEY uk_orders_source_service (source_service_sn),
      ADD KEY idx_orders_source_order (source_order_sn)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders
      DROP KEY uk_orders_source_service,
      DROP KEY idx_orders_source_order,
      DROP COLUMN source_service_sn,
      DROP COLUMN source_order_sn`);
  }
}
