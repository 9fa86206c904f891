import { normaliseFundChange } from '../../payments/alipay/client';

// Yuan <-> fen conversion is domain/money.ts, tested in test/unit/domain/money.test.ts.
describe('Alipay fund_change rule', () => {
  it("only 'Y' means the money moved", () => {
    expect(normaliseFundChange('Y')).toBe('SUCCESS');
    expect(normaliseFundChange('N')).toBe('PROCESSING');
    expect(normaliseFundChange(undefined)).toBe('PROCESSING');
    expect(normaliseFundChange('y')).toBe('PROCESSING');
    expect(normaliseFundChange('')).toBe('PROCESSING');
  });
});
