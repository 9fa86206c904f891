/**
 * `npm run chaos [-- --orders 1000 --kill-every 10 --concurrency 12 --seed 1]`: a private system
 * (Temporal dev server, its own MariaDB server on its own port and data directory, the payment
 * simulator, the API) and a worker process on ports of its own, driven by chaos/harness.ts. Prints
 * the report; exits 1 if anything was lost, moved twice, drifted, failed or answered 5xx.
 */
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from '../apps/api/app';
import { mintToken } from '../apps/api/auth/token';
import { startPaymentSim } from '../apps/payment-sim/server';
import { writeWorkflowBundle } from '../apps/worker/workflow-bundle';
import { transpileWorker } from '../chaos/compiled-worker';
import { formatReport, runChaos, type ChaosOptions } from '../chaos/harness';
import { WorkerSupervisor } from '../chaos/worker-supervisor';
import { PrivateMariaDb } from '../chaos/private-mariadb';
import { readAppConfig } from '../config/app-config';
import { readPayloadEncryption } from '../config/payload-encryption';
import { temporalDataConverter } from '../apps/shared/temporal';
import { connectDataSource, migrate } from '../db/data-source';
import { SimControl } from '../test/payments/sim-control';
import { freePort } from '../test/support/free-port';
import { TcpProxy } from '../test/support/tcp-proxy';
import { TEMPORAL_DEV_SERVER_PRIORITY_CONFIG } from '../test/support/temporal-dev-server';

