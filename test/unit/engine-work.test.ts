import type { temporal } from '@temporalio/proto';
import { EngineWork, addEngineWork, countEngineWork, countInto } from '../support/engine-work';

type Event = temporal.api.history.v1.IHistoryEvent;

/** A history from event attribute objects, numbered from 1 as the server numbers them. */
function history(...events: Omit<Event, 'eventId'>[]): Event[] {
  return events.map((event, i) => ({ ...event, eventId: i + 1 }) as unknown as Event);
}
const started = (attrs: Event['workflowExecutionStartedEventAttributes'] = {}) => ({ workflowExecutionStartedEventAttributes: attrs });
const task = () => [{ workflowTaskScheduledEventAttributes: {} }, { workflowTaskStartedEventAttributes: {} }];
const completed = (attrs: Event['workflowTaskCompletedEventAttributes'] = {}) => ({ workflowTaskCompletedEventAttributes: attrs });
const localActivity = () => ({ markerRecordedEventAttributes: { markerName: 'core_local_activity' } });
const patch = () => ({ markerRecordedEventAttributes: { markerName: 'core_patch' } });
const done = () => ({ workflowExecutionCompletedEventAttributes: {} });

describe('countEngineWork (billable actions by https://docs.temporal.io/cloud/actions)', () => {
  it('a workflow started by a client that completes in one task: one action', () => {
    const work = countEngineWork(history(started(), ...task(), completed(), done()));
    expect(work).toMatchObject({ workflows: 1, events: 5, workflowTasks: 1, activityTasks: 0, actions: 1, actionsByKind: { 'workflow started': 1 } });
  });

  it('counts all markers of one workflow task as one action, whatever their number and kind', () => {
    const work = countEngineWork(history(
      started(), ...task(), completed(), patch(), localActivity(), localActivity(), localActivity(),
      { workflowExecutionSignaledEventAttributes: { signalName: 'pay' } },
      ...task(), completed(), localActivity(), done(),
    ));
    expect(work).toMatchObject({ workflowTasks: 2, localActivities: 4, localActivityBatches: 2, signals: 1 });
    expect(work.actionsByKind).toEqual({ 'workflow started': 1, signal: 1, 'local activities / markers (one per workflow task)': 2 });
    expect(work.actions).toBe(4);
  });

  it('a task that records only a patch marker is a marker batch but no local-activity batch', () => {
    const work = countEngineWork(history(started(), ...task(), completed(), patch(), done()));
    expect(work).toMatchObject({ localActivities: 0, localActivityBatches: 0, actions: 2 });
  });

  it('bills local-activity retries the task reports in its metering metadata', () => {
    const work = countEngineWork(history(started(), ...task(), completed({ meteringMetadata: { nonfirstLocalActivityExecutionAttempts: 3 } }), localActivity(), done()));
    expect(work.actionsByKind).toMatchObject({ 'local activity retried': 3, 'local activities / markers (one per workflow task)': 1 });
    expect(work.actions).toBe(5);
  });

  it('activities: one action when scheduled and one per retry (the started attempt − 1)', () => {
    const work = countEngineWork(history(
      started(), ...task(), completed(),
      { activityTaskScheduledEventAttributes: { activityType: { name: 'submitRefund' } } },
      { activityTaskStartedEventAttributes: { attempt: 3 } },
      { activityTaskCompletedEventAttributes: {} },
      ...task(), completed(), done(),
    ));
    expect(work).toMatchObject({ activityTasks: 1, activityRetries: 2, workflowTasks: 2 });
    expect(work.actionsByKind).toEqual({ 'workflow started': 1, 'activity started': 1, 'activity retried': 2 });
  });

  it('a child workflow costs the parent two actions and its own start none; timers and accepted Updates one each', () => {
    const parent = countEngineWork(history(
      started(), ...task(), completed(),
      { workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { input: { name: 'cancel' } } } },
      { timerStartedEventAttributes: { timerId: '1' } },
      { startChildWorkflowExecutionInitiatedEventAttributes: { workflowType: { name: 'refundWorkflow' } } },
      { childWorkflowExecutionStartedEventAttributes: {} },
    ));
    expect(parent.actionsByKind).toEqual({ 'workflow started': 1, 'update accepted': 1, 'timer started': 1, 'child workflow started': 2 });
    const child = countEngineWork(history(started({ parentWorkflowExecution: { workflowId: 'order-1' } }), ...task(), completed(), done()));
    expect(child.actions).toBe(0);
    expect(addEngineWork(parent, child)).toMatchObject({ workflows: 2, actions: 5, childWorkflows: 1, timers: 1, updates: 1 });
  });

  it('signal-with-start that starts the workflow is one action in all; later signals one each', () => {
    const work = countEngineWork(history(
      started(), { workflowExecutionSignaledEventAttributes: { signalName: 'paymentStarted' } }, ...task(), completed(),
      { workflowExecutionSignaledEventAttributes: { signalName: 'paid' } }, ...task(), completed(), done(),
    ));
    expect(work.actionsByKind).toEqual({ 'signal-with-start': 1, signal: 1 });
    expect(work.signals).toBe(2);
  });

  it('search-attribute upserts are one action each unless they only set TemporalChangeVersion; memo upserts are counted apart', () => {
    const work = countEngineWork(history(
      started(), ...task(), completed(),
      { upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: { OrderStatus: {} } } } },
      { upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: { TemporalChangeVersion: {} } } } },
      { workflowPropertiesModifiedEventAttributes: { upsertedMemo: { fields: { status: {} } } } },
      done(),
    ));
    expect(work).toMatchObject({ searchAttributeUpserts: 2, changeVersionUpserts: 1, memoUpserts: 1, actions: 2 });
    expect(work.actionsByKind).toEqual({ 'workflow started': 1, 'search attributes upserted': 1 });
  });

  it('failed or timed-out workflow tasks are counted as lost tasks, not completed ones', () => {
    const work = countEngineWork(history(started(), ...task(), { workflowTaskTimedOutEventAttributes: {} }, ...task(), completed(), done()));
    expect(work).toMatchObject({ workflowTasks: 1, workflowTasksLost: 1, actions: 1 });
  });

  it('countInto sums runs of one workflow type under that type', () => {
    const byType = new Map<string, EngineWork>();
    const run = () => ({ events: history(started({ workflowType: { name: 'orderWorkflow' } }), ...task(), completed(), done()) });
    countInto(byType, run());
    countInto(byType, run());
    expect([...byType.keys()]).toEqual(['orderWorkflow']);
    expect(byType.get('orderWorkflow')).toMatchObject({ workflows: 2, events: 10, workflowTasks: 2, actions: 2 });
  });

  it('an empty history is no workflow and no work', () => {
    expect(countEngineWork({ events: [] })).toMatchObject({ workflows: 0, events: 0, actions: 0 });
  });
});
