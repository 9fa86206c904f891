import type { Client } from '@temporalio/client';
import type { AppConfig } from '../../../config/app-config';
import { temporalUiEventLink } from '../../shared/temporal';

/**
 * Finds, for a row a step wrote in MySQL, the event in the order's workflow histories that made it,
 * so support can open it in the Temporal UI. The rows store no workflow ids; the histories are read
 * when asked (client.workflow.getHandle(id, run).fetchHistory()), nothing is copied.
 *
 * A step's row is written inside an activity (its own or a local one), so the row's time lies between
 * the activity's start and its completion: the activity whose interval holds it (the shortest, when
 * several of the order's workflows ran one at that moment) is the one. The time comes from MariaDB and
 * the history from Temporal, both on the same clocks in every deployment we run; a tolerance of a few
 * milliseconds covers MariaDB's millisecond truncation. A row the API wrote before it started or
 * messaged a workflow (a complaint filed, a cancel request received) lies in no interval: its link is
 * the first event of the entity's workflow after it — the start, signal or update it caused.
 */

export interface HistoryLink {
  workflowId: string;
  runId: string;
  eventId: number;
  /** The history event's type and, for an activity, its type name. */
  event: string;
  url: string;
}

interface Anchor {
  workflowId: string;
  runId: string;
  eventId: number;
  event: string;
  startMs: number;
  endMs: number;
  /** An interval (activity, local activity) or a point (start, signal, update, timer). */
  interval: boolean;
  /** A local activity: its interval is its workflow task's, wider than the activity itself. */
  local?: boolean;
}

export interface PendingTimer {
  workflowId: string;
  runId: string;
  eventId: number;
  timerId: string;
  firesAt: string;
}

const TOLERANCE_MS = 3;
/** The first event after a row, when no activity holds it, must follow within this. */
const FOLLOW_WINDOW_MS = 5_000;

type HistoryEvent = Record<string, any>;

function ms(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

function durationMs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return ms(d);
}

export class OrderHistories {
  private constructor(
    private readonly settings: AppConfig['temporal'],
    readonly anchors: Anchor[],
    readonly pendingTimers: PendingTimer[],
    readonly runs: { workflowId: string; runId: string; type: string; status: string }[],
  ) {}

  /**
   * Reads every run of every workflow of the order (visibility: OrderSn), plus `known` ids (the order's
   * own, its refunds', after-sales', complaints') described directly: visibility lags a moment behind.
   */
  static async load(client: Client, settings: AppConfig['temporal'], orderSn: string, known: Iterable<string> = []): Promise<OrderHistories> {
    const runs: { workflowId: string; runId: string; type: string; status: string }[] = [];
    for await (const wf of client.workflow.list({ query: `OrderSn = "${orderSn.replace(/"/g, '')}"` })) {
      runs.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type, status: wf.status.name });
    }
    const missing = [...new Set([`order-${orderSn}`, ...known])].filter((id) => !runs.some((r) => r.workflowId === id));
    await Promise.all(
      missing.map(async (workflowId) => {
        try {
          const d = await client.workflow.getHandle(workflowId).describe();
          runs.push({ workflowId: d.workflowId, runId: d.runId, type: d.type, status: d.status.name });
        } catch {
          // never started (an order from before workflows), or purged by retention
        }
      }),
    );
    const anchors: Anchor[] = [];
    const pendingTimers: PendingTimer[] = [];
    await Promise.all(
      runs.map(async (run) => {
        let events: HistoryEvent[];
        try {
          events = ((await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory()).events ?? []) as HistoryEvent[];
        } catch {
          return; // purged by retention: the row stays in the timeline without a link
        }
        collect(run, events, anchors, pendingTimers);
      }),
    );
    return new OrderHistories(settings, anchors, pendingTimers, runs);
  }

  /**
   * The history event that wrote a row at `atMs`, looked for in this order:
   * 1. an activity or local activity of the entity's own workflow running at that moment;
   * 2. for a person's request (buyer, seller, support), the first start, signal or update of the
   *    entity's workflow right after it: the API recorded the request, then started or messaged it;
   * 3. an activity of another workflow running at that moment (the shortest), then a local activity;
   * 4. the first start, signal or update of the entity's workflow right after it;
   * 5. the entity's workflow's last event before it: the state it answered from (an Update its
   *    validator refused, such as a cancel request on a received order, leaves no event of its own).
   */
  locate(atMs: number, preferredWorkflow: string, byPerson: boolean): HistoryLink | null {
    const holds = (a: Anchor) => a.interval && a.startMs - TOLERANCE_MS <= atMs && atMs <= a.endMs + TOLERANCE_MS;
    const shortest = (list: Anchor[]) => list.sort((a, b) => a.endMs - a.startMs - (b.endMs - b.startMs))[0];
    const own = this.anchors.filter((a) => a.workflowId === preferredWorkflow);
    const next = () => own.filter((a) => !a.interval && a.startMs >= atMs - TOLERANCE_MS && a.startMs - atMs <= FOLLOW_WINDOW_MS).sort((a, b) => a.startMs - b.startMs || a.eventId - b.eventId)[0];
    const found =
      shortest(own.filter(holds)) ??
      (byPerson ? next() : undefined) ??
      shortest(this.anchors.filter((a) => holds(a) && !a.local)) ??
      shortest(this.anchors.filter((a) => holds(a) && a.local)) ??
      next() ??
      own.filter((a) => a.endMs <= atMs + TOLERANCE_MS).sort((a, b) => b.endMs - a.endMs || b.eventId - a.eventId)[0];
    return found ? this.link(found) : null;
  }

  link(anchor: { workflowId: string; runId: string; eventId: number; event: string }): HistoryLink {
    return { workflowId: anchor.workflowId, runId: anchor.runId, eventId: anchor.eventId, event: anchor.event, url: temporalUiEventLink(this.settings, anchor.workflowId, anchor.runId, anchor.eventId) };
  }
}

