import { fenToYuan, yuanToFen } from '../../payments/money';
import { normaliseFundChange } from '../../payments/alipay/client';

describe('fen <-> yuan', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [101, '1.01'],
    [12345, '123.45'],
    [10_000_000_000, '100000000.00'],
  ])('%d fen is %s yuan and back', (fen, yuan) => {
    expect(fenToYuan(fen)).toBe(yuan);
    expect(yuanToFen(yuan)).toBe(fen);
  });

  it.each([
    ['1', 100],
    ['1.5', 150],
    ['0.1', 10],
    ['0.07', 7],
    ['19.9', 1990],
    [' 2.30 ', 230],
  ])('accepts %j as %d fen', (yuan, fen) => {
    expect(yuanToFen(yuan)).toBe(fen);
  });

  it('never goes through floating point: 0.29 yuan is 29 fen (0.29*100 = 28.999999999999996)', () => {
    expect(0.29 * 100).not.toBe(29);
    expect(yuanToFen('0.29')).toBe(29);
    expect(yuanToFen('1.13')).toBe(113);
    expect(fenToYuan(29)).toBe('0.29');
  });

  it.each(['', '.5', '1.', '1.234', '-1.00', '1e2', 'abc', '01.00', '1,00', 'NaN', '99999999999999999.00'])('rejects %j', (bad) => {
    expect(() => yuanToFen(bad)).toThrow(RangeError);
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])('refuses to format %p fen', (bad) => {
    expect(() => fenToYuan(bad)).toThrow(RangeError);
  });
});

describe('Alipay fund_change rule', () => {
  it("only 'Y' means the money moved", () => {
    expect(normaliseFundChange('Y')).toBe('SUCCESS');
    expect(normaliseFundChange('N')).toBe('PROCESSING');
    expect(normaliseFundChange(undefined)).toBe('PROCESSING');
    expect(normaliseFundChange('y')).toBe('PROCESSING');
    expect(normaliseFundChange('')).toBe('PROCESSING');
  });
});
