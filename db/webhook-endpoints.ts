import type { Queryable } from './queryable';
import type { WebhookAttemptOutcome, WebhookEndpointStatus } from '../domain/webhooks';

/**
 * The `webhook_endpoint` table's repository: every write to it. A seller's endpoint is found only with
 * its seller id (another seller's endpoint is not found: a 404). The delivery activity reads an endpoint
 * by id and moves its cursor, its failing mark and its counters (db/webhook-deliveries.ts writes the
 * counters with each attempt).
 */

export interface WebhookEndpointRow {
  id: number;
  sellerId: number;
  url: string;
  description: string;
  /** null: every event type. */
  eventTypes: string[] | null;
  status: WebhookEndpointStatus;
  statusReason: string | null;
  cursorSeq: number;
  failingSince: Date | null;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  deliveredCount: number;
  failedCount: number;
  failedAttemptCount: number;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, seller_id, url, description, event_types, status, status_reason, cursor_seq, failing_since, secret, previous_secret,
  previous_secret_until, delivered_count, failed_count, failed_attempt_count, created_at, updated_at`;

export interface NewWebhookEndpoint {
  sellerId: number;
  url: string;
  description: string;
  eventTypes: string[] | null;
  secret: string;
}

/**
 * A new ENABLED endpoint whose cursor is the seller's last event number at this moment: it receives
 * what happens from now on (replay?after=0 sends the history).
 */
export async function insertWebhookEndpoint(db: Queryable, endpoint: NewWebhookEndpoint): Promise<number> {
  const result = await db.query(
    `INSERT INTO webhook_endpoint (seller_id, url, description, event_types, secret, status, cursor_seq)
     SELECT ?, ?, ?, ?, ?, 'ENABLED', COALESCE((SELECT last_seq FROM seller_event_sequence WHERE seller_id = ?), 0)`,
    [endpoint.sellerId, endpoint.url, endpoint.description, endpoint.eventTypes ? JSON.stringify(endpoint.eventTypes) : null, endpoint.secret, endpoint.sellerId],
  );
  return Number(result.insertId);
}

/** A seller's endpoint (not deleted), or undefined: not there, or another seller's. */
export async function findSellerWebhookEndpoint(db: Queryable, sellerId: number, id: number): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.query(`SELECT ${COLUMNS} FROM webhook_endpoint WHERE id = ? AND seller_id = ? AND status <> 'DELETED'`, [id, sellerId]);
  return row ? toEndpoint(row) : undefined;
}

/** A seller's endpoints (not deleted) after id `afterId`, by id, at most `limit`. */
export async function listSellerWebhookEndpoints(db: Queryable, sellerId: number, afterId: number, limit: number): Promise<WebhookEndpointRow[]> {
  const rows = await db.query(`SELECT ${COLUMNS} FROM webhook_endpoint WHERE seller_id = ? AND status <> 'DELETED' AND id > ? ORDER BY id LIMIT ?`, [sellerId, afterId, limit]);
  return rows.map(toEndpoint);
}

/** An endpoint by id whatever its status (the delivery activity; its workflow was started for it). */
export async function findWebhookEndpoint(db: Queryable, id: number): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.query(`SELECT ${COLUMNS} FROM webhook_endpoint WHERE id = ?`, [id]);
  return row ? toEndpoint(row) : undefined;
}

export interface WebhookEndpointChanges {
  url?: string;
  description?: string;
  eventTypes?: string[] | null;
}

/** Changes a seller's endpoint's URL, description or filter; false when it is not theirs (or deleted). */
export async function changeWebhookEndpoint(db: Queryable, sellerId: number, id: number, changes: WebhookEndpointChanges): Promise<boolean> {
  const columns: [string, unknown][] = [];
  if (changes.url !== undefined) columns.push(['url', changes.url]);
  if (changes.description !== undefined) columns.push(['description', changes.description]);
  if (changes.eventTypes !== undefined) columns.push(['event_types', changes.eventTypes ? JSON.stringify(changes.eventTypes) : null]);
  const sets = columns.map(([column]) => `${column} = ?`);
  const values = columns.map(([, value]) => value);
  if (sets.length === 0) return (await findSellerWebhookEndpoint(db, sellerId, id)) !== undefined;
  const result = await db.query(`UPDATE webhook_endpoint SET ${sets.join(', ')} WHERE id = ? AND seller_id = ? AND status <> 'DELETED'`, [...values, id, sellerId]);
  return result.affectedRows === 1;
}

/**
 * The seller enables (from DISABLED or PAUSED: its failing mark is cleared, it resumes from its cursor)
 * or disables an endpoint. Answers whether it is theirs; an endpoint already in that status stays.
 */
export async function setWebhookEndpointEnabled(db: Queryable, sellerId: number, id: number, enabled: boolean): Promise<boolean> {
  const result = enabled
    ? await db.query(`UPDATE webhook_endpoint SET status = 'ENABLED', status_reason = NULL, failing_since = NULL WHERE id = ? AND seller_id = ? AND status <> 'DELETED'`, [id, sellerId])
    : await db.query(`UPDATE webhook_endpoint SET status = 'DISABLED', status_reason = 'disabled by the seller' WHERE id = ? AND seller_id = ? AND status <> 'DELETED'`, [id, sellerId]);
  return result.affectedRows === 1;
}

/** Soft delete: the row stays (its attempts too) with status DELETED; its workflow ends. */
export async function deleteWebhookEndpoint(db: Queryable, sellerId: number, id: number): Promise<boolean> {
  const result = await db.query(`UPDATE webhook_endpoint SET status = 'DELETED', status_reason = 'deleted by the seller', deleted_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND seller_id = ? AND status <> 'DELETED'`, [id, sellerId]);
  return result.affectedRows === 1;
}

/**
 * A new secret: the current one becomes the previous one and keeps signing until `overlapMs` from now
 * (a rotation during an overlap drops the older previous one).
 */
export async function rotateWebhookSecret(db: Queryable, sellerId: number, id: number, secret: string, overlapMs: number): Promise<boolean> {
  const result = await db.query(
    `UPDATE webhook_endpoint SET previous_secret = secret, previous_secret_until = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND, secret = ?
     WHERE id = ? AND seller_id = ? AND status <> 'DELETED'`,
    [overlapMs * 1000, secret, id, sellerId],
  );
  return result.affectedRows === 1;
}

/** The workflow pauses an endpoint that failed for too long (only an ENABLED one: a seller's change wins). */
export async function pauseWebhookEndpoint(db: Queryable, id: number, reason: string): Promise<boolean> {
  const result = await db.query(`UPDATE webhook_endpoint SET status = 'PAUSED', status_reason = ? WHERE id = ? AND status = 'ENABLED'`, [reason.slice(0, 500), id]);
  return result.affectedRows === 1;
}

/** Marks when the endpoint started failing (kept while it fails), or clears it (null) once a delivery succeeded. */
export async function markWebhookEndpointFailing(db: Queryable, id: number, since: Date | null): Promise<void> {
  if (since) await db.query('UPDATE webhook_endpoint SET failing_since = COALESCE(failing_since, ?) WHERE id = ?', [since, id]);
  else await db.query('UPDATE webhook_endpoint SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL', [id]);
}

/** Moves the cursor forward (never back: a late, retried batch cannot undo progress; replays queue messages instead). */
export async function advanceWebhookCursor(db: Queryable, id: number, seq: number): Promise<void> {
  await db.query('UPDATE webhook_endpoint SET cursor_seq = ? WHERE id = ? AND cursor_seq < ?', [seq, id, seq]);
}

/** Counts one attempt on its endpoint (the metrics): delivered, failed for good, or a failed try that will be retried. */
export async function countWebhookAttempt(db: Queryable, id: number, outcome: WebhookAttemptOutcome): Promise<void> {
  const counter = outcome === 'DELIVERED' ? 'delivered_count' : outcome === 'FAILED' ? 'failed_count' : 'failed_attempt_count';
  await db.query(`UPDATE webhook_endpoint SET ${counter} = ${counter} + 1 WHERE id = ?`, [id]);
}

/** Enabled endpoints of these sellers (the commit notifier wakes their workflows). */
export async function enabledWebhookEndpointsOf(db: Queryable, sellerIds: number[]): Promise<{ id: number; sellerId: number }[]> {
  if (sellerIds.length === 0) return [];
  const rows = await db.query(`SELECT id, seller_id FROM webhook_endpoint WHERE status = 'ENABLED' AND seller_id IN (${sellerIds.map(() => '?').join(', ')})`, sellerIds);
  return rows.map((r: Record<string, unknown>) => ({ id: Number(r.id), sellerId: Number(r.seller_id) }));
}

/** Every enabled endpoint's id (the worker makes sure each has its workflow when it starts). */
export async function enabledWebhookEndpointIds(db: Queryable): Promise<number[]> {
  const rows = await db.query(`SELECT id FROM webhook_endpoint WHERE status = 'ENABLED' ORDER BY id`);
  return rows.map((r: Record<string, unknown>) => Number(r.id));
}

export interface WebhookEndpointStats {
  id: number;
  sellerId: number;
  status: WebhookEndpointStatus;
  deliveredCount: number;
  failedCount: number;
  failedAttemptCount: number;
  /** Seconds the oldest event after the cursor has waited (0: nothing waiting). */
  backlogAgeSeconds: number;
}

/**
 * Per endpoint (not deleted): its counters and the age of the first event after its cursor — the
 * oldest one not yet settled (the metrics' backlog age; one primary-key probe per endpoint).
 */
export async function webhookEndpointStats(db: Queryable): Promise<WebhookEndpointStats[]> {
  const rows = await db.query(
    `SELECT w.id, w.seller_id, w.status, w.delivered_count, w.failed_count, w.failed_attempt_count,
            COALESCE(TIMESTAMPDIFF(MICROSECOND, (SELECT e.occurred_at FROM business_event e WHERE e.seller_id = w.seller_id AND e.seller_seq = w.cursor_seq + 1), CURRENT_TIMESTAMP(3)), 0) / 1e6 AS backlog_age
     FROM webhook_endpoint w WHERE w.status <> 'DELETED' ORDER BY w.id`,
  );
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    sellerId: Number(r.seller_id),
    status: r.status as WebhookEndpointStatus,
    deliveredCount: Number(r.delivered_count),
    failedCount: Number(r.failed_count),
    failedAttemptCount: Number(r.failed_attempt_count),
    backlogAgeSeconds: Math.max(0, Number(r.backlog_age)),
  }));
}

function toEndpoint(row: Record<string, any>): WebhookEndpointRow {
  const types = row.event_types === null ? null : typeof row.event_types === 'string' ? JSON.parse(row.event_types) : row.event_types;
  return {
    id: Number(row.id),
    sellerId: Number(row.seller_id),
    url: row.url,
    description: row.description,
    eventTypes: types,
    status: row.status,
    statusReason: row.status_reason,
    cursorSeq: Number(row.cursor_seq),
    failingSince: row.failing_since ? new Date(row.failing_since) : null,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretUntil: row.previous_secret_until ? new Date(row.previous_secret_until) : null,
    deliveredCount: Number(row.delivered_count),
    failedCount: Number(row.failed_count),
    failedAttemptCount: Number(row.failed_attempt_count),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
