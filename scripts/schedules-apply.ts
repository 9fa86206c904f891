import 'reflect-metadata';
import { readAppConfig } from '../config/app-config';
import { runMain } from '../config/run-main';
import { applySchedules, scheduleIdOf } from '../apps/worker/schedules';
import { connectTemporalClient } from '../apps/shared/temporal';

/**
 * `npm run schedules:apply`: creates the order-status sweep, refund-status check, the two daily
 * reconciliation schedules and support's overdue marker (SUPPORT_OVERDUE_CHECK_INTERVAL, SUPPORT_SLA_*), or updates them to the current configuration (ORDER_SWEEP_CRON,
 * ORDER_SWEEP_TIMEZONE, REFUND_CHECK_INTERVAL, RECONCILIATION_CRON, RECONCILIATION_TIMEZONE,
 * TEMPORAL_TASK_QUEUE). The worker does the same on start-up.
 */
runMain(async () => {
  const config = readAppConfig();
  const client = await connectTemporalClient(config.temporal);
  try {
    for (const applied of await applySchedules(client, config)) {
      const description = await client.schedule.getHandle(applied.scheduleId).describe();
      const next = description.info.nextActionTimes[0]?.toISOString() ?? 'none (paused?)';
      console.log(`${applied.scheduleId}: ${applied.created ? 'created' : 'updated'}; next run ${next}`);
    }
    console.log(`trigger now: temporal schedule trigger --schedule-id ${scheduleIdOf(config, 'order-status-sweep')} --namespace ${config.temporal.namespace}`);
  } finally {
    await client.connection.close();
  }
});
