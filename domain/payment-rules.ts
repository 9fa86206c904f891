import { OrderStatus, PayStatus } from './enums';

/**
 * An order still waiting for its online payment: confirmed (or about to be), and nothing paid. Only
 * then may a payment be started, and only then is it worth asking the provider whether it was paid.
 */
export function isAwaitingPayment(orderStatus: string, payStatus: string): boolean {
  return payStatus === PayStatus.PAY_NO && (orderStatus === OrderStatus.NEW || orderStatus === OrderStatus.CONFIRM);
}

/**
 * When to ask the provider next about an unpaid payment: the `attempt`-th delay of the schedule (its
 * last delay repeats), but never past the payment's expiry, where one last query catches a payment
 * made in its final moments. Undefined once the expiry has passed.
 */
export function nextPaymentQueryDelay(scheduleMs: readonly number[], attempt: number, nowMs: number, expiresAtMs: number): { delayMs: number; last: boolean } | undefined {
  const remaining = expiresAtMs - nowMs;
  if (remaining < 0 || scheduleMs.length === 0) return undefined;
  const delayMs = scheduleMs[Math.min(attempt, scheduleMs.length - 1)];
  return delayMs >= remaining ? { delayMs: remaining, last: true } : { delayMs, last: false };
}
