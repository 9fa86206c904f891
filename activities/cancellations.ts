import { ApplicationFailure } from '@temporalio/common';
import { DataSource, EntityManager } from 'typeorm';
import { CancelRefusal, CancellationStatus, OrderStatus, PayStatus, REFUND_SETTLED } from '../domain';
import { PaymentProvider, ProviderName } from '../payments';
import { latePaymentCauseKey, type LatePayment } from '../workflows/late-payment.contract';
import { setCancellationStatus } from './cancellation-requests';
import { toActivityFailure } from './provider-failures';
import { appendOrderLog } from '../db/order-log';
import { emitEvent, runStep, sellerOfOrder } from '../db/business-events';
import { recordSystemCancellationRequest, refuseCancellationRequest } from '../db/cancellation-requests';
import { markPaymentClosed, markPaymentPaid, readOpenPaymentAttempts } from '../db/payments';
import { readOrderStatus } from '../db/order-reads';
import { settleOrderPayStatus } from '../db/orders';
import { businessEvent, eventActor } from '../domain/events';
import { OrderTransitions, TransitionRequest, TransitionResult, applyTransitionIn, statusColumns } from './order-transitions';
import { RefundRecord, createRefundIn } from './refunds';
import { StockMovementKind, recordStockMovements, salesCounted } from '../db/stock-ledger';
import { returnQuota } from '../db/group-buy-activities';

/**
 * The steps of a cancellation, each a guarded effect: the old scanners' status flags survive as the
 * guards (order status CAS, ledger unique keys, log event keys), not as the control flow.
 */
