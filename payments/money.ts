/**
 * Alipay speaks yuan as a decimal string with at most two places; we speak integer fen.
 * Conversions use integer and string arithmetic only so that 0.1 + 0.2 style errors cannot
 * reach an amount.
 */

const YUAN_PATTERN = /^(0|[1-9]\d*)(?:\.(\d{1,2}))?$/;

export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) {
    throw new RangeError(`amount must be a non-negative integer number of fen, got ${fen}`);
  }
  const yuan = Math.trunc(fen / 100);
  const rest = fen % 100;
  return `${yuan}.${rest < 10 ? '0' : ''}${rest}`;
}

export function yuanToFen(yuan: string): number {
  const match = YUAN_PATTERN.exec(yuan.trim());
  if (!match) throw new RangeError(`not a yuan amount with at most 2 decimals: ${JSON.stringify(yuan)}`);
  const whole = Number(match[1]);
  const fraction = (match[2] ?? '').padEnd(2, '0');
  const fen = whole * 100 + Number(fraction);
  if (!Number.isSafeInteger(fen)) throw new RangeError(`yuan amount too large: ${yuan}`);
  return fen;
}
