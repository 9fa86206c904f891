import type { DataSource } from 'typeorm';
import type { ProviderInbox } from '../apps/shared/provider-inbox';
import type { GroupBuyStatus, RefundSpacing } from '../domain';
import type { PaymentProvider, ProviderName } from '../payments';
import { AfterSaleActivities } from './after-sales';
import { AfterSaleSweep } from './after-sale-sweep';
import { ComplaintActivities } from './complaints';
import type { LatePayment } from '../workflows/late-payment.contract';
import { CancellationActivities, recordLatePaymentRefund, recordSystemCancellation } from './cancellations';
import { releaseOrderCoupons } from './coupons';
import { settleGroupBuy } from './group-buys';
import { LinkedOrderActivities } from './linked-orders';
import { OrderRequestActivities } from './order-requests';
import { LatePaymentActivities } from './late-payments';
import { OrderTransitions } from './order-transitions';
import { ReconciliationActivities } from './reconciliation';
import { PaymentWatchActivities } from './payment-watch';
import { RefundActivities } from './refunds';
import { RefundSlotActivities } from './refund-slots';
import { GoodwillRefundActivities } from './goodwill-refunds';
import { SweepActivities, SweepDependencies } from './sweeps';
import { WindowSweepActivities } from './window-sweep';
import { SupportWorkActivities } from './support-work';
import { ProviderGate, probeProviderActivity } from './provider-gate';
import type { ProviderGateSettings } from '../domain/provider-gate';
import { DEFAULT_WEBHOOK_SETTINGS, WebhookSettings } from '../domain/webhooks';
import type { Resolve } from '../apps/shared/webhook-target';
import { WebhookActivities } from './webhooks';

export interface ActivityDependencies {
  dataSource: DataSource;
  providers: Record<ProviderName, PaymentProvider>;
  /** Where providers reach the API's /notify endpoints (PUBLIC_BASE_URL). */
  notifyBaseUrl: string;
  /** The scheduled sweeps message and start workflows, so they need a Temporal client; absent, their activities refuse to run. */
  sweeps?: SweepDependencies;
  /** Delivers payments the payment watch found PAID, exactly like notifications (needs a Temporal client). */
  inbox?: ProviderInbox;
  /** Time between refunds of one payment per provider (WECHATPAY_REFUND_SPACING, ALIPAY_REFUND_SPACING); default the providers' real minimums. */
  refundSpacing?: RefundSpacing;
  /** The provider gates (PROVIDER_GATE_*); on only with a Temporal client (sweeps.temporal). */
  providerGate?: ProviderGateSettings;
  /** Where the gate's reporting problems are logged. */
  warn?: (message: string) => void;
  /** Webhook delivery settings (WEBHOOK_*); the defaults when absent. */
  webhooks?: WebhookSettings;
  /** How webhook hosts resolve (a test plays a DNS change); the system's resolver when absent. */
  webhookResolve?: Resolve;
}

/**
 * Every activity the worker registers, bound from services built on injected dependencies
 * (so tests can build them on a throwaway database). Workflows import only the type.
 */
