/**
 * Benchmark (not a test): the full order flow against the engine's own ceiling, on the same server.
 *
 *   npm run bench:flow                                   # 200 flows, 40 at a time, no rate limit
 *   npm run bench:flow -- --flows 300 --concurrency 40 --rate 10 --noop 1000
 *   npm run bench:flow -- --cancels 300 --cancel-rate 10            # the cancel phase's size and rate
 *   npm run bench:flow -- --skeleton 0 --kinds 0                     # without the skeleton or the flow kinds
 *   BENCH_WORKER_PROFILE=/tmp/prof npm run bench:flow -- …            # CPU-profile the worker over the full flows (bench/worker-profile.ts)
 *   BENCH_API_PROCESS=1 npm run bench:flow                           # the API as its own process, its CPU apart
 *
 * Starts its own Temporal dev server (WAL, like npm run dev) and throwaway MariaDB database (the test
 * harness's global setup), the payment simulator and the API in this process and the worker as its
 * own process. Then:
 *   1. the no-op ceiling: `--noop` workflows that do nothing, on the same server, as fast as it goes;
 *   2. `--flows` full flows through the HTTP API, both providers alternating: checkout → pay (the
 *      simulator pays, its signed notification reaches the API) → seller cancels → refund → restock →
 *      sales reversed, started at most `--rate` a second with at most `--concurrency` in flight;
 *   3. the flow's skeleton (bench/skeleton.ts), `--skeleton` flows at the same concurrency; then the
 *      engine work of every measured flow and skeleton flow, counted from their histories beside the
 *      server's `action` metric over the same flows (bench/engine-work.ts);
 *   4. the cancel path alone: `--cancels` orders checked out and paid first, then cancelled by their
 *      sellers at `--cancel-rate` a second (default 200 at 10/s); `--cancels 0` skips it;
 *   5. one flow of each kind (test/support/flow-kinds.ts), counted from its histories (`--kinds 0` skips).
 * Progress and completion are read from MySQL (one polling query for all flows), refund submission
 * times from the simulator's request log, so the measurement adds no Temporal queries.
 */
import 'reflect-metadata';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { startPayment } from '../test/support/orders';
import { newSellerId, seedGoods } from '../test/support/fixtures';
import { startTestSystem, TestSystem } from '../test/support/system';
import type { ProviderName } from '../payments';
import { cpuSeconds, drive, percentile, pidOf } from './measure';
import { measureNoopCeiling } from './noop-ceiling';
import { actionMetricNow, reportEngineWork, reportFlowKinds, settleFlows } from './engine-work';
import { measureSkeleton } from './skeleton';
import { ENGINE_WORK_ENV } from '../test/support/flow-kinds';
import { threadCpuDelta, threadSnapshot } from './thread-cpu';
import { monotonicUs, recordProfileWindow, stopProfiledWorker, workerProfileEnv } from './worker-profile';

interface Options {
  flows: number;
  concurrency: number;
  rate: number;
  noop: number;
  noopConcurrency: number;
  /** The cancel phase: this many orders paid beforehand, then cancelled at `cancelRate` a second (0 cancels: no phase). */
  cancels: number;
  cancelRate: number;
  /** Flows of the skeleton (the flow's own shape, no-op bodies) right after the full flows, at their concurrency (0: none). */
  skeleton: number;
  /** 1: end with one flow of each kind, counted from its histories (test/fixtures/engine-work.json pins them). */
  kinds: number;
}

function readOptions(argv: string[]): Options {
  const options: Options = { flows: 200, concurrency: 40, rate: 0, noop: 1000, noopConcurrency: 50, cancels: 200, cancelRate: 10, skeleton: 200, kinds: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isFinite(value) || value < 0) throw new Error(`bad option ${argv[i]} ${argv[i + 1]}; options: --flows --concurrency --rate --noop --noop-concurrency --cancels --cancel-rate --skeleton --kinds`);
    options[key] = value;
  }
  return options;
}

export interface FlowTimes {
  orderSn: string;
  provider: ProviderName;
  checkoutMs?: number;
  cancelSentAt?: number;
  cancelAcceptedMs?: number;
  error?: string;
}

