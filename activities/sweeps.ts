import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { signalWithStartWorkflow, startOrderWorkflow, startWorkflow } from '../apps/shared/start-workflows';
import type { SweepConfig } from '../config/app-config';
import { ORDER_TIMER_RULES, OrderTimerRule, flowOf, systemTaskQueues, timerOverdueBeforeMs, workPriority } from '../domain';
import type { PaymentProvider, ProviderName } from '../payments';
import { OrderRuntimeSettings, buildOrderWorkflowInput, orderWorkflowId, sweepOverdueSignal } from '../workflows/order.contract';
import { REFUND_WORKFLOW, RefundNotified, RefundWorkflowInput, refundNotifiedSignal, refundWorkflowId } from '../workflows/refund.contract';
import { SweepCounts, SweepFailure, SweepName, SweepTaskCounts, emptyCounts } from '../workflows/sweep.contract';
import { PAGE_FAILURES_KEPT, forEachConcurrently, writeSweepTotals } from './sweep-support';
import {
  OverdueOrderRow,
  beginSweepRunRow,
  claimHandovers,
  countHandedOverInRange,
  countHandedOverNotMoved,
  finishSweepRunRow,
  readHandovers,
  readLongProcessingRefunds,
  readOverdueOrders,
  releaseHandover,
} from '../db/sweeps';
import { RefundActivities } from './refunds';
import { ErrorCode } from '../domain/error-codes';

/** What the sweeps need besides the database: a Temporal client to message (or restart) workflows, and the settings. */
export interface SweepDependencies extends OrderRuntimeSettings {
  temporal: Client;
  /** The system's main task queue (TEMPORAL_TASK_QUEUE); batch work goes to the batch queue named after it. */
  taskQueue: string;
  sweeps: SweepConfig;
  /** WORK_PRIORITIES: the orders handed over start at batch priority (domain/work-priority.ts); unset counts as on. */
  workPriorities?: boolean;
}

export interface SweepRunStart {
  sweepRunId: number;
  sweepDay: string;
  asOfIso: string;
}

export interface SweepPageRequest {
  sweepRunId: number;
  sweepDay: string;
  asOfIso: string;
  afterId: number;
  dryRun: boolean;
  /** The run's totals before this page; the page writes totals + its own counts to sweep_run (an overwrite, so a retry is harmless). */
  totalsBefore: SweepTaskCounts;
}

export interface SweepPageResult {
  /** The last id this page reached (the next page starts after it). */
  lastId: number;
  /** The selection has no rows after `lastId`. */
  exhausted: boolean;
  counts: SweepCounts;
  failures: SweepFailure[];
}


/** How many orders of a page are handed over at once: enough to hide round trips, few enough not to flood the frontend. */
const HANDOVER_CONCURRENCY = 16;
/** Without SWEEP_MAX_IN_FLIGHT (dependencies built by hand in tests): two pages' worth in flight, as before the setting. */
const IN_FLIGHT_PAGES = 2;
/** The in-flight bound is checked before each chunk of this many hand-overs, so a page larger than the bound does not overshoot it. */
const HANDOVER_CHUNK = 50;
const IN_FLIGHT_MAX_WAIT_MS = 60_000;

/**
 * The scheduled reconcilers' effects. They never change an order or a refund themselves: they find
 * what the database says is overdue and hand it to the workflow that owns it (signal, or start a
 * resumed one), which decides through the same allowed-operations table and compare-and-set as
 * everything else. Each page is one bounded keyset query; one order's failure is counted, never
 * fatal to the page.
 */
export class SweepActivities {
  private readonly refunds: RefundActivities;

  constructor(
    private readonly dataSource: DataSource,
    providers: Record<ProviderName, PaymentProvider>,
    notifyBaseUrl: string,
    private readonly deps: SweepDependencies | undefined,
  ) {
    this.refunds = new RefundActivities(dataSource, providers, notifyBaseUrl);
  }

  private get sweepDeps(): SweepDependencies {
    if (!this.deps) throw ApplicationFailure.nonRetryable('this worker was built without a Temporal client for the sweeps', ErrorCode.SweepNotConfigured);
    return this.deps;
  }

