import { randomInt } from 'node:crypto';

/**
 * Business serial numbers (trade, order, refund, after-sale service): a prefix, the UTC time to the second and six random
 * digits — readable in support tickets, sortable by time, and checked by a unique index on insert.
 */
export function newSn(prefix: 'T' | 'O' | 'P' | 'R' | 'G' | 'S'): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const stamp = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${prefix}${stamp}${pad(randomInt(0, 1_000_000), 6)}`;
}
