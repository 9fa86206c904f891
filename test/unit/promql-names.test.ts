/** The metric-name extractor the Prometheus test relies on (test/support/promql-names.ts). */
import { join } from 'node:path';
import { dashboardExpressions, metricNames, ruleExpressions, variableQueryMetricNames } from '../support/promql-names';

describe('metricNames', () => {
  it.each([
    ['orders_refunds', ['orders_refunds']],
    ['max(orders_refunds_waiting_for_support) > 10', ['orders_refunds_waiting_for_support']],
    ['max(orders_refunds_waiting_for_support_oldest_age_seconds) > 8 * 3600', ['orders_refunds_waiting_for_support_oldest_age_seconds']],
    ['sum by (payment_type) (rate(orders_created_total[$__rate_interval])) * 60', ['orders_created_total']],
    ['histogram_quantile(0.95, sum by (namespace, task_queue, le) (rate(temporal_workflow_task_schedule_to_start_latency_bucket{service_name="temporal-core-sdk"}[5m]))) > 1000', ['temporal_workflow_task_schedule_to_start_latency_bucket']],
    ['sum(rate(a_total{status=~"5..", route!~"/metrics|/health.*"}[5m])) / sum(rate(a_total[5m])) > 0.05 and sum(rate(a_total{status=~"5.."}[5m])) > 0.02', ['a_total']],
    ['sum by (namespace) (x{task_type="Workflow"}) > 0 unless on (namespace) sum by (namespace) (increase(y[5m])) > 0', ['x', 'y']],
    ['time() - max by (schedule_id) (orders_schedule_next_action_timestamp_seconds) > 600', ['orders_schedule_next_action_timestamp_seconds']],
    ['up{job=~"orders-api|orders-worker"} == 0', ['up']],
    ['rate(a[5m] offset 1h) * on (instance) group_left (version) build_info', ['a', 'build_info']],
    ['sum(x) by (le) or vector(0)', ['x']],
    ['delta(max by (provider) (orders_refunds{status="SUCCESS"})[1h:])', ['orders_refunds']],
    ['x > bool 1e3', ['x']],
    ['label_replace(up, "dst", "$1", "src", "(.*)")', ['up']],
    ['metric:recorded:rate5m', ['metric:recorded:rate5m']],
    ['sum(rate(x{a="${var}"}[$__interval]))', ['x']],
    ['{__name__="only_by_name"}', ['only_by_name']],
    ['count({__name__=~"orders_.*"})', []],
  ])('%s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });

  it('reads the selector of a Grafana label_values() variable, not its label', () => {
    expect(variableQueryMetricNames('label_values(temporal_worker_task_slots_available{service_name="temporal-core-sdk", namespace=~"$namespace"}, task_queue)')).toEqual(['temporal_worker_task_slots_available']);
    expect(variableQueryMetricNames('label_values(namespace)')).toEqual([]);
  });

  it('finds a name in every alert rule and every dashboard query of deploy/', () => {
    const root = join(__dirname, '..', '..', 'deploy');
    const all = [...ruleExpressions(join(root, 'prometheus', 'rules')), ...dashboardExpressions(join(root, 'grafana', 'dashboards'))];
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((e) => e.names.length === 0).map((e) => e.source)).toEqual([]);
  });
});
