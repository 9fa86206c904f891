import { DataSource, EntityManager } from 'typeorm';
import { ApplicationFailure } from '@temporalio/common';
import { Actor, CommentStatus, ComplainWindowStatus, ImpliedStatuses, OrderOperate, OrderStatus, OrderWindow, ServiceStatus, impliedStatuses } from '../domain';
import { appendOrderLog, orderLogHas } from '../db/order-log';
import { closeOrderWindowColumn, compareAndSetOrder, lockOrderStatus, setOrderServiceStatus } from '../db/orders';
import { readOrderStatus } from '../db/order-reads';
import { writeAutomaticReviews } from '../db/reviews';
import { recordStockMovements } from '../db/stock-ledger';
import { runStep, sellerOfOrder } from '../db/business-events';
import { markPaymentPaid } from '../db/payments';
import { lockTradeOfOrder, settleTradeStatus } from '../db/trades';
import { settleOrderOutStatus } from '../db/order-out-status';
import { ORDER_OPERATION_EVENTS, OrderTransitionPayload, businessEvent, eventActor } from '../domain/events';
import { ErrorCode } from '../domain/error-codes';

/**
 * One order transition, decided by the order workflow (which consulted the flow table) and applied
 * here as a compare-and-set: `UPDATE … WHERE order_status = from`, the log row, and the operation's
 * stock/sales effects, all in one transaction. A retry after a commit finds the log row's event key
 * and reports the transition as applied without repeating anything. A won compare-and-set also
 * writes its business event (order.paid, order.shipped, …; domain/events.ts) as the step's last statement.
 */
export interface TransitionRequest {
  orderSn: string;
  operation: OrderOperate;
  from: OrderStatus;
  to: OrderStatus;
  actor: Actor;
  actorId?: string;
  message: string;
  /** Names the step for the log's unique key; defaults to `${operation}:${from}->${to}`. */
  eventKey?: string;
  payment?: { provider: string; outTradeNo?: string; transactionId?: string; amountFen: number; paidAt: string };
  shipment?: { carrier: string; trackingNo: string };
  /**
   * CANCEL / SERVICE_CANCEL: why, and the request it answers (whose status is its cancellation
   * workflow's to write, not this compare-and-set's).
   */
  cancellation?: {
    reason: string;
    cancellationId?: number;
    refunding?: boolean;
  };
  /**
   * An after-sale is open on the order: its service status (APPLY) stays, instead of the one the
   * operation implies (ROG's EXPIRED). The order workflow settles it when the last after-sale closes.
   */
  keepServiceStatus?: boolean;
}

/** The order workflow records an after-sale it took on or let go, and what its service status says now. */
export interface AfterSaleRecord {
  orderSn: string;
  serviceSn: string;
  step: 'open' | 'close';
  /** The order's service status from now on; absent when this step does not change it. */
  serviceStatus?: ServiceStatus;
  message: string;
}

export type TransitionResult =
  | { applied: true; replayed: boolean; status: OrderStatus }
  | { applied: false; status: OrderStatus; reason: string };

/** Each window's column on the order row, its open and closed values (the rule for when: domain/order-timers.ts). */
export const WINDOWS: Record<OrderWindow, { column: string; from: string; to: string; message: string }> = {
  comment: { column: 'comment_status', from: CommentStatus.UNFINISHED, to: CommentStatus.FINISHED, message: 'comment window closed (comment_order_day): automatic positive review' },
  complaint: { column: 'complain_status', from: ComplainWindowStatus.NO_APPLY, to: ComplainWindowStatus.EXPIRED, message: 'complaint window closed (complain_expired_day)' },
  'after-sale': { column: 'service_status', from: ServiceStatus.NOT_APPLY, to: ServiceStatus.EXPIRED, message: 'after-sale window closed (service_expired_day)' },
};

export class OrderTransitions {
  constructor(private readonly dataSource: DataSource) {}

  /** Closes one window (conditional update + log row, once); returns whether this call closed it. */
  async closeOrderWindow(request: { orderSn: string; window: OrderWindow }): Promise<boolean> {
    const window = WINDOWS[request.window];
    return runStep(this.dataSource, async (manager) => {
      const closed = await closeOrderWindowColumn(manager, request.orderSn, window);
      const eventKey = `window:${request.window}`;
      const event = closed
        ? businessEvent(
            { type: 'order', id: request.orderSn, sellerId: await sellerOfOrder(manager, request.orderSn), orderSn: request.orderSn },
            { type: 'order.window_closed', key: eventKey, payload: { orderSn: request.orderSn, window: request.window, column: window.column, from: window.from, to: window.to, actor: eventActor('SYSTEM_TIMER') } },
          )
        : [];
      await appendOrderLog(manager, { orderSn: request.orderSn, eventKey, operation: 'WINDOW', actorRole: 'SYSTEM_TIMER', message: window.message }, 'ignore', event);
      // After the window's own event, so a consumer reads "closed", then the reviews it wrote.
      if (request.window === 'comment') await writeAutomaticReviews(manager, request.orderSn);
      return closed;
    });
  }

