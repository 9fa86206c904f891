import { Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowHandle } from '@temporalio/client';
import type { AppConfig } from '../../../config/app-config';
import type { FlowType } from '../../../domain';
import { OrderWorkflow, buildOrderWorkflowInput, orderWorkflowId } from '../../../workflows/order.contract';
import { CancellationRequestInput, cancellationWorkflowId } from '../../../workflows/cancellation.contract';
import { orderRuntimeOf, startCancellationWorkflow, startOrderWorkflow } from '../../shared/start-workflows';
import { temporalUiLink } from '../../shared/temporal';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { workPriority } from '../../../domain';

export interface NewOrder {
  orderSn: string;
  /** As the database or the token carries them; never through Number(), which aliases ids above 2^53. */
  sellerId: string | number;
  buyerId: string | number;
  flow: FlowType;
  orderFen: number;
  createdAt: Date;
  groupId?: string;
}

/** Starts and addresses order workflows; the only place the API names the order workflow. */
@Injectable()
export class OrderWorkflows {
  constructor(
    @Inject(TEMPORAL_CLIENT) readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Starts `order-{orderSn}`. USE_EXISTING makes a retried request (or a replayed idempotent trade)
   * attach to the running workflow instead of failing or starting a second; REJECT_DUPLICATE keeps a
   * finished order's id from ever being reused: that refusal means this order's workflow already ran
   * (a replayed checkout after the order closed), so its id is the answer.
   */
  async start(order: NewOrder): Promise<string> {
    const workflowId = orderWorkflowId(order.orderSn);
    try {
      await startOrderWorkflow(this.temporal, this.config.temporal.taskQueue, buildOrderWorkflowInput(order, orderRuntimeOf(this.config)), {
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // A buyer at checkout: the order's payment, cancel and refund steps inherit it.
        priority: workPriority('checkout', this.config.workPriorities),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return workflowId;
  }

  /**
   * Starts `cancel-{orderSn}` for a cancel request (apps/shared/start-workflows.ts): `started`, or the
   * request whose cancellation is running (the memo's cancellationId) — this one's own on a retry;
   * with the run's id (a later cancel of the same order may run under the same workflow id).
   */
  async startCancellation(input: CancellationRequestInput, sellerId: string | number): Promise<{ started: boolean; runId: string; runningFor?: number }> {
    try {
      const handle = await startCancellationWorkflow(this.temporal, this.config.temporal.taskQueue, input, sellerId, workPriority('cancel', this.config.workPriorities));
      return { started: true, runId: handle.firstExecutionRunId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const running = await this.temporal.workflow.getHandle(cancellationWorkflowId(input.orderSn)).describe();
      const runningFor = Number(running.memo?.cancellationId);
      return { started: false, runId: running.runId, ...(Number.isFinite(runningFor) ? { runningFor } : {}) };
    }
  }

  refundPollScheduleMs(): number[] {
    return orderRuntimeOf(this.config).refundPollScheduleMs;
  }

  handle(orderSn: string): WorkflowHandle<OrderWorkflow> {
    return this.temporal.workflow.getHandle<OrderWorkflow>(orderWorkflowId(orderSn));
  }

  uiLink(workflowId: string): string {
    return temporalUiLink(this.config.temporal, workflowId);
  }
}