  /**
   * Records the run (once per workflow execution: a retry finds its row) and fixes its instant and
   * sweep day, so every page and every continue-as-new compares against the same clock.
   */
  async beginSweepRun(request: { sweep: SweepName; dryRun: boolean }): Promise<SweepRunStart> {
    const workflowExecution = Context.current().info.workflowExecution;
    if (!workflowExecution) throw ApplicationFailure.nonRetryable('a sweep run is begun by its sweep workflow', ErrorCode.SweepNotConfigured);
    const asOf = new Date();
    const sweepDay = dayIn(asOf, this.sweepDeps.sweeps.orderSweepTimeZone);
    const row = await beginSweepRunRow(this.dataSource, { sweep: request.sweep, workflowId: workflowExecution.workflowId, firstRunId: workflowExecution.runId, dryRun: request.dryRun, sweepDay, asOf });
    return { sweepRunId: Number(row.id), sweepDay: row.sweep_day, asOfIso: new Date(row.as_of).toISOString() };
  }

  async finishSweepRun(request: { sweepRunId: number; tasks: SweepTaskCounts }): Promise<void> {
    await finishSweepRunRow(this.dataSource, request.sweepRunId, request.tasks);
  }

  /**
   * One page of one rule of the order-status sweep: up to SWEEP_BATCH_SIZE overdue orders after
   * `afterId`, each handed to `order-{orderSn}`. The handover row is written before the signal, so
   * a page retried after a crash re-sends (harmlessly) instead of losing an order, and its
   * "advanced" count is read back from those rows: exact even though the first attempt's answer was lost.
   */
  async sweepOverdueOrders(request: SweepPageRequest & { ruleKey: string; sweepId: string }): Promise<SweepPageResult> {
    const deps = this.sweepDeps;
    const rule = ORDER_TIMER_RULES.find((r) => r.key === request.ruleKey);
    if (!rule) throw ApplicationFailure.nonRetryable(`unknown sweep rule ${request.ruleKey}`, ErrorCode.UnknownSweepRule);
    const maxInFlight = deps.sweeps.maxInFlight ?? deps.sweeps.batchSize * IN_FLIGHT_PAGES;
    const cutoff = new Date(timerOverdueBeforeMs(rule, deps.orderSettings, Date.parse(request.asOfIso)));
    const rows = await readOverdueOrders(this.dataSource, rule, request.afterId, cutoff, deps.sweeps.batchSize);
    const lastId = rows.length ? Number(rows[rows.length - 1].id) : request.afterId;
    const exhausted = rows.length < deps.sweeps.batchSize;
    const counts = emptyCounts();
    const failures: SweepFailure[] = [];
    if (rows.length === 0) {
      await writeSweepTotals(this.dataSource, request.sweepRunId, request.totalsBefore, rule.task, counts);
      return { lastId, exhausted, counts, failures };
    }

    const sns = rows.map((r) => r.order_sn);
    const handedOver = async (): Promise<Map<string, number>> => {
      const found = await readHandovers(this.dataSource, request.sweepDay, rule.key, sns);
      return new Map(found.map((f) => [f.order_sn, Number(f.sweep_run_id)]));
    };

    let owners = await handedOver();
    // Already handed over today by another run: that run's workflow signal is in flight or done.
    const ours = rows.filter((r) => (owners.get(r.order_sn) ?? request.sweepRunId) === request.sweepRunId);
    counts.skipped = rows.length - ours.length;

    if (request.dryRun) {
      counts.scanned = rows.length;
      counts.advanced = ours.length;
      await writeSweepTotals(this.dataSource, request.sweepRunId, request.totalsBefore, rule.task, counts);
      return { lastId, exhausted, counts, failures };
    }

    // Claim before signalling (INSERT IGNORE: a concurrent run that claimed first keeps the order).
    const unclaimed = ours.filter((r) => !owners.has(r.order_sn));
    if (unclaimed.length) {
      await claimHandovers(this.dataSource, request.sweepDay, rule.key, request.sweepRunId, unclaimed);
      owners = await handedOver();
    }
    const claimed = rows.filter((r) => owners.get(r.order_sn) === request.sweepRunId);
    counts.skipped = rows.length - claimed.length;

    for (let from = 0; from < claimed.length; from += HANDOVER_CHUNK) {
      const chunk = claimed.slice(from, from + HANDOVER_CHUNK);
      // SWEEP_MAX_IN_FLIGHT: room for this chunk before it is handed over.
      // This page's claimed rows not handed over yet are in the count (claimed, still in the status): not in flight.
      await this.waitForHandedOverOrders(request.sweepRunId, rule, Math.max(0, maxInFlight - chunk.length), claimed.length - from);
      await forEachConcurrently(chunk, HANDOVER_CONCURRENCY, async (row) => {
        try {
          await this.handOverOrder(row, rule, request.sweepId);
        } catch (err) {
          // Release the claim so the next run (or a manual one) tries this order again.
          await releaseHandover(this.dataSource, request.sweepDay, rule.key, row.order_sn, request.sweepRunId);
          counts.failed += 1;
          const error = (err as Error).message ?? String(err);
          log.warn('sweep could not hand the order to its workflow', { orderSn: row.order_sn, rule: rule.key, error });
          if (failures.length < PAGE_FAILURES_KEPT) failures.push({ key: row.order_sn, task: rule.task, error });
        }
        Context.current().heartbeat({ lastId });
      });
    }

    // Orders this run handed over in this id range, including those a crashed earlier attempt of
    // this page handed over (they have moved on, so the query above no longer found them).
    counts.advanced = Number(await countHandedOverInRange(this.dataSource, request.sweepRunId, rule.key, request.afterId, lastId));
    counts.scanned = counts.advanced + counts.skipped + counts.failed;
    await writeSweepTotals(this.dataSource, request.sweepRunId, request.totalsBefore, rule.task, counts);
    return { lastId, exhausted, counts, failures };
  }