/** One query every 50 ms answers every flow waiting for a status: no per-flow polling. */
export class StatusWatch {
  private readonly waiting = new Map<string, { want: (row: { order_status: string; pay_status: string }) => boolean; resolve: () => void }[]>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly system: TestSystem) {}

  until(orderSn: string, want: (row: { order_status: string; pay_status: string }) => boolean, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`order ${orderSn} did not reach the awaited status in ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiting.get(orderSn) ?? [];
      list.push({ want, resolve: () => (clearTimeout(timeout), resolve()) });
      this.waiting.set(orderSn, list);
      this.timer ??= setTimeout(() => this.poll(), 50);
    });
  }

  private async poll(): Promise<void> {
    const sns = [...this.waiting.keys()];
    if (sns.length) {
      const rows: { order_sn: string; order_status: string; pay_status: string }[] = await this.system.dataSource.query(
        'SELECT order_sn, order_status, pay_status FROM orders WHERE order_sn IN (?)',
        [sns],
      );
      for (const row of rows) {
        const list = this.waiting.get(row.order_sn)!;
        const still = list.filter((w) => (w.want(row) ? (w.resolve(), false) : true));
        if (still.length) this.waiting.set(row.order_sn, still);
        else this.waiting.delete(row.order_sn);
      }
    }
    this.timer = this.waiting.size ? setTimeout(() => this.poll(), 50) : undefined;
  }
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await globalSetup();
  // Cancelled orders' workflows linger for late payments (1 s here); the providers' notifications win
  // every race against the workflows' polls, so the engine work counted is the same flow to flow.
  // BENCH_API_PROCESS=1: the API as its own process (logging as in production), its CPU a row of its own
  // (per request kind: npm run bench:api-cpu).
  const apiApart = process.env.BENCH_API_PROCESS === '1';
  const system = await startTestSystem({ ...ENGINE_WORK_ENV, TEST_WORKER_LOG_LEVEL: 'WARN' }, apiApart ? { apiProcess: {} } : {});
  try {
    // The worker as its own process, so its CPU is measured apart from the API and the driver.
    await system.stopWorker();
    const worker = system.spawnWorkerProcess(workerProfileEnv());
    const temporalPid = ((globalThis as Record<string, unknown>).__temporalServer as { pid?: number }).pid;
    const mariadbPid = pidOf('mariadbd') ?? pidOf('mysqld');

    // Sellers with plenty of stock, spread so checkouts do not queue on one goods row.
    const skus: { sellerId: number; skuId: number }[] = [];
    for (let i = 0; i < 20; i += 1) {
      const sellerId = newSellerId();
      skus.push({ sellerId, skuId: await seedGoods(system.dataSource, { sellerId, priceFen: 12900, stock: 1_000_000 }) });
    }
    const watch = new StatusWatch(system);
    // The worker process must be up (ts-node, bundle loaded) and polling before any clock starts.
    await warmUp(system, skus[0], watch);

    console.log(`no-op ceiling: ${options.noop} workflows, ${options.noopConcurrency} at a time...`);
    const noopCpuBefore = cpuSeconds(temporalPid);
    const noopRate = await measureNoopCeiling(system.temporal, options.noop, options.noopConcurrency);
    const noopServerCpuPerWorkflow = ((cpuSeconds(temporalPid) ?? NaN) - (noopCpuBefore ?? NaN)) / (options.noop + 10);
    console.log(`  ${noopRate.toFixed(1)} workflows/s`);


    const flows: FlowTimes[] = [];
    const actionsBefore = await actionMetricNow();
    const cpuBefore = { temporal: cpuSeconds(temporalPid), worker: cpuSeconds(worker.pid), mariadb: cpuSeconds(mariadbPid), api: cpuSeconds(system.apiProcess?.pid), self: process.cpuUsage() };
    const profileFromUs = monotonicUs();
    const threadsBefore = threadSnapshot(worker.pid);
    console.log(`full flows: ${options.flows}, ${options.concurrency} at a time, ${options.rate ? `${options.rate}/s` : 'no rate limit'}...`);
    const began = Date.now();
    await drive(Array.from({ length: options.flows }, (_, i) => i), options.concurrency, options.rate, async (i) => {
      const provider: ProviderName = i % 2 === 0 ? 'wechatpay' : 'alipay';
      const sku = skus[i % skus.length];
      const flow: FlowTimes = { orderSn: '', provider };
      flows.push(flow);
      try {
        await runFlow(system, watch, sku, 7_000_000 + i, flow);
      } catch (err) {
        flow.error = (err as Error).message;
      }
    });
    const elapsedMs = Date.now() - began;
    const cpuAfter = { temporal: cpuSeconds(temporalPid), worker: cpuSeconds(worker.pid), mariadb: cpuSeconds(mariadbPid), api: cpuSeconds(system.apiProcess?.pid), self: process.cpuUsage(cpuBefore.self) };

    const done = flows.filter((f) => !f.error);
    // Every action of these flows is in the metric once their workflows have closed (the skeleton's are not yet).
    const flowWorkflows = await settleFlows(system, done.map((f) => f.orderSn));
    // Until every workflow of these flows has closed (their last tasks come after REFUNDED): the CPU per workflow task's numerator.
    const workerCpuSettled = (cpuSeconds(worker.pid) ?? NaN) - (cpuBefore.worker ?? NaN);
    const threadsAfter = threadSnapshot(worker.pid);
    recordProfileWindow(profileFromUs, monotonicUs());
    const actionsAfter = await actionMetricNow();
    const skeleton = options.skeleton > 0 ? await runSkeleton(system, options, temporalPid) : undefined;
    const { checkout, accepted, toSubmitted, toRefunded, sampleOf } = await cancelTimings(system, done);
    const flowRate = done.length / (elapsedMs / 1000);
    const cancelRate = accepted.length / (elapsedMs / 1000);

    const row = (name: string, value: string) => console.log(`  ${name.padEnd(36)} ${value}`);
    const pp = (values: number[]) => `p50 ${percentile(values, 50).toFixed(0)} ms   p99 ${percentile(values, 99).toFixed(0)} ms   (n=${values.length})`;
    const cpu = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? 'n/a' : `${(after - before).toFixed(1)} s`);
    console.log(`\nresults (${options.flows} flows, concurrency ${options.concurrency}, rate ${options.rate || 'unlimited'}; ${done.length} completed, ${flows.length - done.length} failed; ${(elapsedMs / 1000).toFixed(1)} s)`);
    row('no-op ceiling (same server)', `${noopRate.toFixed(1)} workflows/s`);
    row('full flows', `${flowRate.toFixed(2)} flows/s   (cancels ${cancelRate.toFixed(1)}/s)`);
    row('ratio to the no-op ceiling', `${((flowRate / noopRate) * 100).toFixed(1)} %`);
    if (skeleton) {
      row('skeleton of the flow (same shape)', `${skeleton.rate.toFixed(2)} flows/s   (${options.skeleton} flows, concurrency ${options.concurrency}; server CPU ${(skeleton.serverCpuPerFlow * 1000).toFixed(0)} ms a flow)`);
      row('full flows / skeleton', `${((flowRate / skeleton.rate) * 100).toFixed(1)} %`);
    }
    row('checkout (POST /trades)', pp(checkout));
    row('cancel accepted (POST → 202)', pp(accepted));
    row('cancel → refund submitted (sim log)', pp(toSubmitted));
    row('cancel → refunded', pp(toRefunded));
    row('CPU temporal dev server', `${cpu(cpuBefore.temporal, cpuAfter.temporal)}   (${(((cpuAfter.temporal ?? NaN) - (cpuBefore.temporal ?? NaN)) / done.length * 1000).toFixed(0)} ms a flow; a no-op workflow ${(noopServerCpuPerWorkflow * 1000).toFixed(1)} ms)`);
    row('CPU worker process', cpu(cpuBefore.worker, cpuAfter.worker));
    if (apiApart) row('CPU api process', `${cpu(cpuBefore.api, cpuAfter.api)}   (${(((cpuAfter.api ?? NaN) - (cpuBefore.api ?? NaN)) / done.length * 1000).toFixed(0)} ms a flow)`);
    row(apiApart ? 'CPU simulator + driver' : 'CPU api + simulator + driver', `${((cpuAfter.self.user + cpuAfter.self.system) / 1e6).toFixed(1)} s`);
    row('CPU mariadb (shared with others)', cpu(cpuBefore.mariadb, cpuAfter.mariadb));
    const work = await reportEngineWork(system, flowWorkflows, done.length, 'full', { before: actionsBefore, after: actionsAfter });
    row('worker CPU per workflow task', `${((workerCpuSettled / work.workflowTasks) * 1000).toFixed(2)} ms   (${workerCpuSettled.toFixed(1)} s from the first flow until all their workflows closed / ${work.workflowTasks} workflow tasks in their histories; activities included)`);
    if (threadsBefore && threadsAfter) {
      const perTask = (cpu: number) => `${((cpu / work.workflowTasks) * 1000).toFixed(2)} ms`;
      console.log(`    by thread: ${threadCpuDelta(threadsBefore, threadsAfter, worker.pid!).filter((t) => t.cpu >= 0.05).map((t) => `${t.name} ${perTask(t.cpu)}`).join(', ')}`);
    }
    if (skeleton) await reportEngineWork(system, skeleton.workflowIds, options.skeleton, 'skeleton', { before: skeleton.actionsBefore, after: skeleton.actionsAfter });
    await printStepBreakdown(system, done.slice(-10).map(sampleOf));
    const errors = flows.filter((f) => f.error).slice(0, 3);
    for (const f of errors) console.log(`  failed ${f.orderSn || '(no order)'}: ${f.error}`);
    if (options.cancels > 0) await cancelPhase(system, watch, skus, options, { row, pp });
    if (options.kinds > 0) await reportFlowKinds(system);
    await stopProfiledWorker(worker);
  } finally {
    await system.stop();
    await globalTeardown();
  }
  process.exit(0);
}

/** The skeleton right after the full flows, on the same server at the same concurrency; its workflows settled and the action metric around them. */
async function runSkeleton(system: TestSystem, options: Options, temporalPid: number | undefined) {
  console.log(`skeleton of the flow: ${options.skeleton} flows, ${options.concurrency} at a time...`);
  let actionsBefore: Awaited<ReturnType<typeof actionMetricNow>>;
  let cpuBefore: number | undefined;
  const { rate, flowIds } = await measureSkeleton(system.temporal, options.skeleton, options.concurrency, { lateWindowMs: system.config.latePaymentWindowMs, refundProcessingMs: 1000 }, {
    beforeMeasured: async () => {
      actionsBefore = await actionMetricNow();
      cpuBefore = cpuSeconds(temporalPid);
    },
  });
  // Until the orders' late-payment windows have run out (measureSkeleton waits for them).
  const serverCpuPerFlow = ((cpuSeconds(temporalPid) ?? NaN) - (cpuBefore ?? NaN)) / options.skeleton;
  const workflowIds = await settleFlows(system, flowIds, (id) => `skeleton-order-${id}`);
  return { rate, serverCpuPerFlow, workflowIds, actionsBefore, actionsAfter: await actionMetricNow() };
}

/** When each flow's cancel was accepted, its refund submitted (the simulator's log) and settled (MySQL). */
export async function cancelTimings(system: TestSystem, done: FlowTimes[]) {
  const sns = done.map((f) => f.orderSn);
  const times: { order_sn: string; refund_sn: string; refunded_at: number | null }[] = sns.length
    ? await system.dataSource.query('SELECT r.order_sn, r.refund_sn, ROUND(UNIX_TIMESTAMP(r.succeeded_at) * 1000) AS refunded_at FROM refund r WHERE r.order_sn IN (?)', [sns])
    : [];
  const submitted = new Map<string, number>();
  for (const request of [...(await system.sim.requests({ operation: 'submitRefund' }))].reverse()) {
    if (request.key) submitted.set(request.key, Date.parse(request.at));
  }
  const byOrder = new Map(times.map((t) => [t.order_sn, t]));
  const since = (f: FlowTimes, at: number | null | undefined) => (at && f.cancelSentAt ? Number(at) - f.cancelSentAt : undefined);
  const series = (pick: (f: FlowTimes) => number | undefined) => done.map(pick).filter((v): v is number => v !== undefined);
  const submittedAt = (f: FlowTimes) => submitted.get(byOrder.get(f.orderSn)?.refund_sn ?? '');
  return {
    /** What printStepBreakdown needs of a flow. */
    sampleOf: (f: FlowTimes) => ({ orderSn: f.orderSn, cancelSentAt: f.cancelSentAt, refundSn: byOrder.get(f.orderSn)?.refund_sn, submittedAt: submittedAt(f) }),
    toSubmittedOf: (f: FlowTimes) => since(f, submittedAt(f)),
    checkout: series((f) => f.checkoutMs),
    accepted: series((f) => f.cancelAcceptedMs),
    toSubmitted: series((f) => since(f, submittedAt(f))),
    toRefunded: series((f) => since(f, byOrder.get(f.orderSn)?.refunded_at)),
  };
}

/**
 * The cancel path alone at a steady rate: `--cancels` orders are checked out and paid first (not
 * measured), then their sellers cancel at `--cancel-rate` a second, however many are still in flight.
 */
async function cancelPhase(
  system: TestSystem,
  watch: StatusWatch,
  skus: { sellerId: number; skuId: number }[],
  options: Options,
  print: { row: (name: string, value: string) => void; pp: (values: number[]) => string },
): Promise<void> {
  console.log(`\ncancel phase: paying ${options.cancels} orders first...`);
  const flows = Array.from({ length: options.cancels }, (_, i): FlowTimes & { sku: (typeof skus)[number] } => ({ orderSn: '', provider: i % 2 === 0 ? 'wechatpay' : 'alipay', sku: skus[i % skus.length] }));
  await drive(flows, 20, 0, async (flow, i) => {
    await placePaidOrder(system, watch, flow.sku, 8_000_000 + i, flow).catch((err: Error) => (flow.error = err.message));
  });
  // Let the payments' own work (notifications, timers re-armed) settle before the clock starts.
  await new Promise((r) => setTimeout(r, 3000));
  const paid = flows.filter((f) => !f.error);
  console.log(`  cancelling ${paid.length} at ${options.cancelRate}/s...`);
  const began = Date.now();
  await drive(paid, paid.length, options.cancelRate, async (flow) => {
    await cancelAndWaitRefunded(system, watch, flow.sku, flow).catch((err: Error) => (flow.error = err.message));
  });
  const elapsedMs = Date.now() - began;
  const done = paid.filter((f) => !f.error);
  const { accepted, toSubmitted, toRefunded, sampleOf, toSubmittedOf } = await cancelTimings(system, done);
  console.log(`\nresults (cancel phase: ${paid.length} cancels offered at ${options.cancelRate}/s; ${done.length} refunded, ${paid.length - done.length} failed; ${(elapsedMs / 1000).toFixed(1)} s)`);
  print.row('cancels offered', `${options.cancelRate}/s`);
  print.row('cancel accepted (POST → 202)', print.pp(accepted));
  print.row('cancel → refund submitted (sim log)', print.pp(toSubmitted));
  print.row('cancel → refunded', print.pp(toRefunded));
  for (const f of paid.filter((x) => x.error).slice(0, 3)) console.log(`  failed ${f.orderSn || '(no order)'}: ${f.error}`);
  // The slowest ten, step by step: where the tail's time goes.
  const slowest = [...done].sort((a, b) => (toSubmittedOf(b) ?? 0) - (toSubmittedOf(a) ?? 0)).slice(0, 10);
  await printStepBreakdown(system, slowest.map(sampleOf), 'the 10 slowest cancels');
}

/** Checkout → pay → PAID_OFF → seller cancels → refunded, restocked, sales reversed (all read from MySQL). */
async function runFlow(system: TestSystem, watch: StatusWatch, sku: { sellerId: number; skuId: number }, buyerId: number, flow: FlowTimes): Promise<void> {
  await placePaidOrder(system, watch, sku, buyerId, flow);
  await cancelAndWaitRefunded(system, watch, sku, flow);
}

export async function placePaidOrder(system: TestSystem, watch: StatusWatch, sku: { sellerId: number; skuId: number }, buyerId: number, flow: FlowTimes): Promise<void> {
  const checkoutStart = Date.now();
  const created = await system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId: sku.skuId, quantity: 1 }], paymentType: 'ONLINE' } });
  flow.checkoutMs = Date.now() - checkoutStart;
  if (created.status !== 201) throw new Error(`checkout ${created.status} ${JSON.stringify(created.body)}`);
  const { orderSn, orderFen } = created.body.orders[0];
  flow.orderSn = orderSn;
  await watch.until(orderSn, (r) => r.order_status === 'CONFIRM');
  const outTradeNo = await startPayment(system, { orderSn, sellerId: sku.sellerId, buyerId, skuId: sku.skuId, orderFen }, flow.provider);
  await system.sim.payTrade(outTradeNo, flow.provider);
  await watch.until(orderSn, (r) => r.order_status === 'PAID_OFF');
}

export async function cancelAndWaitRefunded(system: TestSystem, watch: StatusWatch, sku: { sellerId: number; skuId: number }, flow: FlowTimes, timeoutMs = 120_000): Promise<void> {
  const { orderSn } = flow;
  flow.cancelSentAt = Date.now();
  const cancel = await system.http('POST', `/orders/${orderSn}/cancellations`, { token: system.token('seller', sku.sellerId), headers: { 'idempotency-key': `bench-${orderSn}` }, body: { reason: 'benchmark' } });
  flow.cancelAcceptedMs = Date.now() - flow.cancelSentAt;
  if (cancel.status !== 202) throw new Error(`cancel ${cancel.status} ${JSON.stringify(cancel.body)}`);
  await watch.until(orderSn, (r) => r.pay_status === 'REFUNDED', timeoutMs);
  // Restock and sales reversal precede the close of the request, which precedes REFUNDED.
}

/**
 * Where the time from "cancel accepted" to "refund submitted" goes, step by step, from the histories
 * of a few finished flows (read after the measured window, so it does not disturb it).
 */
export async function printStepBreakdown(system: TestSystem, sample: { orderSn: string; cancelSentAt?: number; refundSn?: string; submittedAt?: number }[], which = `${sample.length} flows`): Promise<void> {
  const steps = new Map<string, number[]>();
  const add = (name: string, from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined) return;
    steps.set(name, [...(steps.get(name) ?? []), to - from]);
  };
  const eventTime = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const history = async (workflowId: string) => (await system.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  for (const { orderSn, cancelSentAt, refundSn, submittedAt } of sample) {
    if (!refundSn) continue;
    const order = await history(`order-${orderSn}`);
    const refund = await history(`refund-${refundSn}`);
    // Each cancel has its own cancel-{orderSn} workflow.
    const cancel = await history(`cancel-${orderSn}`).catch(() => []);
    const accepted = order.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'cancel');
    const acceptedAt = accepted && eventTime(accepted);
    const orderAfter = order.filter((e) => acceptedAt !== undefined && eventTime(e) >= acceptedAt);
    const at = (events: typeof order, pick: (e: (typeof order)[number]) => unknown) => {
      const found = events.find(pick);
      return found ? eventTime(found) : undefined;
    };
    // The barrier that puts the Update in history before its effects (an activity; a 1 ms timer in older runs).
    const barrierDone = at(orderAfter, (e) => e.activityTaskCompletedEventAttributes || e.timerFiredEventAttributes);
    const refundInitiated = at([...orderAfter, ...cancel], (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'refundWorkflow');
    const refundStarted = at(refund, (e) => e.workflowExecutionStartedEventAttributes);
    const refundTaskStarted = at(refund, (e) => e.workflowTaskStartedEventAttributes);
    const submitScheduled = at(refund, (e) => e.activityTaskScheduledEventAttributes);
    add('POST → cancel-{sn} asks, Update accepted', cancelSentAt, acceptedAt);
    add('Update accepted → barrier activity done', acceptedAt, barrierDone);
    add('barrier done → CAS done, refund start sent', barrierDone, refundInitiated);
    add('refund start sent → refund started', refundInitiated, refundStarted);
    add('refund started → its first task runs', refundStarted, refundTaskStarted);
    add('its first task → submit scheduled', refundTaskStarted, submitScheduled);
    add('submit scheduled → request at provider', submitScheduled, submittedAt);
  }
  if (!steps.size) return;
  console.log(`\n  cancel → refund submitted, step by step (median of ${which}, from their histories):`);
  for (const [name, values] of steps) console.log(`    ${name.padEnd(48)} ${percentile(values, 50).toFixed(0)} ms`);
}

export async function warmUp(system: TestSystem, sku: { sellerId: number; skuId: number }, watch: StatusWatch): Promise<void> {
  const flow: FlowTimes = { orderSn: '', provider: 'wechatpay' };
  await runFlow(system, watch, sku, 6_999_999, flow);
}

// Run as a script (npm run bench:…); imported, it only lends its helpers (bench/priority.ts).
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
