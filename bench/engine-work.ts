/**
 * bench:flow's engine-work report: what the measured flows cost the engine, counted from every
 * history they wrote (test/support/engine-work.ts), beside the server's own `action` metric over the
 * same window, and one flow of each kind (test/support/flow-kinds.ts) counted the same way.
 */
import { ActionSnapshot, actionDelta, formatActionDelta, readActionMetric } from '../test/support/action-metric';
import { EngineWork, addEngineWork, countInto, emptyEngineWork, formatEngineWork } from '../test/support/engine-work';
import { FLOW_KINDS, countFlow, flowWorkflowIds, runFlowOfKind, settled } from '../test/support/flow-kinds';
import type { TestSystem } from '../test/support/system';
import { drive } from './measure';

/**
 * The action metric once it has stopped moving: the server publishes its counters to the Prometheus
 * endpoint on a reporting interval, so a read right after the last action may miss it.
 */
export async function actionMetricNow(): Promise<ActionSnapshot | undefined> {
  const url = process.env.TEST_TEMPORAL_METRICS_URL;
  if (!url) return undefined;
  try {
    let last = await readActionMetric(url);
    for (let i = 0; i < 10; i += 1) {
      await new Promise((r) => setTimeout(r, 1500));
      const next = await readActionMetric(url);
      const same = next.byType.size === last.byType.size && [...next.byType].every(([type, n]) => last.byType.get(type) === n);
      last = next;
      if (same) break;
    }
    return last;
  } catch {
    return undefined;
  }
}

/**
 * Waits for every flow's workflows to close (or wait quietly) and returns their ids, found by the
 * flow's OrderSn: after this the action metric has every action of these flows.
 */
export async function settleFlows(system: TestSystem, orderSns: string[], orderWorkflowId: (orderSn: string) => string = (sn) => `order-${sn}`): Promise<string[]> {
  const idsOf: string[][] = [];
  await drive(orderSns, 10, 0, async (orderSn, i) => {
    await system.temporal.workflow.getHandle(orderWorkflowId(orderSn)).result().catch(() => undefined);
    idsOf[i] = await flowWorkflowIds(system, { kind: 'cancel-after-payment', orderSns: [orderSn], extraWorkflowIds: [] });
    for (const id of idsOf[i]) await settled(system, id);
  });
  return idsOf.flat();
}

/**
 * Counts every history of `flows` flows and prints the work per flow by workflow type; with two
 * metric snapshots around the same flows, the server's action metric beside it: the two totals agree
 * but for what the metric counts and histories cannot show (printed by type).
 */
export async function reportEngineWork(system: TestSystem, workflowIds: string[], flows: number, label: string, metric?: { before?: ActionSnapshot; after?: ActionSnapshot }): Promise<EngineWork> {
  const byType = new Map<string, EngineWork>();
  await drive(workflowIds, 10, 0, async (id) => countInto(byType, await system.temporal.workflow.getHandle(id).fetchHistory()));
  const total = [...byType.values()].reduce(addEngineWork, emptyEngineWork());
  const per = (n: number) => (n / flows).toFixed(2);
  console.log(`\n  engine work per ${label} flow (all ${flows} flows' histories, per flow; billable actions by https://docs.temporal.io/cloud/actions):`);
  for (const line of formatEngineWork(byType, flows)) console.log(`    ${line}`);
  console.log(`    actions by kind, per flow: ${Object.entries(total.actionsByKind).map(([k, n]) => `${k} ${per(n)}`).join(', ')}`);
  console.log(`    not billed by the published list: TemporalChangeVersion upserts ${per(total.changeVersionUpserts)}, memo upserts ${per(total.memoUpserts)} a flow`);
  if (metric?.before && metric.after) {
    const delta = actionDelta(metric.before, metric.after);
    const expected = total.actions + total.changeVersionUpserts + total.memoUpserts;
    console.log(`  server action metric over these flows: ${delta.comparable + delta.memoUpserts} (counted from histories, with the metric's change-version and memo upserts: ${expected}; difference ${delta.comparable + delta.memoUpserts - expected}); queries/heartbeats/rejections ${delta.notInHistory}; per-marker series left out ${delta.perMarker}`);
    console.log(`    by action_type: ${formatActionDelta(delta)}`);
  } else if (metric) {
    console.log('  server action metric: not available (no TEST_TEMPORAL_METRICS_URL)');
  }
  return total;
}

/** One flow of each kind, one after another, each counted from its histories. */
export async function reportFlowKinds(system: TestSystem): Promise<void> {
  console.log('\nengine work of one flow of each kind (test/fixtures/engine-work.json pins these):');
  for (const kind of FLOW_KINDS) {
    try {
      const run = await runFlowOfKind(system, kind);
      const byType = await countFlow(system, await flowWorkflowIds(system, run));
      console.log(`  ${kind}:`);
      for (const line of formatEngineWork(byType)) console.log(`    ${line}`);
    } catch (err) {
      console.log(`  ${kind}: failed: ${(err as Error).message}`);
    }
  }
}
