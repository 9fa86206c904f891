import { ageBucket, escalationKey, isOverdue, resolutionOf, workflowOfItem } from '../../../domain/support-work';
import { entryOfEvent, inTimeOrder, isLogOnlyStep, moneyOfEvent } from '../../../domain/support-timeline';

describe('support work rules', () => {
  it('buckets an age against its service level', () => {
    expect([ageBucket(1000, 1000), ageBucket(1001, 1000), ageBucket(2001, 1000)]).toEqual(['within', 'overdue', 'overdue_2x']);
    expect(isOverdue({ kind: 'PARKED_REFUND', ageMs: 11 }, { PARKED_REFUND: 10 } as never)).toBe(true);
  });

  it('names the workflow, the resolving endpoint and the unique escalation key of an item', () => {
    expect(workflowOfItem({ kind: 'PARKED_REFUND', id: 'R1', orderSn: 'O1' })).toBe('refund-R1');
    expect(workflowOfItem({ kind: 'RECONCILIATION_CASE', id: '7', orderSn: null })).toBeNull();
    expect(workflowOfItem({ kind: 'LATE_PAYMENT', id: 'P1', orderSn: 'O1' })).toBe('order-O1');
    expect(resolutionOf({ kind: 'COMPLAINT_ARBITRATION', id: '3', orderSn: 'O1' }).path).toBe('/support/complaints/3/arbitration');
    expect(escalationKey({ kind: 'MANUAL_AFTER_SALE', id: 'S1' })).toBe('support-escalation:MANUAL_AFTER_SALE:S1');
  });
});

describe('support timeline rules', () => {
  it('keeps only the log rows no business event records', () => {
    expect(['support-escalation:PARKED_REFUND:R1', 'late-payment-unconfirmed:P1:T1', 'after-sale:S1:overdue:2026-12-07', 'refund:R1:reissue'].every(isLogOnlyStep)).toBe(true);
    expect(['refund:R1:created', 'refund:R1:SUCCESS', 'complaint:1:filed', 'stock:RESTORE', 'PAY:CONFIRM->PAID_OFF'].some(isLogOnlyStep)).toBe(false);
  });

  it('reads money from the payload in integer fen', () => {
    expect(moneyOfEvent('refund.succeeded', { refundFen: 1000 })).toBe(1000);
    expect(moneyOfEvent('order.paid', { payment: { amountFen: 10500 } })).toBe(10500);
    expect(moneyOfEvent('order.shipped', {})).toBeNull();
  });

  it('orders by time, events in their sequence within a millisecond', () => {
    const at = new Date('2026-12-07T00:00:00.000Z');
    const a = entryOfEvent({ eventId: 'a', eventType: 'order.paid', entityType: 'order', entityId: 'O1', payload: { actor: { role: 'PAYMENT_CALLBACK', id: null }, from: 'CONFIRM', to: 'PAID_OFF' }, occurredAt: at });
    const b = entryOfEvent({ eventId: 'b', eventType: 'payment.paid', entityType: 'payment', entityId: 'P1', payload: { actor: { role: 'PAYMENT_CALLBACK', id: null } }, occurredAt: at });
    const early = { ...b, key: 'c', at: '2026-12-06T23:59:59.999Z' };
    expect(inTimeOrder([a, b, early]).map((e) => e.key)).toEqual(['c', 'a', 'b']);
    expect(a.what).toContain('(CONFIRM → PAID_OFF)');
  });
});
