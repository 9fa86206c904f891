import { Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { readWorkQueue } from '../../db/support-work-queue';
import { AGE_BUCKETS, ServiceLevels, WORK_KINDS, WorkItem, ageBucket } from '../../domain/support-work';

/**
 * Support's work queue as metrics, read from MySQL at scrape time like the other operational metrics
 * (operational-metrics.ts): exact whichever replica scrapes, and nothing to keep in step.
 *   orders_support_work_items{kind, age_bucket}   items waiting on a person; age_bucket within | overdue | overdue_2x
 *                                                 against the kind's service level (SUPPORT_SLA_*)
 *   orders_support_work_oldest_age_seconds{kind}  the longest wait of the kind (0 when none waits)
 *   orders_support_work_escalated{kind}           items the overdue marker has escalated and still waiting
 */
export function registerSupportQueueMetrics(registry: Registry, dataSource: DataSource, levels: ServiceLevels): void {
  let cached: { at: number; items: Promise<WorkItem[]> } | undefined;
  const items = () => {
    if (!cached || Date.now() - cached.at > 1000) {
      const read = readWorkQueue(dataSource);
      cached = { at: Date.now(), items: read };
      read.catch(() => (cached = undefined));
    }
    return cached.items;
  };
  new Gauge({
    name: 'orders_support_work_items',
    help: 'Items waiting on support, by kind and age bucket against the kind\'s service level (within, overdue, overdue_2x)',
    labelNames: ['kind', 'age_bucket'] as const,
    registers: [registry],
    async collect() {
      const counts = new Map<string, number>();
      for (const item of await items()) {
        const key = `${item.kind}/${ageBucket(item.ageMs, levels[item.kind])}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      // Every kind and bucket, zeros included: alerts compare values instead of guessing at absent series.
      for (const kind of WORK_KINDS) for (const bucket of AGE_BUCKETS) this.set({ kind, age_bucket: bucket }, counts.get(`${kind}/${bucket}`) ?? 0);
    },
  });
  new Gauge({
    name: 'orders_support_work_oldest_age_seconds',
    help: 'Seconds the oldest item of each kind has waited on support (0 when none waits)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const all = await items();
      for (const kind of WORK_KINDS) this.set({ kind }, Math.max(0, ...all.filter((i) => i.kind === kind).map((i) => i.ageMs)) / 1000);
    },
  });
  new Gauge({
    name: 'orders_support_work_escalated',
    help: 'Items escalated by the overdue marker (past their service level) and still waiting, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const all = await items();
      for (const kind of WORK_KINDS) this.set({ kind }, all.filter((i) => i.kind === kind && i.escalated).length);
    },
  });
}
