import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { writeWorkflowBundle } from '../../apps/worker/workflow-bundle';
import { migrate } from '../../db/data-source';
import { freePort } from './free-port';
import { TEMPORAL_DEV_SERVER_DYNAMIC_CONFIG, TEMPORAL_DEV_SERVER_SQLITE_FLAGS, searchAttributeFlags } from './temporal-dev-server';

const root = join(__dirname, '..', '..');

/**
 * One real Temporal dev server and one throwaway, migrated MariaDB database for the whole jest run.
 * Test files reach them through TEST_TEMPORAL_ADDRESS and TEST_DATABASE_URL; a TEST_TEMPORAL_ADDRESS
 * set beforehand names a running server to use instead of a dev server (npm run temporal:server).
 * The dev server's own Prometheus metrics are at TEST_TEMPORAL_METRICS_URL (with an external server,
 * set it to that server's metrics endpoint for the tests that read server metrics).
 * TEST_UNIT_ONLY=1 skips both (pure unit tests only).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_UNIT_ONLY === '1') return;

  execFileSync('bash', [join(root, 'scripts/ensure-mariadb.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(root, 'scripts/ensure-redis.sh')], { stdio: 'inherit' });
  const temporalBin = execFileSync('bash', [join(root, 'scripts/temporal-cli.sh')], { encoding: 'utf8' }).trim();

  const scratch = mkdtempSync(join(tmpdir(), 'orders-test-run-'));
  (globalThis as Record<string, unknown>).__testScratchDir = scratch;
  // One webpack run for every test system of this jest run, while the server starts.
  const bundle = writeWorkflowBundle(join(scratch, 'workflow-bundle.js'));

  // TEST_TEMPORAL_ADDRESS=host:port: run against that server (e.g. npm run temporal:server, real
  // server on PostgreSQL) instead of starting a dev server. It must have the namespace and our search attributes.
  const external = process.env.TEST_TEMPORAL_ADDRESS;
  if (external) {
    await waitForTemporal(external);
  } else {
    process.env.TEST_TEMPORAL_ADDRESS = await startDevServer(temporalBin, scratch);
  }
  process.env.TEST_WORKFLOW_BUNDLE = await bundle;

  const base = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/orders';
  const url = new URL(base);
  url.pathname = `/orders_test_${Date.now()}_${process.pid}`;
  await migrate(url.toString());
  (globalThis as Record<string, unknown>).__testDatabaseUrl = url.toString();

  process.env.TEST_TEMPORAL_CLI = temporalBin;
  process.env.TEST_DATABASE_URL = url.toString();
}

async function startDevServer(temporalBin: string, scratch: string): Promise<string> {
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  const searchAttributes = searchAttributeFlags();
  const server: ChildProcess = spawn(
    temporalBin,
    // A database file (not the in-memory default) so WAL applies: the configuration npm run dev uses.
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--metrics-port', String(metricsPort), '--log-level', 'error', '--db-filename', join(scratch, 'temporal.sqlite'), ...TEMPORAL_DEV_SERVER_SQLITE_FLAGS, ...TEMPORAL_DEV_SERVER_DYNAMIC_CONFIG, ...searchAttributes],
    { stdio: ['ignore', 'ignore', 'inherit'], detached: false },
  );
  (globalThis as Record<string, unknown>).__temporalServer = server;
  const address = `127.0.0.1:${port}`;
  await waitForTemporal(address, server);
  process.env.TEST_TEMPORAL_METRICS_URL = `http://127.0.0.1:${metricsPort}/metrics`;
  return address;
}


async function waitForTemporal(address: string, server?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server && server.exitCode !== null) throw new Error(`temporal dev server exited with code ${server.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1s' });
      await connection.workflowService.getSystemInfo({});
      // The default namespace exists once the server answers describe on it.
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`temporal server at ${address} not ready after 60s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