export class CancellationActivities {
  private readonly transitions: OrderTransitions;

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: Record<ProviderName, PaymentProvider>,
  ) {
    this.transitions = new OrderTransitions(dataSource);
  }

  /**
   * Closes the order's open payment attempts at the providers so a buyer can no longer pay a
   * cancelled order. A payment that landed anyway is reported back (verified by the provider's signed
   * query answer) for the order workflow to refund.
   */
  async closeOpenPayments(orderSn: string): Promise<LatePayment[]> {
    const open = await readOpenPaymentAttempts(this.dataSource, orderSn);
    const landed: LatePayment[] = [];
    for (const payment of open) {
      const provider = this.providers[payment.provider];
      try {
        const { alreadyPaid } = await provider.closePayment(payment.out_trade_no);
        if (!alreadyPaid) {
          await runStep(this.dataSource, async (manager) =>
            markPaymentClosed(manager, { orderSn, sellerId: await sellerOfOrder(manager, orderSn), provider: payment.provider, outTradeNo: payment.out_trade_no, actor: eventActor('SYSTEM') }),
          );
          continue;
        }
        const paid = await provider.queryPayment(payment.out_trade_no);
        if (paid.state === 'PAID' && paid.transactionId && paid.amountFen !== undefined) {
          landed.push({ provider: payment.provider, outTradeNo: payment.out_trade_no, transactionId: paid.transactionId, amountFen: paid.amountFen, paidAt: paid.paidAt ?? new Date().toISOString() });
        }
      } catch (err) {
        throw toActivityFailure(err);
      }
    }
    return landed;
  }

  /**
   * The order workflow's cancel: the compare-and-set to CANCELLED (with the request's status) and, for
   * a paid order, its refund and number (cause `cancel:{id}:1`), in one transaction — steps that
   * always happen together. A retry finds its log row and its refund and changes nothing.
   */
  async cancelOrder(request: TransitionRequest & { cancellation: { reason: string; cancellationId: number; refunding: boolean } }): Promise<{ transition: TransitionResult; refund?: RefundRecord }> {
    return runStep(this.dataSource, async (manager) => {
      const transition = await applyTransitionIn(manager, request);
      if (!transition.applied || !request.cancellation.refunding) return { transition };
      const refund = await createRefundIn(manager, { causeKey: `cancel:${request.cancellation.cancellationId}:1`, orderSn: request.orderSn, reason: request.cancellation.reason || 'order cancelled' });
      return { transition, refund };
    });
  }

  /**
   * A cancelled order's goods go back on the shelf in one transaction: reserved stock released
   * (unpaid), or sold stock restored and the sales count taken back (paid), and a group-buy order's
   * units back to its activity's quota. Each ledger row once; the quota once (its log row's guard).
   */
  async restockCancelledOrder(request: { orderSn: string; paid: boolean }): Promise<{ restocked: number; salesReversed: number }> {
    return runStep(this.dataSource, async (manager) => {
      await returnQuota(manager, request.orderSn, eventActor('SYSTEM'));
      if (!request.paid) return { restocked: await restoreStockIn(manager, request.orderSn, 'RELEASE'), salesReversed: 0 };
      return { restocked: await restoreStockIn(manager, request.orderSn, 'RESTORE'), salesReversed: await reverseSalesIn(manager, request.orderSn) };
    });
  }

  /**
   * The money is back (or there was none): the order's pay and service statuses settle (written by
   * the order workflow, whose statuses they are) and the request closes, with a log row: an order
   * workflow that gave the money and stock back itself (its cancellation workflow id was taken by
   * another request). Otherwise the order settles (settleCancelledOrder) and its cancellation
   * workflow closes the request (closeCancellation).
   */
  async finishCancellation(request: { orderSn: string; cancellationId: number; refunded: boolean }): Promise<void> {
    await runStep(this.dataSource, async (manager) => {
      if (request.refunded) await settleOrderIn(manager, request);
      await closeRequestIn(manager, request);
    });
  }

  /** The order workflow's half of a finished cancellation: a refunded order's pay status settles, once. */
  async settleCancelledOrder(request: { orderSn: string; cancellationId: number }): Promise<void> {
    await runStep(this.dataSource, (manager) => settleOrderIn(manager, request));
  }

  /** The cancellation workflow's last step: its request COMPLETED, with the order-log row, once. */
  async closeCancellation(request: { orderSn: string; cancellationId: number; refunded: boolean }): Promise<void> {
    await runStep(this.dataSource, (manager) => closeRequestIn(manager, request));
  }

  /** The order workflow accepted the cancel (its compare-and-set won): the request says so, once. */
  async markCancellationAccepted(request: { cancellationId: number; refunding: boolean; actor: string; actorId?: string }): Promise<void> {
    await runStep(this.dataSource, (manager) =>
      setCancellationStatus(manager, request.cancellationId, request.refunding ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED, eventActor(request.actor, request.actorId)),
    );
  }

  /**
   * The order workflow refused the cancel: the request ends REFUSED with the order's code and reason —
   * or ALREADY_CANCELLED when the order is cancelled (another cancellation, or a timer, won). Once.
   */
  async refuseCancellation(request: { orderSn: string; cancellationId: number; refusal: CancelRefusal }): Promise<CancellationStatus> {
    return runStep(this.dataSource, async (manager) => {
      const order = await readOrderStatus(manager, request.orderSn);
      const status = order?.order_status === OrderStatus.CANCELLED ? CancellationStatus.ALREADY_CANCELLED : CancellationStatus.REFUSED;
      const result = await refuseCancellationRequest(manager, request.cancellationId, status, request.refusal, eventActor('SYSTEM'));
      if (!result) throw ApplicationFailure.nonRetryable(`cancellation request ${request.cancellationId} does not exist`, 'CancellationNotFound');
      return status;
    });
  }

  async setCancellationStatus(request: { cancellationId: number; status: CancellationStatus }): Promise<void> {
    await runStep(this.dataSource, (manager) => setCancellationStatus(manager, request.cancellationId, request.status));
  }
}

