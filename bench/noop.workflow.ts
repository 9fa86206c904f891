import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });

/** The engine's ceiling for a chain of activities: the same number of activity round trips, doing nothing. */
export async function noopActivitiesWorkflow(activities: number): Promise<void> {
  for (let i = 0; i < activities; i++) await noop();
}
/** The engine's ceiling for bench/scale-out.ts: a workflow that does nothing, so only Temporal's own work is timed. */
export async function noopWorkflow(): Promise<void> {}
