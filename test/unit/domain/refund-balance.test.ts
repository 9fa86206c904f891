import fc from 'fast-check';
import { RefundBalance, allocateRefund, isRefundRefused, lineOfferFen, paymentRemainingFen } from '../../../domain';

const balance = (overrides: Partial<RefundBalance> = {}): RefundBalance => ({
  outTradeNo: 'P1',
  capturedFen: 15_800,
  committedFen: 0,
  lines: [
    { orderItemId: 1, skuId: 10, refundableFen: 5000 },
    { orderItemId: 2, skuId: 20, refundableFen: 10_000 },
  ],
  ...overrides,
});

describe('the one refundable balance', () => {
  it('a share of a trade payment: never more than the order\'s share, nor than the whole payment has left', () => {
    // The order's share is 15 800 of a 30 000 payment; other orders of the trade took 20 000 of it already.
    const share = balance({ payment: { capturedFen: 30_000, committedFen: 20_000 } });
    expect(paymentRemainingFen(share)).toBe(10_000);
    expect(allocateRefund(share, { refundFen: 10_001 })).toMatchObject({ code: 'RefundExceedsRemaining' });
    expect(allocateRefund(share, { everything: true })).toMatchObject({ refundFen: 10_000 });
    // With the rest of the payment untouched the order's own share is the bound.
    const own = balance({ committedFen: 5000, payment: { capturedFen: 30_000, committedFen: 5000 } });
    expect(paymentRemainingFen(own)).toBe(10_800);
    expect(allocateRefund(own, { refundFen: 10_801 })).toMatchObject({ code: 'RefundExceedsRemaining' });
  });

  it('takes everything that remains and every line to zero (a cancellation, shipping included)', () => {
    expect(allocateRefund(balance({ committedFen: 800, lines: [{ orderItemId: 1, skuId: 10, refundableFen: 4200 }, { orderItemId: 2, skuId: 20, refundableFen: 10_000 }] }), { everything: true })).toEqual({
      refundFen: 15_000,
      lines: [{ orderItemId: 1, refundFen: 4200 }, { orderItemId: 2, refundFen: 10_000 }],
    });
  });

  it('refuses a line refund past what remains on the line, by id or by SKU', () => {
    const spent = balance({ committedFen: 5000, lines: [{ orderItemId: 1, skuId: 10, refundableFen: 0 }, { orderItemId: 2, skuId: 20, refundableFen: 10_000 }] });
    expect(allocateRefund(spent, { refundFen: 5000, lines: [{ skuId: 10, refundFen: 5000 }] })).toEqual({ code: 'RefundExceedsRemaining', message: 'a refund of 5000 fen exceeds the 0 fen that remain refundable on line 1' });
    expect(allocateRefund(spent, { refundFen: 1, lines: [{ orderItemId: 1, refundFen: 1 }] })).toMatchObject({ code: 'RefundExceedsRemaining' });
    expect(allocateRefund(spent, { refundFen: 3000, lines: [{ orderItemId: 2, refundFen: 3000 }] })).toEqual({ refundFen: 3000, lines: [{ orderItemId: 2, refundFen: 3000 }] });
  });

  it('a refund naming no line takes only from the payment remainder', () => {
    expect(allocateRefund(balance(), { refundFen: 15_800 })).toEqual({ refundFen: 15_800, lines: [] });
    expect(allocateRefund(balance(), { refundFen: 15_801 })).toMatchObject({ code: 'RefundExceedsRemaining', message: expect.stringMatching(/15800 fen that remain refundable on payment P1/) });
    expect(allocateRefund(balance({ committedFen: 15_800 }), { refundFen: 1 })).toMatchObject({ code: 'NothingToRefund' });
  });

  it('refuses malformed asks with a code: lines that do not add up, a line twice, an unknown line', () => {
    expect(allocateRefund(balance(), { refundFen: 100, lines: [{ orderItemId: 1, refundFen: 50 }] })).toMatchObject({ code: 'RefundLinesMismatch' });
    expect(allocateRefund(balance(), { refundFen: 100, lines: [{ orderItemId: 1, refundFen: 50 }, { orderItemId: 1, refundFen: 50 }] })).toMatchObject({ code: 'RefundLinesMismatch' });
    expect(allocateRefund(balance(), { refundFen: 100, lines: [{ orderItemId: 9, refundFen: 100 }] })).toMatchObject({ code: 'RefundLineUnknown' });
    expect(allocateRefund(balance(), { refundFen: 0 })).toMatchObject({ code: 'RefundLinesMismatch' });
    expect(allocateRefund(balance(), { refundFen: 1.5 })).toMatchObject({ code: 'RefundLinesMismatch' });
  });

  it('offers a line what remains on it, within what remains on the payment (goodwill may have taken some)', () => {
    expect(lineOfferFen(balance(), { skuId: 10 })).toBe(5000);
    expect(lineOfferFen(balance({ committedFen: 12_000 }), { skuId: 10 })).toBe(3800);
    expect(lineOfferFen(balance(), { orderItemId: 7 })).toBe(0);
  });

  it('whatever the sequence of asks, no line and no payment ever goes past what was paid', () => {
    const ask = fc.oneof(
      fc.record({ kind: fc.constant('line' as const), line: fc.constantFrom(1, 2), fen: fc.integer({ min: -10, max: 12_000 }) }),
      fc.record({ kind: fc.constant('order' as const), fen: fc.integer({ min: 1, max: 16_000 }) }),
      fc.record({ kind: fc.constant('everything' as const) }),
    );
    fc.assert(
      fc.property(fc.array(ask, { maxLength: 12 }), (asks) => {
        let state = balance();
        const paid = new Map(state.lines.map((l) => [l.orderItemId, l.refundableFen]));
        const taken = new Map<number, number>();
        for (const a of asks) {
          const result = allocateRefund(state, a.kind === 'everything' ? { everything: true } : a.kind === 'order' ? { refundFen: a.fen } : { refundFen: a.fen, lines: [{ orderItemId: a.line, refundFen: a.fen }] });
          if (isRefundRefused(result)) continue;
          state = {
            ...state,
            committedFen: state.committedFen + result.refundFen,
            lines: state.lines.map((l) => ({ ...l, refundableFen: l.refundableFen - (result.lines.find((x) => x.orderItemId === l.orderItemId)?.refundFen ?? 0) })),
          };
          for (const line of result.lines) taken.set(line.orderItemId, (taken.get(line.orderItemId) ?? 0) + line.refundFen);
        }
        expect(state.committedFen).toBeLessThanOrEqual(state.capturedFen);
        expect(paymentRemainingFen(state)).toBeGreaterThanOrEqual(0);
        for (const [id, fen] of taken) expect(fen).toBeLessThanOrEqual(paid.get(id)!);
        for (const line of state.lines) expect(line.refundableFen).toBeGreaterThanOrEqual(0);
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });
});
