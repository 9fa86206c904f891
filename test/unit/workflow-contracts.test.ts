import * as workflows from '../../workflows';
import { CANCELLATION_WORKFLOW, CancellationWorkflow } from '../../workflows/cancellation.contract';
import { GROUP_BUY_WORKFLOW, GroupBuyWorkflow } from '../../workflows/group-buy.contract';
import { LATE_PAYMENT_WORKFLOW, LatePaymentWorkflow } from '../../workflows/late-payment.contract';
import { ORDER_WORKFLOW, OrderWorkflow, buildOrderWorkflowInput, closeAfterSaleUpdate, openAfterSaleUpdate } from '../../workflows/order.contract';
import { REFUND_WORKFLOW, RefundWorkflow } from '../../workflows/refund.contract';
import { ORDER_STATUS_SWEEP_WORKFLOW, REFUND_STATUS_CHECK_WORKFLOW, SweepWorkflow } from '../../workflows/sweep.contract';
import { COMPLAINT_WORKFLOW, ComplaintWorkflow } from '../../workflows/complaint.contract';
import { RECONCILIATION_WORKFLOW, ReconciliationWorkflow } from '../../workflows/reconciliation.contract';
import { GOODWILL_REFUND_WORKFLOW, GoodwillRefundWorkflow } from '../../workflows/goodwill-refund.contract';
import { AFTER_SALE_WORKFLOW, AfterSaleWorkflow } from '../../workflows/after-sale.contract';
import { SUPPORT_OVERDUE_WORKFLOW, SupportOverdueWorkflow } from '../../workflows/support-overdue.contract';
import { PROVIDER_GATE_WORKFLOW, ProviderGateWorkflow } from '../../workflows/provider-gate.contract';
import { WEBHOOK_ENDPOINT_WORKFLOW, WebhookEndpointWorkflow } from '../../workflows/webhook-endpoint.contract';
import type { WorkflowRef } from '../../workflows/workflow-ref';

// Compile-time: each implementation has its contract's signature (a mismatch fails the type check).
const implementations: { [K in keyof typeof workflows]: unknown } = workflows;
const signatures: [OrderWorkflow, CancellationWorkflow, RefundWorkflow, LatePaymentWorkflow, GroupBuyWorkflow, SweepWorkflow, SweepWorkflow, ComplaintWorkflow, ReconciliationWorkflow, GoodwillRefundWorkflow, AfterSaleWorkflow, SupportOverdueWorkflow, ProviderGateWorkflow, WebhookEndpointWorkflow] = [
  workflows.orderWorkflow,
  workflows.cancellationWorkflow,
  workflows.refundWorkflow,
  workflows.latePaymentWorkflow,
  workflows.groupBuyWorkflow,
  workflows.orderStatusSweepWorkflow,
  workflows.refundStatusCheckWorkflow,
  workflows.complaintWorkflow,
  workflows.reconciliationWorkflow,
  workflows.goodwillRefundWorkflow,
  workflows.afterSaleWorkflow,
  workflows.supportOverdueWorkflow,
  workflows.providerGateWorkflow,
  workflows.webhookEndpointWorkflow,
];

describe('workflow contracts', () => {
  const refs: [WorkflowRef<any>, unknown][] = [
    [ORDER_WORKFLOW, workflows.orderWorkflow],
    [CANCELLATION_WORKFLOW, workflows.cancellationWorkflow],
    [REFUND_WORKFLOW, workflows.refundWorkflow],
    [LATE_PAYMENT_WORKFLOW, workflows.latePaymentWorkflow],
    [GROUP_BUY_WORKFLOW, workflows.groupBuyWorkflow],
    [ORDER_STATUS_SWEEP_WORKFLOW, workflows.orderStatusSweepWorkflow],
    [REFUND_STATUS_CHECK_WORKFLOW, workflows.refundStatusCheckWorkflow],
    [COMPLAINT_WORKFLOW, workflows.complaintWorkflow],
    [RECONCILIATION_WORKFLOW, workflows.reconciliationWorkflow],
    [GOODWILL_REFUND_WORKFLOW, workflows.goodwillRefundWorkflow],
    [AFTER_SALE_WORKFLOW, workflows.afterSaleWorkflow],
    [SUPPORT_OVERDUE_WORKFLOW, workflows.supportOverdueWorkflow],
    [PROVIDER_GATE_WORKFLOW, workflows.providerGateWorkflow],
    [WEBHOOK_ENDPOINT_WORKFLOW, workflows.webhookEndpointWorkflow],
  ];

  it.each(refs.map(([ref, impl]) => [ref.workflowType, impl] as const))('%s names a workflow the bundle registers', (workflowType, impl) => {
    expect((implementations as Record<string, unknown>)[workflowType]).toBe(impl);
    expect((impl as { name: string }).name).toBe(workflowType);
  });

  it('covers every workflow the bundle registers', () => {
    expect(refs.map(([ref]) => ref.workflowType).sort()).toEqual(Object.keys(workflows).sort());
    expect(signatures).toHaveLength(14);
  });

  it('keeps the after-sale Updates under the names the after-sale workflow sends (AFTERSALE-INTERFACE)', () => {
    expect([openAfterSaleUpdate.name, closeAfterSaleUpdate.name]).toEqual(['openAfterSale', 'closeAfterSale']);
  });

  it('builds a replacement order\'s workflow input with the one builder: free, REPLACEMENT flow', () => {
    const runtime = { orderSettings: { cancelOrderMs: 1, rogOrderMs: 2, completeOrderMs: 3, completeOrderPayMs: 4, serviceExpiredMs: 5, commentOrderMs: 6, complainExpiredMs: 7 }, latePaymentWindowMs: 8, refundPollScheduleMs: [9] };
    const input = buildOrderWorkflowInput({ orderSn: 'O2', sellerId: 42, buyerId: 7, flow: 'REPLACEMENT', orderFen: 0, createdAt: new Date('2026-11-30T00:00:00Z') }, runtime);
    expect(input).toMatchObject({ flow: 'REPLACEMENT', orderFen: 0 });
    expect(input.resume).toBeUndefined();
  });

  it('builds the order workflow input the same way for a new order and a resumed one', () => {
    const runtime = { orderSettings: { cancelOrderMs: 1, rogOrderMs: 2, completeOrderMs: 3, completeOrderPayMs: 4, serviceExpiredMs: 5, commentOrderMs: 6, complainExpiredMs: 7 }, latePaymentWindowMs: 8, refundPollScheduleMs: [9] };
    const order = { orderSn: 'O1', sellerId: 42, buyerId: 7, flow: 'ONLINE' as const, orderFen: 12900, createdAt: new Date('2026-11-30T00:00:00Z') };
    const fresh = buildOrderWorkflowInput(order, runtime);
    expect(fresh).toEqual({ orderSn: 'O1', sellerId: '42', buyerId: '7', flow: 'ONLINE', orderFen: 12900, createdAtIso: '2026-11-30T00:00:00.000Z', settings: runtime.orderSettings, latePaymentWindowMs: 8, refundPollScheduleMs: [9] });
    const resume = { status: 'SHIPPED' as const, sinceIso: '2026-11-30T01:00:00.000Z', paidFen: 12900 };
    expect(buildOrderWorkflowInput({ ...order, groupId: null }, runtime, resume)).toEqual({ ...fresh, resume });
  });
});
