/**
 * Prometheus for real (deploy/prometheus, deploy/grafana):
 *  - promtool accepts the configuration and the rule files, and the rule unit tests pass; every alert has
 *    a unit test where it fires and one where it does not;
 *  - Debian's Prometheus server, on a free port, scrapes this test system's API, a worker process and the
 *    run's Temporal dev server every second (a temporary config naming their ports, the real rule files);
 *    after a little traffic (a cancelled paid order whose refund fails once at the provider, an after-sale)
 *    every metric named by an alert rule or a dashboard query has a series there — from the app's jobs, or
 *    for the few the Temporal server exports, from the server's; every one of those queries evaluates
 *    without error, every rule evaluates healthy, and no alert fires on this healthy system;
 *  - rows that need support (a refund ABNORMAL for 9 h, a notification undelivered for 20 minutes, an open
 *    reconciliation difference) and a seller's webhook endpoint paused after its receiver went away reach
 *    the alert rules through the worker's gauges: those alerts go pending.
 * Prometheus missing is a failure, not a skip: scripts/ensure-prometheus.sh installs it (npm test, .ci/run).
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterSaleApi, receivedTwoLineOrder } from '../support/after-sales';
import { newSellerId } from '../support/fixtures';
import { freePort, startOnFreePorts } from '../support/free-port';
import { placePaidOrder } from '../support/orders';
import { NamedExpression, dashboardExpressions, labelValuesSelector, ruleExpressions } from '../support/promql-names';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { WebhookReceiver } from '../support/webhook-receiver';
import { registerEndpoint } from '../support/webhooks';

const root = join(__dirname, '..', '..');
const prometheusDir = join(root, 'deploy', 'prometheus');
const rulesDir = join(prometheusDir, 'rules');
const testsDir = join(prometheusDir, 'tests');
const dashboardsDir = join(root, 'deploy', 'grafana', 'dashboards');

/** Metrics only the Temporal server exports (job "temporal"): its task queue backlog per partition. */
const SERVER_SIDE = new Set(['approximate_backlog_count', 'approximate_backlog_age_seconds']);
/** Made by Prometheus itself for every target. */
const PROMETHEUS_SIDE = new Set(['up']);
/** The scrape jobs, named as in deploy/prometheus/prometheus.yml (alerts and dashboards select on them). */
const APP_JOBS = ['orders-api', 'orders-worker'];

