/**
 * Benchmark (not a test): does a seller's cancel still get its refund out quickly while the daily
 * sweep works through a backlog? (issue 24, "Priority, measured")
 *
 *   npm run bench:priority                               # 10,000 overdue orders, 150 cancels at 5/s per phase
 *   npm run bench:priority -- --overdue 10000 --cancels 150 --cancel-rate 5 --modes before,off,on
 *
 * On one Temporal dev server (the test harness's global setup: new matcher, one partition), for each
 * mode a fresh system (API, simulator, its own database and task queue, the worker as its own process):
 *   before — as before issue 24: WORK_PRIORITIES=off, the SDK's default worker slots, the sweep's old
 *            in-flight bound (two pages, SWEEP_MAX_IN_FLIGHT=1000);
 *   off    — WORK_PRIORITIES=off with this environment's worker tuning and SWEEP_MAX_IN_FLIGHT;
 *   on     — WORK_PRIORITIES=on with the same (after).
 * Each mode:
 *   1. pays 2 × `--cancels` orders through the API (not measured);
 *   2. alone: their sellers cancel `--cancels` of them at `--cancel-rate` a second;
 *   3. seeds `--overdue` overdue orders and starts the order-status sweep (at batch priority when on);
 *      once it is handing orders over, the other `--cancels` are cancelled the same way.
 * Printed per mode: cancel → refund submitted (the simulator's request log) p50/p99 alone and during
 * the sweep, and the p99 ratio; then where the slowest cancels' time went, step by step. The sweep is
 * not waited for: the system (and its worker) is stopped after the measurement.
 * Worker tuning, SWEEP_MAX_IN_FLIGHT and SWEEP_BATCH_SIZE come from the environment as for the real worker.
 */
import 'reflect-metadata';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workPriority } from '../domain';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { newSellerId, seedGoods } from '../test/support/fixtures';
import { seedOrders } from '../test/support/overdue-orders';
import { startTestSystem, TestSystem } from '../test/support/system';
import type { SweepProgress } from '../workflows/sweep.contract';
import { FlowTimes, StatusWatch, cancelAndWaitRefunded, cancelTimings, placePaidOrder, printStepBreakdown, warmUp } from './flow';
import { drive, percentile } from './measure';
import { mix } from './sweep';

interface Options {
  overdue: number;
  cancels: number;
  cancelRate: number;
  modes: Mode[];
}

function readOptions(argv: string[]): Options {
  const options: Options = { overdue: 10_000, cancels: 150, cancelRate: 5, modes: ['before', 'on'] };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--modes') options.modes = value.split(',').map((m) => (m in MODES ? (m as Mode) : fail(`--modes takes before, off and/or on, not ${m}`)));
    else if (key === '--overdue' || key === '--cancels' || key === '--cancel-rate') {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) fail(`${key} needs a positive number`);
      if (key === '--overdue') options.overdue = n;
      else if (key === '--cancels') options.cancels = n;
      else options.cancelRate = n;
    } else fail(`unknown option ${key}; options: --overdue --cancels --cancel-rate --modes`);
  }
  return options;
}

function fail(message: string): never {
  throw new Error(message);
}

type Mode = 'before' | 'off' | 'on';
/** Each mode's settings over the environment's (an empty value: unset, the SDK's default). */
const MODES: Record<Mode, { label: string; env: Record<string, string> }> = {
  before: {
    label: 'before (priorities off, default slots, in-flight 1000)',
    env: { WORK_PRIORITIES: 'off', SWEEP_MAX_IN_FLIGHT: '1000', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '', WORKER_WORKFLOW_TASK_POLLERS: '', WORKER_MAX_CONCURRENT_ACTIVITIES: '', WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '', WORKER_ACTIVITY_TASK_POLLERS: '' },
  },
  off: { label: 'priorities off, this tuning', env: { WORK_PRIORITIES: 'off' } },
  on: { label: 'after (priorities on, this tuning)', env: { WORK_PRIORITIES: 'on' } },
};

type Sku = { sellerId: number; skuId: number };
type Cancel = FlowTimes & { sku: Sku };

interface ModeResult {
  mode: Mode;
  alone: number[];
  during: number[];
  failed: number;
  sweepNote: string;
}

