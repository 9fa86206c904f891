import type { Client } from '@temporalio/client';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { DifferenceKind } from '../../domain/reconciliation';
import { RECONCILIATION_PROVIDERS } from '../../workflows/reconciliation.contract';
import { countOpenDifferencesByProviderKind, readRefundsWaitingForSupport, readUndeliveredNotifications } from '../../db/metrics';

/**
 * What operators and support must act on, read from MySQL (and the Temporal schedules) at scrape time,
 * so the values are exact whichever worker replica did the work and survive restarts. Every replica
 * exports the same values: alert rules and dashboards take max() over instances.
 *
 * Ages are computed by the database against its own clock (TIMESTAMPDIFF to CURRENT_TIMESTAMP), the
 * clock that wrote the rows, so no time zone or clock skew between hosts enters them.
 */

/** Provider notifications older than this are no longer retried by the provider: the reconciliation finds what they carried. */
export const UNDELIVERED_NOTIFICATION_WINDOW_HOURS = 72;

/** One query result shared by the gauges of one scrape (each gauge's collect() runs separately). */
function perScrape<T>(query: () => Promise<T>, ttlMs = 1000): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const value = query();
      cached = { at: Date.now(), value };
      // A failed query is not kept: the next scrape asks again.
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
}

export function registerDatabaseMetrics(registry: Registry, dataSource: DataSource): void {
  // ABNORMAL, or CLOSED and not re-issued: support resolves it (POST /support/refunds/{refundSn}/resolution).
  // The age runs from the row's last change, which is when it became ABNORMAL or CLOSED.
  const waiting = perScrape(async () => {
    const row = await readRefundsWaitingForSupport(dataSource);
    return { count: Number(row.n), age: Number(row.age) };
  });
  new Gauge({
    name: 'orders_refunds_waiting_for_support',
    help: 'Refunds parked for support: ABNORMAL, or CLOSED and not yet re-issued (resolve with POST /support/refunds/{refundSn}/resolution)',
    registers: [registry],
    async collect() {
      this.set((await waiting()).count);
    },
  });
  new Gauge({
    name: 'orders_refunds_waiting_for_support_oldest_age_seconds',
    help: 'Seconds since the oldest refund waiting for support became ABNORMAL or CLOSED (0 when none waits)',
    registers: [registry],
    async collect() {
      this.set((await waiting()).age);
    },
  });

  // The inbox of verified provider notifications (webhooks): a row is delivered once its workflow took it.
  // An undelivered one means the provider's money news reached no workflow (Temporal down, or refused until
  // the provider confirms it); the provider retries it for about a day, after which reconciliation catches it.
  const undelivered = perScrape(async () => {
    const rows = await readUndeliveredNotifications(dataSource, UNDELIVERED_NOTIFICATION_WINDOW_HOURS);
    return new Map(rows.map((row) => [row.provider, { count: Number(row.n), age: Number(row.age ?? 0) }]));
  });
  new Gauge({
    name: 'orders_provider_notifications_undelivered',
    help: `Provider notifications received in the last ${UNDELIVERED_NOTIFICATION_WINDOW_HOURS} h and not yet delivered to their workflow, by provider`,
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      const byProvider = await undelivered();
      for (const provider of RECONCILIATION_PROVIDERS) this.set({ provider }, byProvider.get(provider)?.count ?? 0);
    },
  });
  new Gauge({
    name: 'orders_provider_notifications_undelivered_oldest_age_seconds',
    help: 'Seconds since the oldest undelivered provider notification was received, by provider (0 when none)',
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      const byProvider = await undelivered();
      for (const provider of RECONCILIATION_PROVIDERS) this.set({ provider }, byProvider.get(provider)?.age ?? 0);
    },
  });

  // Each difference the daily reconciliation found is a support case until resolved (or fixed by the system).
  new Gauge({
    name: 'orders_reconciliation_differences_open',
    help: 'Reconciliation differences (support cases) still OPEN, by provider and kind',
    labelNames: ['provider', 'kind'] as const,
    registers: [registry],
    async collect() {
      const rows = await countOpenDifferencesByProviderKind(dataSource);
      const found = new Map(rows.map((row) => [`${row.provider}/${row.kind}`, Number(row.n)]));
      // Every provider and kind, zero included: an alert compares values instead of guessing at absent series.
      const kinds = new Set<string>([...Object.values(DifferenceKind), ...rows.map((row) => row.kind)]);
      for (const provider of RECONCILIATION_PROVIDERS) for (const kind of kinds) this.set({ provider, kind }, found.get(`${provider}/${kind}`) ?? 0);
    },
  });
}

