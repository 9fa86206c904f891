import { FlowType, ORDER_WINDOW_RULES, OrderStatus, ServiceStatus, afterSaleApplyRefusal, afterSaleWindowClosesAtMs, orderServiceStatusWithAfterSales, timerRuleFor, windowClosesAtMs } from '../../../domain';

/**
 * Which orders may take an after-sale application, written out by hand from issue 10 point 2 and
 * the deliberate choices in domain/after-sale-window.ts (COD only once paid, replacements never).
 */
const ALLOWED = new Set([
  'ONLINE SHIPPED', 'ONLINE ROG', 'ONLINE COMPLETE',
  'PINTUAN SHIPPED', 'PINTUAN ROG', 'PINTUAN COMPLETE',
  'COD PAID_OFF', 'COD COMPLETE',
]);

const DAY = 86_400_000;
const settings = { serviceExpiredMs: 30 * DAY };
const completedAtMs = Date.UTC(2026, 10, 1, 4, 0, 0);

describe('afterSaleApplyRefusal', () => {
  const cases: [FlowType, OrderStatus][] = [];
  for (const flow of Object.values(FlowType)) for (const status of Object.values(OrderStatus)) cases.push([flow, status]);

  it.each(cases)('%s %s', (flow, status) => {
    const refusal = afterSaleApplyRefusal({ flow, status, serviceStatus: ServiceStatus.EXPIRED, completedAtMs, settings, nowMs: completedAtMs + DAY });
    if (ALLOWED.has(`${flow} ${status}`)) expect(refusal).toBeUndefined();
    else expect(refusal).toEqual(expect.any(String));
  });

  it('tells the buyer of an unshipped order to cancel instead', () => {
    expect(afterSaleApplyRefusal({ flow: FlowType.ONLINE, status: OrderStatus.PAID_OFF, settings, nowMs: 0 })).toMatch(/not shipped yet, cancel the order/);
  });

  it('closes the window service_expired_day after completion, to the millisecond', () => {
    const at = (nowMs: number) => afterSaleApplyRefusal({ flow: FlowType.ONLINE, status: OrderStatus.COMPLETE, completedAtMs, settings, nowMs });
    expect(afterSaleWindowClosesAtMs(completedAtMs, settings)).toBe(completedAtMs + 30 * DAY);
    expect(at(completedAtMs + 30 * DAY - 1)).toBeUndefined();
    expect(at(completedAtMs + 30 * DAY)).toBe('the after-sale window closed on 2026-12-01 (China time; service_expired_day after completion)');
  });

  it('needs the completion time of a complete order', () => {
    expect(afterSaleApplyRefusal({ flow: FlowType.ONLINE, status: OrderStatus.COMPLETE, settings, nowMs: 0 })).toMatch(/completion time is unknown/);
  });

  it('refuses an order being cancelled, and replacements', () => {
    expect(afterSaleApplyRefusal({ flow: FlowType.ONLINE, status: OrderStatus.ROG, serviceStatus: ServiceStatus.PASS, settings, nowMs: 0 })).toMatch(/cancelled/);
    expect(afterSaleApplyRefusal({ flow: FlowType.REPLACEMENT, status: OrderStatus.ROG, settings, nowMs: 0 })).toMatch(/replacement order/);
    expect(afterSaleApplyRefusal({ flow: FlowType.COD, status: OrderStatus.ROG, settings, nowMs: 0 })).toMatch(/once the cash was collected/);
    expect(afterSaleApplyRefusal({ flow: 'BARTER' as FlowType, status: OrderStatus.ROG, settings, nowMs: 0 })).toBe('unknown order flow "BARTER"');
  });
});

describe('timer rules per flow', () => {
  const expected: Record<FlowType, Partial<Record<OrderStatus, string>>> = {
    ONLINE: { NEW: 'cancel:NEW', CONFIRM: 'cancel:CONFIRM', SHIPPED: 'rog:SHIPPED', ROG: 'complete:ROG' },
    PINTUAN: { NEW: 'cancel:NEW', CONFIRM: 'cancel:CONFIRM', SHIPPED: 'rog:SHIPPED', ROG: 'complete:ROG' },
    COD: { SHIPPED: 'rog:SHIPPED', ROG: 'pay:ROG', PAID_OFF: 'complete:PAID_OFF' },
    // Free replacements are never cancelled for not paying.
    REPLACEMENT: { SHIPPED: 'rog:SHIPPED', ROG: 'complete:ROG' },
  };
  it.each(Object.values(FlowType))('%s', (flow) => {
    for (const status of Object.values(OrderStatus)) expect(timerRuleFor(flow, status)?.key).toBe(expected[flow][status]);
  });
});

describe('the order-level service status during after-sales', () => {
  it('is APPLY while one is open, whatever the delivery status', () => {
    for (const status of [OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.COMPLETE]) {
      expect(orderServiceStatusWithAfterSales({ flow: FlowType.ONLINE, status, openAfterSales: 2 })).toBe('APPLY');
    }
  });
  it('goes back to EXPIRED once received (the whole-order cancel window closed at receipt), NOT_APPLY before', () => {
    expect(orderServiceStatusWithAfterSales({ flow: FlowType.ONLINE, status: OrderStatus.SHIPPED, openAfterSales: 0 })).toBe('NOT_APPLY');
    expect(orderServiceStatusWithAfterSales({ flow: FlowType.ONLINE, status: OrderStatus.ROG, openAfterSales: 0 })).toBe('EXPIRED');
    expect(orderServiceStatusWithAfterSales({ flow: FlowType.PINTUAN, status: OrderStatus.COMPLETE, openAfterSales: 0 })).toBe('EXPIRED');
    expect(orderServiceStatusWithAfterSales({ flow: FlowType.COD, status: OrderStatus.PAID_OFF, openAfterSales: 0 })).toBe('EXPIRED');
  });
});

describe('window rules', () => {
  const settings = { cancelOrderMs: 1, rogOrderMs: 2, completeOrderMs: 3, completeOrderPayMs: 4, serviceExpiredMs: 5 * DAY, commentOrderMs: 15 * DAY, complainExpiredMs: 30 * DAY };
  it('close comment from shipping (completion if unknown), complaint and after-sale from completion', () => {
    const clocks = { completedAtMs: 100 * DAY, shippedAtMs: 90 * DAY };
    expect(ORDER_WINDOW_RULES.map((rule) => [rule.window, windowClosesAtMs(rule, settings, clocks) / DAY])).toEqual([['comment', 105], ['complaint', 130], ['after-sale', 105]]);
    expect(windowClosesAtMs(ORDER_WINDOW_RULES[0], settings, { completedAtMs: 100 * DAY }) / DAY).toBe(115);
  });
});
