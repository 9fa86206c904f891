import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus } from '../domain';

/** A verified provider payment, delivered by the API's notification endpoint. */
export interface PaymentConfirmed {
  provider: string;
  outTradeNo: string;
  transactionId: string;
  amountFen: number;
  paidAt: string;
  notificationId: string;
}

export interface ShipRequest {
  sellerId: string;
  carrier: string;
  trackingNo: string;
}

export interface ActorRef {
  actorId: string;
}

export interface OrderState {
  orderSn: string;
  flow: string;
  status: OrderStatus;
  /** When the next timer fires and what it does, so support can see why an order is waiting. */
  nextTimer?: { operation: string; atIso: string };
  transactionId?: string;
  paidFen: number;
  history: { operation: string; from: OrderStatus; to: OrderStatus; actor: string; atIso: string }[];
}

export const paymentConfirmedSignal = defineSignal<[PaymentConfirmed]>('paymentConfirmed');
export const shipUpdate = defineUpdate<OrderStatus, [ShipRequest]>('ship');
export const confirmReceiptUpdate = defineUpdate<OrderStatus, [ActorRef]>('confirmReceipt');
export const collectCashUpdate = defineUpdate<OrderStatus, [ActorRef]>('collectCashOnDelivery');
export const completeUpdate = defineUpdate<OrderStatus, [ActorRef]>('complete');
export const orderStateQuery = defineQuery<OrderState>('state');

export interface CancelRequest {
  /** The cancellation_request row the API recorded (its idempotency key lives there). */
  cancellationId: number;
  reason: string;
  actor: 'BUYER' | 'SELLER' | 'SUPPORT';
  actorId: string;
}

export interface CancelAccepted {
  cancellationId: number;
  cancellationWorkflowId: string;
  /** Whether the buyer had paid, so the cancellation refunds. */
  refunding: boolean;
}

export const cancelUpdate = defineUpdate<CancelAccepted, [CancelRequest]>('cancel');

/** The daily order-status sweep's tasks, named after javashop's OrderStatusCheckJob tasks they replace. */
export type SweepTask = 'cancel' | 'rog' | 'complete' | 'pay';

/**
 * The sweep found this order overdue in the database (its timer should have fired): act now, through
 * the same table check as the timer itself. Ignored when the order has moved on.
 */
export interface SweepOverdue {
  task: SweepTask;
  sweepId: string;
}

export const sweepOverdueSignal = defineSignal<[SweepOverdue]>('sweepOverdue');
