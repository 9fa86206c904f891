import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Group buys (pintuan). The group workflow owns the group's progress; this row is what the API checks
 * when a buyer joins (open, same SKU, before the deadline) and what support and the sweeps read.
 */
export class GroupBuy1732000000010 implements MigrationInterface {
  name = 'GroupBuy1732000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE group_buy (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      group_id VARCHAR(40) NOT NULL,
      sku_id BIGINT NOT NULL,
      size INT NOT NULL,
      status VARCHAR(16) NOT NULL,
      deadline_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE KEY uk_group_buy (group_id),
      KEY idx_group_buy_status (status, deadline_at),
      CONSTRAINT chk_group_buy_size CHECK (size BETWEEN 2 AND 50)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS group_buy');
  }
}
