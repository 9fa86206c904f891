/**
 * What every part of the order workflow (order.workflow.ts, order-cancel.ts, order-after-sales.ts)
 * shares: the run's state, its queue of commands, the activity proxies and the small steps that
 * change the live state the same way everywhere. Workflow code: imports only @temporalio/workflow and
 * pure relative modules.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { Actor, OrderOperate, OrderStatus, PayStatus } from '../domain';
import type { ErrorCode } from '../domain/error-codes';
import { groupBuyWorkflowId, memberPaidSignal } from './group-buy.contract';
import { latePaymentWorkflowId } from './late-payment.contract';
import { latePaymentWorkflow } from './late-payment.workflow';
import {
  AfterSaleClosing,
  AfterSaleOpened,
  AfterSaleOpening,
  CancelAccepted,
  OPERATION_REFUSED,
  OrderState,
  OrderWorkflowInput,
  PaymentConfirmed,
} from './order.contract';
import { DATABASE_RETRY, LOCAL_DATABASE_RETRY } from './retry-policies';

export const remote = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });
export const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

/** The operation name of an after-sale command: not a flow-table operation, it leaves the order status alone. */
export const AFTER_SALE = 'AFTER_SALE';

/** A request to change the order, from a person, a provider, a timer or an after-sale; executed one at a time. */
export interface Command {
  operation: OrderOperate | typeof AFTER_SALE;
  actor: Actor;
  actorId?: string;
  message: string;
  payment?: PaymentConfirmed;
  shipment?: { carrier: string; trackingNo: string };
  /** Set for CANCEL / SERVICE_CANCEL: the recorded request (absent for the auto-cancel timer). */
  cancellation?: { id?: number; reason: string };
  accepted?: CancelAccepted;
  /** An after-sale taken on or let go (order-after-sales.ts). */
  afterSale?: { open: AfterSaleOpening } | { close: AfterSaleClosing };
  opened?: AfterSaleOpened;
  done?: boolean;
  refusal?: string;
  /** The refusal's catalogue code, when the rule that refused it names one (else OperationRefused). */
  refusalCode?: ErrorCode;
}

/** One order workflow run: its input, live state (the query's answer), command queue and database proxy. */
export class OrderRun {
  readonly state: OrderState;
  /** When the order entered each status (the timers' clocks). */
  readonly at: Partial<Record<OrderStatus, number>>;
  readonly queue: Command[] = [];
  /** Payments already handed to the late-payment workflow. */
  readonly refundedPayments = new Set<string>();
  /** New runs apply their database steps as local activities; histories from before the patch as normal ones. */
  readonly db: typeof local;

  constructor(
    readonly input: OrderWorkflowInput,
    /** Whether this run owns its cancel (ORDER_OWNS_CANCEL_PATCH). */
    readonly ownsCancel: boolean,
    /** Whether it gives a cancelled order's money and stock back itself (ORDER_RUNS_CANCELLATION_PATCH). */
    readonly givesBackItself: boolean,
    /** Whether each cancellation is its own workflow that asks this order (CANCELLATION_WORKFLOW_PATCH). */
    readonly cancellationWorkflows: boolean = false,
  ) {
    this.db = ownsCancel ? local : remote;
    this.state = { orderSn: input.orderSn, flow: input.flow, status: OrderStatus.NEW, payStatus: PayStatus.PAY_NO, paidFen: 0, afterSales: [], history: [] };
    this.at = { [OrderStatus.NEW]: Date.parse(input.createdAtIso) };
    if (input.resume) {
      this.state.status = input.resume.status;
      this.state.paidFen = input.resume.paidFen;
      this.state.payStatus = input.resume.paidFen > 0 ? PayStatus.PAY_YES : PayStatus.PAY_NO;
      this.state.transactionId = input.resume.transactionId;
      this.at[input.resume.status] = Date.parse(input.resume.sinceIso);
    }
  }

  /** Why commands are refused from now on: set once the workflow has stopped executing commands. */
  private closedReason?: string;

  /**
   * Queues a command for the loop, or refuses it at once when the loop has stopped. An Update's
   * handler runs only after the barrier that puts it in history (update-durability.ts), so it can
   * come after the last drain of the queue; queued then, it would wait for ever and hold the
   * workflow open (the money soak's racing arbitrations hung this way in the complaint workflow).
   */
  enqueue(command: Command): void {
    if (this.closedReason !== undefined) {
      command.refusal = this.closedReason;
      command.done = true;
      return;
    }
    this.queue.push(command);
  }

  /** Refuses every queued command with `reason` (they will not run). */
  refuseQueued(reason: string): void {
    for (const command of this.queue.splice(0)) {
      command.refusal = reason;
      command.done = true;
    }
  }

  /** The loop has stopped for good: refuses what is queued and everything queued from now on. */
  close(reason: string): void {
    this.closedReason = reason;
    this.refuseQueued(reason);
  }

  /** Queues a command and waits for the loop to execute it; a refusal becomes the Update's failure. */
  async submit(command: Command): Promise<OrderStatus> {
    this.enqueue(command);
    await condition(() => command.done === true);
    if (command.refusal) throw ApplicationFailure.nonRetryable(command.refusal, command.refusalCode ?? OPERATION_REFUSED);
    return this.state.status;
  }

  moveTo(status: OrderStatus): void {
    if (status === this.state.status) return;
    this.state.status = status;
    this.at[status] = Date.now();
    upsertSearchAttributes({ OrderStatus: [status] });
    // The search attribute already says it; older histories also wrote the memo (one more event each).
    if (!this.ownsCancel) upsertMemo({ status });
  }

  record(operation: OrderOperate | 'CANCEL', from: OrderStatus, to: OrderStatus, actor: string): void {
    this.state.history.push({ operation, from, to, actor, atIso: new Date().toISOString() });
  }

  /** Keeps the group buy's member list in step with this order; a finished group no longer listens. */
  async tellGroup(signal: typeof memberPaidSignal): Promise<void> {
    try {
      await getExternalWorkflowHandle(groupBuyWorkflowId(this.input.groupId!)).signal(signal, { orderSn: this.input.orderSn });
    } catch (err) {
      log.warn('group buy not signalled', { groupId: this.input.groupId, error: (err as Error).message });
    }
  }

  /**
   * A payment the order cannot take — it was cancelled, or is already paid by another route — is
   * recorded and refunded by the late-payment workflow, never applied (R8).
   */
  async refundUnwantedPayment(payment: PaymentConfirmed, why: string): Promise<void> {
    if (this.refundedPayments.has(payment.transactionId)) return;
    this.refundedPayments.add(payment.transactionId);
    const late = { provider: payment.provider as 'wechatpay' | 'alipay', outTradeNo: payment.outTradeNo, transactionId: payment.transactionId, amountFen: payment.amountFen, paidAt: payment.paidAt, ...(payment.tradeSn ? { tradeSn: payment.tradeSn, paymentFen: payment.paymentFen } : {}) };
    try {
      await startChild(latePaymentWorkflow, {
        workflowId: latePaymentWorkflowId(payment.outTradeNo, payment.tradeSn && this.input.orderSn),
        args: [{ orderSn: this.input.orderSn, payment: late, why, refundPollScheduleMs: this.input.refundPollScheduleMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Refund payment ${payment.transactionId}: ${why}`,
        searchAttributes: { OrderSn: [this.input.orderSn] },
      });
    } catch (err) {
      // Already started for this payment (by the API after a restart): it is being refunded.
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
  }
}
