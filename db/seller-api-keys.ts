import type { DataSource } from 'typeorm';
import type { Queryable } from './queryable';

/**
 * The repository of `seller_api_key`: every read and write of sellers' API keys. The secret is never
 * stored, only its SHA-256 (a 256-bit random secret needs no slow hash: nothing to guess).
 */
export interface StoredApiKey {
  id: string;
  sellerId: string;
  name: string;
  scopes: string[];
  secretSha256: Buffer;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** How often `last_used_at` is written at most per key (a key used 100 times a second costs one UPDATE a minute). */
export const LAST_USED_RESOLUTION_SECONDS = 60;

const COLUMNS = 'id, seller_id, name, scopes, secret_sha256, created_at, last_used_at, revoked_at';

/**
 * A new key's row. Its id is part of the key, so the row comes first (with an all-zero hash, which no
 * key has) and the hash of the key built from its id is set in the same transaction: no moment in
 * which the row exists with a hash that some key matches but the seller was never shown.
 */
export async function insertApiKey(dataSource: DataSource, key: { sellerId: string; name: string; scopes: readonly string[] }, hashOfKeyWithId: (id: string) => Buffer): Promise<string> {
  return dataSource.transaction(async (manager) => {
    const result = await manager.query('INSERT INTO seller_api_key (seller_id, name, scopes, secret_sha256) VALUES (?, ?, ?, ?)', [key.sellerId, key.name, key.scopes.join(' '), Buffer.alloc(32)]);
    const id = String(result.insertId);
    await manager.query('UPDATE seller_api_key SET secret_sha256 = ? WHERE id = ?', [hashOfKeyWithId(id), id]);
    return id;
  });
}

/** The key's row by id, or undefined; the caller compares the secret's hash (in constant time) before trusting it. */
export async function findApiKey(db: Queryable, id: string): Promise<StoredApiKey | undefined> {
  const [row] = await db.query(`SELECT ${COLUMNS} FROM seller_api_key WHERE id = ?`, [id]);
  return row ? toStored(row) : undefined;
}

/** A seller's keys, newest first, revoked ones included (they stay, named by the order log). */
export async function listApiKeys(db: Queryable, sellerId: string, limit: number, beforeId?: string): Promise<StoredApiKey[]> {
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM seller_api_key WHERE seller_id = ? ${beforeId ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`,
    beforeId ? [sellerId, beforeId, limit] : [sellerId, limit],
  );
  return rows.map(toStored);
}

/**
 * Revokes one of the seller's keys. Undefined when the seller has no such key (another seller's key is
 * "not found"); a second revoke keeps the first time.
 */
export async function revokeApiKey(db: Queryable, sellerId: string, id: string): Promise<StoredApiKey | undefined> {
  await db.query('UPDATE seller_api_key SET revoked_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND seller_id = ? AND revoked_at IS NULL', [id, sellerId]);
  const key = await findApiKey(db, id);
  return key && key.sellerId === sellerId ? key : undefined;
}

/**
 * Records a use: only when the last recorded one is older than the resolution, so concurrent API
 * processes agree without coordinating (the UPDATE's own condition decides).
 */
export async function touchApiKey(db: Queryable, id: string): Promise<void> {
  await db.query(
    `UPDATE seller_api_key SET last_used_at = CURRENT_TIMESTAMP(3)
     WHERE id = ? AND (last_used_at IS NULL OR last_used_at < CURRENT_TIMESTAMP(3) - INTERVAL ${LAST_USED_RESOLUTION_SECONDS} SECOND)`,
    [id],
  );
}

function toStored(row: Record<string, any>): StoredApiKey {
  return {
    id: String(row.id),
    sellerId: String(row.seller_id),
    name: row.name,
    scopes: String(row.scopes).split(' ').filter(Boolean),
    secretSha256: Buffer.from(row.secret_sha256),
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
  };
}
