import { DifferenceKind, chinaDateOf, chinaDayWindow, compareBillEntry, isBillDate, previousChinaDay } from '../../../domain';

describe('reconciliation rules', () => {
  it('China days: the integer calendar agrees with the platform calendar across eras, leap days and midnights', () => {
    const checks = [Date.UTC(1999, 11, 31, 15, 59, 59, 999), Date.UTC(1999, 11, 31, 16), Date.UTC(2024, 1, 28, 16), Date.UTC(2100, 1, 28, 16), Date.UTC(2026, 10, 30, 16)];
    for (let i = 0; i < 2000; i++) checks.push(Date.UTC(1970, 0, 1) + Math.floor(Math.random() * 200 * 365 * 86_400_000));
    for (const ms of checks) {
      const expected = new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
      expect(chinaDateOf(ms)).toBe(expected);
      const { startMs, endMs } = chinaDayWindow(expected);
      expect(startMs).toBe(Date.parse(`${expected}T00:00:00+08:00`));
      expect(endMs - startMs).toBe(86_400_000);
      expect(ms >= startMs && ms < endMs).toBe(true);
    }
    expect(previousChinaDay(Date.parse('2026-12-01T10:00:00+08:00'))).toBe('2026-11-30');
    expect(previousChinaDay(Date.parse('2026-12-01T00:00:00+08:00'))).toBe('2026-11-30');
  });

  it('only real calendar dates are bill dates', () => {
    for (const ok of ['2026-11-30', '2024-02-29', '2000-02-29', '1999-12-31']) expect(isBillDate(ok)).toBe(true);
    for (const bad of ['2026-02-29', '2100-02-29', '2026-13-01', '2026-11-31', '2026-1-1', '20261130', '', null, 20261130]) expect(isBillDate(bad)).toBe(false);
    expect(() => chinaDayWindow('2026-02-30')).toThrow(RangeError);
  });

  it('a bill row against our record', () => {
    expect(compareBillEntry('PAYMENT', 100, { status: 'PAID', amountFen: 100 })).toBeUndefined();
    expect(compareBillEntry('PAYMENT', 100, { status: 'REFUNDED', amountFen: 100 })).toBeUndefined();
    expect(compareBillEntry('PAYMENT', 100, { status: 'PARTIALLY_REFUNDED', amountFen: 100 })).toBeUndefined();
    expect(compareBillEntry('PAYMENT', 100, undefined)).toBe(DifferenceKind.STRANDED_PAYMENT);
    expect(compareBillEntry('PAYMENT', 100, { status: 'CREATED', amountFen: 100 })).toBe(DifferenceKind.STRANDED_PAYMENT);
    expect(compareBillEntry('PAYMENT', 100, { status: 'CLOSED', amountFen: 100 })).toBe(DifferenceKind.STRANDED_PAYMENT);
    expect(compareBillEntry('PAYMENT', 101, { status: 'PAID', amountFen: 100 })).toBe(DifferenceKind.AMOUNT_MISMATCH);
    expect(compareBillEntry('REFUND', 50, { status: 'SUCCESS', amountFen: 50 })).toBeUndefined();
    expect(compareBillEntry('REFUND', 50, { status: 'PROCESSING', amountFen: 50 })).toBe(DifferenceKind.REFUND_NOT_RECORDED);
    expect(compareBillEntry('REFUND', 50, undefined)).toBe(DifferenceKind.REFUND_NOT_RECORDED);
    expect(compareBillEntry('REFUND', 49, { status: 'SUCCESS', amountFen: 50 })).toBe(DifferenceKind.AMOUNT_MISMATCH);
  });
});
