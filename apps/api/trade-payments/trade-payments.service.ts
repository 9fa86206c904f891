import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { runStep } from '../../../db/business-events';
import { readTradeOrders } from '../../../db/order-reads';
import { readPaymentShares } from '../../../db/payment-shares';
import { findTradePaymentByIdempotencyKey, insertTradePaymentAttempt, readTradePayments } from '../../../db/payments';
import { readTradeFor } from '../../../db/trades';
import { FlowType, PayStatus, TradeStatus, flowOf, isAwaitingPayment, type OrderType, type PaymentType } from '../../../domain';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { eventActor } from '../../../domain/events';
import type { ProviderName } from '../../../payments';
import type { Principal } from '../auth/principal';
import { PaymentsService } from '../payments/payments.service';
import { APP_CONFIG } from '../tokens';
import { SupersededTradeAttempts } from './superseded-attempts';

type TradeOrderRow = Awaited<ReturnType<typeof readTradeOrders>>[number];

/**
 * One trade payment attempt per (trade, provider, set of orders it pays for). The unpaid set only
 * shrinks (orders get paid one by one, or cancelled), so its size names it: the same request gives
 * the same out_trade_no and amount, and a trade with an order paid meanwhile gets a new attempt for
 * the rest.
 */
export function tradeOutTradeNoFor(tradeSn: string, provider: ProviderName, orderCount: number): string {
  return `Q${tradeSn.slice(1)}${provider === 'wechatpay' ? 'W' : 'A'}${orderCount}`;
}

/** The orders of the trade a trade payment takes now: online, not free, awaiting payment. */
function ordersToPay(orders: readonly TradeOrderRow[]): TradeOrderRow[] {
  return orders.filter((o) => {
    const flow = flowOf(o.payment_type as PaymentType, o.order_type as OrderType);
    return flow !== FlowType.COD && flow !== FlowType.REPLACEMENT && Number(o.order_fen) > 0 && isAwaitingPayment(o.order_status, o.pay_status);
  });
}

/**
 * Paying a whole trade at once (POST /trades/{sn}/payment): one provider payment for the payable total
 * of its orders still awaiting payment, recorded with each order's share (payment_share). Like the
 * order payment it never marks anything paid: the provider's verified result goes through the
 * provider inbox, which gives each order its share through the order's own workflow.
 */
