/**
 * The order workflow's contract (`order-{orderSn}`): its id, input (and the one builder for it),
 * state, signals, updates and queries. The API, the sweep activities and the workflow import it;
 * it imports only @temporalio/workflow's message definitions and domain/.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor, FlowType, OrderSettings, OrderStatus, PayStatus, TimerTask } from '../domain';
import type { LatePayment } from './late-payment.contract';
import type { RefundRecord } from './refund.contract';
import { workflowRef } from './workflow-ref';
import { ErrorCode } from '../domain/error-codes';

export const orderWorkflowId = (orderSn: string) => `order-${orderSn}`;

export interface OrderWorkflowInput {
  orderSn: string;
  sellerId: string;
  buyerId: string;
  flow: FlowType;
  /** What the buyer must pay, in fen. */
  orderFen: number;
  createdAtIso: string;
  settings: OrderSettings;
  /** How long a cancelled order's workflow stays to refund payments that land after the cancellation. */
  latePaymentWindowMs: number;
  refundPollScheduleMs: number[];
  /**
   * Set when the order already exists in the database in a later status (a legacy order, or one whose
   * workflow was lost) and the sweep starts a workflow for it: it resumes from that status instead of
   * confirming a new order.
   */
  resume?: { status: OrderStatus; sinceIso: string; paidFen: number; transactionId?: string };
  /** Group-buy orders: the group (`group-{groupId}`) this order joined. */
  groupId?: string;
}

/** The order as the row has it: what both a new order (the API) and a resumed one (the sweep) start from. */
export interface OrderFacts {
  orderSn: string;
  sellerId: number | string;
  buyerId: number | string;
  flow: FlowType;
  orderFen: number;
  createdAt: Date;
  groupId?: string | null;
}

/** The deployment's settings every order workflow carries (config/app-config.ts). */
export interface OrderRuntimeSettings {
  orderSettings: OrderSettings;
  latePaymentWindowMs: number;
  refundPollScheduleMs: number[];
}

/** The one builder of the order workflow's input, shared by the API (new orders) and the sweep (resumed ones). */
export function buildOrderWorkflowInput(order: OrderFacts, runtime: OrderRuntimeSettings, resume?: OrderWorkflowInput['resume']): OrderWorkflowInput {
  return {
    orderSn: order.orderSn,
    sellerId: String(order.sellerId),
    buyerId: String(order.buyerId),
    flow: order.flow,
    orderFen: order.orderFen,
    createdAtIso: order.createdAt.toISOString(),
    settings: runtime.orderSettings,
    latePaymentWindowMs: runtime.latePaymentWindowMs,
    refundPollScheduleMs: runtime.refundPollScheduleMs,
    ...(order.groupId ? { groupId: order.groupId } : {}),
    ...(resume ? { resume } : {}),
  };
}

/** A verified provider payment, delivered by the API's notification endpoint. */
export interface PaymentConfirmed {
  provider: string;
  outTradeNo: string;
  transactionId: string;
  amountFen: number;
  paidAt: string;
  notificationId: string;
  /** A trade payment: the trade it paid and the whole payment's amount; amountFen is this order's share of it (payment_share). */
  tradeSn?: string;
  paymentFen?: number;
}

export interface ShipRequest {
  sellerId: string;
  carrier: string;
  trackingNo: string;
}

export interface ActorRef {
  actorId: string;
}

/** A cancellation this order accepted and applied: CANCELLED is in the row; money and stock follow. */
export interface CancellationInProgress {
  cancellationId: number;
  /**
   * The workflow that gives the money and stock back: this order workflow itself on new runs, a
   * `cancel-{orderSn}` cancellation workflow on runs from before (its progress query has the steps).
   */
  cancellationWorkflowId: string;
  /** Whether money goes back (SERVICE_CANCEL); the pay status shows how far the refund is. */
  refunding: boolean;
  /** RUNNING while the money and stock go back; COMPLETED once the request is closed. */
  progress: 'RUNNING' | 'COMPLETED';
  /** The steps done so far and the refund being waited for (when this workflow runs them). */
  steps?: string[];
  refundSn?: string;
}

/**
 * The buyer started paying (POST /orders/{sn}/payment): while no notification arrives, the order
 * workflow asks the provider on this schedule (both providers say a merchant must ask).
 */
export interface PaymentStarted {
  outTradeNo: string;
  provider: 'wechatpay' | 'alipay';
  /** When the provider stops taking this payment (the order's unpaid timer cancels it then). */
  expiresAtIso: string;
  /** Delays between queries (PAYMENT_QUERY_SCHEDULE); the last one repeats until the expiry. */
  queryScheduleMs: number[];
}

/** One payment the order is asking its provider about, as the state query shows it. */
export interface PaymentWatchState {
  outTradeNo: string;
  provider: 'wechatpay' | 'alipay';
  queries: number;
  /** When it asks next; absent once the watch has ended. */
  nextQueryAtIso?: string;
  /** Why the watch ended: paid (found by a query), closed, rejected, expired, or order-moved-on. */
  outcome?: string;
  detail?: string;
}

