/**
 * Benchmark (not a test): one worker vs two on the same task queue, and two surviving one being killed.
 *
 *   npm run bench:scale-out                       # 30 flows per phase, 10 at a time, on a fresh dev server
 *   npm run bench:scale-out -- 60 15              # flows per phase, concurrency
 *   TEST_TEMPORAL_ADDRESS=127.0.0.1:7800 npm run bench:scale-out   # on npm run temporal:server
 *
 * A flow is a paid order's whole cancellation through the HTTP API: checkout → WeChat Pay payment
 * (signed notification) → seller cancels → refund (simulator, PROCESSING 1 s) → stock and sales back →
 * cancellation COMPLETED. Workers are real processes (apps/worker/main.ts). Prints, on the same server in
 * the same run: the engine's no-op ceiling (workflows/s), flows/s with one worker, with two (and each
 * one's share of activities), and with two of which one is SIGKILLed a third of the way through.
 */
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Runtime, Worker } from '@temporalio/worker';
import { connectWorkerConnection, temporalDataConverter } from '../apps/shared/temporal';
import { createLogger, PinoSdkLogger } from '../apps/shared/logger';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';
import { freePort } from '../test/support/free-port';
import { placePaidOrder } from '../test/support/orders';
import { TestSystem, eventually, startTestSystem } from '../test/support/system';

Runtime.install({ logger: new PinoSdkLogger(createLogger('bench', undefined, { LOG_LEVEL: 'warn' })) });

interface WorkerProcess {
  child: ChildProcess;
  url: string;
}

async function spawnWorker(system: TestSystem): Promise<WorkerProcess> {
  const port = await freePort();
  let sdkPort = await freePort();
  while (sdkPort === port) sdkPort = await freePort();
  const child = system.spawnWorkerProcess({ WORKER_METRICS_PORT: String(port), WORKER_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`, LOG_LEVEL: 'warn' });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => ((await fetch(`${url}/health`)).status === 200 ? true : undefined), 120_000, 'worker healthy');
  return { child, url };
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGTERM');
  await exited;
}

/** Activities this worker process completed so far (the SDK's own counter, from its /metrics). */
async function activitiesDone(worker: WorkerProcess): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('temporal_activity_execution_latency_count{')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function noopCeiling(system: TestSystem, count: number): Promise<number> {
  const taskQueue = `bench-noop-${randomBytes(3).toString('hex')}`;
  const connection = await connectWorkerConnection(system.config.temporal);
  const worker = await Worker.create({ connection, namespace: system.config.temporal.namespace, taskQueue, workflowsPath: require.resolve('./noop.workflow'), dataConverter: temporalDataConverter(system.config.temporal.payloadEncryption) });
  const running = worker.run();
  try {
    const began = Date.now();
    const handles = await Promise.all(Array.from({ length: count }, (_, i) => system.temporal.workflow.start('noopWorkflow', { taskQueue, workflowId: `${taskQueue}-${i}` })));
    await Promise.all(handles.map((h) => h.result()));
    return count / ((Date.now() - began) / 1000);
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}

/** One flow: a paid order cancelled by its seller until the cancellation is COMPLETED. */
async function flow(system: TestSystem, n: number): Promise<void> {
  const order = await placePaidOrder(system, 'wechatpay');
  const answer = await system.http('POST', `/orders/${order.orderSn}/cancellations`, {
    token: system.token('seller', order.sellerId),
    headers: { 'idempotency-key': `bench-${n}-${order.orderSn}` },
    body: { reason: 'benchmark' },
  });
  if (answer.status !== 202) throw new Error(`cancel answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  await eventually(async () => {
    const [row] = await system.dataSource.query(`SELECT 1 FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
    return row ? true : undefined;
  }, 300_000, `cancellation of ${order.orderSn}`);
}

/** `count` flows, at most `concurrency` at a time; `onProgress` after each start. Returns flows/s. */
async function runFlows(system: TestSystem, count: number, concurrency: number, onStarted?: (started: number) => void): Promise<number> {
  const began = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const n = next++;
      onStarted?.(n + 1);
      await flow(system, n);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return count / ((Date.now() - began) / 1000);
}

async function main(): Promise<void> {
  const [flows = 30, concurrency = 10] = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const externalServer = process.env.TEST_TEMPORAL_ADDRESS;
  await globalSetup();
  const system = await startTestSystem({ LATE_PAYMENT_WINDOW: '1s' });
  await system.stopWorker(); // the flows run on worker processes only
  const results: string[] = [];
  const report = (line: string) => {
    console.log(line);
    results.push(line);
  };
  try {
    const ceiling = noopCeiling.bind(null, system);
    await ceiling(50); // warm-up: bundle, connections, server caches
    const noop = await ceiling(500);
    report(`engine no-op ceiling: ${noop.toFixed(1)} workflows/s (500 no-op workflows, one in-process worker)`);
    const ratio = (flowsPerSecond: number) => `${flowsPerSecond.toFixed(2)} flows/s (${((flowsPerSecond / noop) * 100).toFixed(1)}% of the no-op ceiling)`;

    const first = await spawnWorker(system);
    await runFlows(system, 3, 3); // warm-up
    report(`one worker:  ${ratio(await runFlows(system, flows, concurrency))}, ${flows} flows, ${concurrency} at a time`);

    const second = await spawnWorker(system);
    const before = [await activitiesDone(first), await activitiesDone(second)];
    const two = await runFlows(system, flows, concurrency);
    const shares = [(await activitiesDone(first)) - before[0], (await activitiesDone(second)) - before[1]];
    report(`two workers: ${ratio(two)}; activities run by each: ${shares.join(' / ')}`);

    let killedAt = 0;
    const survived = await runFlows(system, flows, concurrency, (started) => {
      if (!killedAt && started >= Math.ceil(flows / 3)) {
        killedAt = Date.now();
        second.child.kill('SIGKILL');
      }
    });
    report(`two workers, one SIGKILLed after ${Math.ceil(flows / 3)} of ${flows} flows started: all ${flows} completed, ${ratio(survived)}`);
    await stopWorker(first);
    await stopWorker(second);
  } finally {
    await system.stop();
    await globalTeardown();
  }
  console.log(`\nresults (${externalServer ? `server ${externalServer}` : 'a fresh Temporal dev server'}; ${flows} flows per phase, ${concurrency} at a time):`);
  for (const line of results) console.log('  ' + line);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
