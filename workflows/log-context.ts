/**
 * Workflow interceptor: every line a workflow logs (its own `log.*` and the SDK's lifecycle lines)
 * carries the order number from the workflow's OrderSn search attribute, so the refund-{refundSn}
 * and late-payment-{outTradeNo} workflows of an order are found by its number like the order's own.
 * Its activities get the number in an `orderSn` header, which the worker's activity interceptor adds
 * to their log lines. Reads only workflowInfo(); headers are not replayed: no effect on determinism.
 */
import { defaultPayloadConverter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { updateInHistoryFirst } from './update-durability';

export const ORDER_SN_HEADER = 'orderSn';

function orderSnOfThisWorkflow(): string | undefined {
  const value = workflowInfo().typedSearchAttributes.getAll().find((pair) => pair.key.name === 'OrderSn')?.value;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Called once per workflow (the SDK builds a workflow's interceptors when it creates it). OrderSn is
 * given at start and never upserted, so it is read once, on first use, with its header payload: every
 * log line and every activity used to search the attributes and convert the number again.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let number: { orderSn?: string; header?: ReturnType<typeof defaultPayloadConverter.toPayload> } | undefined;
  const ofThisWorkflow = () => {
    if (!number) {
      const orderSn = orderSnOfThisWorkflow();
      number = orderSn ? { orderSn, header: defaultPayloadConverter.toPayload(orderSn) } : {};
    }
    return number;
  };
  return {
    // Part of every bundle through this module (apps/worker/workflow-bundle.ts): see update-durability.ts.
    inbound: [updateInHistoryFirst],
    outbound: [
      {
        getLogAttributes(input, next) {
          const { orderSn } = ofThisWorkflow();
          return next(orderSn && input.orderSn === undefined ? { ...input, orderSn } : input);
        },
        scheduleActivity(input, next) {
          const { header } = ofThisWorkflow();
          return next(header ? { ...input, headers: { ...input.headers, [ORDER_SN_HEADER]: header } } : input);
        },
        // The database steps are local activities: they carry the number the same way.
        scheduleLocalActivity(input, next) {
          const { header } = ofThisWorkflow();
          return next(header ? { ...input, headers: { ...input.headers, [ORDER_SN_HEADER]: header } } : input);
        },
      },
    ],
  };
};
