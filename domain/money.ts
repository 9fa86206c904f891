/**
 * Money is an integer number of fen (1 yuan = 100 fen) everywhere inside the system. Yuan strings
 * exist only at the edges: the providers' wire formats (Alipay `total_amount` "129.00") and display.
 * Conversion is done on digits, never through floating point, so 0.1 + 0.2 cannot creep in.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */

/** Throws unless `value` is a safe, non-negative integer amount of fen. */
export function assertFen(value: unknown, name = 'amount'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative whole number of fen, got ${describe(value)}`);
  }
}

/**
 * Fen as a yuan string with exactly two decimals (12900 → "129.00"), the form providers expect.
 * Works on the decimal digits so the result is exact for every safe integer.
 */
export function fenToYuanString(fen: number): string {
  assertFen(fen);
  const digits = String(fen).padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/**
 * Fen for people to read (logs, order log messages, the API). Today the same as fenToYuanString;
 * kept separate so display can change (thousands separators, a currency sign) without touching the
 * amounts sent to providers.
 */
export function formatFen(fen: number): string {
  return fenToYuanString(fen);
}

// Plain decimal yuan: no sign, no exponent, no spaces, no leading zeros, at most two decimals.
const YUAN_PATTERN = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/;

/**
 * A yuan string to fen ("129.5" → 12950, "0.01" → 1). Strict because the input comes from
 * providers and HTTP bodies: anything that is not a plain non-negative amount with at most two
 * decimals is refused rather than rounded, since rounding money silently hides a bug.
 */
export function yuanStringToFen(yuan: string): number {
  if (typeof yuan !== 'string') {
    throw new TypeError(`yuan amount must be a string, got ${describe(yuan)}`);
  }
  const match = YUAN_PATTERN.exec(yuan);
  if (!match) {
    throw new RangeError(
      `invalid yuan amount ${JSON.stringify(yuan)}: expected a non-negative decimal with at most two decimals, like "129.50"`,
    );
  }
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? '').padEnd(2, '0'));
  const fen = whole * 100 + cents;
  // Number(match[1]) is exact up to 2^53, and so is the sum while it stays safe; past that, refuse.
  if (!Number.isSafeInteger(whole) || !Number.isSafeInteger(fen)) {
    throw new RangeError(`yuan amount ${JSON.stringify(yuan)} is too large to count in fen exactly`);
  }
  return fen;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
