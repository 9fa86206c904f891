import type { DataSource } from 'typeorm';
import type { Queryable } from './queryable';
import { COLUMNS as EVENT_COLUMNS, StoredBusinessEvent, toStored } from './business-events';
import { countWebhookAttempt } from './webhook-endpoints';
import type { WebhookAttemptOutcome, WebhookMessageStatus } from '../domain/webhooks';

/**
 * The `webhook_message` and `webhook_attempt` tables' repository: every write to them (and the
 * endpoint's counters that move with an attempt), and the outbox read of the delivery activity.
 */

/**
 * What the endpoint has to deliver, in sequence order, at most `limit`: messages queued again at or
 * below its cursor (re-sent, replayed), and the seller's events after the cursor that it has not
 * settled (no message yet, or a PENDING one). Events already DELIVERED or FAILED for it are skipped, so
 * a retried batch never sends a delivered message again. Two index range reads, not a scan of the stream.
 */
export async function readUnsettledEvents(db: Queryable, endpointId: number, sellerId: number, cursorSeq: number, limit: number): Promise<StoredBusinessEvent[]> {
  const columns = EVENT_COLUMNS.split(',').map((c) => `e.${c.trim()}`).join(', ');
  const rows = await db.query(
    `(SELECT ${columns} FROM webhook_message m JOIN business_event e ON e.seller_id = ? AND e.seller_seq = m.seller_seq
      WHERE m.endpoint_id = ? AND m.status = 'PENDING' AND m.seller_seq <= ? ORDER BY m.seller_seq LIMIT ?)
     UNION ALL
     (SELECT ${columns} FROM business_event e LEFT JOIN webhook_message m ON m.endpoint_id = ? AND m.seller_seq = e.seller_seq
      WHERE e.seller_id = ? AND e.seller_seq > ? AND (m.status IS NULL OR m.status = 'PENDING') ORDER BY e.seller_seq LIMIT ?)
     ORDER BY seller_seq LIMIT ?`,
    [sellerId, endpointId, cursorSeq, limit, endpointId, sellerId, cursorSeq, limit, limit],
  );
  return rows.map(toStored);
}

/** One of the seller's events by its id (a re-send names it), or undefined: not there, or another seller's. */
export async function findSellerEvent(db: Queryable, sellerId: number, eventId: string): Promise<StoredBusinessEvent | undefined> {
  const [row] = await db.query(`SELECT ${EVENT_COLUMNS} FROM business_event WHERE event_id = ? AND seller_id = ?`, [eventId, sellerId]);
  return row ? toStored(row) : undefined;
}

export interface WebhookAttempt {
  endpointId: number;
  sellerSeq: number;
  eventId: string;
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  outcome: WebhookAttemptOutcome;
  error: string | null;
  responseExcerpt: string | null;
}

/**
 * Records one HTTP attempt in one transaction: the attempt row (numbered within its message), the
 * message's status (DELIVERED, FAILED, or still PENDING after a retryable failure) and the endpoint's
 * counters (db/webhook-endpoints.ts). Answers the attempt's number.
 */
