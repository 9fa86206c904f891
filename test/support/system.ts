import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectTemporalClient, connectWorkerConnection } from '../../apps/shared/temporal';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AppConfig, readAppConfig } from '../../config/app-config';
import { createConnection } from 'mysql2/promise';
import { connectDataSource, migrate } from '../../db/data-source';
import { createApiApp } from '../../apps/api/app';
import { mintToken } from '../../apps/api/auth/token';
import type { Role } from '../../apps/api/auth/principal';
import { OrderWorkers, createOrderWorkers } from '../../apps/worker/worker';
import { startPaymentSim } from '../../apps/payment-sim/server';
import { readRefundSpacing } from '../../domain';
import { ERROR_CATALOGUE, isErrorCode } from '../../domain/error-codes';
import { SimControl } from '../payments/sim-control';
import { freePort, startOnFreePorts } from './free-port';
import { TcpProxy } from './tcp-proxy';

/**
 * The real system, in-process, for one test file: API (HTTP on a random port) and worker on the
 * jest run's Temporal dev server and migrated MariaDB database, on a task queue of its own.
 */
export interface TestSystem {
  config: AppConfig;
  apiUrl: string;
  sim: SimControl;
  /** Between the worker and MariaDB: cut() makes the database unreachable for the worker only. */
  workerDatabase: TcpProxy;
  dataSource: DataSource;
  temporal: Client;
  token(role: Role, id: number | string): string;
  http(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /**
   * The worker as its own OS process (apps/worker/main.ts under ts-node), so a test can SIGKILL it;
   * `stdout: 'pipe'` to read its log lines; `compiled` to start it from transpiled JavaScript (chaos/compiled-worker.ts).
   */
  spawnWorkerProcess(env?: Record<string, string>, options?: { stdout?: 'pipe' | 'ignore'; compiled?: { main: string; env: Record<string, string> } }): ChildProcess;
  /** With `apiProcess`: the API's own OS process (its CPU measured apart from the simulator and the driver). */
  apiProcess?: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `apiProcess`: the API as its own OS process (apps/api/main.ts under ts-node, logging JSON lines at
 * info as in production, to nowhere) instead of in this one; `execArgv` are its node flags (bench/api-cpu.ts
 * passes --inspect to profile it).
 */
export interface TestSystemOptions {
  ownDatabase?: boolean;
  apiLogger?: Logger;
  apiProcess?: { execArgv?: string[] };
  /** Picks the API's port, once per attempt (default freePort; the test of the retry hands a taken one first). */
  pickApiPort?: () => Promise<number>;
}

export async function startTestSystem(env: Record<string, string> = {}, options: TestSystemOptions = {}): Promise<TestSystem> {
  const temporalAddress = required('TEST_TEMPORAL_ADDRESS');
  // Sweeps scan every order in their database: a test of them gets a database of its own.
  const databaseUrl = options.ownDatabase ? await createOwnDatabase(required('TEST_DATABASE_URL')) : required('TEST_DATABASE_URL');
  const keysDir = mkdtempSync(join(tmpdir(), 'orders-test-keys-'));
  // Refunds of one payment are paced as at the real providers, shortened (1 min / 3 s would make
  // every test with two refunds of one payment wait); the worker and the simulator read the same values.
  const spacingEnv = { WECHATPAY_REFUND_SPACING: '1s', ALIPAY_REFUND_SPACING: '500ms', ...pick(env, ['WECHATPAY_REFUND_SPACING', 'ALIPAY_REFUND_SPACING']) };
  const sim = await startPaymentSim({ port: 0, keysDir, refundProcessingMs: 1000, hangMs: 3000, notifyRetryScheduleMs: [200, 500, 1000], refundSpacing: readRefundSpacing((name) => spacingEnv[name as keyof typeof spacingEnv]) });
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const envFor = (apiPort: number): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_PORT: String(apiPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    PAYMENT_KEYS_DIR: keysDir,
    PAYMENT_HTTP_TIMEOUT_MS: '1500',
    WECHATPAY_BASE_URL: sim.url,
    ALIPAY_GATEWAY_URL: `${sim.url}/gateway.do`,
    REFUND_POLL_SCHEDULE: '500ms,1s,2s',
    ...spacingEnv,
    LATE_PAYMENT_WINDOW: '30s',
    // Schedules are namespace-wide: each test system gets its own, named after its task queue.
    SCHEDULE_ID_SUFFIX: taskQueue,
    // Redis is shared with other runs: every key this system writes starts with its own prefix.
    REDIS_KEY_PREFIX: `${taskQueue}:`,
    // Teardown cancels running activities at once, as before the grace existed (its default is 30 s).
    WORKER_SHUTDOWN_GRACE: '0',
    // The run's prebuilt workflow bundle (global setup), also for a worker spawned as its own process.
    ...(process.env.TEST_WORKFLOW_BUNDLE ? { WORKFLOW_BUNDLE: process.env.TEST_WORKFLOW_BUNDLE } : {}),
    ...env,
  });
  const pickApiPort = options.pickApiPort ?? freePort;
  // The API's port is picked where the API is started (below); until then the config names none.
  let apiPort = 0;
  let processEnv = envFor(apiPort);
  let config = readAppConfig({ ...process.env, ...processEnv });
  const usePort = (port: number) => {
    apiPort = port;
    processEnv = envFor(port);
    config = readAppConfig({ ...process.env, ...processEnv });
  };
  // The connections below do not depend on the API's port.
  const dataSource = await connectDataSource(config.databaseUrl, { poolSize: 4 });
  const temporal = await connectTemporalClient(config.temporal);

  const target = new URL(databaseUrl);
  const workerDatabase = new TcpProxy(target.hostname, Number(target.port || 3306));
  const proxied = new URL(databaseUrl);
  proxied.port = String(await workerDatabase.start());
  const workerDataSource = await connectDataSource(proxied.toString(), { poolSize: 4 });

  const children = new Set<ChildProcess>();
  let app: INestApplication | undefined;
  let apiProcess: ChildProcess | undefined;
  // A port free when picked may be taken before the API binds it: any process's outgoing connection
  // draws its local port from the same ephemeral range (CI once failed on `listen EADDRINUSE` here).
  // Then the API is started again on a port picked again; the workers, started after, read the final config.
  if (options.apiProcess) {
    const { execArgv = [] } = options.apiProcess;
    const started = await startOnFreePorts('the API process', async () => {
      usePort(await pickApiPort());
      const child = spawn(process.execPath, [...execArgv, '-r', 'ts-node/register/transpile-only', join(__dirname, '..', '..', 'apps', 'api', 'main.ts')], {
        env: { ...process.env, ...processEnv },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const url = `http://127.0.0.1:${apiPort}/health/live`;
      // A probe with a timeout: a socket that accepts and never answers would hold it forever.
      return { child, value: undefined, ready: async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok };
    }, { timeoutMs: 120_000 });
    const child = started.child;
    apiProcess = child;
    children.add(child);
    child.on('exit', () => children.delete(child));
  } else {
    for (let attempt = 1; ; attempt += 1) {
      usePort(await pickApiPort());
      const candidate = await createApiApp(config, { logger: options.apiLogger ?? false });
      try {
        await candidate.listen(apiPort, '127.0.0.1');
        app = candidate;
        break;
      } catch (err) {
        await candidate.close();
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw err;
      }
    }
  }
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const workerConfig = { ...config, databaseUrl: proxied.toString() };

  let worker: { instance: OrderWorkers; running: Promise<void>; connection: NativeConnection } | undefined;
  const system: TestSystem = {
    config,
    apiUrl,
    sim: new SimControl(sim.url),
    workerDatabase,
    dataSource,
    temporal,
    token: (role, id) => mintToken(config.api.jwtSecret, role, id),
    async http(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${apiUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      // Every refusal and failure of the API is a problem document with a catalogue code (docs/errors.md):
      // any test that meets one that is not fails here, whatever it was asserting.
      if (response.status >= 400) assertProblemDocument(method, path, response, body);
      // The headers ride along unseen by toEqual (not enumerable): tests compare whole answers, and a Date header differs.
      return Object.defineProperty({ status: response.status, body }, 'headers', { value: response.headers, enumerable: false }) as { status: number; body: any; headers: Headers };
    },
    async startWorker() {
      if (worker) return;
      const connection = await connectWorkerConnection(config.temporal);
      const instance = await createOrderWorkers({ connection, config: workerConfig, dataSource: workerDataSource, temporalClient: temporal, workflowBundlePath: processEnv.WORKFLOW_BUNDLE });
      worker = { instance, running: instance.run(), connection };
    },
    async stopWorker() {
      if (!worker) return;
      const current = worker;
      worker = undefined;
      current.instance.shutdown();
      await current.running;
      await current.connection.close();
    },
    apiProcess,
    spawnWorkerProcess(extraEnv = {}, spawnOptions = {}) {
      const compiled = spawnOptions.compiled;
      const args = compiled ? [compiled.main] : ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', '..', 'apps', 'worker', 'main.ts')];
      const child = spawn(process.execPath, args, {
        // Port 0: each worker process's metrics/health listener gets a free port unless the test names one.
        env: { ...process.env, WORKER_METRICS_PORT: '0', ...processEnv, DATABASE_URL: workerConfig.databaseUrl, ...compiled?.env, ...extraEnv },
        stdio: ['ignore', spawnOptions.stdout ?? 'ignore', 'inherit'],
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      await system.stopWorker();
      await app?.close();
      await temporal.connection.close();
      await dataSource.destroy();
      if (workerDataSource.isInitialized) await workerDataSource.destroy();
      await workerDatabase.stop();
      await sim.close();
      rmSync(keysDir, { recursive: true, force: true });
      if (options.ownDatabase) await dropDatabase(databaseUrl);
    },
  };
  await system.startWorker();
  return system;
}


/**
 * A fresh, migrated database for one test file. Its AUTO_INCREMENT ids start at a random offset of
 * their own: workflow ids are built from row ids (`complaint-{id}`, `goodwill-refund-{id}`, …) and all
 * test files share one Temporal server, so two databases both counting from 1 would name each other's
 * workflows (the support work-queue test then read another file's `complaint-1`).
 */
async function createOwnDatabase(sharedUrl: string): Promise<string> {
  const url = new URL(sharedUrl);
  const name = `${url.pathname.slice(1)}_${randomBytes(3).toString('hex')}`;
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const connection = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: name });
  try {
    const start = (1 + randomBytes(2).readUInt16BE(0)) * 10_000; // below 2^31: INT ids too
    const tables: { name: string }[] = (await connection.query(`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND AUTO_INCREMENT IS NOT NULL`, [name]))[0] as never;
    for (const table of tables) await connection.query(`ALTER TABLE \`${table.name}\` AUTO_INCREMENT = ${start}`);
  } finally {
    await connection.end();
  }
  return url.toString();
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const connection = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  await connection.query(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``);
  await connection.end();
}

function pick(env: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest (npm test), whose global setup starts Temporal and MariaDB`);
  return value;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A 4xx/5xx answer of the API: application/problem+json, its status its code's, the request path as `instance`. */
export function assertProblemDocument(method: string, path: string, response: { status: number; headers: Headers }, body: unknown): void {
  const problem = body as { code?: unknown; status?: unknown; instance?: unknown; requestId?: unknown; type?: unknown; title?: unknown; detail?: unknown } | undefined;
  const contentType = response.headers.get('content-type') ?? '';
  const code = problem?.code;
  const wrong =
    !contentType.startsWith('application/problem+json') ? `content-type ${contentType}` :
    !isErrorCode(code) ? `code ${JSON.stringify(code)} not in the catalogue` :
    ERROR_CATALOGUE[code].status !== response.status || problem?.status !== response.status ? `status ${response.status} with code ${code} (${ERROR_CATALOGUE[code].status}) and body status ${String(problem?.status)}` :
    problem?.instance !== new URL(path, 'http://api').pathname ? `instance ${String(problem?.instance)}` :
    typeof problem?.requestId !== 'string' || typeof problem?.type !== 'string' || typeof problem?.title !== 'string' || typeof problem?.detail !== 'string' ? 'a member missing' :
    undefined;
  if (wrong) throw new Error(`${method} ${path} answered ${response.status} without a problem document (${wrong}): ${JSON.stringify(body).slice(0, 400)}`);
}