const ROOT = join(__dirname, '..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[`CHAOS_${name.toUpperCase().replace(/-/g, '_')}`];
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number, got ${raw}`);
  return Number(raw);
}

async function main(): Promise<void> {
  const options: ChaosOptions = {
    orders: arg('orders', 200),
    concurrency: arg('concurrency', 10),
    killEverySeconds: arg('kill-every', 10),
    outageAtOrder: 0,
    seed: arg('seed', 1),
    providerFaultRate: 0.2,
    notificationFaultRate: 0.1,
    settleTimeoutMs: 300_000,
    log: (line) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`),
  };
  options.outageAtOrder = Math.floor(options.orders / 2);
  const dir = mkdtempSync(join(tmpdir(), 'orders-chaos-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => undefined);
  };
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    void cleanup().then(() => process.exit(130));
  });
  try {
    // One webpack run for every worker of the run, while the servers start.
    const workflowBundle = writeWorkflowBundle(join(dir, 'workflow-bundle.js'));
    // Temporal: a dev server of its own (in memory).
    const temporalBin = execFileSync('bash', [join(ROOT, 'scripts/temporal-cli.sh')], { encoding: 'utf8' }).trim();
    const temporalPort = await freePort();
    const attributes = readFileSync(join(ROOT, 'temporal-config/search-attributes.txt'), 'utf8').split('\n').filter(Boolean).flatMap((l) => ['--search-attribute', l.trim()]);
    const temporalServer = spawn(temporalBin, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(temporalPort), '--log-level', 'error', ...TEMPORAL_DEV_SERVER_PRIORITY_CONFIG, ...attributes], { stdio: 'ignore' });
    cleanups.push(() => void temporalServer.kill('SIGTERM'));
    const temporalAddress = `127.0.0.1:${temporalPort}`;
    const temporal = await connectTemporal(temporalAddress);
    cleanups.push(() => temporal.connection.close());

    // MariaDB: a private server that may be restarted; without one, the shared server behind a proxy that is cut.
    let databaseUrl: string;
    let outage: Parameters<typeof runChaos>[0]["databaseOutage"];
    if (PrivateMariaDb.available()) {
      const db = new PrivateMariaDb(dir, await freePort());
      cleanups.push(() => db.stop());
      await db.start();
      databaseUrl = db.url;
      outage = { describe: `private mariadbd restarted (port ${db.port})`, pauseTraffic: true, run: () => db.restart() };
    } else {
      const shared = new URL(process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/orders');
      const proxy = new TcpProxy(shared.hostname, Number(shared.port || 3306));
      const port = await proxy.start();
      cleanups.push(() => proxy.stop());
      shared.port = String(port);
      shared.pathname = `/orders_chaos_${process.pid}`;
      databaseUrl = shared.toString();
      outage = { describe: 'no private mariadbd: every connection to the shared MariaDB cut for 5 s (TCP proxy)', pauseTraffic: true, run: async () => { proxy.cut(); await new Promise((r) => setTimeout(r, 5000)); proxy.restore(); } };
    }
    await migrate(databaseUrl);

    const sim = await startPaymentSim({ port: await freePort(), keysDir: join(dir, 'keys'), refundProcessingMs: 1000, hangMs: 3000, notifyRetryScheduleMs: [200, 500, 1000, 2000, 5000] });
    cleanups.push(() => sim.close());
    const apiPort = await freePort();
    const env: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: 'orders-chaos',
      API_PORT: String(apiPort),
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      PAYMENT_KEYS_DIR: join(dir, 'keys'),
      PAYMENT_HTTP_TIMEOUT_MS: '1500',
      WECHATPAY_BASE_URL: sim.url,
      ALIPAY_GATEWAY_URL: `${sim.url}/gateway.do`,
      REFUND_POLL_SCHEDULE: '1s,2s,5s',
      PAYMENT_QUERY_SCHEDULE: '3s,5s',
      LATE_PAYMENT_WINDOW: '1m',
      RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
      RATE_LIMIT_POLLS_PER_MINUTE: '1000000',
      SCHEDULE_ID_SUFFIX: 'chaos',
    };
    const config = readAppConfig({ ...process.env, ...env, NODE_ENV: 'development' });
    const app = await createApiApp(config, { logger: false });
    await app.listen(apiPort, '127.0.0.1');
    cleanups.push(() => app.close());
    const dataSource = await connectDataSource(databaseUrl, { poolSize: 4 });
    cleanups.push(() => dataSource.destroy());

    // Each restarted worker starts from plain JavaScript and the prebuilt workflow bundle, in about a
    // second: under ts-node with webpack bundling at start, recovery after a kill took 30-80 s here.
    const compiled = transpileWorker(join(dir, 'worker'));
    env.WORKFLOW_BUNDLE = await workflowBundle;
    const worker = new WorkerSupervisor(() =>
      spawn(process.execPath, [compiled.main], { env: { ...process.env, ...env, ...compiled.env, NODE_ENV: 'development' }, stdio: ['ignore', 'ignore', 'inherit'] }),
    );
    worker.start();
    cleanups.push(() => worker.stop());

    console.log(`[chaos] private system: API :${apiPort}, Temporal ${temporalAddress}, ${databaseUrl}, simulator ${sim.url}`);
    const report = await runChaos(
      {
        apiUrl: `http://127.0.0.1:${apiPort}`,
        sim: new SimControl(sim.url),
        dataSource,
        temporal,
        taskQueue: 'orders-chaos',
        token: (role, id) => mintToken(config.api.jwtSecret, role, id),
        killWorker: async () => {
          if (!stopping) worker.kill();
        },
        databaseOutage: outage,
      },
      options,
    );
    console.log(formatReport(report, options));
    console.log(`  worker exited on its own and was restarted: ${worker.exitedOnItsOwn}`);
    const clean = report.ordersLost.length + report.moneyMovedTwice.length + report.moneyMismatches.length + report.stockDrift.length + report.workflowsFailedOrTerminated.length + report.answers5xx === 0;
    await cleanup();
    process.exit(clean ? 0 : 1);
  } catch (err) {
    console.error(err);
    await cleanup();
    process.exit(1);
  }
}

async function connectTemporal(address: string): Promise<Client> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1s' });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      // The system's codec: the harness reads the workflows' (encrypted) payloads.
      return new Client({ connection, namespace: 'default', dataConverter: temporalDataConverter(readPayloadEncryption(process.env)) });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

void main();
