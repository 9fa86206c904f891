/**
 * Benchmark (not a test): the API's CPU per request, by kind, with the API as its own OS process.
 *
 *   npm run bench:api-cpu                                   # 200 orders, 20 requests in flight
 *   npm run bench:api-cpu -- --orders 400 --concurrency 20 --warmup 40
 *   npm run bench:api-cpu -- --profile 1                    # also a CPU profile per kind (bench/api-profiles/)
 *
 * The API runs as production does (apps/api/main.ts, JSON log lines at info, to nowhere); the worker
 * has its own process; the simulator and this driver share this one. After `--warmup` full flows (JIT,
 * pools, caches), `--orders` orders go through one request kind at a time, each phase ending when its
 * effects have settled (statuses read from MySQL, which does not touch the API):
 *   checkout (POST /trades) → payment start per provider (POST /orders/{sn}/payment) → payment
 *   notification per provider (the simulator's signed POST /notify/{provider}) → cancel
 *   (POST /orders/{sn}/cancellations, the refund notifications held back by the simulator) → refund
 *   notifications (released).
 * For each phase: the API process's CPU (from /proc) over the phase, less its idle CPU rate (metrics,
 * pools' keep-alives, measured for 10 s beforehand) times the phase's length, divided by the requests
 * (the raw figure, without that correction, is printed beside it).
 * With `--profile 1` the API is started with --inspect and each phase is also profiled over the inspector
 * (bench/inspector-profiler.ts); profiling costs CPU, so compare CPU figures from runs without it.
 * Summarise a profile with `npm run -s bench:cpu-profile -- <file>`.
 */
import 'reflect-metadata';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { freePort } from '../test/support/free-port';
import { newSellerId, seedGoods } from '../test/support/fixtures';
import { startTestSystem, TestSystem } from '../test/support/system';
import { ENGINE_WORK_ENV } from '../test/support/flow-kinds';
import { startPayment } from '../test/support/orders';
import type { ProviderName } from '../payments';
import { cpuSeconds, drive } from './measure';
import { threadSnapshot } from './thread-cpu';
import { FlowTimes, StatusWatch, cancelAndWaitRefunded, placePaidOrder } from './flow';
import { InspectorProfiler } from './inspector-profiler';
import { printSummary, summarise } from './cpuprofile-summary';

interface Options {
  orders: number;
  concurrency: number;
  warmup: number;
  /** 1: a CPU profile of the API per phase, written to bench/api-profiles/ and summarised. */
  profile: number;
}

function readOptions(argv: string[]): Options {
  const options: Options = { orders: 200, concurrency: 20, warmup: 30, profile: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isFinite(value) || value < 0) throw new Error(`bad option ${argv[i]} ${argv[i + 1]}; options: --orders --concurrency --warmup --profile`);
    options[key] = value;
  }
  return options;
}

interface Order {
  provider: ProviderName;
  sku: { sellerId: number; skuId: number };
  buyerId: number;
  orderSn: string;
  orderFen: number;
  outTradeNo: string;
}

