/**
 * What one provider query about an unpaid payment found (the order workflow's payment watch,
 * order-payment-watch.ts, and the activity that asks, activities/payment-watch.ts). Pure.
 */

/** What one query found. `waiting`: ask again later; anything else ends the watch. */
export type PaymentCheckOutcome = 'waiting' | 'paid' | 'closed' | 'order-moved-on' | 'rejected';

export interface PaymentCheck {
  outcome: PaymentCheckOutcome;
  detail?: string;
}
