import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { PaymentProvider, PaymentQueryResult, ProviderName, ProviderNotification } from '../../payments';
import { PaymentConfirmed, orderWorkflowId, paymentConfirmedSignal } from '../../workflows/order.contract';
import { refundNotifiedSignal, refundWorkflowId } from '../../workflows/refund.contract';
import { LATE_PAYMENT_WORKFLOW, latePaymentWorkflowId } from '../../workflows/late-payment.contract';
import { startWorkflow } from './start-workflows';
import { findPaymentByOutTradeNo } from '../../db/payments';
import { readPaymentShares } from '../../db/payment-shares';
import { readOrderPayOrderNo } from '../../db/order-reads';
import { markProviderNotificationDelivered, providerNotificationDelivered, recordProviderNotification } from '../../db/provider-notifications';
import { workPriority } from '../../domain';

type PaymentNotification = Extract<ProviderNotification, { kind: 'payment' }>;
type RefundNotification = Extract<ProviderNotification, { kind: 'refund' }>;

export interface ProviderInboxOptions {
  taskQueue: string;
  refundPollScheduleMs: number[];
  /** WORK_PRIORITIES: the late-payment refund starts at interactive priority (domain/work-priority.ts); unset counts as on. */
  workPriorities?: boolean;
  warn?: (message: string) => void;
}

/** `duplicate`: the inbox already had it (delivered before, or delivered again now because the first delivery failed). */
export type InboxOutcome = { accepted: true; duplicate: boolean; deliveredTo?: PaymentDelivery } | { accepted: false; reason: string };

/** Who took a payment delivered now: the order's workflow, or a late-payment workflow that refunds it. */
export type PaymentDelivery = 'order' | 'late-payment' | 'already-known';

/**
 * A payment the provider confirmed when asked (a signed query answer is as good as a notification),
 * in the shape of a notification, so it takes exactly the notification's path. One id per trade, so
 * every query path (the payment watch, the QR page's poll) counts as one inbox entry.
 */
export function queriedPayment(provider: ProviderName, result: PaymentQueryResult): PaymentNotification | undefined {
  if (result.state !== 'PAID' || !result.transactionId || result.amountFen === undefined) return undefined;
  return {
    provider,
    kind: 'payment',
    notificationId: `query:${result.outTradeNo}`,
    outTradeNo: result.outTradeNo,
    transactionId: result.transactionId,
    state: 'PAID',
    amountFen: result.amountFen,
    ...(result.paidAt ? { paidAt: result.paidAt } : {}),
  };
}

/** A verified payment as an order workflow takes it, from a provider we know. */
type ConfirmedPayment = PaymentConfirmed & { provider: ProviderName };

interface PaymentRow {
  /** The order it pays; null for a trade payment, which pays the orders of its shares. */
  order_sn: string | null;
  trade_sn: string | null;
  provider: string;
  amount_fen: number;
  transaction_id: string | null;
}

/** The notification must be about a payment we started, for exactly its amount. */
function checkPayment(notification: PaymentNotification, payment: PaymentRow | undefined): string | undefined {
  if (!payment || payment.provider !== notification.provider) return `unknown out_trade_no ${notification.outTradeNo}`;
  if (notification.state === 'PAID' && notification.amountFen !== payment.amount_fen) {
    return `amount ${notification.amountFen} fen does not match payment ${notification.outTradeNo} of ${payment.amount_fen} fen`;
  }
  return undefined;
}

/**
 * The one path from a verified provider result to the workflow that owns the money: checked against
 * our payment record (same provider, exact amount), deduplicated in the `provider_notification`
 * inbox, delivered, then marked delivered. Used by the notification endpoint and by the active
 * payment query alike, so a lost notification recovered by a query is treated exactly the same.
 * A failure before "delivered" means the caller (provider retry, activity retry) tries again.
 */
export class ProviderInbox {
  constructor(
    private readonly dataSource: DataSource,
    private readonly temporal: Client,
    private readonly providers: Record<ProviderName, PaymentProvider>,
    private readonly options: ProviderInboxOptions,
  ) {}

  async accept(notification: ProviderNotification): Promise<InboxOutcome> {
    // A payment notification is checked against our payment row, read once for the check and the delivery.
    let payment: PaymentRow | undefined;
    if (notification.kind === 'payment') {
      payment = await findPaymentByOutTradeNo(this.dataSource, notification.outTradeNo);
      const problem = checkPayment(notification, payment);
      if (problem) return { accepted: false, reason: problem };
    }
    const fresh = await this.record(notification);
    let deliveredTo: PaymentDelivery | undefined;
    if (fresh || !(await this.delivered(notification))) {
      const delivery = notification.kind === 'payment' ? await this.deliverPayment(notification, payment!) : await this.deliverRefund(notification);
      // Not marked delivered: the provider's next attempt goes through all of this again.
      if (typeof delivery === 'object') return { accepted: false, reason: delivery.refused };
      deliveredTo = delivery;
      await markProviderNotificationDelivered(this.dataSource, notification.provider, notification.notificationId);
    }
    return { accepted: true, duplicate: !fresh, ...(deliveredTo ? { deliveredTo } : {}) };
  }

