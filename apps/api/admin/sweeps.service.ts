import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { SWEEP_NAMES, SWEEP_WORKFLOWS, SweepName, SweepTaskCounts, sweepScheduleId } from '../../../workflows/sweep.contract';
import { startWorkflow } from '../../shared/start-workflows';
import { readRecentSweepRuns } from '../../../db/sweeps';
import { temporalUiLink } from '../../shared/temporal';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { workPriority } from '../../../domain';

export interface SweepRunView {
  sweepRunId: number;
  workflowId: string;
  dryRun: boolean;
  sweepDay: string;
  asOf: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  tasks: SweepTaskCounts;
  temporalUiUrl: string;
}

const RECENT_RUNS = 20;

/** Operators' handle on the scheduled sweeps: run one now (for real or dry) and read the last runs' counts. */
@Injectable()
export class SweepsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  sweepNamed(name: string): SweepName {
    if (!(SWEEP_NAMES as readonly string[]).includes(name)) throw new NotFoundException(`no sweep named "${name}"; sweeps: ${SWEEP_NAMES.join(', ')}`);
    return name as SweepName;
  }

  /**
   * A real run goes through the schedule's trigger, so it shows in the schedule's history and obeys
   * its overlap policy (SKIP): a run already in progress is reported as a 409, not doubled. A dry run
   * changes nothing, so it is started directly, beside any real run.
   */
  async run(sweep: SweepName, dryRun: boolean): Promise<{ sweep: SweepName; dryRun: boolean; workflowId: string; temporalUiUrl: string }> {
    const scheduleId = sweepScheduleId(sweep, this.config.sweeps.scheduleIdSuffix);
    if (dryRun) {
      const workflowId = `${scheduleId}-dry-run-${new Date().toISOString()}`;
      await startWorkflow(this.temporal, SWEEP_WORKFLOWS[sweep], {
        workflowId,
        taskQueue: this.config.temporal.taskQueues.batch,
        args: [{ dryRun: true }],
        staticSummary: `Dry run of ${sweep}: reports what would change, changes nothing`,
        priority: workPriority(sweep, this.config.workPriorities),
      });
      return { sweep, dryRun, workflowId, temporalUiUrl: temporalUiLink(this.config.temporal, workflowId) };
    }
    const handle = this.temporal.schedule.getHandle(scheduleId);
    const running = await this.runningWorkflowIds(scheduleId);
    if (running.length) throw new ConflictException(`${sweep} is already running (${running.join(', ')}); its overlap policy skips a second run`);
    const before = new Set((await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
    await handle.trigger();
    // The trigger is asynchronous: wait briefly for the run it started, to answer with its id.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const info = (await handle.describe()).info;
      const started = [...info.runningActions.map((a) => a.workflow.workflowId), ...info.recentActions.map((a) => a.action.workflow.workflowId)].find((id) => !before.has(id));
      if (started) return { sweep, dryRun, workflowId: started, temporalUiUrl: temporalUiLink(this.config.temporal, started) };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new ConflictException(`the ${scheduleId} schedule did not start a run (is it paused, or did a run start just now?)`);
  }

  async describe(sweep: SweepName) {
    const scheduleId = sweepScheduleId(sweep, this.config.sweeps.scheduleIdSuffix);
    let schedule: Record<string, unknown> | null = null;
    try {
      const description = await this.temporal.schedule.getHandle(scheduleId).describe();
      schedule = {
        scheduleId,
        // Cron expressions come back from the server as calendar specs.
        calendars: description.spec.calendars ?? [],
        intervals: description.spec.intervals?.map((i) => ({ everyMs: Number(i.every) })) ?? [],
        timeZone: description.spec.timezone ?? 'UTC',
        overlap: description.policies.overlap,
        catchupWindowMs: description.policies.catchupWindow,
        paused: description.state.paused,
        note: description.state.note ?? null,
        nextRunTimes: description.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
        running: description.info.runningActions.map((a) => a.workflow.workflowId),
      };
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    const rows = await readRecentSweepRuns(this.dataSource, sweep, RECENT_RUNS);
    const lastRuns: SweepRunView[] = rows.map((r) => ({
      sweepRunId: Number(r.id),
      workflowId: r.workflow_id,
      dryRun: r.dry_run === 1,
      sweepDay: r.sweep_day,
      asOf: new Date(r.as_of).toISOString(),
      status: r.status,
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
      tasks: typeof r.counts_json === 'string' ? JSON.parse(r.counts_json) : r.counts_json,
      temporalUiUrl: temporalUiLink(this.config.temporal, r.workflow_id),
    }));
    return { sweep, schedule, lastRuns };
  }

  private async runningWorkflowIds(scheduleId: string): Promise<string[]> {
    try {
      return (await this.temporal.schedule.getHandle(scheduleId).describe()).info.runningActions.map((a) => a.workflow.workflowId);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new ConflictException(`schedule ${scheduleId} does not exist: start the worker or run npm run schedules:apply`);
      throw err;
    }
  }
}