interface ScheduleState {
  nextActionAt?: Date;
  lastActionAt?: Date;
  missedCatchupWindow: number;
  skippedOverlap: number;
}

/**
 * The Temporal Schedules this worker applied, as the server describes them (at most every 10 s):
 * when each runs next, when it last started its workflow, and how many runs it missed: past the
 * catch-up window (the server was down too long) or skipped because the previous run still ran.
 * A schedule that cannot be described (deleted, server unreachable) keeps its last values, so its
 * next run time falls into the past and the missed-run alert fires.
 */
export class ScheduleMetrics {
  private readonly states = new Map<string, ScheduleState>();
  private refreshed?: { at: number; done: Promise<void> };

  constructor(
    registry: Registry,
    private readonly client: Client,
    private readonly scheduleIds: string[],
  ) {
    const metrics = this;
    new Gauge({
      name: 'orders_schedule_next_action_timestamp_seconds',
      help: 'Unix time of the next run of each Temporal Schedule (in the past: the run is overdue)',
      labelNames: ['schedule_id'] as const,
      registers: [registry],
      async collect() {
        await metrics.refresh();
        for (const [scheduleId, state] of metrics.states) if (state.nextActionAt) this.set({ schedule_id: scheduleId }, state.nextActionAt.getTime() / 1000);
      },
    });
    new Gauge({
      name: 'orders_schedule_last_action_timestamp_seconds',
      help: 'Unix time each Temporal Schedule last started its workflow (0 = not yet)',
      labelNames: ['schedule_id'] as const,
      registers: [registry],
      async collect() {
        await metrics.refresh();
        for (const [scheduleId, state] of metrics.states) this.set({ schedule_id: scheduleId }, state.lastActionAt ? state.lastActionAt.getTime() / 1000 : 0);
      },
    });
    // A count kept by the server (monotonic for the schedule's life): exposed as a counter set to the server's value.
    new Counter({
      name: 'orders_schedule_missed_actions_total',
      help: 'Runs each Temporal Schedule missed, as counted by the server: reason="catchup_window" (the server was down past the catch-up window) or "overlap" (skipped, the previous run still running)',
      labelNames: ['schedule_id', 'reason'] as const,
      registers: [registry],
      async collect() {
        await metrics.refresh();
        this.reset();
        for (const [scheduleId, state] of metrics.states) {
          this.inc({ schedule_id: scheduleId, reason: 'catchup_window' }, state.missedCatchupWindow);
          this.inc({ schedule_id: scheduleId, reason: 'overlap' }, state.skippedOverlap);
        }
      },
    });
  }

  refresh(maxAgeMs = 10_000): Promise<void> {
    if (!this.refreshed || Date.now() - this.refreshed.at > maxAgeMs) this.refreshed = { at: Date.now(), done: this.describeAll() };
    return this.refreshed.done;
  }

  private async describeAll(): Promise<void> {
    await Promise.all(
      this.scheduleIds.map(async (scheduleId) => {
        try {
          const { info } = await this.client.schedule.getHandle(scheduleId).describe();
          const last = info.recentActions.at(-1);
          this.states.set(scheduleId, {
            nextActionAt: info.nextActionTimes[0],
            lastActionAt: last?.takenAt,
            missedCatchupWindow: info.numActionsMissedCatchupWindow,
            skippedOverlap: info.numActionsSkippedOverlap,
          });
        } catch {
          // Keeps the last values (see above); a schedule never described has none to export.
        }
      }),
    );
  }
}
