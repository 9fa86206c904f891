import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { Payment } from '../../../db/entities';
import { runStep } from '../../../db/business-events';
import { insertPaymentAttempt, setPaymentCodeUrl } from '../../../db/payments';
import { FlowType, PayStatus, flowOf, isAwaitingPayment, type OrderType, type PaymentType } from '../../../domain';
import { PaymentProvider, ProviderError, ProviderName } from '../../../payments';
import { PaymentStarted, paymentStartedSignal } from '../../../workflows/order.contract';
import { ProviderInbox, queriedPayment } from '../../shared/provider-inbox';
import { providerProblem } from '../common/provider-problem';
import type { Principal } from '../auth/principal';
import { OrderAccess } from '../orders/order-access';
import { OrderWorkflows } from '../orders/order-workflows';
import { APP_CONFIG, PAYMENT_PROVIDERS } from '../tokens';
import { DomainError, ErrorCode } from '../../../domain/error-codes';

/** One payment attempt per (order, provider): the same out_trade_no every time, so re-asking is idempotent. */
export function outTradeNoFor(orderSn: string, provider: ProviderName): string {
  return `P${orderSn.slice(1)}${provider === 'wechatpay' ? 'W' : 'A'}`;
}

/**
 * Starts payments at the providers and reports payment status for the buyer's QR page. It never
 * marks an order paid: only a verified provider result, delivered to the order workflow, does.
 */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: OrderAccess,
    private readonly workflows: OrderWorkflows,
    private readonly inbox: ProviderInbox,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: Record<ProviderName, PaymentProvider>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(buyer: Principal, orderSn: string, providerName: ProviderName, returnUrl?: string) {
    const order = await this.access.load(buyer, orderSn);
    const flow = flowOf(order.paymentType as PaymentType, order.orderType as OrderType);
    if (flow === FlowType.COD) throw new DomainError(ErrorCode.PAYMENT_NOT_ALLOWED, 'a cash-on-delivery order is paid at the door, not online');
    if (flow === FlowType.REPLACEMENT) throw new DomainError(ErrorCode.PAYMENT_NOT_ALLOWED, 'a replacement order (exchange or re-ship) is free: there is nothing to pay');
    if (order.payStatus !== PayStatus.PAY_NO) throw new DomainError(ErrorCode.PAYMENT_NOT_ALLOWED, `order ${orderSn} is already paid`);
    if (!isAwaitingPayment(order.orderStatus, order.payStatus)) throw new DomainError(ErrorCode.PAYMENT_NOT_ALLOWED, `order ${orderSn} is ${order.orderStatus} and cannot be paid`);
    const outTradeNo = outTradeNoFor(orderSn, providerName);
    const created = await runStep(this.dataSource, (manager) =>
      insertPaymentAttempt(manager, { orderSn, sellerId: order.sellerId, buyerId: order.buyerId, provider: providerName, outTradeNo, amountFen: order.orderFen }),
    );
    // The provider stops taking the payment when the order's unpaid timer would cancel it.
    const expiresAt = new Date(order.createdAt.getTime() + this.config.orderSettings.cancelOrderMs);
    const opened = await this.openAtProvider({ outTradeNo, provider: providerName, description: `Order ${orderSn}`, returnUrl, expiresAt, paidOrders: [orderSn], paths: `/orders/${orderSn}/payment` }, created ? { amountFen: order.orderFen } : undefined);
    return { orderSn, ...opened };
  }

  /**
   * Asks the provider for the stored attempt (CREATED) — the same out_trade_no and amount every time,
   * so asking again is idempotent — tells each order it pays for to watch it, and answers with the QR
   * code or the cashier form. `paths`: the attempt's status route (its QR image is under it).
   * `created`: the caller has just inserted the row (CREATED, this amount), so it is not read back.
   */
  async openAtProvider(attempt: { outTradeNo: string; provider: ProviderName; description: string; returnUrl?: string; expiresAt: Date; paidOrders: readonly string[]; paths: string }, created?: { amountFen: number }) {
    const { outTradeNo, provider: providerName } = attempt;
    const payment = created ? { status: 'CREATED', amountFen: created.amountFen } : await this.dataSource.getRepository(Payment).findOneByOrFail({ outTradeNo });
    if (payment.status !== 'CREATED') throw new DomainError(ErrorCode.PAYMENT_NOT_ALLOWED, `payment ${outTradeNo} is ${payment.status}`);
    try {
      const result = await this.providers[providerName].createPayment({
        outTradeNo,
        amountFen: payment.amountFen,
        description: attempt.description,
        notifyUrl: `${this.config.api.publicBaseUrl}/notify/${providerName}`,
        returnUrl: attempt.returnUrl,
        channel: providerName === 'alipay' ? 'page' : 'qr',
        expiresAt: attempt.expiresAt,
      });
      for (const orderSn of attempt.paidOrders) {
        await this.watch(orderSn, { outTradeNo, provider: providerName, expiresAtIso: attempt.expiresAt.toISOString(), queryScheduleMs: this.config.paymentQueryScheduleMs });
      }
      const common = { provider: providerName, outTradeNo, amountFen: payment.amountFen, statusUrl: attempt.paths };
      if (result.kind === 'qr') {
        await setPaymentCodeUrl(this.dataSource, outTradeNo, result.codeUrl);
        return { ...common, codeUrl: result.codeUrl, qrImageUrl: `${attempt.paths}/qr.png?provider=${providerName}` };
      }
      return { ...common, gatewayUrl: result.gatewayUrl, formItems: result.formItems };
    } catch (err) {
      if (err instanceof ProviderError) throw providerProblem(err, 'create the payment');
      throw err;
    }
  }

  /**
   * What a QR page polls. While unpaid it also asks the provider (its signed answer is as good as a
   * notification), so a lost notification does not leave the buyer waiting.
   */
  async status(principal: Principal, orderSn: string) {
    const order = await this.access.load(principal, orderSn);
    const payments = await this.dataSource.getRepository(Payment).find({ where: { orderSn }, order: { id: 'ASC' } });
    if (isAwaitingPayment(order.orderStatus, order.payStatus)) {
      for (const payment of payments.filter((p) => p.status === 'CREATED')) await this.reconcile(payment);
    }
    return {
      orderSn,
      orderStatus: order.orderStatus,
      payStatus: order.payStatus,
      paid: order.payStatus !== PayStatus.PAY_NO,
      amountFen: order.orderFen,
      payments: payments.map((p) => ({ provider: p.provider, outTradeNo: p.outTradeNo, status: p.status, amountFen: p.amountFen, transactionId: p.transactionId, paidAt: p.paidAt, paidAfterCancel: p.paidAfterCancel })),
    };
  }

  async codeUrl(principal: Principal, orderSn: string): Promise<string> {
    await this.access.load(principal, orderSn);
    const payment = await this.dataSource.getRepository(Payment).findOneBy({ orderSn, provider: 'wechatpay' });
    if (!payment?.codeUrl) throw new NotFoundException(`order ${orderSn} has no WeChat Pay QR code: POST /orders/${orderSn}/payment first`);
    return payment.codeUrl;
  }

  /**
   * Tells the order workflow the buyer started this payment: while no notification arrives it asks
   * the provider on a backoff (workflows/order-payment-watch.ts). Re-asking for the payment keeps the
   * running watch. An order whose workflow has finished awaits no payment, so there is nothing to watch.
   */
  private async watch(orderSn: string, started: PaymentStarted): Promise<void> {
    try {
      await this.workflows.handle(orderSn).signal(paymentStartedSignal, started);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** The QR page's poll asks the provider too; a PAID answer takes the notification's path. */
  async reconcile(payment: Pick<Payment, 'provider' | 'outTradeNo'>): Promise<void> {
    const provider = payment.provider as ProviderName;
    let result;
    try {
      result = await this.providers[provider].queryPayment(payment.outTradeNo);
    } catch {
      return; // the provider is unreachable: the status stays as stored, the page polls again
    }
    const paid = queriedPayment(provider, result);
    if (paid) await this.inbox.accept(paid);
  }
}
