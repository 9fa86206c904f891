import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ORDER_SN_HEADER } from '../../workflows/log-context';
import { orderSnOfWorkflowId } from '../shared/logger';

/**
 * Adds the order number to every line an activity logs, beside the SDK's activityType / workflowId:
 * from the workflow id (order-{sn}, cancel-{sn}), else from the `orderSn` header the workflow
 * interceptor (workflows/log-context.ts) sets from its OrderSn search attribute (refund and
 * late-payment workflows), else from the input's orderSn. refundSn from the input is added too.
 * The SDK's own "Activity started" line is written before interceptors run, so only the first source
 * reaches it.
 */
export const activityLogContext: ActivityInterceptorsFactory = (ctx) => {
  const numbers: Record<string, string> = {};
  const fromWorkflowId = orderSnOfWorkflowId(ctx.info.workflowExecution?.workflowId);
  if (fromWorkflowId) numbers.orderSn = fromWorkflowId;
  return {
    inbound: {
      execute(input, next) {
        const header = input.headers[ORDER_SN_HEADER];
        const fromHeader = header ? defaultPayloadConverter.fromPayload<unknown>(header) : undefined;
        if (!numbers.orderSn && typeof fromHeader === 'string') numbers.orderSn = fromHeader;
        const first = input.args[0];
        if (first && typeof first === 'object') {
          const { orderSn, refundSn } = first as Record<string, unknown>;
          if (!numbers.orderSn && typeof orderSn === 'string') numbers.orderSn = orderSn;
          if (typeof refundSn === 'string') numbers.refundSn = refundSn;
        }
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next({ ...input, ...numbers });
      },
    },
  };
};