const pp = (values: number[]) => `p50 ${percentile(values, 50).toFixed(0)} ms   p99 ${percentile(values, 99).toFixed(0)} ms   (n=${values.length})`;
/** Cancels of slow phases are waited for this long: a starved refund must be measured, not dropped. */
const CANCEL_WAIT_MS = 20 * 60_000;

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await globalSetup();
  const results: ModeResult[] = [];
  try {
    for (const mode of options.modes) results.push(await runMode(mode, options));
  } finally {
    await globalTeardown();
  }
  const tuning = ['SWEEP_MAX_IN_FLIGHT', 'SWEEP_BATCH_SIZE', 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', 'WORKER_WORKFLOW_TASK_POLLERS', 'WORKER_MAX_CONCURRENT_ACTIVITIES', 'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES'].map((n) => `${n}=${process.env[n] ?? '(default)'}`).join(' ');
  console.log(`\nresults: cancel → refund submitted, ${options.cancels} cancels at ${options.cancelRate}/s per phase, sweep of ${options.overdue} overdue orders; ${tuning}`);
  for (const r of results) {
    const ratio = percentile(r.during, 99) / percentile(r.alone, 99);
    const label = MODES[r.mode].label.padEnd(55);
    console.log(`  ${label}  alone:  ${pp(r.alone)}`);
    console.log(`  ${' '.repeat(label.length)}  during: ${pp(r.during)}`);
    console.log(`  ${' '.repeat(label.length)}  p99 during / alone: ${ratio.toFixed(2)}×   p50: ${(percentile(r.during, 50) / percentile(r.alone, 50)).toFixed(2)}×   failed cancels: ${r.failed}   ${r.sweepNote}`);
  }
  process.exit(0);
}