export function createActivities(deps: ActivityDependencies) {
  const orders = new OrderTransitions(deps.dataSource);
  const cancellations = new CancellationActivities(deps.dataSource, deps.providers);
  const gate = deps.providerGate?.enabled && deps.sweeps ? new ProviderGate(deps.sweeps.temporal, deps.sweeps.taskQueue, deps.providerGate, deps.warn) : undefined;
  const refunds = new RefundActivities(deps.dataSource, deps.providers, deps.notifyBaseUrl, gate);
  const refundSlots = new RefundSlotActivities(deps.dataSource, deps.refundSpacing);
  const goodwill = new GoodwillRefundActivities(deps.dataSource);
  const complaints = new ComplaintActivities(deps.dataSource);
  const afterSales = new AfterSaleActivities(deps.dataSource);
  const afterSaleSweep = new AfterSaleSweep(deps.dataSource, deps.sweeps);
  const sweeps = new SweepActivities(deps.dataSource, deps.providers, deps.notifyBaseUrl, deps.sweeps);
  // Reconciliation hands stranded payments to the same inbox as notifications and the payment watch.
  const reconciliation = new ReconciliationActivities(deps.dataSource, deps.providers, deps.inbox);
  const paymentWatch = new PaymentWatchActivities(deps.dataSource, deps.providers, deps.inbox, gate);
  // Other workflows' requests of an order (Updates) and replacement orders need the worker's client.
  const orderRequests = new OrderRequestActivities(deps.dataSource, () => deps.sweeps?.temporal);
  const linkedOrders = new LinkedOrderActivities(deps.dataSource, () => deps.sweeps);
  const windowSweep = new WindowSweepActivities(deps.dataSource, () => deps.sweeps);
  const latePayments = new LatePaymentActivities(deps.dataSource, deps.providers);
  return {
    updateAccepted,
    applyTransition: orders.applyTransition.bind(orders),
    closeOrderWindow: orders.closeOrderWindow.bind(orders),
    recordAfterSale: orders.recordAfterSale.bind(orders),
    openAfterSaleOnOrder: orderRequests.openAfterSaleOnOrder.bind(orderRequests),
    closeAfterSaleOnOrder: orderRequests.closeAfterSaleOnOrder.bind(orderRequests),
    createLinkedOrder: linkedOrders.createLinkedOrder.bind(linkedOrders),
    settleGroupBuy: (request: { groupId: string; status: GroupBuyStatus }) => settleGroupBuy(deps.dataSource, request),

    cancelOrder: cancellations.cancelOrder.bind(cancellations),
    closeOpenPayments: cancellations.closeOpenPayments.bind(cancellations),
    restockCancelledOrder: cancellations.restockCancelledOrder.bind(cancellations),
    finishCancellation: cancellations.finishCancellation.bind(cancellations),
    settleCancelledOrder: cancellations.settleCancelledOrder.bind(cancellations),
    closeCancellation: cancellations.closeCancellation.bind(cancellations),
    markCancellationAccepted: cancellations.markCancellationAccepted.bind(cancellations),
    refuseCancellation: cancellations.refuseCancellation.bind(cancellations),
    askOrderToCancel: orderRequests.askOrderToCancel.bind(orderRequests),
    tellOrderCancellationSettled: orderRequests.tellOrderCancellationSettled.bind(orderRequests),
    setCancellationStatus: cancellations.setCancellationStatus.bind(cancellations),
    recordSystemCancellation: (request: { orderSn: string; reason: string }) => recordSystemCancellation(deps.dataSource, request),
    releaseOrderCoupons: (orderSn: string) => releaseOrderCoupons(deps.dataSource, orderSn),
    recordLatePaymentRefund: (request: { orderSn: string; payment: LatePayment; why: string }) => recordLatePaymentRefund(deps.dataSource, request),
    confirmLatePayment: latePayments.confirmLatePayment.bind(latePayments),
    recordUnconfirmedLatePayment: latePayments.recordUnconfirmedLatePayment.bind(latePayments),

    createRefund: refunds.createRefund.bind(refunds),
    getRefund: refunds.getRefund.bind(refunds),
    submitRefund: refunds.submitRefund.bind(refunds),
    queryRefund: refunds.queryRefund.bind(refunds),
    recordRefundOutcome: refunds.recordRefundOutcome.bind(refunds),
    markRefundedOffline: refunds.markRefundedOffline.bind(refunds),
    logRefundReissue: refunds.logRefundReissue.bind(refunds),
    claimRefundSlot: refundSlots.claimRefundSlot.bind(refundSlots),
    probeProvider: probeProviderActivity(deps.dataSource, deps.providers),
    recordGoodwillRefund: goodwill.recordGoodwillRefund.bind(goodwill),
    finishGoodwillRefund: goodwill.finishGoodwillRefund.bind(goodwill),

    applyComplaintStep: complaints.applyComplaintStep.bind(complaints),
    applyAfterSaleStep: afterSales.applyAfterSaleStep.bind(afterSales),

    beginSweepRun: sweeps.beginSweepRun.bind(sweeps),
    sweepOverdueOrders: sweeps.sweepOverdueOrders.bind(sweeps),
    closeOverdueWindows: windowSweep.closeOverdueWindows.bind(windowSweep),
    checkProcessingRefunds: sweeps.checkProcessingRefunds.bind(sweeps),
    sweepOverdueAfterSales: afterSaleSweep.sweepOverdueAfterSales.bind(afterSaleSweep),
    finishSweepRun: sweeps.finishSweepRun.bind(sweeps),

    beginReconciliation: reconciliation.beginReconciliation.bind(reconciliation),
    loadBill: reconciliation.loadBill.bind(reconciliation),
    compareBillPage: reconciliation.compareBillPage.bind(reconciliation),
    compareOurSidePage: reconciliation.compareOurSidePage.bind(reconciliation),
    handOverStrandedPayments: reconciliation.handOverStrandedPayments.bind(reconciliation),
    finishReconciliation: reconciliation.finishReconciliation.bind(reconciliation),
    checkUnpaidPayment: paymentWatch.checkUnpaidPayment.bind(paymentWatch),
    ...supportWorkActivities(deps),
    ...webhookActivities(deps),
  };
}

/** The webhook endpoint workflow's batch delivery and pause (docs/webhooks.md). */
function webhookActivities(deps: ActivityDependencies) {
  const webhooks = new WebhookActivities(deps.dataSource, deps.webhooks ?? DEFAULT_WEBHOOK_SETTINGS, deps.webhookResolve);
  return {
    deliverWebhookBatch: webhooks.deliverWebhookBatch.bind(webhooks),
    pauseWebhookEndpoint: webhooks.pauseWebhookEndpoint.bind(webhooks),
  };
}

/** Support's overdue marker: reads the work queue, escalates, and signals workflows (the worker's client). */
function supportWorkActivities(deps: ActivityDependencies) {
  const supportWork = new SupportWorkActivities(deps.dataSource, () => deps.sweeps?.temporal);
  return {
    listOverdueWorkItems: supportWork.listOverdueWorkItems.bind(supportWork),
    escalateWorkItem: supportWork.escalateWorkItem.bind(supportWork),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/**
 * The barrier before an Update's effects (workflows/update-durability.ts): an activity with no effect,
 * scheduled in the workflow task that accepts the Update, so the acceptance is in history before any
 * step of the handler runs. Returns the Update's name so the history shows which one it guarded.
 */
async function updateAccepted(updateName: string): Promise<string> {
  return updateName;
}
