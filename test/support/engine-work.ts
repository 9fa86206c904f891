import type { temporal } from '@temporalio/proto';

/**
 * What one workflow run costs the engine, counted from its history alone (pure: no server, no clock),
 * so the bench (bench/flow.ts) and the regression test (test/integration/engine-work.test.ts) count
 * the same way.
 *
 * Billable actions follow Temporal Cloud's published definition,
 * https://docs.temporal.io/cloud/actions (read 2026-12-07), as far as a history shows them:
 * - a workflow started (by a client or by continue-as-new) is 1; a child workflow is 2 (the intent
 *   and the start), counted on the parent's StartChildWorkflowExecutionInitiated, so the child's own
 *   Started event adds nothing; a signal-with-start that starts the workflow is 1 in all;
 * - every signal received is 1 (a workflow's signal to another counts where it lands, as the Cloud UI
 *   shows it; one that found no workflow counts on the sender's SignalExternal…Failed);
 * - every Update accepted is 1 (a rejected Update is billed too but never written to history);
 * - every timer started is 1 (condition(fn, timeout) starts one);
 * - every activity scheduled is 1, and each retry (ActivityTaskStarted.attempt − 1) another;
 * - all markers one workflow task records (local activities, patches) are 1 together, plus each
 *   local-activity retry the task's metering metadata names;
 * - every search-attribute upsert is 1, except one that only sets TemporalChangeVersion;
 * - workflow options updated, a reset, a Nexus operation scheduled or its cancel requested: 1 each.
 * Not in a history, so not counted here: queries, activity heartbeats, rejected Updates, schedules.
 * A memo upsert (WorkflowPropertiesModified) is not on the published list; it is counted apart
 * (`memoUpserts`), because the open-source server's own `action` metric counts it
 * (command_ModifyWorkflowProperties). docs/performance.md compares both.
 */