  /**
   * Back-pressure: waits while more than `limit` orders this run handed over for the rule have not
   * moved on yet. Without it a large backlog floods the task queue with order workflows and their
   * activities, and the sweep's own next page waits behind all of them; with it the sweep goes as
   * fast as the order workflows absorb the work (measured on the 2-core box: 9,500 cancellations
   * handed over at once advanced at ~3 orders/s). Bounded: orders whose workflow cannot move them
   * (a failed cancellation) must not stall the sweep, so after IN_FLIGHT_MAX_WAIT_MS it goes on.
   */
  private async waitForHandedOverOrders(sweepRunId: number, rule: OrderTimerRule, limit: number, claimedNotHandedOver: number): Promise<void> {
    const deadline = Date.now() + IN_FLIGHT_MAX_WAIT_MS;
    while (Date.now() < deadline) {
      if (Number(await countHandedOverNotMoved(this.dataSource, sweepRunId, rule)) - claimedNotHandedOver <= limit) return;
      Context.current().heartbeat();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /**
   * Starts a fresh workflow resumed from the row (a legacy order, or a workflow that ended by hand),
   * or signals the running one. ALLOW_DUPLICATE is deliberate: a closed workflow for a still-overdue
   * order must be replaced; the order row's compare-and-set keeps that from advancing anything twice.
   *
   * Start first, then signal only if one is running — not signalWithStart: a fresh resumed workflow
   * needs no signal (its timer runs from the row's clock column, so it is already due and fires at
   * once), and the order workflow's sweep-signal handler cannot take a signal delivered together with
   * its start (it reads the timer before the workflow has defined it). Most overdue orders have no
   * running workflow, so this is also one call per order in the common case.
   */
  private async handOverOrder(row: OverdueOrderRow, rule: OrderTimerRule, sweepId: string): Promise<void> {
    const deps = this.sweepDeps;
    const flow = flowOf(row.payment_type, row.order_type);
    const input = buildOrderWorkflowInput(
      { orderSn: row.order_sn, sellerId: row.seller_id, buyerId: row.buyer_id, flow, orderFen: row.order_fen, createdAt: new Date(row.created_at) },
      deps,
      { status: row.order_status, sinceIso: new Date(row.since).toISOString(), paidFen: row.paid_fen, ...(row.pay_order_no ? { transactionId: row.pay_order_no } : {}) },
    );
    try {
      // On the batch queue: its steps run in the batch Worker's slots, not ahead of people's (domain/task-queues.ts).
      await startOrderWorkflow(deps.temporal, systemTaskQueues(deps.taskQueue).batch, input, {
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        memo: { resumedBy: sweepId },
        staticSummary: `Order ${row.order_sn} resumed at ${row.order_status} by ${sweepId}`,
        // Batch work: behind every checkout, payment and cancel on the same task queue.
        priority: workPriority('sweep-handover', deps.workPriorities !== false),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // Running, yet the database says its timer is overdue (a timer missed while a bug was live):
      // the workflow runs that timer's command now if it still applies, through the table.
      await deps.temporal.workflow.getHandle(orderWorkflowId(row.order_sn)).signal(sweepOverdueSignal, { task: rule.task, sweepId });
    }
  }

  /**
   * One page of the refund-status check: refunds PROCESSING for longer than REFUND_CHECK_MIN_AGE.
   * The provider is asked (the source of truth when a notification was lost); a final answer goes
   * to the refund workflow as a notification would, and a missing workflow is started again (it
   * resumes from the refund row).
   */
  async checkProcessingRefunds(request: SweepPageRequest & { checkId: string }): Promise<SweepPageResult> {
    const deps = this.sweepDeps;
    const cutoff = new Date(Date.parse(request.asOfIso) - deps.sweeps.refundCheckMinAgeMs);
    const rows = await readLongProcessingRefunds(this.dataSource, request.afterId, cutoff, deps.sweeps.batchSize);
    const lastId = rows.length ? Number(rows[rows.length - 1].id) : request.afterId;
    const counts: SweepCounts = { ...emptyCounts(), restarted: 0 };
    const failures: SweepFailure[] = [];
    await forEachConcurrently(rows, 4, async (row) => {
      counts.scanned += 1;
      try {
        const progress = await this.refunds.queryRefund(row.refund_sn);
        const settled = progress === 'SUCCESS' || progress === 'ABNORMAL' || progress === 'CLOSED';
        const running = await this.isRunning(refundWorkflowId(row.refund_sn));
        if (running && !settled) {
          // Still processing at the provider, and its workflow is polling: nothing to do.
          counts.skipped += 1;
          return;
        }
        counts.advanced += 1;
        if (!running) counts.restarted! += 1;
        if (request.dryRun) return;
        const notification: RefundNotified | undefined = settled ? { status: progress, notificationId: `${request.checkId}:${row.refund_sn}` } : undefined;
        await this.deliverRefundResult(row, notification);
      } catch (err) {
        counts.failed += 1;
        const error = (err as Error).message ?? String(err);
        log.warn('refund check could not finish the refund', { refundSn: row.refund_sn, error });
        if (failures.length < PAGE_FAILURES_KEPT) failures.push({ key: row.refund_sn, task: 'refund', error });
      }
      Context.current().heartbeat({ lastId });
    });
    await writeSweepTotals(this.dataSource, request.sweepRunId, request.totalsBefore, 'refund', counts);
    return { lastId, exhausted: rows.length < deps.sweeps.batchSize, counts, failures };
  }

  private async isRunning(workflowId: string): Promise<boolean> {
    try {
      const description = await this.sweepDeps.temporal.workflow.getHandle(workflowId).describe();
      return description.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Delivers the provider's final answer to `refund-{refundSn}` as a notification, starting the
   * workflow again when it is missing (ALLOW_DUPLICATE: one terminated by hand is replaced; a fresh
   * run reads the PROCESSING row and polls on from there).
   */
  private async deliverRefundResult(row: { refund_sn: string; order_sn: string; cause_key: string; status: string }, notification: RefundNotified | undefined): Promise<void> {
    const deps = this.sweepDeps;
    const cancellation = /^cancel:(\d+):/.exec(row.cause_key);
    const input: RefundWorkflowInput = {
      refundSn: row.refund_sn,
      orderSn: row.order_sn,
      ...(cancellation ? { cancellationId: Number(cancellation[1]) } : {}),
      pollScheduleMs: deps.refundPollScheduleMs,
    };
    const options = {
      workflowId: refundWorkflowId(row.refund_sn),
      // Batch work on the batch queue; a refund workflow still running keeps its own queue (a signal, or USE_EXISTING).
      taskQueue: systemTaskQueues(deps.taskQueue).batch,
      args: [input] as [RefundWorkflowInput],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
      searchAttributes: { OrderSn: [row.order_sn], RefundStatus: [row.status] },
      priority: workPriority('refund-status-check', deps.workPriorities !== false),
    };
    if (notification) {
      await signalWithStartWorkflow(deps.temporal, REFUND_WORKFLOW, { ...options, signal: refundNotifiedSignal, signalArgs: [notification] as [RefundNotified] });
    } else {
      await startWorkflow(deps.temporal, REFUND_WORKFLOW, { ...options, workflowIdConflictPolicy: 'USE_EXISTING' });
    }
  }

}

/** The calendar day of `instant` in `timeZone` (YYYY-MM-DD): the sweep day handovers are keyed by. */
export function dayIn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}
