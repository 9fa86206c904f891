/**
 * The Grafana dashboards of deploy/grafana/dashboards/, written from this one description so every panel
 * has the same shape (`npm run dashboards` rewrites the JSON; test/unit/grafana-dashboards.test.ts fails
 * when the committed JSON and this file disagree). Three dashboards:
 *
 *   orders-business  orders, cancels, refunds by status and provider, after-sales, complaints, support queues,
 *                    webhook deliveries to sellers
 *   orders-worker    the Temporal worker: task slots, schedule-to-start, activity failures by type, backlog
 *   orders-api       request rate, errors, latency
 *
 * Every query names metrics the system exports (test/integration/prometheus.test.ts checks each against a
 * real Prometheus scraping a running API, worker and Temporal dev server). Replicas of the API and the
 * worker export the same database-derived gauges, hence max by (...) on those.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Unit = 'short' | 'ms' | 's' | 'dtdurations' | 'percentunit' | 'reqps' | 'bytes' | 'dateTimeFromNow';

interface PanelSpec {
  title: string;
  description?: string;
  type?: 'timeseries' | 'stat' | 'table' | 'bargauge';
  unit?: Unit;
  /** Grid width (of 24); height is 8. */
  width?: number;
  stacked?: boolean;
  targets: { expr: string; legend?: string; instant?: boolean }[];
}

interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

