import {
  Actor,
  AfterSaleAction,
  AfterSaleStatus,
  ServiceType,
  checkAfterSaleAction,
  planAfterSaleLines,
  readAfterSaleSettings,
  receiptComplete,
  receiptRefusal,
  splitRefundOverLines,
  unitsShareFen,
} from '../../../domain';

describe('after-sale rules', () => {
  const line = { orderItemId: 1, skuId: 10, name: 'Cup', num: 3, paidFen: 1000, refundableFen: 1000, takenNum: 0 };

  it('spreads a line over its units so that every split adds up to what was paid', () => {
    expect([unitsShareFen(1000, 3, 0, 1), unitsShareFen(1000, 3, 1, 1), unitsShareFen(1000, 3, 2, 1)]).toEqual([333, 333, 334]);
    expect(unitsShareFen(1000, 3, 0, 1) + unitsShareFen(1000, 3, 1, 2)).toBe(1000);
    expect(unitsShareFen(7, 7, 0, 7)).toBe(7);
  });

  it('plans lines and refuses unknown lines, duplicates and quantities above what remains', () => {
    expect(planAfterSaleLines([line], [{ orderItemId: 1, num: 2 }])).toEqual({ plan: [{ orderItemId: 1, skuId: 10, name: 'Cup', num: 2, amountFen: 666 }] });
    expect(planAfterSaleLines([{ ...line, takenNum: 2 }], [{ orderItemId: 1, num: 2 }])).toEqual({ refusal: expect.stringMatching(/has 1 of 3 units left/), code: 'AFTER_SALE_LINES_INVALID' });
    expect(planAfterSaleLines([line], [{ orderItemId: 2, num: 1 }])).toEqual({ refusal: 'the order has no line 2', code: 'LINE_NOT_YOURS' });
    expect(planAfterSaleLines([line], [{ orderItemId: 1, num: 1 }, { orderItemId: 1, num: 1 }])).toEqual({ refusal: 'line 1 is listed twice', code: 'AFTER_SALE_LINES_INVALID' });
    expect(planAfterSaleLines([line], [])).toEqual({ refusal: 'an after-sale needs at least one line', code: 'AFTER_SALE_LINES_INVALID' });
    // Capped by what remains refundable (a complaint's refund may have taken some).
    expect(planAfterSaleLines([{ ...line, refundableFen: 100 }], [{ orderItemId: 1, num: 3 }])).toMatchObject({ plan: [{ amountFen: 100 }] });
    // And by what remains on the payment (goodwill naming no line took some): later lines give way first.
    const other = { ...line, orderItemId: 2, skuId: 20 };
    expect(planAfterSaleLines([line, other], [{ orderItemId: 1, num: 3 }, { orderItemId: 2, num: 3 }], 1300)).toMatchObject({ plan: [{ amountFen: 1000 }, { amountFen: 300 }] });
  });

  it('splits an agreed refund over lines in order, exactly', () => {
    const lines = [{ orderItemId: 1, amountFen: 1000 }, { orderItemId: 2, amountFen: 500 }];
    expect(splitRefundOverLines(lines, 1500)).toEqual([{ orderItemId: 1, refundFen: 1000 }, { orderItemId: 2, refundFen: 500 }]);
    expect(splitRefundOverLines(lines, 1200)).toEqual([{ orderItemId: 1, refundFen: 1000 }, { orderItemId: 2, refundFen: 200 }]);
    expect(splitRefundOverLines(lines, 300)).toEqual([{ orderItemId: 1, refundFen: 300 }]);
    expect(splitRefundOverLines(lines, 1501)).toBeUndefined();
    expect(splitRefundOverLines(lines, 0)).toBeUndefined();
  });

  it('checks steps against the flow table by status, type and actor', () => {
    const check = (status: AfterSaleStatus, action: AfterSaleAction, actor: Actor, serviceType: ServiceType = ServiceType.RETURN_GOODS) => checkAfterSaleAction({ status, action, actor, serviceType });
    expect(check(AfterSaleStatus.APPLY, AfterSaleAction.AUDIT_PASS, Actor.SELLER)).toEqual({ allowed: true, to: AfterSaleStatus.PASS });
    expect(check(AfterSaleStatus.APPLY, AfterSaleAction.AUDIT_PASS, Actor.BUYER)).toMatchObject({ allowed: false });
    expect(check(AfterSaleStatus.APPLY, AfterSaleAction.SHIP_RETURN, Actor.BUYER)).toMatchObject({ allowed: false, reason: expect.stringMatching(/APPLY/) });
    expect(check(AfterSaleStatus.PASS, AfterSaleAction.SHIP_RETURN, Actor.BUYER, ServiceType.REFUND_ONLY)).toMatchObject({ allowed: false, reason: expect.stringMatching(/no SHIP_RETURN step/) });
    expect(check(AfterSaleStatus.FULL_COURIER, AfterSaleAction.WITHDRAW, Actor.BUYER)).toMatchObject({ allowed: false });
    expect(check(AfterSaleStatus.WAIT_FOR_MANUAL, AfterSaleAction.SUPPORT_REFUND, Actor.SUPPORT, ServiceType.CHANGE_GOODS)).toMatchObject({ allowed: false });
    expect(check(AfterSaleStatus.WAIT_FOR_MANUAL, AfterSaleAction.SUPPORT_CLOSE, Actor.SUPPORT, ServiceType.CHANGE_GOODS)).toEqual({ allowed: true, to: AfterSaleStatus.CLOSED });
  });

  it('checks receipts: no more than was sent; complete only when every unit came back', () => {
    const lines = [{ orderItemId: 1, num: 2 }];
    expect(receiptRefusal(lines, [{ orderItemId: 1, goodNum: 2, damagedNum: 1 }])).toMatch(/only 2 were sent back/);
    expect(receiptRefusal(lines, [{ orderItemId: 9, goodNum: 1, damagedNum: 0 }])).toMatch(/no line 9/);
    expect(receiptRefusal(lines, [{ orderItemId: 1, goodNum: 1, damagedNum: 1 }])).toBeUndefined();
    expect(receiptComplete(lines, [{ orderItemId: 1, goodNum: 1, damagedNum: 1 }])).toBe(true);
    expect(receiptComplete(lines, [{ orderItemId: 1, goodNum: 1, damagedNum: 0 }])).toBe(false);
  });

  it('reads the deadlines with their defaults and refuses bad values', () => {
    expect(readAfterSaleSettings(() => undefined)).toEqual({ sellerAuditMs: 48 * 3_600_000, buyerReturnMs: 7 * 86_400_000, sellerReceiptMs: 10 * 86_400_000 });
    expect(readAfterSaleSettings((name) => (name === 'AFTER_SALE_AUDIT_DEADLINE' ? '5s' : ''))).toMatchObject({ sellerAuditMs: 5000 });
    expect(() => readAfterSaleSettings((name) => (name === 'AFTER_SALE_RETURN_DEADLINE' ? 'soon' : undefined))).toThrow(/AFTER_SALE_RETURN_DEADLINE/);
  });
});