export interface EngineWork {
  workflows: number;
  events: number;
  /** Workflow tasks completed (each one a round trip to a worker). */
  workflowTasks: number;
  /** Workflow tasks that failed or timed out (retried by the server; 0 in a healthy run). */
  workflowTasksLost: number;
  /** Activity tasks scheduled (normal activities; local ones are markers). */
  activityTasks: number;
  activityRetries: number;
  localActivities: number;
  /** Workflow tasks that recorded at least one local-activity marker. */
  localActivityBatches: number;
  timers: number;
  signals: number;
  updates: number;
  childWorkflows: number;
  searchAttributeUpserts: number;
  /** Upserts of TemporalChangeVersion alone (the SDK's patch bookkeeping): exempt from billing, counted by the server's metric. */
  changeVersionUpserts: number;
  memoUpserts: number;
  /** Billable actions by the published definition (see above), by kind; `actions` is their sum. */
  actionsByKind: Record<string, number>;
  actions: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export function emptyEngineWork(): EngineWork {
  return {
    workflows: 0, events: 0, workflowTasks: 0, workflowTasksLost: 0, activityTasks: 0, activityRetries: 0, localActivities: 0, localActivityBatches: 0,
    timers: 0, signals: 0, updates: 0, childWorkflows: 0, searchAttributeUpserts: 0, changeVersionUpserts: 0, memoUpserts: 0, actionsByKind: {}, actions: 0,
  };
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
/** The versioning search attribute the Cloud page exempts from the upsert action. */
const CHANGE_VERSION = 'TemporalChangeVersion';

/** Counts one run's history (the events fetchHistory() answers). */
export function countEngineWork(history: temporal.api.history.v1.IHistory | HistoryEvent[]): EngineWork {
  const events = Array.isArray(history) ? history : (history.events ?? []);
  const work = emptyEngineWork();
  work.workflows = events.length ? 1 : 0;
  work.events = events.length;
  const bill = (kind: string, n = 1) => {
    if (n <= 0) return;
    work.actionsByKind[kind] = (work.actionsByKind[kind] ?? 0) + n;
    work.actions += n;
  };
  // Markers belong to the workflow task completed just before them (the task's commands follow its
  // WorkflowTaskCompleted event): one action per task that recorded any.
  const markerTasks = new Set<string>();
  const localActivityTasks = new Set<string>();
  let lastCompletedTask = '0';
  let startedBySignalWithStart = false;

  events.forEach((event, index) => {
    if (event.workflowExecutionStartedEventAttributes) {
      const started = event.workflowExecutionStartedEventAttributes;
      // Signal-with-start: the signal is written right after the start, before the first task.
      startedBySignalWithStart = Boolean(events[index + 1]?.workflowExecutionSignaledEventAttributes);
      if (!started.parentWorkflowExecution && !startedBySignalWithStart) bill('workflow started');
    } else if (event.workflowTaskCompletedEventAttributes) {
      work.workflowTasks += 1;
      lastCompletedTask = String(event.eventId);
      bill('local activity retried', Number(event.workflowTaskCompletedEventAttributes.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0));
    } else if (event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) {
      work.workflowTasksLost += 1;
      // WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW = 22 (temporal.api.enums.v1.WorkflowTaskFailedCause)
      if (Number(event.workflowTaskFailedEventAttributes?.cause) === 22) bill('workflow reset');
    } else if (event.activityTaskScheduledEventAttributes) {
      work.activityTasks += 1;
      bill('activity started');
    } else if (event.activityTaskStartedEventAttributes) {
      const retries = Math.max(0, Number(event.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
      work.activityRetries += retries;
      bill('activity retried', retries);
    } else if (event.markerRecordedEventAttributes) {
      markerTasks.add(lastCompletedTask);
      if (event.markerRecordedEventAttributes.markerName === LOCAL_ACTIVITY_MARKER) {
        work.localActivities += 1;
        localActivityTasks.add(lastCompletedTask);
      }
    } else if (event.timerStartedEventAttributes) {
      work.timers += 1;
      bill('timer started');
    } else if (event.workflowExecutionSignaledEventAttributes) {
      work.signals += 1;
      bill(startedBySignalWithStart && index === 1 ? 'signal-with-start' : 'signal');
    } else if (event.signalExternalWorkflowExecutionFailedEventAttributes) {
      bill('signal (to no workflow)');
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      work.updates += 1;
      bill('update accepted');
    } else if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      work.childWorkflows += 1;
      bill('child workflow started', 2);
    } else if (event.upsertWorkflowSearchAttributesEventAttributes) {
      work.searchAttributeUpserts += 1;
      const names = Object.keys(event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {});
      if (names.some((name) => name !== CHANGE_VERSION)) bill('search attributes upserted');
      else work.changeVersionUpserts += 1;
    } else if (event.workflowPropertiesModifiedEventAttributes) {
      work.memoUpserts += 1;
    } else if (event.workflowExecutionOptionsUpdatedEventAttributes) {
      bill('workflow options updated');
    } else if (event.nexusOperationScheduledEventAttributes) {
      bill('nexus operation scheduled');
    } else if (event.nexusOperationCancelRequestedEventAttributes) {
      bill('nexus operation cancel requested');
    }
  });
  work.localActivityBatches = localActivityTasks.size;
  bill('local activities / markers (one per workflow task)', markerTasks.size);
  return work;
}

/** Sums runs (e.g. a flow's workflows, or one type's runs). */
export function addEngineWork(total: EngineWork, more: EngineWork): EngineWork {
  const sum = emptyEngineWork();
  for (const key of Object.keys(sum) as (keyof EngineWork)[]) {
    if (key === 'actionsByKind') continue;
    (sum[key] as number) = (total[key] as number) + (more[key] as number);
  }
  for (const source of [total.actionsByKind, more.actionsByKind]) {
    for (const [kind, n] of Object.entries(source)) sum.actionsByKind[kind] = (sum.actionsByKind[kind] ?? 0) + n;
  }
  return sum;
}

/** Counts one run's history into `byType`, under its workflow type (runs of one type summed). */
export function countInto(byType: Map<string, EngineWork>, history: temporal.api.history.v1.IHistory): void {
  const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
  const work = countEngineWork(history);
  byType.set(type, byType.has(type) ? addEngineWork(byType.get(type)!, work) : work);
}

/** The figures the regression test pins and the bench prints, per workflow type. */
export const PINNED_FIGURES = ['events', 'workflowTasks', 'activityTasks', 'localActivityBatches', 'timers', 'actions'] as const;
export type PinnedFigures = Record<(typeof PINNED_FIGURES)[number], number>;

export function pinnedFigures(work: EngineWork): PinnedFigures {
  return Object.fromEntries(PINNED_FIGURES.map((key) => [key, work[key]])) as PinnedFigures;
}

/** One line per workflow type and a total: `type  events  tasks  activities  LA batches  timers  actions`. */
export function formatEngineWork(byType: Map<string, EngineWork>, per = 1): string[] {
  const f = (n: number) => (per === 1 ? String(n) : (n / per).toFixed(1)).padStart(7);
  const header = `${'workflow type'.padEnd(28)}${'runs'.padStart(7)}${'events'.padStart(7)}${'WFTs'.padStart(7)}${'acts'.padStart(7)}${'LA bat'.padStart(7)}${'timers'.padStart(7)}${'signal'.padStart(7)}${'update'.padStart(7)}${'child'.padStart(7)}${'SA ups'.padStart(7)}${'memo'.padStart(7)}${'ACTION'.padStart(7)}`;
  const line = (name: string, w: EngineWork) =>
    `${name.padEnd(28)}${[w.workflows, w.events, w.workflowTasks, w.activityTasks, w.localActivityBatches, w.timers, w.signals, w.updates, w.childWorkflows, w.searchAttributeUpserts, w.memoUpserts, w.actions].map(f).join('')}`;
  let total = emptyEngineWork();
  const lines = [header];
  for (const [type, work] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(line(type, work));
    total = addEngineWork(total, work);
  }
  lines.push(line('all', total));
  return lines;
}
