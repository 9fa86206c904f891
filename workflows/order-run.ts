/**
 * What every part of the order workflow (order.workflow.ts, order-cancel.ts, order-after-sales.ts)
 * shares: the run's state, its command loop, the activity proxies and the small steps that
 * change the live state the same way everywhere. Workflow code: imports only @temporalio/workflow and
 * pure relative modules.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyLocalActivities,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { Actor, OrderOperate, OrderStatus, PayStatus } from '../domain';
import { CommandLoop, type LoopCommand } from './command-loop';
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
import { LOCAL_DATABASE_RETRY } from './retry-policies';

export const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

/** The operation name of an after-sale command: not a flow-table operation, it leaves the order status alone. */
export const AFTER_SALE = 'AFTER_SALE';

/** A request to change the order, from a person, a provider, a timer or an after-sale; executed one at a time. */
export interface Command extends LoopCommand {
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
}

/** One order workflow run: its input, live state (the query's answer), command loop and database proxy. */
export class OrderRun {
  readonly state: OrderState;
  /** When the order entered each status (the timers' clocks). */
  readonly at: Partial<Record<OrderStatus, number>>;
  /** People's steps, signals and timers, executed one at a time by the workflow's loop. */
  readonly loop = new CommandLoop<Command>(OPERATION_REFUSED);
  /** Payments already handed to the late-payment workflow. */
  readonly refundedPayments = new Set<string>();
  /** The database steps run as local activities: no server round trip of their own. */
  readonly db = local;

  constructor(readonly input: OrderWorkflowInput) {
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

  moveTo(status: OrderStatus): void {
    if (status === this.state.status) return;
    this.state.status = status;
    this.at[status] = Date.now();
    upsertSearchAttributes({ OrderStatus: [status] });
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
