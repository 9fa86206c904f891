import { createHash } from 'node:crypto';
import { BadRequestException } from '@nestjs/common';

/** Canonical hash of a request body, to tell a replay from a different request under the same key. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Validates an optional Idempotency-Key header (Stripe's rules: ≤255 printable characters). */
export function readIdempotencyKey(header: string | undefined, required: boolean): string | undefined {
  if (header === undefined || header === '') {
    if (required) throw new BadRequestException('Idempotency-Key header is required');
    return undefined;
  }
  if (header.length > 128 || !/^[\x21-\x7e]+$/.test(header)) {
    throw new BadRequestException('Idempotency-Key must be 1-128 printable ASCII characters without spaces');
  }
  return header;
}