export async function recordWebhookAttempt(dataSource: DataSource, attempt: WebhookAttempt): Promise<number> {
  const status: WebhookMessageStatus = attempt.outcome === 'RETRY' ? 'PENDING' : attempt.outcome;
  return dataSource.transaction(async (manager) => {
    await manager.query(
      `INSERT INTO webhook_message (endpoint_id, seller_seq, event_id, status, attempts, last_attempt_at, last_status_code, last_error, delivered_at)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE status = VALUES(status), attempts = attempts + 1, last_attempt_at = VALUES(last_attempt_at),
         last_status_code = VALUES(last_status_code), last_error = VALUES(last_error), delivered_at = COALESCE(VALUES(delivered_at), delivered_at)`,
      [attempt.endpointId, attempt.sellerSeq, attempt.eventId, status, attempt.attemptedAt, attempt.statusCode, attempt.error, status === 'DELIVERED' ? attempt.attemptedAt : null],
    );
    const [{ attempts }] = await manager.query('SELECT attempts FROM webhook_message WHERE endpoint_id = ? AND seller_seq = ?', [attempt.endpointId, attempt.sellerSeq]);
    await manager.query(
      `INSERT INTO webhook_attempt (endpoint_id, seller_seq, event_id, attempt_no, attempted_at, status_code, latency_ms, outcome, error, response_excerpt)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [attempt.endpointId, attempt.sellerSeq, attempt.eventId, attempts, attempt.attemptedAt, attempt.statusCode, attempt.latencyMs, attempt.outcome, attempt.error, attempt.responseExcerpt],
    );
    await countWebhookAttempt(manager, attempt.endpointId, attempt.outcome);
    return Number(attempts);
  });
}

/**
 * Replay: every event of the seller after `afterSeq` up to the endpoint's cursor (of its types, when it
 * filters) is queued again as a PENDING message; those after the cursor are on their way anyway.
 * Answers how many were queued.
 */
export async function requeueWebhookMessagesAfter(db: Queryable, endpoint: { id: number; sellerId: number; cursorSeq: number; eventTypes: string[] | null }, afterSeq: number): Promise<number> {
  const types = endpoint.eventTypes;
  const where = `seller_id = ? AND seller_seq > ? AND seller_seq <= ? ${types ? `AND event_type IN (${types.map(() => '?').join(', ')})` : ''}`;
  const values = [endpoint.sellerId, afterSeq, endpoint.cursorSeq, ...(types ?? [])];
  const [{ n }] = await db.query(`SELECT COUNT(*) AS n FROM business_event WHERE ${where}`, values);
  await db.query(
    `INSERT INTO webhook_message (endpoint_id, seller_seq, event_id, status)
     SELECT ?, seller_seq, event_id, 'PENDING' FROM business_event WHERE ${where}
     ON DUPLICATE KEY UPDATE status = 'PENDING'`,
    [endpoint.id, ...values],
  );
  return Number(n);
}

/** Re-send: this one message is PENDING again (created PENDING if it was never tried). */
export async function requeueWebhookMessage(db: Queryable, endpointId: number, sellerSeq: number, eventId: string): Promise<void> {
  await db.query(
    `INSERT INTO webhook_message (endpoint_id, seller_seq, event_id, status) VALUES (?, ?, ?, 'PENDING')
     ON DUPLICATE KEY UPDATE status = 'PENDING'`,
    [endpointId, sellerSeq, eventId],
  );
}

export interface WebhookMessageRow {
  sellerSeq: number;
  eventId: string;
  status: WebhookMessageStatus;
  attempts: number;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

/** An endpoint's messages (optionally of one status) after `afterSeq`, in sequence order. */
export async function listWebhookMessages(db: Queryable, endpointId: number, status: WebhookMessageStatus | undefined, afterSeq: number, limit: number): Promise<WebhookMessageRow[]> {
  const rows = await db.query(
    `SELECT seller_seq, event_id, status, attempts, last_attempt_at, last_status_code, last_error, delivered_at FROM webhook_message
     WHERE endpoint_id = ? AND seller_seq > ? ${status ? 'AND status = ?' : ''} ORDER BY seller_seq LIMIT ?`,
    status ? [endpointId, afterSeq, status, limit] : [endpointId, afterSeq, limit],
  );
  return rows.map((r: Record<string, any>) => ({
    sellerSeq: Number(r.seller_seq),
    eventId: r.event_id,
    status: r.status,
    attempts: Number(r.attempts),
    lastAttemptAt: r.last_attempt_at ? new Date(r.last_attempt_at) : null,
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: r.last_error,
    deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
  }));
}

export interface WebhookAttemptRow extends WebhookAttempt {
  id: number;
  attemptNo: number;
}

/** An endpoint's attempts after attempt id `afterId` (optionally of one event), oldest first. */
export async function listWebhookAttempts(db: Queryable, endpointId: number, afterId: number, limit: number, eventId?: string): Promise<WebhookAttemptRow[]> {
  const rows = await db.query(
    `SELECT id, endpoint_id, seller_seq, event_id, attempt_no, attempted_at, status_code, latency_ms, outcome, error, response_excerpt FROM webhook_attempt
     WHERE endpoint_id = ? AND id > ? ${eventId ? 'AND event_id = ?' : ''} ORDER BY id LIMIT ?`,
    eventId ? [endpointId, afterId, eventId, limit] : [endpointId, afterId, limit],
  );
  return rows.map((r: Record<string, any>) => ({
    id: Number(r.id),
    endpointId: Number(r.endpoint_id),
    sellerSeq: Number(r.seller_seq),
    eventId: r.event_id,
    attemptNo: Number(r.attempt_no),
    attemptedAt: new Date(r.attempted_at),
    statusCode: r.status_code === null ? null : Number(r.status_code),
    latencyMs: Number(r.latency_ms),
    outcome: r.outcome,
    error: r.error,
    responseExcerpt: r.response_excerpt,
  }));
}
