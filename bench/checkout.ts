/**
 * Benchmark (not a test): checkouts per second through the API on this machine, against the engine's
 * ceiling for the one thing every checkout must do there (start a workflow), measured on the same
 * Temporal server in the same run.
 *
 *   npm run bench:checkout                # 400 checkouts, 8 at a time
 *   npm run bench:checkout -- 1000 16     # other count / concurrency
 *
 * Starts its own Temporal dev server, throwaway MariaDB database and Redis prefix (the test harness),
 * an in-process worker and API. Each buyer puts one SKU in buy-now (Redis) and checks out (MySQL
 * transaction with pricing, coupon-free promotions, stock ledger; one order workflow started). The
 * ceiling: the same number of bare workflow starts at the same concurrency, on a task queue no worker
 * polls (so it is the server's start path only), terminated afterwards.
 */
import 'reflect-metadata';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { seedShop } from '../test/support/checkout';
import { startTestSystem } from '../test/support/system';

async function pool<T>(count: number, concurrency: number, run: (i: number) => Promise<T>): Promise<{ ms: number; latencies: number[]; results: T[] }> {
  const latencies: number[] = [];
  const results: T[] = [];
  let next = 0;
  const began = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const start = Date.now();
        results[i] = await run(i);
        latencies.push(Date.now() - start);
      }
    }),
  );
  return { ms: Date.now() - began, latencies: latencies.sort((a, b) => a - b), results };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 400);
  const concurrency = Number(process.argv[3] ?? 8);
  await globalSetup();
  const system = await startTestSystem();
  try {
    const shop = await seedShop(system, { goods: [{ priceFen: 3333, stock: count + 30 }], shippingFen: 500, fullReduction: { thresholdFen: 3000, discountFen: 300 } });
    const buyers = Array.from({ length: count }, (_, i) => 8_000_000 + i);
    const address = { name: 'Bench Buyer', mobile: '13800000000', detail: 'Bench Road 1' };
    // Warm-up (connections, JIT) on other buyers, not counted.
    await pool(20, concurrency, (i) => system.http('PUT', '/buy-now', { token: system.token('buyer', 9_000_000 + i), body: { skuId: shop.skuIds[0], quantity: 1 } }));
    await pool(20, concurrency, (i) => system.http('POST', '/checkout', { token: system.token('buyer', 9_000_000 + i), body: { way: 'BUY_NOW', address } }));

    const cart = await pool(count, concurrency, (i) => system.http('PUT', '/buy-now', { token: system.token('buyer', buyers[i]), body: { skuId: shop.skuIds[0], quantity: 1 } }));
    const checkout = await pool(count, concurrency, (i) =>
      system.http('POST', '/checkout', { token: system.token('buyer', buyers[i]), headers: { 'idempotency-key': `bench-${i}` }, body: { way: 'BUY_NOW', address } }),
    );
    const failed = checkout.results.filter((r) => r.status !== 201);
    if (failed.length) throw new Error(`${failed.length} checkouts failed, e.g. ${JSON.stringify(failed[0])}`);

    const ceilingQueue = `bench-ceiling-${Date.now()}`;
    const ceiling = await pool(count, concurrency, (i) => system.temporal.workflow.start('benchNoop', { workflowId: `${ceilingQueue}-${i}`, taskQueue: ceilingQueue, args: [] }));
    for (const handle of ceiling.results) await handle.terminate('benchmark ceiling run');

    const rate = (r: { ms: number }) => (count / r.ms) * 1000;
    console.log(`\n${count} buyers, ${concurrency} at a time, 2-core machine shared with other work:`);
    console.log(`  PUT /buy-now (Redis)            ${rate(cart).toFixed(0)}/s   p50 ${pct(cart.latencies, 50)} ms  p95 ${pct(cart.latencies, 95)} ms`);
    console.log(`  POST /checkout (trade + order)  ${rate(checkout).toFixed(1)}/s   p50 ${pct(checkout.latencies, 50)} ms  p95 ${pct(checkout.latencies, 95)} ms`);
    console.log(`  bare workflow start (ceiling)   ${rate(ceiling).toFixed(1)}/s   p50 ${pct(ceiling.latencies, 50)} ms  p95 ${pct(ceiling.latencies, 95)} ms`);
    console.log(`  checkout / ceiling              ${(rate(checkout) / rate(ceiling)).toFixed(2)}`);
  } finally {
    await system.stop();
    await globalTeardown();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
