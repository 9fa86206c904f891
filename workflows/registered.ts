// Every workflow type the worker registers (re-exported by workflows/index.ts, the bundle's entry).
export { orderWorkflow } from './order.workflow';
export { cancellationWorkflow } from './cancellation.workflow';
export { refundWorkflow } from './refund.workflow';
export { latePaymentWorkflow } from './late-payment.workflow';
export { groupBuyWorkflow } from './group-buy.workflow';
export { orderStatusSweepWorkflow } from './order-status-sweep.workflow';
export { refundStatusCheckWorkflow } from './refund-status-check.workflow';
export { complaintWorkflow } from './complaint.workflow';
export { reconciliationWorkflow } from './reconciliation.workflow';
export { goodwillRefundWorkflow } from './goodwill-refund.workflow';
export { afterSaleWorkflow } from './after-sale.workflow';
export { supportOverdueWorkflow } from './support-overdue.workflow';
export { providerGateWorkflow } from './provider-gate.workflow';
export { webhookEndpointWorkflow } from './webhook-endpoint.workflow';
