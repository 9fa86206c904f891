import { Inject, Injectable, Logger } from '@nestjs/common';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { NotificationAck, NotificationRejectedError, PaymentProvider, ProviderName, ProviderNotification } from '../../../payments';
import { LATE_PAYMENT_WORKFLOW, latePaymentWorkflowId } from '../../../workflows/late-payment.contract';
import { orderWorkflowId, paymentConfirmedSignal } from '../../../workflows/order.contract';
import { refundNotifiedSignal, refundWorkflowId } from '../../../workflows/refund.contract';
import { startWorkflow } from '../../shared/start-workflows';
import { APP_CONFIG, PAYMENT_PROVIDERS, TEMPORAL_CLIENT } from '../tokens';

type PaymentNotification = Extract<ProviderNotification, { kind: 'payment' }>;
type RefundNotification = Extract<ProviderNotification, { kind: 'refund' }>;

/** The outcome, for the controller: the provider's ack plus our own reason when we refuse. */
export interface NotificationOutcome {
  ack: NotificationAck;
  rejected?: string;
}

/**
 * Provider notifications: verified (signature over the raw body, decrypted, app/merchant checked),
 * deduplicated by notification id in the inbox table, checked against our payment record, then
 * delivered to the workflow that owns the money. The provider is acked only once that is done, so a
 * failure here means the provider sends it again.
 */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger('notifications');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: Record<ProviderName, PaymentProvider>,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async receive(providerName: ProviderName, headers: Record<string, string | string[] | undefined>, rawBody: Buffer): Promise<NotificationOutcome> {
    const provider = this.providers[providerName];
    let notification: ProviderNotification;
    try {
      notification = provider.verifyNotification(headers, rawBody);
    } catch (err) {
      if (err instanceof NotificationRejectedError) return this.reject(provider, err.reason);
      throw err;
    }
    if (notification.kind === 'payment') {
      const problem = await this.checkPayment(notification);
      if (problem) return this.reject(provider, problem);
    }
    const fresh = await this.recordInbox(notification);
    if (fresh || !(await this.delivered(notification))) {
      await (notification.kind === 'payment' ? this.deliverPayment(notification) : this.deliverRefund(notification));
      await this.dataSource.query('UPDATE provider_notification SET delivered_at = CURRENT_TIMESTAMP(3) WHERE provider = ? AND notification_id = ?', [notification.provider, notification.notificationId]);
    }
    return { ack: provider.ack(true) };
  }

  /** The notification must be about a payment we started, for exactly its amount. */
  private async checkPayment(notification: PaymentNotification): Promise<string | undefined> {
    const [payment] = await this.dataSource.query('SELECT provider, amount_fen FROM payment WHERE out_trade_no = ?', [notification.outTradeNo]);
    if (!payment || payment.provider !== notification.provider) return `unknown out_trade_no ${notification.outTradeNo}`;
    if (notification.state === 'PAID' && notification.amountFen !== payment.amount_fen) {
      return `amount ${notification.amountFen} fen does not match payment ${notification.outTradeNo} of ${payment.amount_fen} fen`;
    }
    return undefined;
  }

  private async recordInbox(notification: ProviderNotification): Promise<boolean> {
    const result = await this.dataSource.query(
      `INSERT IGNORE INTO provider_notification (provider, notification_id, kind, out_trade_no, out_refund_no, payload_json) VALUES (?, ?, ?, ?, ?, ?)`,
      [notification.provider, notification.notificationId, notification.kind, notification.outTradeNo, notification.kind === 'refund' ? notification.outRefundNo : null, JSON.stringify(notification)],
    );
    return result.affectedRows === 1;
  }

  private async delivered(notification: ProviderNotification): Promise<boolean> {
    const [row] = await this.dataSource.query('SELECT delivered_at FROM provider_notification WHERE provider = ? AND notification_id = ?', [notification.provider, notification.notificationId]);
    return Boolean(row?.delivered_at);
  }

  private async deliverPayment(notification: PaymentNotification): Promise<void> {
    if (notification.state !== 'PAID') return; // closed / refunded trades: our own workflows caused them
    const [payment] = await this.dataSource.query('SELECT order_sn FROM payment WHERE out_trade_no = ?', [notification.outTradeNo]);
    const paid = {
      provider: notification.provider,
      outTradeNo: notification.outTradeNo,
      transactionId: notification.transactionId,
      amountFen: notification.amountFen,
      paidAt: notification.paidAt ?? new Date().toISOString(),
      notificationId: notification.notificationId,
    };
    try {
      await this.temporal.workflow.getHandle(orderWorkflowId(payment.order_sn)).signal(paymentConfirmedSignal, paid);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The order's workflow has finished (cancelled long ago, or completed): this money cannot be
      // taken, so it is refunded. The shared workflow id makes that happen once.
      this.logger.warn(`payment ${notification.transactionId} for finished order ${payment.order_sn}: refunding`);
      await startWorkflow(this.temporal, LATE_PAYMENT_WORKFLOW, {
        workflowId: latePaymentWorkflowId(notification.outTradeNo),
        taskQueue: this.config.temporal.taskQueue,
        args: [{ orderSn: payment.order_sn, payment: paid, why: 'the order had already finished', refundPollScheduleMs: this.config.refund.pollScheduleMs }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        searchAttributes: { OrderSn: [payment.order_sn] },
      });
    }
  }

  private async deliverRefund(notification: RefundNotification): Promise<void> {
    try {
      await this.temporal.workflow
        .getHandle(refundWorkflowId(notification.outRefundNo))
        .signal(refundNotifiedSignal, { status: notification.status, notificationId: notification.notificationId });
    } catch (err) {
      // A finished refund workflow already recorded the final state; the notification changes nothing.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  private reject(provider: PaymentProvider, reason: string): NotificationOutcome {
    this.logger.warn(`${provider.name} notification rejected: ${reason}`);
    return { ack: provider.ack(false), rejected: reason };
  }
}
