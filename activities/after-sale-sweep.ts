import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { AfterSaleStatus } from '../domain';
import { appendOrderLog } from '../db/order-log';
import { readOverdueAfterSales } from '../db/after-sale-reads';
import { afterSaleOverdueSignal, afterSaleWorkflowId } from '../workflows/after-sale.contract';
import type { SweepDependencies } from './sweeps';
import { ErrorCode } from '../domain/error-codes';

export interface AfterSaleSweepResult {
  /** After-sales the database says are past their deadline. */
  scanned: number;
  /** Signalled: their workflow checks the deadline now (its own timer would have, if it had run). */
  signalled: number;
  /** No running workflow: left for support (listed in the worker's log). */
  missing: number;
}

const FINAL: string[] = [AfterSaleStatus.COMPLETED, AfterSaleStatus.CLOSED, AfterSaleStatus.REFUSE];

/**
 * The daily sweep's after-sale part: the safety net under the after-sale workflows' deadline timers.
 * It finds after-sales whose stored deadline (written with each step) has passed and signals their
 * workflow, which applies the deadline through its flow table. It never changes an after-sale itself,
 * so a signal sent twice is harmless.
 */
export class AfterSaleSweep {
  constructor(
    private readonly dataSource: DataSource,
    private readonly deps: SweepDependencies | undefined,
  ) {}

  async sweepOverdueAfterSales(request: { sweepId: string; asOfIso: string }): Promise<AfterSaleSweepResult> {
    if (!this.deps) throw ApplicationFailure.nonRetryable('this worker was built without a Temporal client for the sweeps', ErrorCode.SweepNotConfigured);
    const result: AfterSaleSweepResult = { scanned: 0, signalled: 0, missing: 0 };
    for (let afterId = 0; ; ) {
      const rows = await readOverdueAfterSales(this.dataSource, new Date(request.asOfIso), FINAL, afterId, this.deps.sweeps.batchSize);
      for (const row of rows) {
        result.scanned += 1;
        try {
          await this.deps.temporal.workflow.getHandle(afterSaleWorkflowId(row.service_sn)).signal(afterSaleOverdueSignal, { sweepId: request.sweepId });
          result.signalled += 1;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          result.missing += 1;
          log.warn('overdue after-sale has no running workflow', { serviceSn: row.service_sn });
          // Support finds it in the order's log (once per after-sale and sweep day); nothing else is changed.
          await appendOrderLog(this.dataSource.manager, {
            orderSn: row.order_sn,
            eventKey: `after-sale:${row.service_sn}:overdue:${request.asOfIso.slice(0, 10)}`,
            operation: 'AFTER_SALE',
            actorRole: 'SYSTEM_TIMER',
            message: `after-sale ${row.service_sn} is ${row.status} past its ${row.deadline_action} deadline and has no running workflow: support must look at it`,
          }, 'ignore');
        }
      }
      Context.current().heartbeat({ afterId });
      if (rows.length < this.deps.sweeps.batchSize) return result;
      afterId = Number(rows[rows.length - 1].id);
    }
  }
}
