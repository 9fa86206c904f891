import { OrderStatus, PayStatus, isAwaitingPayment, isSupersededTradeAttempt, nextPaymentQueryDelay } from '../../../domain';

describe('payment rules', () => {
  it('only a new or confirmed, unpaid order awaits its payment', () => {
    expect(isAwaitingPayment(OrderStatus.NEW, PayStatus.PAY_NO)).toBe(true);
    expect(isAwaitingPayment(OrderStatus.CONFIRM, PayStatus.PAY_NO)).toBe(true);
    expect(isAwaitingPayment(OrderStatus.CONFIRM, PayStatus.PAY_YES)).toBe(false);
    expect(isAwaitingPayment(OrderStatus.PAID_OFF, PayStatus.PAY_YES)).toBe(false);
    expect(isAwaitingPayment(OrderStatus.CANCELLED, PayStatus.PAY_NO)).toBe(false);
  });

  it('asks the provider on the schedule, repeating its last delay, and once more at the expiry', () => {
    const schedule = [10_000, 30_000, 60_000];
    const expiry = 1_000_000;
    expect(nextPaymentQueryDelay(schedule, 0, 0, expiry)).toEqual({ delayMs: 10_000, last: false });
    expect(nextPaymentQueryDelay(schedule, 1, 10_000, expiry)).toEqual({ delayMs: 30_000, last: false });
    expect(nextPaymentQueryDelay(schedule, 7, 100_000, expiry)).toEqual({ delayMs: 60_000, last: false });
    // The next delay would pass the expiry: wait only until it, and that is the last query.
    expect(nextPaymentQueryDelay(schedule, 7, 980_000, expiry)).toEqual({ delayMs: 20_000, last: true });
    expect(nextPaymentQueryDelay(schedule, 7, expiry, expiry)).toEqual({ delayMs: 0, last: true });
    expect(nextPaymentQueryDelay(schedule, 7, expiry + 1, expiry)).toBeUndefined();
  });

  it('a trade payment attempt is superseded once any order it pays for no longer awaits payment', () => {
    expect(isSupersededTradeAttempt(['O1', 'O2'], new Set(['O1', 'O2']))).toBe(false);
    expect(isSupersededTradeAttempt(['O2'], new Set(['O2']))).toBe(false);
    // O1 was paid on its own (or cancelled): the attempt for both would take its money twice.
    expect(isSupersededTradeAttempt(['O1', 'O2'], new Set(['O2']))).toBe(true);
    expect(isSupersededTradeAttempt(['O1', 'O2'], new Set())).toBe(true);
  });
});
