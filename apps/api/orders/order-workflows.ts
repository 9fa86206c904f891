import { Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowHandle } from '@temporalio/client';
import type { AppConfig } from '../../../config/app-config';
import { FlowType, OrderStatus } from '../../../domain';
import type { OrderWorkflowInput } from '../../../workflows/order.workflow';
import { orderWorkflowId } from '../../../workflows/workflow-ids';
import { temporalUiLink } from '../../shared/temporal';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';

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
    const input: OrderWorkflowInput = {
      orderSn: order.orderSn,
      sellerId: String(order.sellerId),
      buyerId: String(order.buyerId),
      flow: order.flow,
      orderFen: order.orderFen,
      createdAtIso: order.createdAt.toISOString(),
      settings: this.config.orderSettings,
      latePaymentWindowMs: this.config.latePaymentWindowMs,
      refundPollScheduleMs: this.config.refund.pollScheduleMs,
      groupId: order.groupId,
    };
    const workflowId = orderWorkflowId(order.orderSn);
    try {
      await this.startWorkflow(workflowId, input, order);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return workflowId;
  }

  private async startWorkflow(workflowId: string, input: OrderWorkflowInput, order: NewOrder): Promise<void> {
    await this.temporal.workflow.start('orderWorkflow', {
      workflowId,
      taskQueue: this.config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      searchAttributes: {
        OrderSn: [order.orderSn],
        SellerId: [String(order.sellerId)],
        BuyerId: [String(order.buyerId)],
        OrderStatus: [OrderStatus.NEW],
      },
      memo: { flow: order.flow, orderFen: order.orderFen },
    });
  }

  handle(orderSn: string): WorkflowHandle {
    return this.temporal.workflow.getHandle(orderWorkflowId(orderSn));
  }

  uiLink(workflowId: string): string {
    return temporalUiLink(this.config.temporal, workflowId);
  }
}