async function settleOrderIn(manager: EntityManager, request: { orderSn: string; cancellationId: number }): Promise<void> {
  const set = statusColumns(REFUND_SETTLED);
  if (await settleOrderPayStatus(manager, request.orderSn, set, PayStatus.REFUNDING)) {
    emitEvent(manager, businessEvent(
      { type: 'order', id: request.orderSn, sellerId: await sellerOfOrder(manager, request.orderSn), orderSn: request.orderSn },
      { type: 'order.refund_settled', key: `refund-settled:${request.cancellationId}`, payload: { orderSn: request.orderSn, cancellationId: request.cancellationId, payStatus: REFUND_SETTLED.payStatus, serviceStatus: REFUND_SETTLED.serviceStatus, actor: eventActor('SYSTEM') } },
    ));
  }
}

async function closeRequestIn(manager: EntityManager, request: { orderSn: string; cancellationId: number; refunded: boolean }): Promise<void> {
  await setCancellationStatus(manager, request.cancellationId, CancellationStatus.COMPLETED);
  await appendOrderLog(manager, {
    orderSn: request.orderSn,
    eventKey: `cancellation:${request.cancellationId}:completed`,
    operation: 'CANCEL',
    actorRole: 'SYSTEM',
    message: request.refunded ? 'cancellation complete: buyer refunded, stock restored, sales reversed' : 'cancellation complete: payment closed, stock released',
  }, 'ignore');
}

async function restoreStockIn(manager: EntityManager, orderSn: string, kind: Extract<StockMovementKind, 'RELEASE' | 'RESTORE'>): Promise<number> {
  const applied = await recordStockMovements(manager, orderSn, kind);
  // A replay changed nothing and keeps the first row.
  if (applied > 0) await appendOrderLog(manager, { orderSn, eventKey: `stock:${kind}`, operation: 'RESTOCK', actorRole: 'SYSTEM', message: `stock restored (${kind.toLowerCase()}) for ${applied} SKU(s)` }, 'ignore');
  return applied;
}

async function reverseSalesIn(manager: EntityManager, orderSn: string): Promise<number> {
  if (!(await salesCounted(manager, orderSn))) return 0;
  const applied = await recordStockMovements(manager, orderSn, 'SALE_REVERSAL');
  if (applied > 0) await appendOrderLog(manager, { orderSn, eventKey: 'stock:SALE_REVERSAL', operation: 'SALES', actorRole: 'SYSTEM', message: `sales count reversed for ${applied} SKU(s)` }, 'ignore');
  return applied;
}

/** A cancellation the system itself decided (unpaid timeout): recorded like a person's, once per order. */
export async function recordSystemCancellation(dataSource: DataSource, request: { orderSn: string; reason: string }): Promise<number> {
  return runStep(dataSource, (manager) => recordSystemCancellationRequest(manager, request));
}

/** The late payment recorded and its full refund created (number committed) in one transaction, once. */
export async function recordLatePaymentRefund(dataSource: DataSource, request: { orderSn: string; payment: LatePayment; why: string }): Promise<RefundRecord> {
  return runStep(dataSource, async (manager) => {
    await recordLatePaymentIn(manager, request);
    return createRefundIn(manager, { causeKey: latePaymentCauseKey(request.payment, request.orderSn), orderSn: request.orderSn, reason: request.why, outTradeNo: request.payment.outTradeNo });
  });
}

async function recordLatePaymentIn(manager: EntityManager, request: { orderSn: string; payment: LatePayment; why: string }): Promise<void> {
  const { payment } = request;
  await markPaymentPaid(
    manager,
    { orderSn: request.orderSn, sellerId: await sellerOfOrder(manager, request.orderSn), provider: payment.provider, outTradeNo: payment.outTradeNo, transactionId: payment.transactionId, amountFen: payment.amountFen, paidAt: payment.paidAt, actor: eventActor('PAYMENT_CALLBACK') },
    { why: request.why },
  );
  await appendOrderLog(manager, {
    orderSn: request.orderSn,
    eventKey: latePaymentCauseKey(payment, request.orderSn),
    operation: 'PAY',
    actorRole: 'PAYMENT_CALLBACK',
    message: `payment ${payment.transactionId} (${payment.amountFen} fen via ${payment.provider}) not accepted (${request.why}): refunding it automatically`,
  }, 'ignore');
}
