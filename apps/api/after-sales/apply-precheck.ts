import { OrderStatus, ServiceStatus } from '../../../domain';

/**
 * The API's fast pre-check of an application against the order row, before anything is recorded.
 * The order workflow's openAfterSale validator is the authority (it answers from its own state).
 */
export function afterSaleApplyPrecheck(input: { orderStatus: string; serviceStatus: string; completedAtMs?: number; serviceExpiredMs: number; nowMs: number }): string | undefined {
  const afterShipping: string[] = [OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.COMPLETE, OrderStatus.AFTER_SERVICE];
  if (!afterShipping.includes(input.orderStatus)) {
    return input.orderStatus === OrderStatus.CANCELLED
      ? 'the order is cancelled'
      : `the order is ${input.orderStatus} and has not shipped: cancel it instead (POST /orders/{orderSn}/cancellations)`;
  }
  if (input.serviceStatus === ServiceStatus.EXPIRED) return 'the after-sale window of this order is closed';
  if (input.orderStatus === OrderStatus.COMPLETE && input.completedAtMs !== undefined && input.nowMs >= input.completedAtMs + input.serviceExpiredMs) {
    return 'the after-sale window of this order is closed (service_expired_day after completion)';
  }
  return undefined;
}