interface DashboardSpec {
  file: string;
  uid: string;
  title: string;
  description: string;
  tags: string[];
  /** Template variables beyond the datasource: label values of a metric. */
  variables?: { name: string; label: string; query: string }[];
  rows: RowSpec[];
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** The worker's SDK metrics, without the Temporal server's own SDK worker (it exports the same names). */
const SDK = 'service_name="temporal-core-sdk", namespace=~"$namespace", task_queue=~"$task_queue"';
/** Requests that are the API's work: not Prometheus's scrapes nor the orchestrator's probes. */
const WORK = 'route!~"/metrics|/health.*"';

export const DASHBOARDS: DashboardSpec[] = [
  {
    file: 'orders-business.json',
    uid: 'orders-business',
    title: 'Orders — business',
    description: 'Orders, cancellations, refunds by status and provider, after-sales, complaints, and the queues support works from.',
    tags: ['orders', 'business'],
    rows: [
      {
        title: 'Orders and cancellations',
        panels: [
          { title: 'Orders created per minute', description: 'By payment type; one per seller in a trade, replays not counted.', unit: 'short', targets: [{ expr: 'sum by (payment_type) (rate(orders_created_total[$__rate_interval])) * 60', legend: '{{payment_type}}' }] },
          { title: 'Cancel requests per minute', description: 'By outcome: accepted, already_cancelled, refused.', unit: 'short', targets: [{ expr: 'sum by (outcome) (rate(orders_cancellation_requests_total[$__rate_interval])) * 60', legend: '{{outcome}}' }] },
          { title: 'Provider notifications per minute', description: 'Payment and refund notifications by provider and outcome (accepted, duplicate, rejected).', unit: 'short', targets: [{ expr: 'sum by (provider, outcome) (rate(orders_provider_notifications_total[$__rate_interval])) * 60', legend: '{{provider}} {{outcome}}' }] },
        ],
      },
      {
        title: 'Refunds',
        panels: [
          { title: 'Refunds by status', type: 'stat', width: 8, targets: [{ expr: 'sum by (status) (max by (provider, status) (orders_refunds))', legend: '{{status}}', instant: true }] },
          { title: 'Refunds by provider and status', width: 16, stacked: true, targets: [{ expr: 'max by (provider, status) (orders_refunds)', legend: '{{provider}} {{status}}' }] },
          { title: 'Refunds waiting for support', description: 'ABNORMAL, or CLOSED and not re-issued: POST /support/refunds/{refundSn}/resolution. Alerts above 10.', type: 'stat', width: 8, targets: [{ expr: 'max(orders_refunds_waiting_for_support)', legend: 'waiting', instant: true }] },
          { title: 'Oldest refund waiting for support', description: 'Alerts above 8 h.', type: 'stat', unit: 'dtdurations', width: 8, targets: [{ expr: 'max(orders_refunds_waiting_for_support_oldest_age_seconds)', legend: 'age', instant: true }] },
          { title: 'Refunds succeeded per hour', description: 'Growth of the SUCCESS count.', unit: 'short', width: 8, targets: [{ expr: 'sum by (provider) (delta(max by (provider) (orders_refunds{status="SUCCESS"})[1h:]))', legend: '{{provider}}' }] },
        ],
      },
      {
        title: 'After-sales and complaints',
        panels: [
          { title: 'After-sales by type and status', stacked: true, width: 12, targets: [{ expr: 'max by (service_type, status) (orders_after_sales)', legend: '{{service_type}} {{status}}' }] },
          { title: 'Complaints by status', stacked: true, width: 12, targets: [{ expr: 'max by (status) (orders_complaints)', legend: '{{status}}' }] },
        ],
      },
      {
        title: 'Money in flight: notifications and reconciliation',
        panels: [
          { title: 'Undelivered provider notifications', description: 'Stored, not yet delivered to their workflow (last 72 h).', width: 8, targets: [{ expr: 'max by (provider) (orders_provider_notifications_undelivered)', legend: '{{provider}}' }] },
          { title: 'Oldest undelivered notification', description: 'Alerts above 10 minutes.', unit: 'dtdurations', width: 8, targets: [{ expr: 'max by (provider) (orders_provider_notifications_undelivered_oldest_age_seconds)', legend: '{{provider}}' }] },
          { title: 'Open reconciliation differences', description: 'Support cases from the daily reconciliation: GET /reconciliation/differences.', type: 'table', width: 8, targets: [{ expr: 'max by (provider, kind) (orders_reconciliation_differences_open) > 0', legend: '{{provider}} {{kind}}', instant: true }] },
        ],
      },
      {
        title: 'Webhooks to sellers',
        panels: [
          { title: 'Deliveries per minute by outcome', description: 'delivered (2xx), retried (no answer, 5xx, 408/409/429, 3xx), failed (another 4xx: not retried, re-sendable). Alert: tries failing with none delivered for 15 minutes.', unit: 'short', width: 8, targets: [{ expr: 'sum by (outcome) (max by (endpoint_id, outcome) (rate(orders_webhook_deliveries_total[$__rate_interval]))) * 60', legend: '{{outcome}}' }] },
          { title: 'Oldest undelivered event per endpoint', description: 'Alert above 15 minutes for 5 minutes.', unit: 'dtdurations', width: 8, targets: [{ expr: 'max by (endpoint_id, seller_id) (orders_webhook_backlog_age_seconds) > 0', legend: 'endpoint {{endpoint_id}} (seller {{seller_id}})' }] },
          { title: 'Endpoints by status', description: 'PAUSED: failed for 3 days; the seller re-enables it and it resumes from its cursor.', type: 'stat', width: 8, targets: [{ expr: 'count by (status) (max by (endpoint_id, status) (orders_webhook_endpoint_status) == 1)', legend: '{{status}}', instant: true }] },
        ],
      },
      {
        title: 'Schedules',
        panels: [
          { title: 'Next run', description: 'In the past: the run is overdue (alert after 10 minutes).', type: 'table', unit: 'dateTimeFromNow', width: 8, targets: [{ expr: 'max by (schedule_id) (orders_schedule_next_action_timestamp_seconds) * 1000', legend: '{{schedule_id}}', instant: true }] },
          { title: 'Last run started', type: 'table', unit: 'dateTimeFromNow', width: 8, targets: [{ expr: 'max by (schedule_id) (orders_schedule_last_action_timestamp_seconds) * 1000', legend: '{{schedule_id}}', instant: true }] },
          { title: 'Missed runs', description: 'catchup_window: the server was down past the catch-up window; overlap: skipped, the previous run still running.', type: 'table', width: 8, targets: [{ expr: 'max by (schedule_id, reason) (orders_schedule_missed_actions_total)', legend: '{{schedule_id}} {{reason}}', instant: true }] },
        ],
      },
    ],
  },
  {
    file: 'orders-worker.json',
    uid: 'orders-worker',
    title: 'Orders — Temporal worker',
    description: "The order worker's Temporal SDK metrics (latencies in ms, Temporal's SDK dashboard units) and the Temporal server's task queue backlog.",
    tags: ['orders', 'temporal', 'worker'],
    variables: [
      { name: 'namespace', label: 'Namespace', query: 'label_values(temporal_worker_task_slots_available{service_name="temporal-core-sdk"}, namespace)' },
      { name: 'task_queue', label: 'Task queue', query: 'label_values(temporal_worker_task_slots_available{service_name="temporal-core-sdk", namespace=~"$namespace"}, task_queue)' },
    ],
    rows: [
      {
        title: 'Task slots',
        panels: [
          { title: 'Task slots available', description: 'Per kind (WorkflowWorker, ActivityWorker, LocalActivityWorker), summed over workers. Near 0: the workers are saturated.', width: 12, targets: [{ expr: `sum by (worker_type) (temporal_worker_task_slots_available{${SDK}})`, legend: '{{worker_type}}' }] },
          { title: 'Task slots used', width: 12, targets: [{ expr: `sum by (worker_type) (temporal_worker_task_slots_used{${SDK}})`, legend: '{{worker_type}}' }] },
        ],
      },
      {
        title: 'Schedule-to-start',
        panels: [
          { title: 'Workflow task schedule-to-start', description: 'How long workflow tasks wait for a worker. Alert: p95 above 1 s for 10 minutes.', unit: 'ms', width: 12, targets: [
            { expr: `histogram_quantile(0.95, sum by (task_queue, le) (rate(temporal_workflow_task_schedule_to_start_latency_bucket{${SDK}}[$__rate_interval])))`, legend: 'p95 {{task_queue}}' },
            { expr: `histogram_quantile(0.50, sum by (task_queue, le) (rate(temporal_workflow_task_schedule_to_start_latency_bucket{${SDK}}[$__rate_interval])))`, legend: 'p50 {{task_queue}}' },
          ] },
          { title: 'Activity schedule-to-start', description: 'How long activities wait for a worker. Alert: p95 above 5 s for 10 minutes.', unit: 'ms', width: 12, targets: [
            { expr: `histogram_quantile(0.95, sum by (task_queue, le) (rate(temporal_activity_schedule_to_start_latency_bucket{${SDK}}[$__rate_interval])))`, legend: 'p95 {{task_queue}}' },
            { expr: `histogram_quantile(0.50, sum by (task_queue, le) (rate(temporal_activity_schedule_to_start_latency_bucket{${SDK}}[$__rate_interval])))`, legend: 'p50 {{task_queue}}' },
          ] },
        ],
      },
      {
        title: 'Activities',
        panels: [
          { title: 'Activity failures by type', description: 'Failed attempts per second (each is retried by Temporal unless non-retryable).', width: 12, targets: [{ expr: `sum by (activity_type) (rate(temporal_activity_execution_failed{${SDK}}[$__rate_interval]))`, legend: '{{activity_type}}' }] },
          { title: 'Activity execution p95 by type', unit: 'ms', width: 12, targets: [{ expr: `histogram_quantile(0.95, sum by (activity_type, le) (rate(temporal_activity_execution_latency_bucket{${SDK}}[$__rate_interval])))`, legend: '{{activity_type}}' }] },
          { title: 'Activities executed per second by type', width: 12, targets: [{ expr: `sum by (activity_type) (rate(temporal_activity_execution_latency_count{${SDK}}[$__rate_interval]))`, legend: '{{activity_type}}' }] },
          { title: 'Last activity completed', description: 'Per worker process.', type: 'stat', unit: 'dateTimeFromNow', width: 12, targets: [{ expr: 'orders_worker_last_activity_completed_timestamp_seconds * 1000', legend: '{{instance}}', instant: true }] },
        ],
      },
      {
        title: 'Workflows',
        panels: [
          { title: 'Workflow tasks completed per second', description: 'The stall alert fires when none completes for 5 minutes while tasks are queued.', width: 8, targets: [{ expr: `sum by (workflow_type) (rate(temporal_workflow_task_execution_latency_count{${SDK}}[$__rate_interval]))`, legend: '{{workflow_type}}' }] },
          { title: 'Workflow task execution p95', unit: 'ms', width: 8, targets: [{ expr: `histogram_quantile(0.95, sum by (workflow_type, le) (rate(temporal_workflow_task_execution_latency_bucket{${SDK}}[$__rate_interval])))`, legend: '{{workflow_type}}' }] },
          { title: 'Workflows completed per minute', width: 8, targets: [{ expr: `sum by (workflow_type) (rate(temporal_workflow_completed{${SDK}}[$__rate_interval])) * 60`, legend: '{{workflow_type}}' }] },
          { title: 'Sticky cache size', width: 8, targets: [{ expr: 'sum by (instance) (temporal_sticky_cache_size{service_name="temporal-core-sdk", namespace=~"$namespace"})', legend: '{{instance}}' }] },
          { title: 'Server RPCs per second', description: "The worker's calls to the Temporal server by operation.", width: 8, targets: [{ expr: 'sum by (operation) (rate(temporal_request{service_name="temporal-core-sdk", namespace=~"$namespace"}[$__rate_interval]))', legend: '{{operation}}' }] },
          { title: 'Worker memory', unit: 'bytes', width: 8, targets: [{ expr: 'process_resident_memory_bytes{job="orders-worker"}', legend: '{{instance}}' }] },
        ],
      },
      {
        title: 'Task queue backlog (Temporal server)',
        panels: [
          { title: 'Approximate backlog', description: "The server's count of tasks waiting on each queue (all partitions), without its own system queues.", width: 12, targets: [{ expr: 'sum by (taskqueue, task_type) (approximate_backlog_count{namespace=~"$namespace", taskqueue!~"temporal_sys_.*"})', legend: '{{taskqueue}} {{task_type}}' }] },
          { title: 'Oldest backlog task', unit: 's', width: 12, targets: [{ expr: 'max by (taskqueue, task_type) (approximate_backlog_age_seconds{namespace=~"$namespace", taskqueue!~"temporal_sys_.*"})', legend: '{{taskqueue}} {{task_type}}' }] },
        ],
      },
    ],
  },
  {
    file: 'orders-api.json',
    uid: 'orders-api',
    title: 'Orders — API',
    description: 'Request rate, errors and latency of the NestJS API, by route pattern (scrapes and probes left out).',
    tags: ['orders', 'api'],
    rows: [
      {
        title: 'Traffic and errors',
        panels: [
          { title: 'Requests per second by route', unit: 'reqps', width: 12, targets: [{ expr: `sum by (method, route) (rate(http_request_duration_seconds_count{${WORK}}[$__rate_interval]))`, legend: '{{method}} {{route}}' }] },
          { title: 'Requests per second by status', unit: 'reqps', stacked: true, width: 12, targets: [{ expr: `sum by (status) (rate(http_request_duration_seconds_count{${WORK}}[$__rate_interval]))`, legend: '{{status}}' }] },
          { title: '5xx share', description: 'Alert: above 5% (and more than one every 50 s) for 5 minutes.', unit: 'percentunit', width: 12, targets: [{ expr: `sum(rate(http_request_duration_seconds_count{status=~"5..", ${WORK}}[$__rate_interval])) / sum(rate(http_request_duration_seconds_count{${WORK}}[$__rate_interval]))`, legend: '5xx' }] },
          { title: '4xx by route', unit: 'reqps', width: 12, targets: [{ expr: `sum by (route, status) (rate(http_request_duration_seconds_count{status=~"4..", ${WORK}}[$__rate_interval]))`, legend: '{{status}} {{route}}' }] },
        ],
      },
      {
        title: 'Latency',
        panels: [
          { title: 'Latency (all routes)', unit: 's', width: 12, targets: [
            { expr: `histogram_quantile(0.50, sum by (le) (rate(http_request_duration_seconds_bucket{${WORK}}[$__rate_interval])))`, legend: 'p50' },
            { expr: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${WORK}}[$__rate_interval])))`, legend: 'p95' },
            { expr: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${WORK}}[$__rate_interval])))`, legend: 'p99' },
          ] },
          { title: 'p95 latency by route', unit: 's', width: 12, targets: [{ expr: `histogram_quantile(0.95, sum by (method, route, le) (rate(http_request_duration_seconds_bucket{${WORK}}[$__rate_interval])))`, legend: '{{method}} {{route}}' }] },
        ],
      },
      {
        title: 'Process',
        panels: [
          { title: 'Event loop lag p99', unit: 's', width: 8, targets: [{ expr: 'nodejs_eventloop_lag_p99_seconds{job="orders-api"}', legend: '{{instance}}' }] },
          { title: 'CPU', unit: 'percentunit', width: 8, targets: [{ expr: 'rate(process_cpu_seconds_total{job="orders-api"}[$__rate_interval])', legend: '{{instance}}' }] },
          { title: 'Memory', unit: 'bytes', width: 8, targets: [{ expr: 'process_resident_memory_bytes{job="orders-api"}', legend: '{{instance}}' }] },
        ],
      },
    ],
  },
];