@Injectable()
export class TradePaymentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly payments: PaymentsService,
    private readonly superseded: SupersededTradeAttempts,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(buyer: Principal, tradeSn: string, provider: ProviderName, options: { returnUrl?: string; idempotencyKey?: string; requestHash: string }) {
    await this.load(buyer, tradeSn);
    const orders = await readTradeOrders(this.dataSource, tradeSn);
    await this.closeSuperseded(buyer, tradeSn, orders);
    let outTradeNo: string;
    let paidOrders: TradeOrderRow[];
    const replay = options.idempotencyKey ? await findTradePaymentByIdempotencyKey(this.dataSource, tradeSn, options.idempotencyKey) : undefined;
    if (replay) {
      if (replay.request_hash !== options.requestHash) throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, `Idempotency-Key ${options.idempotencyKey} was used for another payment request of trade ${tradeSn}`);
      outTradeNo = replay.out_trade_no;
      const shared = new Set((await this.sharesOf(outTradeNo)).map((s) => s.orderSn));
      paidOrders = orders.filter((o) => shared.has(o.order_sn));
    } else {
      paidOrders = ordersToPay(orders);
      if (paidOrders.length === 0) throw new DomainError(ErrorCode.PAYMENT_NOT_ALLOWED, `trade ${tradeSn} has no order awaiting an online payment`);
      outTradeNo = tradeOutTradeNoFor(tradeSn, provider, paidOrders.length);
      await runStep(this.dataSource, (manager) =>
        insertTradePaymentAttempt(manager, {
          tradeSn,
          buyerId: buyer.id,
          provider,
          outTradeNo,
          shares: paidOrders.map((o) => ({ orderSn: o.order_sn, sellerId: Number(o.seller_id), amountFen: Number(o.order_fen) })),
          idempotencyKey: options.idempotencyKey ?? null,
          requestHash: options.idempotencyKey ? options.requestHash : null,
        }),
      );
    }
    // The provider stops taking it when the first of its orders' unpaid timers would cancel that order.
    const expiresAt = new Date(Math.min(...paidOrders.map((o) => new Date(o.created_at).getTime())) + this.config.orderSettings.cancelOrderMs);
    const opened = await this.payments.openAtProvider({
      outTradeNo,
      provider,
      description: `Trade ${tradeSn} (${paidOrders.length} order${paidOrders.length > 1 ? 's' : ''})`,
      returnUrl: options.returnUrl,
      expiresAt,
      paidOrders: paidOrders.map((o) => o.order_sn),
      paths: `/trades/${tradeSn}/payment`,
    });
    return { tradeSn, ...opened, shares: (await this.sharesOf(outTradeNo)) };
  }

  /**
   * Before the trade is offered again: its earlier attempts that pay for an order no longer awaiting
   * payment are closed at the provider (on every call, so a close that failed is retried with the
   * buyer's retry). One found paid meanwhile is the trade's payment after all: nothing new is offered
   * (its orders take it through the provider inbox; a share already paid is refunded once).
   */
  private async closeSuperseded(buyer: Principal, tradeSn: string, orders: readonly TradeOrderRow[]): Promise<void> {
    const awaiting = new Set(ordersToPay(orders).map((o) => o.order_sn));
    const sellerOf = new Map(orders.map((o) => [o.order_sn, Number(o.seller_id)]));
    const landed = await this.superseded.close(tradeSn, awaiting, sellerOf, eventActor('BUYER', buyer.id));
    if (landed.length > 0) {
      throw new DomainError(ErrorCode.PAYMENT_NOT_ALLOWED, `trade ${tradeSn} was paid meanwhile (payment ${landed.map((l) => l.outTradeNo).join(', ')}): its orders take it, and a share already paid is refunded`);
    }
  }

  /**
   * What the trade's QR page polls: the trade's status and each order's. While an order still awaits
   * payment it also asks the provider about the trade's open attempts (a signed PAID answer takes the
   * notification's path through the provider inbox).
   */
  async status(principal: Principal, tradeSn: string) {
    await this.load(principal, tradeSn);
    let orders = await readTradeOrders(this.dataSource, tradeSn);
    const payments = await readTradePayments(this.dataSource, tradeSn);
    if (ordersToPay(orders).length > 0) {
      for (const payment of payments.filter((p) => p.status === 'CREATED')) await this.payments.reconcile({ provider: payment.provider, outTradeNo: payment.out_trade_no });
    }
    const trade = (await readTradeFor(this.dataSource, tradeSn))!;
    orders = await readTradeOrders(this.dataSource, tradeSn);
    const payable = orders.filter((o) => !(o.pay_status === PayStatus.PAY_NO && !isAwaitingPayment(o.order_status, o.pay_status)));
    return {
      tradeSn,
      tradeStatus: trade.trade_status,
      paid: trade.trade_status === TradeStatus.PAID_OFF,
      amountFen: payable.reduce((sum, o) => sum + Number(o.order_fen), 0),
      awaitingFen: ordersToPay(orders).reduce((sum, o) => sum + Number(o.order_fen), 0),
      orders: orders.map((o) => ({ orderSn: o.order_sn, sellerId: Number(o.seller_id), orderStatus: o.order_status, payStatus: o.pay_status, orderFen: Number(o.order_fen) })),
      payments: await Promise.all(payments.map(async (p) => ({
        provider: p.provider,
        outTradeNo: p.out_trade_no,
        status: p.status,
        amountFen: Number(p.amount_fen),
        transactionId: p.transaction_id,
        paidAt: p.paid_at,
        shares: await this.sharesOf(p.out_trade_no),
      }))),
    };
  }

  /** The QR code URL of the trade's latest WeChat Pay attempt. */
  async codeUrl(principal: Principal, tradeSn: string): Promise<string> {
    await this.load(principal, tradeSn);
    const latest = (await readTradePayments(this.dataSource, tradeSn)).filter((p) => p.provider === 'wechatpay' && p.code_url).pop();
    if (!latest?.code_url) throw new NotFoundException(`trade ${tradeSn} has no WeChat Pay QR code: POST /trades/${tradeSn}/payment first`);
    return latest.code_url;
  }

  private async sharesOf(outTradeNo: string) {
    return readPaymentShares(this.dataSource, outTradeNo);
  }

  /** A buyer sees only their own trade (another's is a 404); sellers see orders, not trades. */
  private async load(principal: Principal, tradeSn: string) {
    if (principal.role === 'seller') throw new NotFoundException(`trade ${tradeSn} not found`);
    const trade = await readTradeFor(this.dataSource, tradeSn, principal.role === 'buyer' ? principal.id : undefined);
    if (!trade) throw new NotFoundException(`trade ${tradeSn} not found`);
    return trade;
  }
}
