import { assertFen, fenToYuanString, formatFen, yuanStringToFen } from '../../../domain';

describe('fen to yuan', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [12900, '129.00'],
    [12950, '129.50'],
    [12345678, '123456.78'],
    [Number.MAX_SAFE_INTEGER, '90071992547409.91'],
  ])('%d fen → "%s"', (fen, yuan) => {
    expect(fenToYuanString(fen)).toBe(yuan);
    expect(formatFen(fen)).toBe(yuan);
  });

  it.each([-1, 1.5, 0.1, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1])('refuses %p', (fen) => {
    expect(() => fenToYuanString(fen)).toThrow(RangeError);
    expect(() => formatFen(fen)).toThrow(RangeError);
  });
});

describe('yuan string to fen', () => {
  it.each([
    ['0', 0],
    ['0.0', 0],
    ['0.00', 0],
    ['0.01', 1],
    ['0.1', 10],
    ['0.10', 10],
    ['1', 100],
    ['129', 12900],
    ['129.5', 12950],
    ['129.50', 12950],
    ['129.05', 12905],
    ['0.29', 29], // 0.29 * 100 is 28.999999999999996 in floating point
    ['1.15', 115], // 1.15 * 100 is 114.99999999999999
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('"%s" → %d fen', (yuan, fen) => {
    expect(yuanStringToFen(yuan)).toBe(fen);
  });

  it('round-trips with fenToYuanString', () => {
    for (const fen of [0, 1, 9, 10, 11, 99, 100, 101, 12950, 4294967297, 123456789012]) {
      expect(yuanStringToFen(fenToYuanString(fen))).toBe(fen);
    }
  });

  it.each([
    '',
    ' ',
    '1.234',
    '0.001',
    '-1',
    '-0.01',
    '+1',
    'NaN',
    'Infinity',
    '1e3',
    '0x10',
    '1.',
    '.5',
    '1,000.00',
    ' 1.00',
    '1.00 ',
    '01',
    '00.50',
    '１２', // full-width digits
    '90071992547409.92',
    '99999999999999999999',
  ])('refuses %p', (yuan) => {
    expect(() => yuanStringToFen(yuan)).toThrow(RangeError);
  });

  it('refuses non-strings with a TypeError', () => {
    expect(() => yuanStringToFen(129.5 as unknown as string)).toThrow(TypeError);
    expect(() => yuanStringToFen(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('assertFen', () => {
  it('accepts safe non-negative integers', () => {
    for (const fen of [0, 1, 12900, Number.MAX_SAFE_INTEGER]) expect(() => assertFen(fen)).not.toThrow();
  });

  it.each([-1, 0.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1, '100', null, undefined, 10n])('refuses %p', (value) => {
    expect(() => assertFen(value)).toThrow(RangeError);
  });

  it('names the amount in the message', () => {
    expect(() => assertFen(-5, 'refund_price')).toThrow('refund_price must be a non-negative whole number of fen, got -5');
  });
});
