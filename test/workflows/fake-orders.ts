import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { TransitionRequest, TransitionResult } from '../../activities/order-transitions';
import { OrderRequestActivities } from '../../activities/order-requests';
import type { PaymentCheck } from '../../workflows/payment-watch.contract';
import { CancellationStatus, DEFAULT_ORDER_SETTINGS, FlowType, OrderSettings, OrderStatus, RefundStatus } from '../../domain';
import { ORDER_WORKFLOW, OrderWorkflow, OrderWorkflowInput, orderWorkflowId } from '../../workflows/order.contract';

/** Every status timer a minute away (nothing moves unless a test says so); the windows close in ms. */
export function orderSettings(fast: Partial<OrderSettings> = {}): OrderSettings {
  return { ...DEFAULT_ORDER_SETTINGS, cancelOrderMs: 60_000, rogOrderMs: 60_000, completeOrderMs: 60_000, completeOrderPayMs: 60_000, commentOrderMs: 50, complainExpiredMs: 100, serviceExpiredMs: 150, ...fast };
}

let ordersStarted = 0;
/** Starts `order-{orderSn}`: a new online order of 25.00 CNY with `orderSettings(fast)`, unless `extra` says otherwise. */
export async function startOrder(client: Client, taskQueue: string, fast: Partial<OrderSettings> = {}, extra: Partial<OrderWorkflowInput> = {}) {
  const input: OrderWorkflowInput = {
    orderSn: `O${Date.now()}${++ordersStarted}`,
    sellerId: '42',
    buyerId: '7',
    flow: FlowType.ONLINE,
    orderFen: 2500,
    createdAtIso: new Date().toISOString(),
    settings: orderSettings(fast),
    latePaymentWindowMs: 100,
    refundPollScheduleMs: [60_000],
    ...extra,
  };
  const handle = await client.workflow.start<OrderWorkflow>(ORDER_WORKFLOW.workflowType, { taskQueue, workflowId: orderWorkflowId(input.orderSn), args: [input] });
  return { orderSn: input.orderSn, input, handle };
}

/** An Update's answer, or its refusal as `code: message` (the failure type is the catalogue code). */
export function updateAnswer(sent: Promise<unknown>): Promise<string> {
  return sent.then(
    (answer) => String(answer),
    (err) => (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? `${err.cause.type}: ${err.cause.message}` : `unexpected ${err}`),
  );
}

/**
 * The order table in memory for the order workflow's fast tests: each transition is the same
 * compare-and-set the database step makes (`from` must be the row's status, else not applied with
 * the row's status), so a test can also move the row behind the workflow's back (`rows.set`) as an
 * operator's hand edit would. Every step is recorded for the test's assertions.
 */
export function fakeOrderTable(options: { paymentChecks?: (call: number) => PaymentCheck | Promise<PaymentCheck> } = {}) {
  const rows = new Map<string, OrderStatus>();
  const calls = {
    transitions: [] as TransitionRequest[],
    windows: [] as string[],
    systemCancellations: [] as string[],
    cancels: [] as TransitionRequest[],
    settled: [] as number[],
    paymentChecks: [] as string[],
    afterSales: [] as string[],
  };
  const compareAndSet = (request: TransitionRequest): TransitionResult => {
    const status = rows.get(request.orderSn) ?? OrderStatus.NEW;
    if (status !== request.from) return { applied: false, status, reason: `order ${request.orderSn} is ${status}, not ${request.from}` };
    rows.set(request.orderSn, request.to);
    return { applied: true, replayed: false, status: request.to };
  };
  const activities: Partial<Activities> = {
    async applyTransition(request) {
      calls.transitions.push(request);
      return compareAndSet(request);
    },
    async closeOrderWindow({ window }) {
      calls.windows.push(window);
      return true;
    },
    async recordSystemCancellation({ reason }) {
      calls.systemCancellations.push(reason);
      return 900 + calls.systemCancellations.length;
    },
    async cancelOrder(request) {
      calls.cancels.push(request);
      const transition = compareAndSet(request);
      // A won refunding cancel records its refund in the same transaction.
      const { cancellationId, refunding, reason } = request.cancellation;
      const refund = transition.applied && refunding ? { refundSn: `RC-${cancellationId}`, orderSn: request.orderSn, provider: 'wechatpay' as const, outTradeNo: `${request.orderSn}P1W`, refundFen: 2500, totalFen: 2500, reason, status: RefundStatus.APPLY } : undefined;
      return { transition, ...(refund ? { refund } : {}) };
    },
    async recordAfterSale({ serviceSn, step, serviceStatus }) {
      calls.afterSales.push(`${step} ${serviceSn}${serviceStatus ? ` → ${serviceStatus}` : ''}`);
      return true;
    },
    async settleCancelledOrder({ cancellationId }) {
      calls.settled.push(cancellationId);
    },
    async checkUnpaidPayment({ outTradeNo }) {
      calls.paymentChecks.push(outTradeNo);
      return (options.paymentChecks ?? (() => ({ outcome: 'waiting' }) as PaymentCheck))(calls.paymentChecks.length);
    },
  };
  return { rows, calls, activities };
}

/**
 * The cancellation workflow's side of a cancel (`cancel-{orderSn}`, a person's or the auto-cancel
 * timer's): the order's answers come from the order workflow itself, through the real request
 * activities on the test server's client; only the request, payment-order and stock tables are in
 * memory. `landedMeanwhile` is what closing the payment orders finds already paid.
 */
export function fakeCancellationSide(client: Client, landedMeanwhile: Awaited<ReturnType<Activities['closeOpenPayments']>> = []) {
  const requests = new OrderRequestActivities(undefined as never, () => client);
  const effects: string[] = [];
  const activities: Partial<Activities> = {
    askOrderToCancel: (request) => requests.askOrderToCancel(request).finally(() => effects.push('ask order')),
    tellOrderCancellationSettled: (request) => requests.tellOrderCancellationSettled(request).finally(() => effects.push('tell order settled')),
    async refuseCancellation({ refusal }) {
      effects.push(`refused ${refusal.code}`);
      return CancellationStatus.REFUSED;
    },
    async markCancellationAccepted() {
      effects.push('accepted');
    },
    async closeOpenPayments() {
      effects.push('close payment orders');
      return landedMeanwhile;
    },
    async restockCancelledOrder({ paid }) {
      effects.push(paid ? 'restock and take back sales' : 'release stock');
      return { restocked: 1, salesReversed: paid ? 1 : 0 };
    },
    async releaseOrderCoupons() {
      effects.push('give back coupons');
      return 0;
    },
    async closeCancellation() {
      effects.push('close request');
    },
  };
  return { effects, activities };
}

/**
 * The late-payment table in memory, the provider confirming every payment: what the order hands to
 * a late-payment workflow is recorded (with the order's reason) and gets a refund number.
 */
export function fakeLatePayments() {
  const recorded: { transactionId: string; why: string }[] = [];
  const activities: Partial<Activities> = {
    async confirmLatePayment() {
      return { confirmed: true };
    },
    async recordLatePaymentRefund({ orderSn, payment, why }) {
      recorded.push({ transactionId: payment.transactionId, why });
      return { refundSn: `RL-${payment.outTradeNo}`, orderSn, provider: payment.provider, outTradeNo: payment.outTradeNo, refundFen: payment.amountFen, totalFen: payment.amountFen, reason: why, status: RefundStatus.APPLY };
    },
  };
  return { recorded, activities };
}
