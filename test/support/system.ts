import { randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { DataSource } from 'typeorm';
import { AppConfig, readAppConfig } from '../../config/app-config';
import { connectDataSource } from '../../db/data-source';
import { createApiApp } from '../../apps/api/app';
import { mintToken } from '../../apps/api/auth/token';
import type { Role } from '../../apps/api/auth/principal';
import { createOrderWorker } from '../../apps/worker/worker';

/**
 * The real system, in-process, for one test file: API (HTTP on a random port) and worker on the
 * jest run's Temporal dev server and migrated MariaDB database, on a task queue of its own.
 */
export interface TestSystem {
  config: AppConfig;
  apiUrl: string;
  dataSource: DataSource;
  temporal: Client;
  token(role: Role, id: number | string): string;
  http(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestSystem(env: Record<string, string> = {}): Promise<TestSystem> {
  const temporalAddress = required('TEST_TEMPORAL_ADDRESS');
  const config = readAppConfig({
    ...process.env,
    DATABASE_URL: required('TEST_DATABASE_URL'),
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
    API_PORT: '0',
    ...env,
  });
  const dataSource = await connectDataSource(config.databaseUrl, { poolSize: 4 });
  const temporal = new Client({ connection: await Connection.connect({ address: temporalAddress }), namespace: config.temporal.namespace });

  const app: INestApplication = await createApiApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const apiUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');

  let worker: { instance: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  const system: TestSystem = {
    config,
    apiUrl,
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
      return { status: response.status, body };
    },
    async startWorker() {
      if (worker) return;
      const connection = await NativeConnection.connect({ address: temporalAddress });
      const instance = await createOrderWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, dataSource });
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
    async stop() {
      await system.stopWorker();
      await app.close();
      await temporal.connection.close();
      await dataSource.destroy();
    },
  };
  await system.startWorker();
  return system;
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
