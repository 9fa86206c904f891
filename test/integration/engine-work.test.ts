import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionDelta, formatActionDelta, readActionMetric } from '../support/action-metric';
import { EngineWork, PINNED_FIGURES, PinnedFigures, addEngineWork, emptyEngineWork, formatEngineWork, pinnedFigures } from '../support/engine-work';
import { ENGINE_WORK_ENV, FLOW_KINDS, FlowKind, countFlow, flowWorkflowIds, runFlowOfKind } from '../support/flow-kinds';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * The engine work of one full flow of each kind, counted from the histories of every workflow the flow
 * ran (countEngineWork: events, workflow tasks, activity tasks, local-activity batches, timers and
 * Temporal Cloud's billable actions), may not grow past the figures committed in
 * test/fixtures/engine-work.json: a change that adds engine work fails here with its numbers, and the
 * committed file shows the new figures in review. Counts that drop pass with a hint to lower the file.
 * RECORD_ENGINE_WORK=1 rewrites the file from this run.
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'engine-work.json');
type Committed = Record<FlowKind, Record<string, PinnedFigures>>;

/**
 * The one count that varies with no driver able to pin it: the API starts an after-sale's workflow and
 * then sends its opening Update (apps/api/after-sales), which reaches the workflow either with its first
 * task or in a task of its own (3 events and 1 task more; the same actions). The committed figure is
 * the larger; the smaller passes without a hint to lower the file.
 */
const KNOWN_VARIANCE: Partial<Record<FlowKind, Record<string, Partial<PinnedFigures>>>> = {
  'after-sale-return': { afterSaleWorkflow: { events: 3, workflowTasks: 1 } },
};

describe('engine work per flow (events, workflow tasks, billable actions) stays within the committed figures', () => {
  let system: TestSystem;
  const committed: Partial<Committed> = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const measured: Partial<Committed> = {};
  const metricsUrl = process.env.TEST_TEMPORAL_METRICS_URL;

  beforeAll(async () => {
    system = await startTestSystem(ENGINE_WORK_ENV);
  });
  afterAll(async () => {
    if (process.env.RECORD_ENGINE_WORK === '1' && Object.keys(measured).length === FLOW_KINDS.length) {
      writeFileSync(FIXTURE, `${JSON.stringify(measured, null, 2)}\n`);
    }
    await system?.stop();
  });

  it.each(FLOW_KINDS)('%s', async (kind) => {
    const before = metricsUrl ? await readActionMetric(metricsUrl) : undefined;
    const run = await runFlowOfKind(system, kind);
    const ids = await flowWorkflowIds(system, run);
    const byType = await countFlow(system, ids);
    const total = [...byType.values()].reduce(addEngineWork, emptyEngineWork());

    console.log([`engine work of one ${kind} flow (${ids.join(', ')}):`, ...formatEngineWork(byType), `actions by kind: ${JSON.stringify(total.actionsByKind)}`].join('\n'));
    if (before && metricsUrl) {
      // Informative only: the dev server is shared with any test file running beside this one.
      const delta = actionDelta(before, await readActionMetric(metricsUrl));
      const expected = total.actions + total.changeVersionUpserts + total.memoUpserts;
      console.log(`server action metric over this flow: ${delta.comparable + delta.memoUpserts} (counted from histories with the metric's change-version and memo upserts: ${expected}); queries/heartbeats/rejections ${delta.notInHistory}; ${formatActionDelta(delta)}`);
    }

    measured[kind] = Object.fromEntries([...byType].sort(([a], [b]) => a.localeCompare(b)).map(([type, work]) => [type, pinnedFigures(work)]));
    const { grown, dropped } = compare(committed[kind] ?? {}, byType, KNOWN_VARIANCE[kind] ?? {});
    if (dropped.length) console.log(`${kind}: lower the committed figures in test/fixtures/engine-work.json (RECORD_ENGINE_WORK=1): ${dropped.join('; ')}`);
    // Recording writes this run's figures (afterAll); otherwise none may exceed the committed ones.
    if (process.env.RECORD_ENGINE_WORK !== '1') expect(grown).toEqual([]);
    // Every workflow ran to a clean end or a quiet wait: no task was lost and retried.
    expect(total.workflowTasksLost).toBe(0);
  });
});

function compare(pinned: Record<string, PinnedFigures>, byType: Map<string, EngineWork>, variance: Record<string, Partial<PinnedFigures>>): { grown: string[]; dropped: string[] } {
  const grown: string[] = [];
  const dropped: string[] = [];
  for (const [type, work] of byType) {
    const limit = pinned[type];
    if (!limit) {
      grown.push(`${type}: a workflow type not in the committed figures (${JSON.stringify(pinnedFigures(work))})`);
      continue;
    }
    for (const key of PINNED_FIGURES) {
      if (work[key] > limit[key]) grown.push(`${type}.${key} ${work[key]} > committed ${limit[key]}`);
      else if (work[key] < limit[key] - (variance[type]?.[key] ?? 0)) dropped.push(`${type}.${key} ${work[key]} < committed ${limit[key]}`);
    }
  }
  for (const type of Object.keys(pinned)) if (!byType.has(type)) dropped.push(`${type}: no longer runs`);
  return { grown, dropped };
}
