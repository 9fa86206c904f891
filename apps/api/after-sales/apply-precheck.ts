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
  // service_status EXPIRED at receipt closes the whole-order cancellation, not the after-sale window.
  if (input.serviceStatus === ServiceStatus.PASS || input.serviceStatus === ServiceStatus.COMPLETE) return 'the order is cancelled (or being cancelled): its refund covers it';
  if (input.orderStatus === OrderStatus.COMPLETE && input.completedAtMs !== undefined && input.nowMs >= input.completedAtMs + input.serviceExpiredMs) {
    return 'the after-sale window of this order is closed (service_expired_day after completion)';
  }
  return undefined;
}
