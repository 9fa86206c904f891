import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { ActivityInterceptorsFactory, Worker } from '@temporalio/worker';
import { Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from '../shared/default-metrics';
import type { DataSource } from 'typeorm';
import { withinMs } from '../shared/within';
import { pingDatabase } from '../../db/metrics';
import { ScheduleMetrics, registerDatabaseMetrics } from './operational-metrics';

/**
 * The worker's operator surface on one port (WORKER_METRICS_PORT):
 *   GET /metrics — the SDK's own Prometheus metrics (task latencies, slots, poll results; served by the
 *                  Rust core on WORKER_SDK_METRICS_ADDRESS and appended here) plus ours: refunds waiting
 *                  for support, undelivered provider notifications, open reconciliation differences,
 *                  the Schedules' next and last runs (operational-metrics.ts), last activity completed,
 *                  process metrics;
 *   GET /health/live  — liveness: the process serves HTTP and its worker has not failed (no dependency checked,
 *                       so a database blip never restarts it: Temporal retries the activities that hit it);
 *   GET /health/ready — readiness: polling both task kinds and MySQL answers within 3 s;
 *   GET /health       — the details (is it polling, when did it last complete an activity and see a
 *                       workflow task), 503 when not polling.
 */
export class WorkerProbe {
  readonly registry = new Registry();
  private lastActivityCompletedAt?: Date;
  private lastWorkflowTaskSeenAt?: Date;
  private sampler?: NodeJS.Timeout;
  /** The process's Workers, one per task queue (apps/worker/worker.ts OrderWorkers); health is all of them. */
  private workers: Worker[] = [];
  private server?: Server;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sdkMetricsUrl?: string,
  ) {
    collectProcessMetrics(this.registry);
    registerDatabaseMetrics(this.registry, dataSource);
    const probe = this;
    new Gauge({
      name: 'orders_worker_last_activity_completed_timestamp_seconds',
      help: 'Unix time this worker last completed an activity (0 = none yet)',
      registers: [this.registry],
      collect() {
        this.set(probe.lastActivityCompletedAt ? probe.lastActivityCompletedAt.getTime() / 1000 : 0);
      },
    });
  }

  /** Records each activity this worker finishes (successfully or not: either way it is working). */
  readonly activityInterceptor: ActivityInterceptorsFactory = () => ({
    inbound: {
      execute: async (input, next) => {
        try {
          return await next(input);
        } finally {
          this.lastActivityCompletedAt = new Date();
        }
      },
    },
  });

  /** Exports the next and last run and the missed runs of these Schedules (ids as applied). */
  watchSchedules(client: Client, scheduleIds: string[]): void {
    new ScheduleMetrics(this.registry, client, scheduleIds);
  }

  watch(workers: Worker[]): void {
    this.workers = workers;
    // The SDK has no hook for workflow tasks outside the sandbox: sample whether one is in flight.
    this.sampler = setInterval(() => {
      if (workers.some((worker) => worker.getStatus().numInFlightWorkflowActivations > 0)) this.lastWorkflowTaskSeenAt = new Date();
    }, 100);
    this.sampler.unref();
  }

  health() {
    const statuses = this.workers.map((worker) => ({ taskQueue: worker.options.taskQueue, ...worker.getStatus() }));
    const main = statuses[0];
    // Polling only when every Worker is: a stopped batch or order-requests Worker stalls work as surely as the main one.
    const polling = statuses.length > 0 && statuses.every((s) => s.runState === 'RUNNING' && s.workflowPollerState !== 'FAILED' && s.activityPollerState !== 'FAILED');
    const sum = (pick: (s: (typeof statuses)[number]) => number) => statuses.reduce((total, s) => total + pick(s), 0);
    return {
      status: polling ? 'ok' : 'not polling',
      runState: statuses.find((s) => s.runState !== 'RUNNING')?.runState ?? main?.runState ?? 'INITIALIZED',
      workflowPoller: main?.workflowPollerState,
      activityPoller: main?.activityPollerState,
      taskQueues: Object.fromEntries(statuses.map((s) => [s.taskQueue, s.runState])),
      inFlight: main && { workflowActivations: sum((s) => s.numInFlightWorkflowActivations), activities: sum((s) => s.numInFlightActivities), cachedWorkflows: sum((s) => s.numCachedWorkflows) },
      lastActivityCompletedAt: this.lastActivityCompletedAt?.toISOString() ?? null,
      lastWorkflowTaskSeenAt: this.lastWorkflowTaskSeenAt?.toISOString() ?? null,
    };
  }

  /** Alive unless the worker itself failed or stopped for good: a restart is then the only cure. */
  liveness() {
    const states = this.workers.map((worker) => worker.getStatus().runState);
    const runState = states.find((s) => s === 'FAILED' || s === 'STOPPED') ?? states[0] ?? 'INITIALIZED';
    return { status: runState === 'FAILED' || runState === 'STOPPED' ? 'down' : 'ok', runState };
  }

  /** Ready to take tasks: polling, and its database answers (activities would only fail and be retried). */
  async readiness() {
    const polling = this.health().status === 'ok';
    let mysql = 'up';
    try {
      await withinMs(pingDatabase(this.dataSource), 3000);
    } catch (err) {
      mysql = `down: ${(err as Error).message.split('\n')[0]}`;
    }
    return { status: polling && mysql === 'up' ? 'ok' : 'not ready', polling, mysql };
  }

  async metricsText(): Promise<string> {
    const ours = await this.registry.metrics();
    if (!this.sdkMetricsUrl) return ours;
    try {
      const sdk = await fetch(this.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
      return `${ours}\n${await sdk.text()}`;
    } catch (err) {
      return `${ours}\n# SDK metrics unavailable from ${this.sdkMetricsUrl}: ${(err as Error).message}\n`;
    }
  }

  /** Listens on 127.0.0.1 unless told otherwise (WORKER_METRICS_HOST); returns the bound port. */
  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/metrics') {
        this.metricsText().then(
          (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          (err) => res.writeHead(500).end(String(err)),
        );
      } else if (req.method === 'GET' && (path === '/health' || path === '/health/live')) {
        const body = path === '/health' ? this.health() : this.liveness();
        res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      } else if (req.method === 'GET' && path === '/health/ready') {
        this.readiness().then((body) => res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics, /health, /health/live or /health/ready');
      }
    });
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