async function runMode(mode: Mode, options: Options): Promise<ModeResult> {
  console.log(`\n=== ${MODES[mode].label} ===`);
  // Its own database (the sweep scans every order in it) and task queue (leftovers of the other mode stay on theirs).
  const system = await startTestSystem({ LATE_PAYMENT_WINDOW: '1s', TEST_WORKER_LOG_LEVEL: 'WARN', ...MODES[mode].env }, { ownDatabase: true });
  try {
    // The worker as its own process, as deployed: its CPU apart from the API, simulator and this driver.
    await system.stopWorker();
    system.spawnWorkerProcess();
    const skus: Sku[] = [];
    for (let i = 0; i < 20; i += 1) {
      const sellerId = newSellerId();
      skus.push({ sellerId, skuId: await seedGoods(system.dataSource, { sellerId, priceFen: 12900, stock: 1_000_000 }) });
    }
    const watch = new StatusWatch(system);
    await warmUp(system, skus[0], watch);

    console.log(`paying ${2 * options.cancels} orders first...`);
    const orders: Cancel[] = Array.from({ length: 2 * options.cancels }, (_, i) => ({ orderSn: '', provider: i % 2 === 0 ? 'wechatpay' : 'alipay', sku: skus[i % skus.length] }));
    await drive(orders, 20, 0, async (order, i) => {
      await placePaidOrder(system, watch, order.sku, 8_000_000 + i, order).catch((err: Error) => (order.error = err.message));
    });
    const paid = orders.filter((o) => !o.error);
    // Let the payments' own work (notifications, timers re-armed) settle before the clock starts.
    await new Promise((r) => setTimeout(r, 3000));
    const [aloneSet, duringSet] = [paid.slice(0, options.cancels), paid.slice(options.cancels)];

    console.log(`alone: cancelling ${aloneSet.length} at ${options.cancelRate}/s...`);
    const alone = await cancelPhase(system, watch, aloneSet, options.cancelRate);
    console.log(`  cancel → refund submitted ${pp(alone.submitted)}`);

    const seller = 7_500_000 + Math.floor(Math.random() * 100_000);
    await seedOrders(system.dataSource, seller, mix(options.overdue));
    const sweepId = `bench-priority-sweep-${mode}-${Date.now()}`;
    const sweep = await system.temporal.workflow.start('orderStatusSweepWorkflow', {
      workflowId: sweepId,
      // Where its schedule starts it: the batch queue, served by the worker's batch Worker (domain/task-queues.ts).
      taskQueue: system.config.temporal.taskQueues.batch,
      args: [{}],
      // As its schedule starts it (apps/worker/schedules.ts): batch priority, or none when off.
      priority: workPriority('order-status-sweep', mode === 'on'),
    });
    // The sweep is under way (orders handed over, its backlog on the queue) before the cancels start.
    const handedOver = async () => Number((await system.dataSource.query('SELECT COUNT(*) AS n FROM sweep_handover'))[0].n);
    const sweepBegan = Date.now();
    while ((await handedOver()) < 100 && Date.now() - sweepBegan < 300_000) await new Promise((r) => setTimeout(r, 500));
    console.log(`sweep of ${options.overdue} handing over (${await handedOver()} after ${((Date.now() - sweepBegan) / 1000).toFixed(0)} s); during: cancelling ${duringSet.length} at ${options.cancelRate}/s...`);
    // The sweep's own progress meanwhile: overdue orders its workflows moved on (one status row each).
    const advanced = async () => Number((await system.dataSource.query('SELECT COUNT(*) AS n FROM order_log l JOIN orders o ON o.order_sn = l.order_sn WHERE o.seller_id = ? AND l.new_status IS NOT NULL', [seller]))[0].n);
    const [advancedBefore, duringBegan] = [await advanced(), Date.now()];
    const during = await cancelPhase(system, watch, duringSet, options.cancelRate);
    const [advancedAfter, duringSeconds] = [await advanced(), (Date.now() - duringBegan) / 1000];
    const handedAtEnd = await handedOver();
    const running = (await sweep.describe()).status.name === 'RUNNING';
    // The keys the server recorded: a checkout's order, and an order the sweep resumed.
    const keyOf = async (workflowId: string) => (await system.temporal.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.priority?.priorityKey || 'none';
    console.log(`  priority keys recorded: checkout's order ${await keyOf(`order-${duringSet[0].orderSn}`)}, sweep-resumed order ${await keyOf(`order-W${seller}0000001`)}, sweep ${await keyOf(sweepId)}`);
    const sweepNote = `sweep ${running ? 'still running' : 'finished'} when the last cancel was refunded (${handedAtEnd}/${options.overdue} claimed; it advanced ${advancedAfter - advancedBefore} orders during the cancels, ${((advancedAfter - advancedBefore) / duringSeconds).toFixed(1)}/s)`;
    console.log(`  cancel → refund submitted ${pp(during.submitted)}; ${sweepNote}`);
    await during.breakdown();
    if (running) await sweep.terminate('benchmark measured').catch(() => undefined);
    return { mode, alone: alone.submitted, during: during.submitted, failed: alone.failed + during.failed, sweepNote: running ? `sweep meanwhile: ${((advancedAfter - advancedBefore) / duringSeconds).toFixed(1)} orders/s` : '(sweep finished before the cancels: during figures understate)' };
  } finally {
    await system.stop();
  }
}

/** Cancels `orders` at `rate` a second, each waited for until refunded; cancel → refund submitted per order. */
async function cancelPhase(system: TestSystem, watch: StatusWatch, orders: Cancel[], rate: number) {
  await drive(orders, orders.length, rate, async (order) => {
    await cancelAndWaitRefunded(system, watch, order.sku, order, CANCEL_WAIT_MS).catch((err: Error) => (order.error = err.message));
  });
  const done = orders.filter((o) => !o.error);
  for (const o of orders.filter((x) => x.error).slice(0, 3)) console.log(`  failed ${o.orderSn}: ${o.error}`);
  const { toSubmitted, toSubmittedOf, sampleOf } = await cancelTimings(system, done);
  return {
    submitted: toSubmitted,
    failed: orders.length - done.length,
    /** Where the ten slowest cancels' time went, from their histories (read after the measurement). */
    breakdown: async () => {
      const slowest = [...done].sort((a, b) => (toSubmittedOf(b) ?? 0) - (toSubmittedOf(a) ?? 0)).slice(0, 10);
      await printStepBreakdown(system, slowest.map(sampleOf), 'the 10 slowest cancels during the sweep');
    },
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