  /**
   * An after-sale step on the order's row: its service status (decided by the order workflow, its
   * only writer) and a log row keyed `after-sale:{serviceSn}:{step}`, in one transaction, once. A
   * retry finds the log row and changes nothing (returns false). A cancelled order's row is not touched.
   */
  async recordAfterSale(request: AfterSaleRecord): Promise<boolean> {
    const eventKey = `after-sale:${request.serviceSn}:${request.step}`;
    return runStep(this.dataSource, async (manager) => {
      const order = await lockOrderStatus(manager, request.orderSn);
      if (!order) throw ApplicationFailure.nonRetryable(`order ${request.orderSn} does not exist`, ErrorCode.OrderNotFound);
      if (await orderLogHas(manager, request.orderSn, eventKey)) return false;
      if (request.serviceStatus) {
        await setOrderServiceStatus(manager, request.orderSn, request.serviceStatus);
      }
      const event = businessEvent(
        { type: 'order', id: request.orderSn, sellerId: await sellerOfOrder(manager, request.orderSn), orderSn: request.orderSn },
        {
          type: request.step === 'open' ? 'order.after_sale_opened' : 'order.after_sale_closed',
          key: eventKey,
          payload: { orderSn: request.orderSn, serviceSn: request.serviceSn, serviceStatus: request.serviceStatus ?? null, actor: eventActor('SYSTEM'), message: request.message },
        },
      );
      await appendOrderLog(manager, { orderSn: request.orderSn, eventKey, operation: 'AFTER_SALE', actorRole: 'SYSTEM', message: request.message }, 'fail', event);
      return true;
    });
  }

  async applyTransition(request: TransitionRequest): Promise<TransitionResult> {
    return runStep(this.dataSource, (manager) => applyTransitionIn(manager, request));
  }
}

/** The compare-and-set, its log row and effects, inside the caller's transaction (see OrderTransitions). */
export async function applyTransitionIn(manager: EntityManager, request: TransitionRequest): Promise<TransitionResult> {
  const eventKey = request.eventKey ?? `${request.operation}:${request.from}->${request.to}`;
  const set = { order_status: request.to, ...columnsFor(request) };
  // A payment or a cancellation may settle the order's trade: its lock first (db/trades.ts).
  const tradeSn = SETTLES_TRADE.includes(request.operation) ? await lockTradeOfOrder(manager, request.orderSn) : undefined;
  if (await compareAndSetOrder(manager, request.orderSn, request.from, set)) {
    const sellerId = await sellerOfOrder(manager, request.orderSn);
    await appendOrderLog(manager, {
      orderSn: request.orderSn,
      eventKey,
      operation: request.operation,
      oldStatus: request.from,
      newStatus: request.to,
      actorRole: request.actor,
      actorId: request.actorId,
      message: request.message,
    }, 'fail', transitionEvent(request, eventKey, sellerId, set));
    await applyEffects(manager, request, sellerId);
    if (tradeSn) await settleTradeStatus(manager, tradeSn, { orderSn: request.orderSn, actorRole: request.actor, actorId: request.actorId });
    return { applied: true, replayed: false, status: request.to } as const;
  }
  return explainMiss(manager, request, eventKey);
}

/** The operations after which the trade may leave NEW (domain/trade-status.ts). */
const SETTLES_TRADE: readonly string[] = [OrderOperate.PAY, OrderOperate.CANCEL, OrderOperate.SERVICE_CANCEL];

/** The CAS matched nothing: either our own earlier attempt committed (replay) or the order moved on. */
async function explainMiss(manager: EntityManager, request: TransitionRequest, eventKey: string): Promise<TransitionResult> {
  const row = await readOrderStatus(manager, request.orderSn);
  if (!row) {
    throw ApplicationFailure.nonRetryable(`order ${request.orderSn} does not exist`, ErrorCode.OrderNotFound);
  }
  if (await orderLogHas(manager, request.orderSn, eventKey)) return { applied: true, replayed: true, status: row.order_status };
  return {
    applied: false,
    status: row.order_status,
    reason: `order ${request.orderSn} is ${row.order_status}, expected ${request.from}`,
  };
}

