import { Client, ScheduleAlreadyRunning, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import type { AppConfig } from '../../config/app-config';
import { RECONCILIATION_PROVIDERS, RECONCILIATION_WORKFLOW, ReconciliationInput, ReconciliationProvider } from '../../workflows/reconciliation.contract';
import { SWEEP_WORKFLOWS, SweepName, sweepScheduleId } from '../../workflows/sweep.contract';
import { supportOverdueScheduleOptions } from './support-overdue-schedule';
import { PrioritizedWork, workPriority } from '../../domain';

/** The schedule's runs start at the priority of their kind of work; nothing when priorities are off (no key: the server's default). */
function priorityOf(config: AppConfig, kind: PrioritizedWork): { priority?: { priorityKey: number } } {
  const priority = workPriority(kind, config.workPriorities);
  return priority ? { priority } : {};
}

/** The schedule id of a sweep in this deployment (SCHEDULE_ID_SUFFIX appended). */
export function scheduleIdOf(config: AppConfig, sweep: SweepName): string {
  return sweepScheduleId(sweep, config.sweeps.scheduleIdSuffix);
}

const DESCRIPTION: Record<SweepName, string> = {
  'order-status-sweep':
    'Daily safety net under the order timers (javashop OrderStatusCheckJob): finds orders the database says are overdue ' +
    '(unpaid auto-cancel, auto-receive, auto-complete, COD auto-pay) and hands each to its order workflow, starting a resumed one if it is missing.',
  'refund-status-check':
    'Hourly (javashop RefundStatusJobConsumer): refunds PROCESSING longer than REFUND_CHECK_MIN_AGE are looked up at the provider; ' +
    'a final answer is delivered to the refund workflow as the lost notification would have been, and a missing refund workflow is restarted.',
};

function scheduleOptions(config: AppConfig, sweep: SweepName): ScheduleOptions {
  const spec =
    sweep === 'order-status-sweep'
      ? { cronExpressions: [config.sweeps.orderSweepCron], timezone: config.sweeps.orderSweepTimeZone }
      : { intervals: [{ every: config.sweeps.refundCheckIntervalMs }] };
  return {
    scheduleId: scheduleIdOf(config, sweep),
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: SWEEP_WORKFLOWS[sweep].workflowType,
      // The schedule appends the scheduled time, so each run has its own id (order-status-sweep-2026-11-22T15:30:00Z).
      workflowId: scheduleIdOf(config, sweep),
      // Batch work: the batch Worker's queue (domain/task-queues.ts), with its own slots.
      taskQueue: config.temporal.taskQueues.batch,
      args: [{}],
      memo: { description: DESCRIPTION[sweep] },
      staticSummary: DESCRIPTION[sweep],
      // Batch work: its activities and the orders it hands over wait behind every person's request.
      ...priorityOf(config, sweep),
    },
    policies: {
      // A sweep still running (a large backlog) makes the next one redundant, not concurrent.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After a server outage a missed daily sweep still runs if the server is back within half a day;
      // a missed hourly check is simply covered by the next one.
      catchupWindow: sweep === 'order-status-sweep' ? '12h' : '1h',
      pauseOnFailure: false,
    },
    memo: { description: DESCRIPTION[sweep] },
    state: { note: DESCRIPTION[sweep] },
  };
}

/** The daily reconciliation schedule of one provider: `reconciliation-{provider}` (plus SCHEDULE_ID_SUFFIX). */
export function reconciliationScheduleIdOf(config: AppConfig, provider: ReconciliationProvider): string {
  const id = `reconciliation-${provider}`;
  return config.sweeps.scheduleIdSuffix ? `${id}-${config.sweeps.scheduleIdSuffix}` : id;
}

function reconciliationScheduleOptions(config: AppConfig, provider: ReconciliationProvider): ScheduleOptions {
  const description =
    `Daily reconciliation with ${provider === 'wechatpay' ? 'WeChat Pay' : 'Alipay'}'s trade bill of yesterday (China time): every payment and refund ` +
    'the provider booked is matched with ours; each difference becomes a support case, and a stranded payment is handed to its order.';
  const input: ReconciliationInput = { provider };
  return {
    scheduleId: reconciliationScheduleIdOf(config, provider),
    spec: { cronExpressions: [config.reconciliation.cron], timezone: config.reconciliation.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: RECONCILIATION_WORKFLOW.workflowType,
      workflowId: reconciliationScheduleIdOf(config, provider),
      taskQueue: config.temporal.taskQueues.batch,
      args: [input],
      memo: { description },
      staticSummary: description,
      ...priorityOf(config, 'reconciliation'),
    },
    // The day's run row makes a second run of the same day harmless; overlapping runs are still pointless.
    // A morning missed by an outage still runs if the server is back the same day.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '12h', pauseOnFailure: false },
    memo: { description },
    state: { note: description },
  };
}

/** Creates a schedule, or brings an existing one in line with the configuration, keeping an operator's pause. */
async function applySchedule(client: Client, options: ScheduleOptions): Promise<AppliedSchedule> {
  try {
    await client.schedule.create(options);
    return { scheduleId: options.scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({
      spec: options.spec,
      action: options.action,
      policies: options.policies,
      // An operator's pause (and its note) survives a redeploy.
      state: previous.state.paused ? previous.state : { ...previous.state, note: options.state?.note },
    }));
    return { scheduleId: options.scheduleId, created: false };
  }
}

export interface AppliedSchedule {
  scheduleId: string;
  created: boolean;
}

/**
 * Creates every schedule (the two sweeps, one reconciliation per provider), or brings existing ones in
 * line with the configuration (time, time zone, interval, task queue) without touching their pause
 * state: safe to run on every worker start and from `npm run schedules:apply`.
 */
export async function applySchedules(client: Client, config: AppConfig): Promise<AppliedSchedule[]> {
  const applied: AppliedSchedule[] = [];
  for (const sweep of ['order-status-sweep', 'refund-status-check'] as const) applied.push(await applySchedule(client, scheduleOptions(config, sweep)));
  for (const provider of RECONCILIATION_PROVIDERS) applied.push(await applySchedule(client, reconciliationScheduleOptions(config, provider)));
  applied.push(await applySchedule(client, supportOverdueScheduleOptions(config)));
  return applied;
}
