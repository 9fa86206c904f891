/**
 * Benchmark (not a test): how long the order-status sweep takes on this machine.
 *
 *   npm run bench:sweep                 # 10,000 and 100,000 overdue orders
 *   npm run bench:sweep -- 25000        # other sizes
 *
 * Starts its own Temporal dev server and throwaway MariaDB database (the test harness's global
 * setup), an in-process worker and API, seeds N overdue orders (no workflows, as after a legacy
 * import) in a mix of the four tasks, runs the sweep and prints two figures per size:
 *   handed over — the sweep workflow's own run: pages read, every order started/signalled;
 *   all advanced — until the database shows every order in its new status (the order workflows' work).
 */
import 'reflect-metadata';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { DAY, OrderBatch, seedOrders } from '../test/support/overdue-orders';
import { startTestSystem } from '../test/support/system';
import type { SweepProgress } from '../workflows/sweep.contract';
import { measureNoopCeiling } from './noop-ceiling';

/** How long to wait for the order workflows: 45 min, or longer for big runs (at least 10 orders a second). */
const drainLimitMs = (n: number) => Math.max(45 * 60_000, n * 100);

export function mix(n: number): OrderBatch[] {
  const share = (p: number) => Math.round(n * p);
  const batches: OrderBatch[] = [
    { expect: 'CANCELLED', count: share(0.1), status: 'CONFIRM', agoMs: 2 * DAY },
    { expect: 'ROG', count: share(0.4), status: 'SHIPPED', agoMs: 11 * DAY },
    { expect: 'COMPLETE', count: share(0.3), status: 'ROG', agoMs: 8 * DAY },
    { expect: 'PAID_OFF', count: share(0.1), status: 'ROG', paymentType: 'COD', agoMs: 4 * DAY },
  ];
  const used = batches.reduce((sum, b) => sum + b.count, 0);
  batches.push({ expect: 'COMPLETE', count: n - used, status: 'PAID_OFF', paymentType: 'COD', agoMs: 8 * DAY });
  return batches;
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  if (!sizes.length) sizes.push(10_000, 100_000);
  await globalSetup();
  // A cancelled order's workflow lingers for late payments; the benchmark has none to wait for.
  const system = await startTestSystem({ LATE_PAYMENT_WINDOW: '1s', SWEEP_BATCH_SIZE: process.env.SWEEP_BATCH_SIZE ?? '500' });
  const lines: string[] = [];
  try {
    // The engine's ceiling on the same server, first: the sweep's rate is reported as a share of it.
    const noopRate = await measureNoopCeiling(system.temporal, 600, 50);
    lines.push(`no-op ceiling on this server: ${noopRate.toFixed(1)} workflows/s`);
    console.log(lines[0]);
    let seller = 7_000_000;
    for (const n of sizes) {
      seller += 1;
      const batches = mix(n);
      const seedStart = Date.now();
      await seedOrders(system.dataSource, seller, batches);
      console.log(`seeded ${n} overdue orders in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

      const began = Date.now();
      const handle = await system.temporal.workflow.start('orderStatusSweepWorkflow', {
        workflowId: `bench-order-status-sweep-${n}-${began}`,
        taskQueue: system.config.temporal.taskQueues.batch,
        args: [{}],
      });
      const result = (await handle.result()) as SweepProgress;
      const handedOverMs = Date.now() - began;
      const advanced = Object.values(result.tasks).reduce((sum, c) => sum + c.advanced, 0);
      console.log(`  handed over ${advanced} in ${(handedOverMs / 1000).toFixed(1)} s (${result.pages} pages); waiting for the order workflows...`);

      // Each advanced order has exactly one status-changing row in its log (unique event key).
      const remaining = async (): Promise<number> => {
        const [row] = await system.dataSource.query(
          'SELECT COUNT(*) AS n FROM order_log l JOIN orders o ON o.order_sn = l.order_sn WHERE o.seller_id = ? AND l.new_status IS NOT NULL',
          [seller],
        );
        return n - Number(row.n);
      };
      let left = await remaining();
      let lastReport = Date.now();
      while (left > 0 && Date.now() - began < drainLimitMs(n)) {
        await new Promise((r) => setTimeout(r, 2000));
        left = await remaining();
        if (Date.now() - lastReport > 30_000) {
          console.log(`  ${n - left}/${n} advanced after ${((Date.now() - began) / 1000).toFixed(0)} s`);
          lastReport = Date.now();
        }
      }
      const allMs = Date.now() - began;
      const line = left === 0
        ? `${n} overdue orders: handed over in ${(handedOverMs / 1000).toFixed(1)} s (${Math.round(n / (handedOverMs / 1000))}/s), all advanced in ${(allMs / 1000).toFixed(1)} s (${(n / (allMs / 1000)).toFixed(1)}/s, ${((n / (allMs / 1000) / noopRate) * 100).toFixed(0)} % of the no-op ceiling)`
        : `${n} overdue orders: handed over in ${(handedOverMs / 1000).toFixed(1)} s; ${n - left} advanced after ${(allMs / 1000).toFixed(0)} s (stopped waiting)`;
      console.log(line);
      lines.push(line);
    }
  } finally {
    await system.stop();
    await globalTeardown();
  }
  console.log('\nresults (batch size ' + (process.env.SWEEP_BATCH_SIZE ?? '500') + '):');
  for (const line of lines) console.log('  ' + line);
  process.exit(0);
}

// Run as a script (npm run bench:…); imported, it only lends its helpers (bench/priority.ts).
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
