/**
 * The `payment` row's status: one payment attempt at one provider. Written by the payment path
 * (CREATED → PAID, or CLOSED) and by the refund outcome (activities/refunds.ts), which derives the
 * refunded states from the provider-confirmed refunds of that payment.
 */
export const PaymentStatus = {
  /** Started at the provider (QR code / cashier form), not paid. */
  CREATED: 'CREATED',
  /** Closed unpaid (cancelled order, expired). */
  CLOSED: 'CLOSED',
  PAID: 'PAID',
  /** Paid, and some but not all of it went back through the provider (Σ successful refunds < amount). */
  PARTIALLY_REFUNDED: 'PARTIALLY_REFUNDED',
  /** Paid, and all of it went back through the provider (Σ successful refunds = amount). */
  REFUNDED: 'REFUNDED',
} as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

/** Statuses of a payment whose money arrived (a later refund keeps the payment real). */
export const CAPTURED_PAYMENT_STATUSES: readonly PaymentStatus[] = [PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED];

/**
 * A captured payment's status from what its provider refunds returned. Refunds support paid offline
 * do not count: that money did not leave through this payment, and the provider's bill still shows
 * the payment as it was.
 */
export function paymentStatusAfterRefunds(amountFen: number, refundedFen: number): PaymentStatus {
  if (refundedFen <= 0) return PaymentStatus.PAID;
  return refundedFen >= amountFen ? PaymentStatus.REFUNDED : PaymentStatus.PARTIALLY_REFUNDED;
}
