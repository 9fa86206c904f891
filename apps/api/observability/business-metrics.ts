import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../../shared/default-metrics';
import { DataSource } from 'typeorm';
import { ComplainStatus } from '../../../domain';
import { countAfterSalesByTypeStatus, countComplaintsByStatus, countRefundsByProviderStatus } from '../../../db/metrics';

/** The API's one metrics registry, scraped at GET /metrics. Names say what the business counts. */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();

  /** Latency of every answered request, by route pattern (never the raw URL, whose order numbers would explode the series). */
  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** New orders (one per seller in a trade); an idempotent replay of a checkout counts nothing. */
  readonly ordersCreated = new Counter({ name: 'orders_created_total', help: 'Orders created at checkout', labelNames: ['payment_type'] as const, registers: [this.registry] });

  /** What cancel requests were answered: accepted (handed to the workflow), already_cancelled, refused (409). Replays count nothing. */
  readonly cancellationRequests = new Counter({ name: 'orders_cancellation_requests_total', help: 'Cancel requests by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });

  /** Provider notifications: accepted (new, delivered), duplicate (already in the inbox), rejected (signature, amount, unknown trade). */
  readonly notifications = new Counter({ name: 'orders_provider_notifications_total', help: 'Provider notifications by provider and outcome', labelNames: ['provider', 'outcome'] as const, registers: [this.registry] });

  constructor(@Inject(DataSource) dataSource: DataSource) {
    collectProcessMetrics(this.registry);
    // Refunds are the worker's effects; their counts are read from the refund table at scrape time, so
    // they are exact whichever worker (or how many) did the work, and survive restarts.
    new Gauge({
      name: 'orders_refunds',
      help: 'Refunds in the database by provider and status (APPLY, PROCESSING, SUCCESS, ABNORMAL, CLOSED, ...)',
      labelNames: ['provider', 'status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows: { provider: string; status: string; n: string | number }[] = await countRefundsByProviderStatus(dataSource);
        for (const row of rows) this.set({ provider: row.provider, status: row.status }, Number(row.n));
      },
    });
    // After-sales by type and status, read like the refunds: exact whichever worker moved them.
    new Gauge({
      name: 'orders_after_sales',
      help: 'After-sales in the database by service type and status (APPLY, PASS, FULL_COURIER, WAIT_FOR_MANUAL, COMPLETED, ...)',
      labelNames: ['service_type', 'status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows: { service_type: string; status: string; n: string | number }[] = await countAfterSalesByTypeStatus(dataSource);
        for (const row of rows) this.set({ service_type: row.service_type, status: row.status }, Number(row.n));
      },
    });
    // Complaints by status, every status present (zero included), so an open-complaints panel never shows "no data".
    new Gauge({
      name: 'orders_complaints',
      help: 'Complaints in the database by status (NEW, WAIT_APPEAL, COMMUNICATION, WAIT_ARBITRATION, COMPLETE, CANCEL)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const rows: { status: string; n: string | number }[] = await countComplaintsByStatus(dataSource);
        const found = new Map(rows.map((row) => [row.status, Number(row.n)]));
        for (const status of new Set([...Object.values(ComplainStatus), ...found.keys()])) this.set({ status }, found.get(status) ?? 0);
      },
    });
  }
}