export interface OrderState {
  orderSn: string;
  flow: string;
  /** Always the row's order_status: the workflow changes it only through the compare-and-set. */
  status: OrderStatus;
  /** The row's pay_status, kept by the same transitions (REFUNDING while a cancelled order's money goes back). */
  payStatus?: PayStatus;
  /** When the next timer fires and what it does, so support can see why an order is waiting. */
  nextTimer?: {
    operation: string;
    atIso: string;
    /** Open after-sales that return goods: the timer waits until they close (it fires then if its time has passed). */
    heldBy?: string[];
  };
  transactionId?: string;
  paidFen: number;
  cancellation?: CancellationInProgress;
  /** The payments it asks the provider about while no notification arrives (absent until one is started). */
  paymentWatches?: PaymentWatchState[];
  /**
   * The after-sales this order took on, open or closed (closed ones stay so a retried Update gets the
   * same answer).
   */
  afterSales: OrderAfterSale[];
  history: { operation: string; from: OrderStatus; to: OrderStatus; actor: string; atIso: string }[];
}

export type OrderWorkflow = (input: OrderWorkflowInput) => Promise<OrderState>;
export const ORDER_WORKFLOW = workflowRef<OrderWorkflow>('orderWorkflow');

export const paymentConfirmedSignal = defineSignal<[PaymentConfirmed]>('paymentConfirmed');
export const paymentStartedSignal = defineSignal<[PaymentStarted]>('paymentStarted');
export const shipUpdate = defineUpdate<OrderStatus, [ShipRequest]>('ship');
export const confirmReceiptUpdate = defineUpdate<OrderStatus, [ActorRef]>('confirmReceipt');
export const collectCashUpdate = defineUpdate<OrderStatus, [ActorRef]>('collectCashOnDelivery');
export const completeUpdate = defineUpdate<OrderStatus, [ActorRef]>('complete');
export const orderStateQuery = defineQuery<OrderState>('state');

export interface CancelRequest {
  /** The cancellation_request row the API recorded (its idempotency key lives there). */
  cancellationId: number;
  reason: string;
  /** A person (the API recorded the request), or the system (a timer or a failed group the order decided itself). */
  actor: Extract<Actor, 'BUYER' | 'SELLER' | 'SUPPORT' | 'SYSTEM_TIMER'>;
  actorId?: string;
}

export interface CancelAccepted {
  cancellationId: number;
  cancellationWorkflowId: string;
  /** Whether the buyer had paid, so the cancellation refunds. */
  refunding: boolean;
  /** The first refund, recorded in the cancel's own transaction (a paid order; new runs). */
  refund?: RefundRecord;
}

export const cancelUpdate = defineUpdate<CancelAccepted, [CancelRequest]>('cancel');

/**
 * The cancellation workflow has given the money and stock back (a won cancel): the order settles its
 * own pay status and refunds the payments that landed meanwhile. Idempotent per cancellationId.
 */
export interface CancellationSettled {
  cancellationId: number;
  refunded: boolean;
  latePayments: LatePayment[];
}

export const cancellationSettledUpdate = defineUpdate<OrderStatus, [CancellationSettled]>('cancellationSettled');

/**
 * The same two requests sent by Signal (cancellations started since issue 26, cancellation-run.ts):
 * a Signal is in the order's history once sent, so the cancel's effects need no barrier first, and
 * the order answers by Signal to `replyTo` (cancellation.contract.ts cancelAnsweredSignal,
 * orderSettledSignal) instead of an activity holding a slot while it waits. The Updates above stay
 * for cancellations started before, whose activities still send them.
 */
export interface ReplyTo {
  /** The asking workflow's id, which the order's answer is signalled to. */
  replyTo: string;
}
export const cancelAskedSignal = defineSignal<[CancelRequest & ReplyTo]>('cancelAsked');
export const cancellationSettledToldSignal = defineSignal<[CancellationSettled & ReplyTo]>('cancellationSettledTold');

/**
 * The sweep found this order overdue in the database (its timer should have fired): act now, through
 * the same table check as the timer itself. Ignored when the order has moved on.
 */
export interface SweepOverdue {
  task: TimerTask;
  sweepId: string;
}

export const sweepOverdueSignal = defineSignal<[SweepOverdue]>('sweepOverdue');

/** The failure type of a refused Update (the table, or a cancellation in progress, said no). */
export const OPERATION_REFUSED = ErrorCode.OperationRefused;

/**
 * After-sales (issue 10): the after-sale workflow (`after-sale-{serviceSn}`) asks the order to take
 * an application on and, when it ends, to let it go. The order workflow answers from its own state
 * (domain/after-sale-window.ts decides whether one may open) and alone writes what the order's
 * statuses say about it. Both Updates are idempotent per serviceSn: a retry gets the first answer.
 */
export interface AfterSaleOpening {
  serviceSn: string;
  serviceType: 'RETURN_GOODS' | 'REFUND_ONLY' | 'CHANGE_GOODS' | 'SUPPLY_AGAIN_GOODS';
  /** Goods come back (RETURN_GOODS, CHANGE_GOODS): the order's own completing timers wait until it closes. */
  returnsGoods: boolean;
  lines: { orderItemId: number; num: number }[];
  buyerId: string;
}

export interface AfterSaleOpened {
  serviceSn: string;
  orderStatus: OrderStatus;
}

export const openAfterSaleUpdate = defineUpdate<AfterSaleOpened, [AfterSaleOpening]>('openAfterSale');

export interface AfterSaleClosing {
  serviceSn: string;
  outcome: 'COMPLETED' | 'CLOSED' | 'REFUSED';
  /** What this after-sale refunded, in fen (0 for none). */
  refundedFen: number;
}

export const closeAfterSaleUpdate = defineUpdate<OrderStatus, [AfterSaleClosing]>('closeAfterSale');

/** One after-sale as the order workflow knows it (OrderState.afterSales). */
export interface OrderAfterSale {
  serviceSn: string;
  returnsGoods: boolean;
  open: boolean;
}
