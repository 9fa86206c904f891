import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The worker's /metrics reads the undelivered provider notifications at every scrape
 * (`orders_provider_notifications_undelivered`, apps/worker/operational-metrics.ts): `delivered_at IS NULL`
 * within the last days. The inbox keeps every notification ever received, so without this index each
 * scrape would read the whole table; with it, only the undelivered rows.
 */
export class NotificationBacklogIndex1732000000900 implements MigrationInterface {
  name = 'NotificationBacklogIndex1732000000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE provider_notification ADD KEY idx_provider_notification_undelivered (delivered_at, received_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE provider_notification DROP KEY idx_provider_notification_undelivered');
  }
}
