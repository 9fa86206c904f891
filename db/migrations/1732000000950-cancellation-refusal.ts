import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A cancel request the order workflow refused after the API had answered 202 (the cancellation is its
 * own workflow, started without waiting for a worker) ends REFUSED with the order's code and reason,
 * readable on the request (GET /orders/{sn}/cancellations/{id} → `refusal`).
 */
export class CancellationRefusal1732000000950 implements MigrationInterface {
  name = 'CancellationRefusal1732000000950';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE cancellation_request ADD COLUMN refusal_code VARCHAR(40) NULL, ADD COLUMN refusal_reason VARCHAR(500) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE cancellation_request DROP COLUMN refusal_code, DROP COLUMN refusal_reason');
  }
}