/** Columns an operation sets besides order_status: the statuses it implies (domain), and its details. */
function columnsFor(request: TransitionRequest): Record<string, unknown> {
  const now = new Date();
  const implied = statusColumns(impliedStatuses(request.operation));
  if (request.keepServiceStatus) delete implied.service_status;
  switch (request.operation) {
    case OrderOperate.PAY: {
      const payment = request.payment;
      if (!payment) throw ApplicationFailure.nonRetryable('PAY needs payment details', ErrorCode.BadTransition);
      return {
        ...implied,
        paid_fen: payment.amountFen,
        payment_provider: payment.provider,
        pay_order_no: payment.transactionId ?? null,
        paid_at: new Date(payment.paidAt),
      };
    }
    case OrderOperate.SHIP: {
      const shipment = request.shipment;
      if (!shipment) throw ApplicationFailure.nonRetryable('SHIP needs carrier and tracking number', ErrorCode.BadTransition);
      return { ...implied, ship_carrier: shipment.carrier, ship_no: shipment.trackingNo, shipped_at: now };
    }
    case OrderOperate.ROG:
      return { ...implied, received_at: now };
    case OrderOperate.COMPLETE:
      return { ...implied, completed_at: now };
    case OrderOperate.CANCEL:
    case OrderOperate.SERVICE_CANCEL: {
      const cancellation = request.cancellation;
      if (!cancellation) throw ApplicationFailure.nonRetryable(`${request.operation} needs a reason`, ErrorCode.BadTransition);
      return { ...implied, cancel_reason: cancellation.reason.slice(0, 255), cancelled_at: now };
    }
    default:
      return implied;
  }
}

/** The order row's columns for implied statuses. */
export function statusColumns(statuses: ImpliedStatuses): Record<string, string> {
  return {
    ...(statuses.payStatus ? { pay_status: statuses.payStatus } : {}),
    ...(statuses.shipStatus ? { ship_status: statuses.shipStatus } : {}),
    ...(statuses.serviceStatus ? { service_status: statuses.serviceStatus } : {}),
  };
}

/** Stock and sales effects of an operation, in the same transaction as the status change. */
async function applyEffects(manager: EntityManager, request: TransitionRequest, sellerId: number): Promise<void> {
  if (request.operation === OrderOperate.PAY) {
    const payment = request.payment!;
    if (payment.outTradeNo) {
      // Only a payment not yet captured becomes PAID: a refunded one keeps its refunded status.
      await markPaymentPaid(manager, { orderSn: request.orderSn, sellerId, provider: payment.provider, outTradeNo: payment.outTradeNo, transactionId: payment.transactionId ?? null, amountFen: payment.amountFen, paidAt: payment.paidAt, actor: eventActor(request.actor, request.actorId) });
    }
    // Sales are counted when payment is confirmed, so a cancellation's SALE_REVERSAL undoes exactly this.
    await recordStockMovements(manager, request.orderSn, 'SALE');
  } else if (request.operation === OrderOperate.SHIP) {
    await recordStockMovements(manager, request.orderSn, 'SHIP');
  } else if (request.operation === OrderOperate.CONFIRM) {
    // The order's first step confirms the stock its checkout reserved: its out-status leaves WAIT.
    await settleOrderOutStatus(manager, request.orderSn);
  }
}

/** The order's business event for a won compare-and-set (domain/events.ts ORDER_OPERATION_EVENTS). */
function transitionEvent(request: TransitionRequest, eventKey: string, sellerId: number, set: Record<string, unknown>) {
  const entity = { type: 'order' as const, id: request.orderSn, sellerId, orderSn: request.orderSn };
  const base: OrderTransitionPayload = {
    orderSn: request.orderSn,
    operation: request.operation,
    from: request.from,
    to: request.to,
    payStatus: (set.pay_status as OrderTransitionPayload['payStatus']) ?? null,
    shipStatus: (set.ship_status as OrderTransitionPayload['shipStatus']) ?? null,
    serviceStatus: (set.service_status as OrderTransitionPayload['serviceStatus']) ?? null,
    actor: eventActor(request.actor, request.actorId),
    message: request.message,
  };
  const type = ORDER_OPERATION_EVENTS[request.operation];
  switch (type) {
    case 'order.paid': {
      const payment = request.payment!;
      return businessEvent(entity, { type, key: eventKey, payload: { ...base, payment: { provider: payment.provider, outTradeNo: payment.outTradeNo ?? null, transactionId: payment.transactionId ?? null, amountFen: payment.amountFen, paidAt: payment.paidAt } } });
    }
    case 'order.shipped':
      return businessEvent(entity, { type, key: eventKey, payload: { ...base, shipment: { carrier: request.shipment!.carrier, trackingNo: request.shipment!.trackingNo } } });
    case 'order.cancelled': {
      const cancellation = request.cancellation!;
      return businessEvent(entity, { type, key: eventKey, payload: { ...base, cancellation: { reason: cancellation.reason, cancellationId: cancellation.cancellationId ?? null, refunding: request.operation === OrderOperate.SERVICE_CANCEL } } });
    }
    default:
      return businessEvent(entity, { type, key: eventKey, payload: base });
  }
}
