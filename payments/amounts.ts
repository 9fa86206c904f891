/**
 * Amounts we ask a provider to charge or refund. Both providers refuse zero and fractions; checking
 * here turns a bug upstream into a plain error before any request is signed and sent.
 */
export function positiveFen(fen: number): number {
  if (!Number.isSafeInteger(fen) || fen <= 0) throw new RangeError(`amount must be a positive integer number of fen, got ${fen}`);
  return fen;
}
