import { Counter, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { WebhookEndpointStats, webhookEndpointStats } from '../../db/webhook-endpoints';

/**
 * Webhook delivery as metrics, read from MySQL at scrape time (cached a second) like the other
 * operational metrics: exact whichever worker replica is scraped. Per endpoint (not deleted):
 *   orders_webhook_deliveries_total{endpoint_id, seller_id, outcome}   attempts so far: delivered, failed (a 4xx
 *                                                                      not retried), retried (a failed try)
 *   orders_webhook_backlog_age_seconds{endpoint_id, seller_id}         how long the oldest event not yet settled
 *                                                                      for it has waited (0: up to date)
 *   orders_webhook_endpoint_enabled{endpoint_id, seller_id, status}    1 for its status (ENABLED, DISABLED, PAUSED)
 * The counters live in the endpoint row (written with each attempt), so they never go back on a restart.
 */
export function registerWebhookMetrics(registry: Registry, dataSource: DataSource): void {
  let cached: { at: number; stats: Promise<WebhookEndpointStats[]> } | undefined;
  const stats = () => {
    if (!cached || Date.now() - cached.at > 1000) {
      const read = webhookEndpointStats(dataSource);
      cached = { at: Date.now(), stats: read };
      read.catch(() => (cached = undefined));
    }
    return cached.stats;
  };
  const labels = (s: WebhookEndpointStats) => ({ endpoint_id: String(s.id), seller_id: String(s.sellerId) });
  new Counter({
    name: 'orders_webhook_deliveries_total',
    help: 'Webhook delivery attempts per endpoint by outcome: delivered (2xx), failed (a 4xx not retried), retried (no answer, 5xx, 408/409/429, 3xx)',
    labelNames: ['endpoint_id', 'seller_id', 'outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await stats()) {
        this.inc({ ...labels(s), outcome: 'delivered' }, s.deliveredCount);
        this.inc({ ...labels(s), outcome: 'failed' }, s.failedCount);
        this.inc({ ...labels(s), outcome: 'retried' }, s.failedAttemptCount);
      }
    },
  });
  new Gauge({
    name: 'orders_webhook_backlog_age_seconds',
    help: 'Seconds the oldest event not yet delivered to the endpoint has waited (0: up to date)',
    labelNames: ['endpoint_id', 'seller_id'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await stats()) this.set(labels(s), s.backlogAgeSeconds);
    },
  });
  new Gauge({
    name: 'orders_webhook_endpoint_status',
    help: 'The webhook endpoint\'s status: 1 on its status label (ENABLED, DISABLED, PAUSED)',
    labelNames: ['endpoint_id', 'seller_id', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await stats()) this.set({ ...labels(s), status: s.status }, 1);
    },
  });
}