interface PhaseResult {
  name: string;
  file: string;
  /** Its profiles, one per measured window (with --profile). */
  files: string[];
  /** CPU ms by thread kind over the phase: JavaScript's main thread, V8's helpers (GC, compilers), the rest. */
  threads: Record<string, number>;
  requests: number;
  cpuMs: number;
  idleMs: number;
  wallMs: number;
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await globalSetup();
  const inspectPort = options.profile ? await freePort() : undefined;
  const system = await startTestSystem({ ...ENGINE_WORK_ENV, TEST_WORKER_LOG_LEVEL: 'WARN' }, { apiProcess: { execArgv: inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [] } });
  const profileDir = join(__dirname, 'api-profiles');
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  try {
    await system.stopWorker();
    system.spawnWorkerProcess();
    const apiPid = system.apiProcess!.pid!;
    const skus: Order['sku'][] = [];
    for (let i = 0; i < 20; i += 1) {
      const sellerId = newSellerId();
      skus.push({ sellerId, skuId: await seedGoods(system.dataSource, { sellerId, priceFen: 12900, stock: 1_000_000 }) });
    }
    const watch = new StatusWatch(system);

    console.log(`warm-up: ${options.warmup} full flows...`);
    await drive(Array.from({ length: options.warmup }, (_, i) => i), 10, 0, async (i) => {
      const flow: FlowTimes = { orderSn: '', provider: i % 2 ? 'alipay' : 'wechatpay' };
      await placePaidOrder(system, watch, skus[i % skus.length], 6_000_000 + i, flow);
      await cancelAndWaitRefunded(system, watch, skus[i % skus.length], flow);
    });
    // V8's helper threads keep compiling and collecting for a while after the warm-up: let them finish.
    await new Promise((r) => setTimeout(r, 5000));
    const profiler = inspectPort ? await InspectorProfiler.connect(inspectPort) : undefined;
    // What the API spends with no request at all (timers, pools, clients' keep-alives): profiled too.
    await profiler?.start();
    const idleBefore = cpuSeconds(apiPid)!;
    const idleThreads = threadCpuMs(apiPid);
    await new Promise((r) => setTimeout(r, 10_000));
    const idleMsPerSecond = ((cpuSeconds(apiPid)! - idleBefore) * 1000) / 10;
    const idleSplit = Object.entries(threadCpuMs(apiPid)).map(([kind, ms]) => `${kind} ${((ms - (idleThreads[kind] ?? 0)) / 10).toFixed(1)}`).join(', ');
    await profiler?.stopTo(join(profileDir, 'idle.cpuprofile'));
    console.log(`  API idle: ${idleMsPerSecond.toFixed(1)} ms CPU a second (${idleSplit})`);
    const results: PhaseResult[] = [];
    /** Runs one measured window of a phase; a phase run in batches adds up its windows (and profiles). */
    const phase = async (name: string, file: string, requests: number, run: () => Promise<void>) => {
      let result = results.find((r) => r.name === name);
      if (!result) results.push((result = { name, file, files: [], threads: {}, requests: 0, cpuMs: 0, idleMs: 0, wallMs: 0 }));
      if (!result.files.length) console.log(`${name}...`);
      await profiler?.start();
      const cpuBefore = cpuSeconds(apiPid)!;
      const threadsBefore = threadCpuMs(apiPid);
      const began = Date.now();
      await run();
      const wallMs = Date.now() - began;
      const cpuMs = (cpuSeconds(apiPid)! - cpuBefore) * 1000;
      for (const [kind, ms] of Object.entries(threadCpuMs(apiPid))) result.threads[kind] = (result.threads[kind] ?? 0) + ms - (threadsBefore[kind] ?? 0);
      const profileFile = join(profileDir, `${file}${result.files.length ? `-${result.files.length + 1}` : ''}.cpuprofile`);
      if (profiler) await profiler.stopTo(profileFile);
      result.files.push(profileFile);
      result.requests += requests;
      result.cpuMs += cpuMs;
      result.idleMs += (idleMsPerSecond * wallMs) / 1000;
      result.wallMs += wallMs;
    };

    const orders: Order[] = Array.from({ length: options.orders }, (_, i) => ({ provider: i % 2 ? 'alipay' : 'wechatpay', sku: skus[i % skus.length], buyerId: 7_000_000 + i, orderSn: '', orderFen: 0, outTradeNo: '' }));
    const each = (list: Order[], work: (order: Order) => Promise<void>) => drive(list, options.concurrency, 0, work);
    const settle = () => new Promise((r) => setTimeout(r, 500));

    // Each phase ends once the API has answered its requests (plus a moment for work it does after
    // answering, e.g. waking webhook workflows); what the worker does next is awaited between phases.
    await phase('checkout (POST /trades)', 'checkout', orders.length, async () => {
      await each(orders, async (order) => {
        const created = await system.http('POST', '/trades', { token: system.token('buyer', order.buyerId), headers: { 'idempotency-key': `api-cpu-${order.buyerId}` }, body: { items: [{ skuId: order.sku.skuId, quantity: 1 }], paymentType: 'ONLINE' } });
        if (created.status !== 201) throw new Error(`checkout ${created.status} ${JSON.stringify(created.body)}`);
        order.orderSn = created.body.orders[0].orderSn;
        order.orderFen = created.body.orders[0].orderFen;
      });
      await settle();
    });
    await Promise.all(orders.map((o) => watch.until(o.orderSn, (r) => r.order_status === 'CONFIRM')));
    for (const provider of ['wechatpay', 'alipay'] as const) {
      const mine = orders.filter((o) => o.provider === provider);
      await phase(`payment start, ${provider} (POST /orders/{sn}/payment)`, `payment-${provider}`, mine.length, async () => {
        // Alipay's includes the buyer's browser posting the signed cashier form to the simulator (not the API's work).
        await each(mine, async (order) => void (order.outTradeNo = await startPayment(system, { ...order, sellerId: order.sku.sellerId, skuId: order.sku.skuId }, provider)));
        await settle();
      });
    }
    const deliveries: Record<string, number> = {};
    for (const provider of ['wechatpay', 'alipay'] as const) {
      const mine = orders.filter((o) => o.provider === provider);
      const name = `payment notification, ${provider} (POST /notify/${provider})`;
      const since = (await system.sim.notifications()).length;
      await phase(name, `notify-${provider}`, mine.length, async () => {
        await each(mine, async (order) => void (await system.sim.payTrade(order.outTradeNo, provider)));
        await waitFor(async () => (await system.sim.notifications()).slice(since).filter((n) => n.acked).length >= mine.length);
        await settle();
      });
      deliveries[name] = (await system.sim.notifications()).length - since;
      await Promise.all(mine.map((o) => watch.until(o.orderSn, (r) => r.order_status === 'PAID_OFF')));
    }
    // Cancels in batches of `--concurrency`: each batch's refund notifications are held by the simulator
    // while its cancels are measured, then released and measured on their own (one burst of them all
    // would outrun the simulator's ack timeout, and its give-ups would leave refunds unsettled).
    let refundDeliveries = 0;
    let submitted = (await system.sim.requests({ operation: 'submitRefund' })).length;
    for (let at = 0; at < orders.length; at += options.concurrency) {
      const batch = orders.slice(at, at + options.concurrency);
      await system.sim.controlNotifications({ kind: 'refund', mode: 'reorder', count: batch.length });
      await phase('cancel (POST /orders/{sn}/cancellations)', 'cancel', batch.length, async () => {
        await each(batch, async (order) => {
          const cancel = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sku.sellerId), headers: { 'idempotency-key': `api-cpu-${order.orderSn}` }, body: { reason: 'benchmark' } });
          if (cancel.status !== 202) throw new Error(`cancel ${cancel.status} ${JSON.stringify(cancel.body)}`);
        });
        await settle();
      });
      // The batch's refunds submitted and settled at the simulator (1 s), their notifications held.
      await waitFor(async () => (await system.sim.requests({ operation: 'submitRefund' })).length >= submitted + batch.length);
      submitted += batch.length;
      await new Promise((r) => setTimeout(r, 1500));
      const notified = (await system.sim.notifications()).length;
      await phase('refund notification (both providers)', 'notify-refund', batch.length, async () => {
        await system.sim.flushNotifications();
        await waitFor(async () => (await system.sim.notifications()).slice(notified).filter((n) => n.acked).length >= batch.length);
        await settle();
      });
      refundDeliveries += (await system.sim.notifications()).length - notified;
    }
    deliveries['refund notification (both providers)'] = refundDeliveries;
    profiler?.close();

    console.log(`\nresults (API process CPU from /proc, less ${idleMsPerSecond.toFixed(1)} ms/s idle; ${options.orders} orders, ${options.concurrency} in flight${options.profile ? '; PROFILED: CPU inflated by sampling' : ''})`);
    for (const r of results) {
      console.log(`  ${r.name.padEnd(58)} ${((r.cpuMs - r.idleMs) / r.requests).toFixed(2).padStart(6)} ms CPU a request   (raw ${(r.cpuMs / r.requests).toFixed(2)} ms: ${(r.cpuMs / 1000).toFixed(2)} s over ${(r.wallMs / 1000).toFixed(1)} s, n=${r.requests}; ${Object.entries(r.threads).map(([kind, ms]) => `${kind} ${((ms / r.cpuMs) * 100).toFixed(0)} %`).join(', ')})`);
    }
    const perFlow = results.reduce((sum, r) => sum + (r.cpuMs - r.idleMs), 0) / options.orders;
    console.log(`  ${'the API per flow (all of the above)'.padEnd(58)} ${perFlow.toFixed(2).padStart(6)} ms CPU`);
    for (const [name, count] of Object.entries(deliveries)) console.log(`  ${name}: ${count} deliveries (attempts) for ${orders.length / (name.startsWith('refund') ? 1 : 2)} notifications`);
    if (options.profile) {
      for (const r of results) {
        console.log(`\n${r.name}: ${r.files.map((f) => basename(f)).join(', ')} in ${profileDir}`);
        printSummary(summarise(r.files.map((f) => JSON.parse(readFileSync(f, 'utf8')))), 12);
      }
    }
  } finally {
    await system.stop();
    await globalTeardown();
  }
  process.exit(0);
}

/** CPU ms of a process's threads by kind (thread-cpu.ts's /proc snapshot): main (JavaScript), v8 (GC and compiler helpers), other. */
function threadCpuMs(pid: number): Record<string, number> {
  const byKind: Record<string, number> = { main: 0, v8: 0, other: 0 };
  for (const [tid, thread] of threadSnapshot(pid)?.threads ?? []) {
    const kind = tid === pid ? 'main' : thread.name.startsWith('V8') ? 'v8' : 'other';
    byKind[kind] += thread.cpu * 1000;
  }
  return byKind;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
