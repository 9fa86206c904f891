/**
 * Workflow ids, derived from business numbers so support staff can open any case from an order or
 * refund number, and so a retried start can never create a second workflow for the same thing.
 * Pure: imported by workflows, activities and the API alike.
 */
export const orderWorkflowId = (orderSn: string) => `order-${orderSn}`;
export const cancellationWorkflowId = (orderSn: string) => `cancel-${orderSn}`;
export const refundWorkflowId = (refundSn: string) => `refund-${refundSn}`;
export const groupBuyWorkflowId = (groupId: string) => `group-${groupId}`;
export const latePaymentWorkflowId = (outTradeNo: string) => `late-payment-${outTradeNo}`;
/** On-demand reconciliation of one provider's bill for one China day (yyyy-MM-dd). */
export const reconciliationWorkflowId = (provider: string, billDate: string) => `reconcile-${provider}-${billDate}`;