function collect(run: { workflowId: string; runId: string }, events: HistoryEvent[], anchors: Anchor[], pendingTimers: PendingTimer[]): void {
  const scheduled = new Map<number, { name: string; at: number }>();
  const started = new Map<number, number>();
  const timers = new Map<number, { timerId: string; firesAt: number }>();
  let lastTaskStartedMs = 0;
  const point = (e: HistoryEvent, event: string) => anchors.push({ ...run, eventId: Number(e.eventId), event, startMs: ms(e.eventTime), endMs: ms(e.eventTime), interval: false });
  for (const e of events) {
    const at = ms(e.eventTime);
    const id = Number(e.eventId);
    if (e.workflowExecutionStartedEventAttributes) point(e, 'WorkflowExecutionStarted');
    else if (e.workflowExecutionSignaledEventAttributes) point(e, `WorkflowExecutionSignaled ${e.workflowExecutionSignaledEventAttributes.signalName}`);
    else if (e.workflowExecutionUpdateAcceptedEventAttributes) point(e, `WorkflowExecutionUpdateAccepted ${e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name ?? ''}`.trim());
    else if (e.workflowTaskStartedEventAttributes) lastTaskStartedMs = at;
    else if (e.activityTaskScheduledEventAttributes) scheduled.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? 'activity', at });
    else if (e.activityTaskStartedEventAttributes) started.set(Number(e.activityTaskStartedEventAttributes.scheduledEventId), at);
    else if (e.activityTaskCompletedEventAttributes || e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) {
      const attrs = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
      const scheduledId = Number(attrs.scheduledEventId);
      const activity = scheduled.get(scheduledId);
      if (activity) anchors.push({ ...run, eventId: scheduledId, event: `ActivityTaskScheduled ${activity.name}`, startMs: started.get(scheduledId) ?? activity.at, endMs: at, interval: true });
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      // A local activity ran inside the workflow task that recorded its marker.
      const name = localActivityType(e.markerRecordedEventAttributes) ?? 'local activity';
      anchors.push({ ...run, eventId: id, event: `MarkerRecorded ${name}`, startMs: lastTaskStartedMs || at, endMs: at, interval: true, local: true });
    } else if (e.timerStartedEventAttributes) {
      timers.set(id, { timerId: e.timerStartedEventAttributes.timerId, firesAt: at + durationMs(e.timerStartedEventAttributes.startToFireTimeout) });
    } else if (e.timerFiredEventAttributes) timers.delete(Number(e.timerFiredEventAttributes.startedEventId));
    else if (e.timerCanceledEventAttributes) timers.delete(Number(e.timerCanceledEventAttributes.startedEventId));
  }
  const closed = events.some((e) => e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionTerminatedEventAttributes || e.workflowExecutionContinuedAsNewEventAttributes || e.workflowExecutionCanceledEventAttributes || e.workflowExecutionTimedOutEventAttributes);
  if (!closed) for (const [eventId, t] of timers) pendingTimers.push({ ...run, eventId, timerId: t.timerId, firesAt: new Date(t.firesAt).toISOString() });
}

/** The activity type in the SDK core's local-activity marker data (JSON). */
function localActivityType(attrs: Record<string, any>): string | undefined {
  const payload = attrs.details?.data?.payloads?.[0];
  if (!payload?.data) return undefined;
  try {
    return JSON.parse(Buffer.from(payload.data).toString('utf8')).activity_type;
  } catch {
    return undefined;
  }
}
