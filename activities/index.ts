import type { DataSource } from 'typeorm';
import type { GroupBuyStatus } from '../domain';
import type { PaymentProvider, ProviderName } from '../payments';
import type { LatePayment } from '../workflows/late-payment.contract';
import { CancellationActivities, recordLatePayment, recordLatePaymentRefund, recordSystemCancellation } from './cancellations';
import { settleGroupBuy } from './group-buys';
import { OrderTransitions } from './order-transitions';
import { RefundActivities } from './refunds';
import { SweepActivities, SweepDependencies } from './sweeps';

export interface ActivityDependencies {
  dataSource: DataSource;
  providers: Record<ProviderName, PaymentProvider>;
  /** Where providers reach the API's /notify endpoints (PUBLIC_BASE_URL). */
  notifyBaseUrl: string;
  /** The scheduled sweeps message and start workflows, so they need a Temporal client; absent, their activities refuse to run. */
  sweeps?: SweepDependencies;
}

/**
 * Every activity the worker registers, bound from services built on injected dependencies
 * (so tests can build them on a throwaway database). Workflows import only the type.
 */
export function createActivities(deps: ActivityDependencies) {
  const orders = new OrderTransitions(deps.dataSource);
  const cancellations = new CancellationActivities(deps.dataSource, deps.providers);
  const refunds = new RefundActivities(deps.dataSource, deps.providers, deps.notifyBaseUrl);
  const sweeps = new SweepActivities(deps.dataSource, deps.providers, deps.notifyBaseUrl, deps.sweeps);
  return {
    applyTransition: orders.applyTransition.bind(orders),
    closeOrderWindow: orders.closeOrderWindow.bind(orders),
    settleGroupBuy: (request: { groupId: string; status: GroupBuyStatus }) => settleGroupBuy(deps.dataSource, request),

    markOrderCancelled: cancellations.markOrderCancelled.bind(cancellations),
    cancelOrder: cancellations.cancelOrder.bind(cancellations),
    closeOpenPayments: cancellations.closeOpenPayments.bind(cancellations),
    restoreStock: cancellations.restoreStock.bind(cancellations),
    reverseSales: cancellations.reverseSales.bind(cancellations),
    restockCancelledOrder: cancellations.restockCancelledOrder.bind(cancellations),
    finishCancellation: cancellations.finishCancellation.bind(cancellations),
    setCancellationStatus: cancellations.setCancellationStatus.bind(cancellations),
    recordSystemCancellation: (request: { orderSn: string; reason: string }) => recordSystemCancellation(deps.dataSource, request),
    recordLatePayment: (request: { orderSn: string; payment: LatePayment; why: string }) => recordLatePayment(deps.dataSource, request),
    recordLatePaymentRefund: (request: { orderSn: string; payment: LatePayment; why: string }) => recordLatePaymentRefund(deps.dataSource, request),

    createRefund: refunds.createRefund.bind(refunds),
    getRefund: refunds.getRefund.bind(refunds),
    submitRefund: refunds.submitRefund.bind(refunds),
    queryRefund: refunds.queryRefund.bind(refunds),
    recordRefundOutcome: refunds.recordRefundOutcome.bind(refunds),
    markRefundedOffline: refunds.markRefundedOffline.bind(refunds),
    logRefundReissue: refunds.logRefundReissue.bind(refunds),

    beginSweepRun: sweeps.beginSweepRun.bind(sweeps),
    sweepOverdueOrders: sweeps.sweepOverdueOrders.bind(sweeps),
    checkProcessingRefunds: sweeps.checkProcessingRefunds.bind(sweeps),
    finishSweepRun: sweeps.finishSweepRun.bind(sweeps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
