import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sellers' API keys for their machines (issue 22; db/seller-api-keys.ts, docs/seller-integration.md).
 * Only the SHA-256 of the secret is kept: the secret itself is shown once, when the key is made. A key
 * is never deleted, only revoked (`revoked_at`), so the order log's `key:{id}` actors keep naming it.
 * `last_used_at` is written at most about once a minute per key (the guard checks it in the UPDATE).
 */
export class SellerApiKeys1732000001000 implements MigrationInterface {
  name = 'SellerApiKeys1732000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE seller_api_key (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      seller_id BIGINT NOT NULL,
      name VARCHAR(100) NOT NULL,
      scopes VARCHAR(255) NOT NULL,
      secret_sha256 BINARY(32) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      last_used_at DATETIME(3) NULL,
      revoked_at DATETIME(3) NULL,
      KEY idx_seller_api_key_seller (seller_id, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS seller_api_key');
  }
}