function binary(name: string): string {
  const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} is not installed: run scripts/ensure-prometheus.sh (apt-get install prometheus); npm test and .ci/run do`);
  return found;
}

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(binary('promtool'), args, { cwd: prometheusDir, encoding: 'utf8', timeout: 60_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
  }
}

const allExpressions = (): NamedExpression[] => [...ruleExpressions(rulesDir), ...dashboardExpressions(dashboardsDir)];

/** Grafana's variables as a dashboard with every value selected would send them. */
function forPrometheus(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}/g, '1m').replace(/\$\{?(namespace|task_queue)\}?/g, '.*');
}

describe('promtool', () => {
  it('accepts the configuration and the rule files, and the rule unit tests pass', async () => {
    expect(await promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: prometheus.yml is valid/);
    const rules = readdirSync(rulesDir).filter((f) => f.endsWith('.yml')).map((f) => join('rules', f));
    expect(rules.length).toBeGreaterThan(0);
    const checked = await promtool('check', 'rules', ...rules);
    expect(checked.match(/SUCCESS: \d+ rules found/g)).toHaveLength(rules.length);
    const tests = readdirSync(testsDir).filter((f) => f.endsWith('.yml')).map((f) => join('tests', f));
    const tested = await promtool('test', 'rules', ...tests);
    expect(tested.match(/SUCCESS/g)).toHaveLength(tests.length);
  });

  it('has, for every alert, a unit test where it fires and one where it does not', () => {
    const alerts = ruleExpressions(rulesDir).map((e) => e.source.split(' ').pop()!);
    const fires = new Set<string>();
    const stays = new Set<string>();
    for (const file of readdirSync(testsDir).filter((f) => f.endsWith('.yml'))) {
      const doc = parse(readFileSync(join(testsDir, file), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
      for (const test of doc.tests) {
        for (const check of test.alert_rule_test ?? []) (check.exp_alerts?.length ? fires : stays).add(check.alertname);
      }
    }
    expect(alerts.length).toBeGreaterThanOrEqual(11);
    expect({ withoutFiringTest: alerts.filter((a) => !fires.has(a)), withoutQuietTest: alerts.filter((a) => !stays.has(a)) }).toEqual({ withoutFiringTest: [], withoutQuietTest: [] });
  });
});

describe('a real Prometheus scraping the API, a worker process and the Temporal dev server', () => {
  let system: TestSystem;
  let worker: ChildProcess;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let scratch: string;
  let prometheusLog = '';
  const receiver = new WebhookReceiver();
  const webhookSeller = newSellerId();
  const couponBody = { title: 'Prometheus', thresholdFen: 10_000, valueFen: 500, validFrom: new Date(Date.now() - 60_000).toISOString(), validUntil: new Date(Date.now() + 86_400_000).toISOString(), totalCount: 10 };

  async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${prometheusUrl}${path}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }
  const query = (expr: string) => api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>('/api/v1/query', { query: expr });

  beforeAll(async () => {
    const prometheusBin = binary('prometheus');
    const temporalMetricsUrl = process.env.TEST_TEMPORAL_METRICS_URL;
    if (!temporalMetricsUrl) {
      throw new Error('TEST_TEMPORAL_METRICS_URL is not set: the run\'s Temporal dev server sets it (global setup); with TEST_TEMPORAL_ADDRESS naming another server, set it to that server\'s Prometheus endpoint');
    }
    // Its own database: the gauges count whole tables, and the last test adds rows that need support.
    // Webhooks to receivers in this process; an endpoint failing for 1 s is paused (the last test's dead one).
    system = await startTestSystem({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_INITIAL: '500ms', WEBHOOK_RETRY_FOR: '1s' }, { ownDatabase: true });
    await system.stopWorker();
    // Fixed ports (Prometheus's configuration names them), picked free; picked again if another test
    // binds one first and the worker exits (EADDRINUSE).
    const started = await startOnFreePorts('worker process', async () => {
      const port = await freePort();
      let sdkPort = await freePort();
      while (sdkPort === port) sdkPort = await freePort();
      const target = `127.0.0.1:${port}`;
      const child = system.spawnWorkerProcess({ WORKER_METRICS_PORT: String(port), WORKER_SDK_METRICS_ADDRESS: `127.0.0.1:${sdkPort}` });
      return { child, value: target, ready: async () => (await fetch(`http://${target}/health`)).status === 200 };
    });
    worker = started.child;
    const workerTarget = started.value;

    scratch = mkdtempSync(join(tmpdir(), 'orders-prometheus-'));
    const temporal = new URL(temporalMetricsUrl);
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [join(rulesDir, '*.yml')],
      scrape_configs: [
        { job_name: 'orders-api', static_configs: [{ targets: [new URL(system.apiUrl).host] }] },
        { job_name: 'orders-worker', static_configs: [{ targets: [workerTarget] }] },
        // The dev server's page is large (every server metric): every 2 s is enough.
        { job_name: 'temporal', scrape_interval: '2s', scrape_timeout: '2s', metrics_path: temporal.pathname, static_configs: [{ targets: [temporal.host] }] },
      ],
    };
    writeFileSync(join(scratch, 'prometheus.yml'), stringify(config));
    // Prometheus on a free port, picked again if it is taken before Prometheus binds it.
    const started2 = await startOnFreePorts('prometheus', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const child = spawn(prometheusBin, [`--config.file=${join(scratch, 'prometheus.yml')}`, `--storage.tsdb.path=${join(scratch, 'data')}`, `--web.listen-address=${new URL(url).host}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (prometheusLog = (prometheusLog + chunk).slice(-20_000)));
      return { child, value: url, ready: async () => (await fetch(`${url}/-/ready`)).status === 200 };
    }, { timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}: ${prometheusLog}`);
    });
    prometheus = started2.child;
    prometheusUrl = started2.value;

    // A little traffic: a seller's webhook endpoint that receives its events, a paid order cancelled by
    // its seller, its refund failing once at the provider (an activity failure, retried), and a received
    // order's after-sale.
    await receiver.listen();
    await registerEndpoint(system, webhookSeller, receiver, { description: 'prometheus test' });
    expect((await system.http('POST', '/promotions/coupons', { token: system.token('seller', webhookSeller), body: couponBody })).status).toBe(201);
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', outcomes: ['500'] });
    const order = await placePaidOrder(system, 'wechatpay');
    const cancelled = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `prom-${order.orderSn}` }, body: { reason: 'out of stock' } });
    expect(cancelled.status).toBe(202);
    const received = await receivedTwoLineOrder(system, 'alipay');
    const applied = await afterSaleApi(system, received).apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: received.lines[0].orderItemId, num: 1 }], reason: 'Cracked cup' }, `prom-as-${received.orderSn}`);
    expect(applied.status).toBeLessThan(300);
    await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT status FROM refund WHERE order_sn = ? AND status = 'SUCCESS'`, [order.orderSn]);
      return row ? true : undefined;
    }, 60_000, 'the cancelled order refunded');
  }, 240_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    await system?.stop();
    await receiver.close();
  });

  it('has a series for every metric an alert rule or a dashboard query names, from the job that exports it', async () => {
    const expressions = allExpressions();
    const named = new Map<string, string[]>();
    for (const e of expressions) for (const name of e.names) named.set(name, [...(named.get(name) ?? []), e.source]);
    expect(named.size).toBeGreaterThan(30);

    // The jobs each metric has series from. The server's backlog gauges come with its periodic task queue
    // report (up to about a minute after a queue is first used), hence the long wait.
    const jobsOf = async () => {
      const found = new Map<string, Set<string>>();
      for (const name of named.keys()) {
        const { result } = await query(`count by (job) ({__name__="${name}"})`);
        found.set(name, new Set(result.map((r) => r.metric.job)));
      }
      return found;
    };
    const expectedJobs = (name: string) => (SERVER_SIDE.has(name) ? ['temporal'] : PROMETHEUS_SIDE.has(name) ? [...APP_JOBS, 'temporal'] : APP_JOBS);
    const missingFrom = (found: Map<string, Set<string>>) =>
      [...named.keys()]
        .filter((name) => {
          const jobs = found.get(name)!;
          // An app metric must come from an app job (the Temporal server exports some temporal_* names of its own).
          return PROMETHEUS_SIDE.has(name) ? !expectedJobs(name).every((job) => jobs.has(job)) : !expectedJobs(name).some((job) => jobs.has(job));
        })
        .map((name) => `${name} (expected from ${expectedJobs(name).join('/')}, seen from ${[...found.get(name)!].join('/') || 'nowhere'}; named by ${named.get(name)!.join(', ')})`);
    let missing: string[] = [];
    const deadline = Date.now() + 150_000;
    for (;;) {
      missing = missingFrom(await jobsOf());
      if (missing.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(missing).toEqual([]);

    // The SDK's metrics come from this worker (service_name="temporal-core-sdk"), not only from the server's own SDK worker.
    for (const name of [...named.keys()].filter((n) => n.startsWith('temporal_'))) {
      const { result } = await query(`count({__name__="${name}", job="orders-worker", service_name="temporal-core-sdk"})`);
      expect({ name, series: Number(result[0]?.value[1] ?? 0) > 0 }).toEqual({ name, series: true });
    }
    // What the traffic did is in those series: the refund's failed attempt, by activity type.
    const failed = await query('sum by (activity_type) (temporal_activity_execution_failed{job="orders-worker"})');
    expect(failed.result.map((r) => r.metric.activity_type)).toContain('submitRefund');
  }, 240_000);

  it('evaluates every dashboard query and alert expression without error', async () => {
    const errors: string[] = [];
    for (const e of allExpressions()) {
      try {
        // A label_values() variable is a series lookup in Grafana, not a query.
        const selector = labelValuesSelector(e.expr);
        if (selector) await api('/api/v1/series', { 'match[]': forPrometheus(selector) });
        else await query(forPrometheus(e.expr));
      } catch (err) {
        errors.push(`${e.source}: ${(err as Error).message}`);
      }
    }
    expect(errors).toEqual([]);
  });

  it('evaluates every rule healthy, and no alert fires on this healthy system', async () => {
    type Rule = { name: string; type: string; health: string; lastError?: string; lastEvaluation: string; state?: string };
    const expected = ruleExpressions(rulesDir).map((e) => e.source.split(' ').pop()!).sort();
    const rules = await eventually(async () => {
      const { groups } = await api<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
      const all = groups.flatMap((g) => g.rules);
      return all.length === expected.length && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
    }, 30_000, 'every rule evaluated');
    expect(rules.map((r) => r.name).sort()).toEqual(expected);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError}`)).toEqual([]);
    const { alerts } = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
    expect(alerts.filter((a) => a.state === 'firing').map((a) => a.labels)).toEqual([]);
    // Not even pending — but a scrape timing out on this busy 2-core box makes `up` 0 for a second;
    // and the dev server's backlog is shared with the other test files, some of which queue workflow
    // tasks with no worker on purpose (cancels and steps answered without a worker), so the stall
    // rule may be pending on the server's side of its join while this worker has not yet completed a
    // task in its window (its behaviour is promtool's to test: deploy/prometheus/tests/).
    const sharedServer = new Set(['ScrapeTargetDown', 'TemporalWorkflowTasksStalled']);
    expect(alerts.filter((a) => !sharedServer.has(a.labels.alertname)).map((a) => a.labels)).toEqual([]);
  });

  it('carries rows that need support into the alert rules through the worker', async () => {
    const db = system.dataSource;
    await db.query(
      `INSERT INTO refund (refund_sn, cause_key, order_sn, provider, out_trade_no, refund_fen, total_fen, reason, status, failure_reason, updated_at)
       VALUES ('RPROM1', 'prom:abnormal', 'OPROM1', 'wechatpay', 'PPROM1W', 100, 100, 'test', 'ABNORMAL', 'card closed', CURRENT_TIMESTAMP(3) - INTERVAL 9 HOUR)`,
    );
    await db.query(
      `INSERT INTO provider_notification (provider, notification_id, kind, out_trade_no, payload_json, received_at)
       VALUES ('alipay', 'prom-undelivered', 'payment', 'PPROM2A', '{}', CURRENT_TIMESTAMP(3) - INTERVAL 20 MINUTE)`,
    );
    await db.query(
      `INSERT INTO reconciliation_difference (run_id, provider, bill_date, kind, ref_key, out_trade_no, detail, status)
       VALUES (0, 'wechatpay', CURRENT_DATE - INTERVAL 1 DAY, 'AMOUNT_MISMATCH', 'prom', 'PPROM3W', 'test', 'OPEN')`,
    );

    // A seller's endpoint whose receiver is gone: its next event fails, and failing past WEBHOOK_RETRY_FOR pauses it.
    const gone = new WebhookReceiver();
    await gone.listen();
    const dead = await registerEndpoint(system, webhookSeller, gone, { description: 'gone' });
    await gone.close();
    expect((await system.http('POST', '/promotions/coupons', { token: system.token('seller', webhookSeller), body: couponBody })).status).toBe(201);

    const pending = await eventually(async () => {
      const { alerts } = await api<{ alerts: { labels: Record<string, string>; state: string; value: string }[] }>('/api/v1/alerts');
      const names = ['RefundWaitingForSupportTooLong', 'ProviderNotificationsUndelivered', 'ReconciliationDifferencesFound', 'WebhookEndpointPaused'];
      const ours = alerts.filter((a) => names.includes(a.labels.alertname));
      return ours.length === names.length ? ours : undefined;
    }, 60_000, 'the four alerts active');
    expect(pending.map((a) => ({ labels: a.labels, state: a.state })).sort((a, b) => a.labels.alertname.localeCompare(b.labels.alertname))).toEqual([
      { labels: { alertname: 'ProviderNotificationsUndelivered', provider: 'alipay', severity: 'warning' }, state: 'pending' },
      { labels: { alertname: 'ReconciliationDifferencesFound', provider: 'wechatpay', kind: 'AMOUNT_MISMATCH', severity: 'warning' }, state: 'pending' },
      // for: 1m — it may already have turned firing.
      { labels: { alertname: 'RefundWaitingForSupportTooLong', severity: 'warning' }, state: expect.stringMatching(/^(pending|firing)$/) },
      { labels: { alertname: 'WebhookEndpointPaused', endpoint_id: String(dead.id), seller_id: String(webhookSeller), severity: 'info' }, state: expect.stringMatching(/^(pending|firing)$/) },
    ]);
    const age = Number((await query('max(orders_refunds_waiting_for_support_oldest_age_seconds)')).result[0].value[1]);
    expect(age).toBeGreaterThan(9 * 3600 - 5);
    expect(age).toBeLessThan(9 * 3600 + 120);
    const undelivered = Number((await query('max(orders_provider_notifications_undelivered{provider="alipay"})')).result[0].value[1]);
    expect(undelivered).toBe(1);
  });
});
