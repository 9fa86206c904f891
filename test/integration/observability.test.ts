/**
 * What an operator sees during a paid order's cancellation: the API's and the worker's /metrics
 * counters move, the worker's /health says it polls and completes tasks, and every log line is JSON
 * and — for the cancellation's requests, workflows and activities — carries the order number.
 * The worker runs as its own process (apps/worker/main.ts) so its real stdout and ports are tested.
 */
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../apps/shared/logger';
import { freePort } from '../support/free-port';
import { placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

type LogLine = Record<string, unknown>;

function collectLines(stream: NodeJS.ReadableStream, into: string[]): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    into.push(...parts.filter((line) => line.length > 0));
  });
}

/** The value of one Prometheus sample, e.g. sample(text, 'orders_created_total', { payment_type: 'ONLINE' }); 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return 0;
}

describe('logs, metrics and health during a cancellation', () => {
  let system: TestSystem;
  let worker: ChildProcess;
  let workerUrl: string;
  const apiLines: string[] = [];
  const workerLines: string[] = [];

  beforeAll(async () => {
    const apiStream = new PassThrough();
    collectLines(apiStream, apiLines);
    // A database of its own: the refunds gauge counts the whole refund table, which other test files share.
    system = await startTestSystem({}, { ownDatabase: true, apiLogger: createLogger('api', apiStream, { LOG_LEVEL: 'debug' }) });
    // The worker process instead of the in-process one, with debug logs (the SDK's activity and workflow lifecycle lines).
    await system.stopWorker();
    const port = await freePort();
    let sdkPort = await freePort();
    while (sdkPort === port) sdkPort = await freePort();
    workerUrl = `http://127.0.0.1:${port}`;
    worker = system.spawnWorkerProcess({ WORKER_METRICS_PORT: String(port), WORKER_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`, LOG_LEVEL: 'debug' }, { stdout: 'pipe' });
    collectLines(worker.stdout!, workerLines);
    await eventually(async () => ((await fetch(`${workerUrl}/health`)).status === 200 ? true : undefined), 60_000, 'worker process healthy');
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('moves the counters, reports health, and logs JSON lines carrying the order number', async () => {
    const apiBefore = await (await fetch(`${system.apiUrl}/metrics`)).text();
    const order = await placePaidOrder(system, 'wechatpay');
    const cancelled = await system.http('POST', `/orders/${order.orderSn}/cancellations`, {
      token: system.token('seller', order.sellerId),
      headers: { 'idempotency-key': `obs-${order.orderSn}`, 'x-request-id': `req-${order.orderSn}` },
      body: { reason: 'warehouse flooded' },
    });
    expect(cancelled.status).toBe(202);
    await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT status FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
      return row ? true : undefined;
    }, 60_000, 'cancellation completed');

    // API metrics: one order, one accepted cancellation, the payment and refund notifications, the refund row.
    const apiAfter = await (await fetch(`${system.apiUrl}/metrics`)).text();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(apiAfter, name, labels) - sample(apiBefore, name, labels);
    expect(delta('orders_created_total', { payment_type: 'ONLINE' })).toBe(1);
    expect(delta('orders_cancellation_requests_total', { outcome: 'accepted' })).toBe(1);
    expect(delta('orders_provider_notifications_total', { provider: 'wechatpay', outcome: 'accepted' })).toBeGreaterThanOrEqual(2);
    expect(delta('orders_refunds', { provider: 'wechatpay', status: 'SUCCESS' })).toBe(1);
    expect(sample(apiAfter, 'http_request_duration_seconds_count', { method: 'POST', route: '/orders/:orderSn/cancellations', status: '202' })).toBeGreaterThanOrEqual(1);

    // A replayed request is not a second cancellation.
    const replay = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `obs-${order.orderSn}` }, body: { reason: 'warehouse flooded' } });
    expect(replay.status).toBe(202);
    expect(sample(await (await fetch(`${system.apiUrl}/metrics`)).text(), 'orders_cancellation_requests_total', { outcome: 'accepted' })).toBe(sample(apiAfter, 'orders_cancellation_requests_total', { outcome: 'accepted' }));

    // Worker: its own gauges, the SDK's Prometheus metrics, and health.
    const workerMetrics = await (await fetch(`${workerUrl}/metrics`)).text();

    expect(workerMetrics).toMatch(/^orders_refunds_waiting_for_support \d+$/m);
    expect(sample(workerMetrics, 'orders_worker_last_activity_completed_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(sample(workerMetrics, 'temporal_activity_execution_latency_count', { activity_type: 'submitRefund' })).toBeGreaterThanOrEqual(1);
    // Temporal SDK dashboard names: counters without `_total` (apps/worker/main.ts).
    expect(workerMetrics).toMatch(/^temporal_workflow_completed\{/m);
    const health = (await (await fetch(`${workerUrl}/health`)).json()) as { lastActivityCompletedAt: string; lastWorkflowTaskSeenAt: string | null };
    expect(health).toMatchObject({ status: 'ok', runState: 'RUNNING' });
    expect(Date.parse(health.lastActivityCompletedAt)).toBeGreaterThan(Date.now() - 120_000);
    expect(health.lastWorkflowTaskSeenAt).not.toBeNull();

    // Logs: every line of both processes is one JSON object.
    const parse = (lines: string[]) => lines.map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
    const [refund] = await system.dataSource.query('SELECT refund_sn FROM refund WHERE order_sn = ?', [order.orderSn]);
    // The worker's lines come through a pipe from its own process: wait until the refund's are in.
    await eventually(async () => (parse(workerLines).filter((l) => l.workflowId === `refund-${refund.refund_sn}` && l.msg === 'Activity completed').length >= 2 ? true : undefined), 30_000, "the refund's activity lines from the worker");
    await eventually(async () => (parse(workerLines).some((l) => l.workflowId === `cancel-${order.orderSn}` && l.activityType === 'closeCancellation') ? true : undefined), 30_000, "the cancellation's last step from the worker");
    const api = parse(apiLines);
    const workerLog = parse(workerLines);
    // The API's line for the cancel request: request id, principal, order and the workflow that runs the cancel (the order's).
    const cancelLine = api.find((l) => (l.req as { id?: string } | undefined)?.id === `req-${order.orderSn}`);
    expect(cancelLine).toMatchObject({ level: 'info', service: 'api', principalRole: 'seller', principalId: String(order.sellerId), orderSn: order.orderSn, workflowId: `order-${order.orderSn}`, res: { statusCode: 202 } });
    expect(cancelLine!.responseTime).toEqual(expect.any(Number));
    // Every API line about this order's routes carries its number.
    for (const line of api.filter((l) => String((l.req as { url?: string } | undefined)?.url ?? '').includes(order.orderSn))) expect(line.orderSn).toBe(order.orderSn);

    // Every worker line of this order's workflows and activities (the order, its cancellation, the refund child) carries the order number.
    const ours = (l: LogLine) => [`order-${order.orderSn}`, `cancel-${order.orderSn}`, `refund-${refund.refund_sn}`].includes(String(l.workflowId));
    const cancellationLines = workerLog.filter(ours);
    expect(cancellationLines.length).toBeGreaterThan(5);
    // One exception, by the SDK's design: it writes "Activity started" before any interceptor runs, so in
    // refund-{refundSn} (whose id does not name the order) that debug line has only workflowId and activityType.
    const sdkStartedInRefund = (l: LogLine) => l.msg === 'Activity started' && String(l.workflowId).startsWith('refund-');
    for (const line of cancellationLines.filter((l) => !sdkStartedInRefund(l))) {
      expect({ workflowId: line.workflowId, msg: line.msg, orderSn: line.orderSn }).toEqual({ workflowId: line.workflowId, msg: line.msg, orderSn: order.orderSn });
    }
    expect(cancellationLines.filter((l) => l.workflowId === `refund-${refund.refund_sn}` && l.msg === 'Activity completed' && l.orderSn === order.orderSn).length).toBeGreaterThanOrEqual(2);
    // Activity lines name their activity; the refund workflow's lines are there too (found by order number, not by its id).
    expect(cancellationLines.some((l) => l.workflowId === `cancel-${order.orderSn}` && l.activityType === 'restockCancelledOrder')).toBe(true);
    expect(cancellationLines.some((l) => l.workflowId === `cancel-${order.orderSn}` && l.activityType === 'markCancellationAccepted')).toBe(true);
    expect(cancellationLines.some((l) => l.workflowId === `refund-${refund.refund_sn}` && l.workflowType === 'refundWorkflow')).toBe(true);
  });
});