function panelJson(panel: PanelSpec, id: number, x: number, y: number) {
  const type = panel.type ?? 'timeseries';
  const width = panel.width ?? 8;
  const base = {
    id,
    type,
    title: panel.title,
    ...(panel.description ? { description: panel.description } : {}),
    datasource: DATASOURCE,
    gridPos: { h: 8, w: width, x, y },
    targets: panel.targets.map((target, index) => ({
      datasource: DATASOURCE,
      refId: String.fromCharCode(65 + index),
      expr: target.expr,
      legendFormat: target.legend ?? '__auto',
      ...(target.instant ? { instant: true, range: false } : { range: true }),
    })),
    fieldConfig: { defaults: { unit: panel.unit ?? 'short', ...(type === 'timeseries' ? { custom: { fillOpacity: panel.stacked ? 40 : 10, stacking: { mode: panel.stacked ? 'normal' : 'none' }, showPoints: 'never' } } : {}) }, overrides: [] },
  };
  if (type === 'stat') return { ...base, options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value_and_name' } };
  if (type === 'table') return { ...base, options: { showHeader: true }, transformations: [{ id: 'reduce', options: { reducers: ['lastNotNull'] } }] };
  return { ...base, options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } } };
}

export function dashboardJson(spec: DashboardSpec) {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    for (const panel of row.panels) {
      const width = panel.width ?? 8;
      if (x + width > 24) {
        x = 0;
        y += 8;
      }
      panels.push(panelJson(panel, id++, x, y));
      x += width;
    }
    y += 8;
  }
  const variables = [
    { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1 },
    ...(spec.variables ?? []).map((variable) => ({
      name: variable.name,
      label: variable.label,
      type: 'query',
      datasource: DATASOURCE,
      query: { query: variable.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
      definition: variable.query,
      includeAll: true,
      allValue: '.*',
      multi: true,
      current: { selected: true, text: ['All'], value: ['$__all'] },
      refresh: 2,
      sort: 1,
      hide: 0,
    })),
  ];
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    templating: { list: variables },
    annotations: { list: [] },
    links: [],
    panels,
  };
}

/** The file contents, as written (2-space JSON with a final newline). */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(DASHBOARDS.map((spec) => [spec.file, `${JSON.stringify(dashboardJson(spec), null, 2)}\n`]));
}

if (require.main === module) {
  const dir = join(__dirname, '..', 'deploy', 'grafana', 'dashboards');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(renderDashboards())) {
    writeFileSync(join(dir, file), text);
    console.log(`wrote deploy/grafana/dashboards/${file}`);
  }
}
