/**
 * The Temporal server's own `action` counter (server 1.17+, frontend's telemetry interceptor), read from
 * its Prometheus endpoint (the dev server's --metrics-port; TEST_TEMPORAL_METRICS_URL in tests). It
 * counts by RPC and command, not from history, so it is the independent check of countEngineWork:
 * - each RecordMarker command is counted once on its own (command_RecordMarker…) and once more per
 *   workflow task as command_BatchMarkers; Cloud bills the batch, so the per-marker series are left out;
 * - queries (grpc_QueryWorkflow), activity heartbeats and rejected Updates are counted by the metric
 *   and absent from histories; they are reported apart (`notInHistory`);
 * - a memo upsert (command_ModifyWorkflowProperties) is counted by the metric but is not on Cloud's
 *   published list; reported apart too (`memoUpserts`);
 * - an upsert of TemporalChangeVersion alone (the TS SDK writes one with each patch marker) is counted
 *   by the metric as any upsert, and exempt on Cloud's list: countEngineWork counts it apart
 *   (`changeVersionUpserts`), so metric = actions + changeVersionUpserts + memoUpserts.
 */
export interface ActionSnapshot {
  /** action_type → count, summed over the namespace's series. */
  byType: Map<string, number>;
}

export async function readActionMetric(metricsUrl: string, namespace = 'default'): Promise<ActionSnapshot> {
  const text = await (await fetch(metricsUrl)).text();
  const byType = new Map<string, number>();
  for (const line of text.split('\n')) {
    // `action` (tally's exporter) or `action_total` (OpenTelemetry's counter suffix), by server version.
    if (!line.startsWith('action{') && !line.startsWith('action_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const value = Number(line.slice(line.lastIndexOf('}') + 1).trim());
    const label = (name: string) => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1];
    if (label('namespace') !== namespace) continue;
    const type = label('action_type') ?? '?';
    byType.set(type, (byType.get(type) ?? 0) + value);
  }
  return { byType };
}

export interface ActionDelta {
  /** Comparable with countEngineWork's `actions`: everything a history shows, markers as batches. */
  comparable: number;
  memoUpserts: number;
  notInHistory: number;
  /** Left out as double counts (per-marker series). */
  perMarker: number;
  byType: Map<string, number>;
}

export function actionDelta(before: ActionSnapshot, after: ActionSnapshot): ActionDelta {
  const delta: ActionDelta = { comparable: 0, memoUpserts: 0, notInHistory: 0, perMarker: 0, byType: new Map() };
  for (const [type, value] of after.byType) {
    const n = value - (before.byType.get(type) ?? 0);
    if (!n) continue;
    delta.byType.set(type, n);
    if (/RecordMarker/i.test(type)) delta.perMarker += n;
    else if (/ModifyWorkflowProperties/i.test(type)) delta.memoUpserts += n;
    else if (/QueryWorkflow|Heartbeat|Rejection/i.test(type)) delta.notInHistory += n;
    else delta.comparable += n;
  }
  return delta;
}

export function formatActionDelta(delta: ActionDelta): string {
  return [...delta.byType].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => `${type} ${n}`).join(', ');
}