  private async record(notification: ProviderNotification): Promise<boolean> {
    return recordProviderNotification(this.dataSource, {
      provider: notification.provider,
      notificationId: notification.notificationId,
      kind: notification.kind,
      outTradeNo: notification.outTradeNo,
      outRefundNo: notification.kind === 'refund' ? notification.outRefundNo : null,
      payload: notification,
    });
  }

  private async delivered(notification: ProviderNotification): Promise<boolean> {
    return providerNotificationDelivered(this.dataSource, notification.provider, notification.notificationId);
  }

  /**
   * Who took the payment, or why it cannot be delivered yet. A trade payment goes to every order it
   * has a share for, each with its share, through that order's own workflow (the only writer of the
   * order's status, which takes one transaction once); a failure part-way leaves the notification
   * undelivered, and the next attempt tells every order again (each ignores a transaction it has).
   */
  private async deliverPayment(notification: PaymentNotification, payment: PaymentRow): Promise<PaymentDelivery | undefined | { refused: string }> {
    if (notification.state !== 'PAID') return undefined; // closed / refunded trades: our own workflows caused them
    const paid: ConfirmedPayment = {
      provider: notification.provider,
      outTradeNo: notification.outTradeNo,
      transactionId: notification.transactionId,
      amountFen: notification.amountFen,
      paidAt: notification.paidAt ?? new Date().toISOString(),
      notificationId: notification.notificationId,
    };
    if (!payment.trade_sn) return this.deliverToOrder(notification, payment, payment.order_sn!, paid);
    const shares = await readPaymentShares(this.dataSource, notification.outTradeNo);
    let delivered: PaymentDelivery = 'order';
    for (const share of shares) {
      const outcome = await this.deliverToOrder(notification, payment, share.orderSn, { ...paid, amountFen: share.amountFen, tradeSn: payment.trade_sn, paymentFen: payment.amount_fen });
      if (typeof outcome === 'object') return outcome;
      if (outcome === 'late-payment') delivered = outcome;
    }
    return delivered;
  }

  private async deliverToOrder(notification: PaymentNotification, payment: PaymentRow, orderSn: string, paid: ConfirmedPayment): Promise<PaymentDelivery | { refused: string }> {
    try {
      await this.temporal.workflow.getHandle(orderWorkflowId(orderSn)).signal(paymentConfirmedSignal, paid);
      return 'order';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The order's workflow has finished (cancelled long ago, or completed). Its own payment, told
      // again, is nothing new; any other money cannot be taken, so it is refunded — once the provider
      // confirms it is real (a refund moves money). The shared workflow id makes that happen once.
      if (await this.orderHasTransaction(payment, orderSn, notification.transactionId)) return 'already-known';
      const unconfirmed = await this.unconfirmed(notification);
      if (unconfirmed) return { refused: unconfirmed };
      this.options.warn?.(`payment ${notification.transactionId} for finished order ${orderSn}: refunding`);
      await startWorkflow(this.temporal, LATE_PAYMENT_WORKFLOW, {
        workflowId: latePaymentWorkflowId(notification.outTradeNo, paid.tradeSn && orderSn),
        taskQueue: this.options.taskQueue,
        args: [{ orderSn, payment: paid, why: 'the order had already finished', refundPollScheduleMs: this.options.refundPollScheduleMs }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        searchAttributes: { OrderSn: [orderSn] },
        priority: workPriority('payment', this.options.workPriorities !== false),
      });
      return 'late-payment';
    }
  }

  /** Whether the order already took this transaction: its own payment's, or (a share) the order's pay order number. */
  private async orderHasTransaction(payment: PaymentRow, orderSn: string, transactionId: string): Promise<boolean> {
    if (!payment.trade_sn) return payment.transaction_id === transactionId;
    return (await readOrderPayOrderNo(this.dataSource, orderSn)) === transactionId;
  }

  /** Asks the provider whether this transaction was really paid, for this amount; a reason if not. */
  private async unconfirmed(notification: PaymentNotification): Promise<string | undefined> {
    let answer: PaymentQueryResult;
    try {
      answer = await this.providers[notification.provider].queryPayment(notification.outTradeNo);
    } catch (err) {
      return `could not confirm payment ${notification.transactionId} with ${notification.provider} (${(err as Error).message}); send it again`;
    }
    const paid = answer.state === 'PAID' || answer.state === 'REFUNDED';
    if (!paid || answer.transactionId !== notification.transactionId || answer.amountFen !== notification.amountFen) {
      return `${notification.provider} does not confirm payment ${notification.transactionId} of ${notification.amountFen} fen for ${notification.outTradeNo} (it reports ${answer.state}${answer.transactionId ? ` ${answer.transactionId}` : ''})`;
    }
    return undefined;
  }

  private async deliverRefund(notification: RefundNotification): Promise<undefined> {
    try {
      await this.temporal.workflow
        .getHandle(refundWorkflowId(notification.outRefundNo))
        .signal(refundNotifiedSignal, { status: notification.status, notificationId: notification.notificationId });
    } catch (err) {
      // A finished refund workflow already recorded the final state; the notification changes nothing.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    return undefined;
  }
}
