import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { findApiKey, LAST_USED_RESOLUTION_SECONDS, touchApiKey } from '../../../db/seller-api-keys';
import { DomainError, ErrorCode, isApiKeyScope } from '../../../domain';
import type { Principal } from './principal';

/**
 * Sellers' API keys: `sk_live_{id}_{secret}`, the secret 32 random bytes in base64url. The id finds the
 * row; the SHA-256 of the whole key, compared in constant time, proves it. Sent as
 * `Authorization: Bearer sk_live_…` (the one header the API reads credentials from).
 */
const KEY_FORMAT = /^sk_live_([1-9][0-9]{0,18})_([A-Za-z0-9_-]{43})$/;

export function isApiKey(credential: string): boolean {
  return credential.startsWith('sk_');
}

export function sha256Of(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A new key's secret part; the caller inserts the row first (its id is part of the key). */
export function newKeySecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatApiKey(id: string, secret: string): string {
  return `sk_live_${id}_${secret}`;
}

/** The principal an API key stands for, or API_KEY_INVALID (401). */
@Injectable()
export class ApiKeys {
  /** When this process last recorded each key's use: most requests skip the UPDATE entirely. */
  private readonly touchedAt = new Map<string, number>();

  constructor(private readonly dataSource: DataSource) {}

  async principalOf(key: string): Promise<Principal> {
    const parsed = KEY_FORMAT.exec(key);
    if (!parsed) throw new DomainError(ErrorCode.API_KEY_INVALID, 'the API key is malformed (expected sk_live_{id}_{secret}, as POST /seller/api-keys answered it)');
    const stored = await findApiKey(this.dataSource, parsed[1]);
    // The same answer for an unknown id and a wrong secret: nothing to learn by probing ids.
    const hash = sha256Of(key);
    if (!stored || stored.secretSha256.length !== hash.length || !timingSafeEqual(stored.secretSha256, hash)) {
      throw new DomainError(ErrorCode.API_KEY_INVALID, 'the API key is unknown');
    }
    if (stored.revokedAt) throw new DomainError(ErrorCode.API_KEY_INVALID, `the API key ${stored.id} was revoked at ${stored.revokedAt.toISOString()}`);
    this.recordUse(stored.id);
    return { role: 'seller', id: stored.sellerId, apiKey: { id: stored.id, scopes: stored.scopes.filter(isApiKeyScope) } };
  }

  /** At most one UPDATE per key a minute per process (and the UPDATE's own condition across processes); never holds up the request. */
  private recordUse(id: string): void {
    const now = Date.now();
    if (now - (this.touchedAt.get(id) ?? 0) < LAST_USED_RESOLUTION_SECONDS * 1000) return;
    this.touchedAt.set(id, now);
    if (this.touchedAt.size > 10_000) this.touchedAt.clear(); // bounded: forgetting only costs an UPDATE
    touchApiKey(this.dataSource, id).catch(() => this.touchedAt.delete(id));
  }
}
