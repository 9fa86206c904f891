import { OrderSettingError, parseDuration } from './order-settings';

/**
 * Webhook delivery rules (issue 22 item 3), pure: the endpoint workflow (workflows/webhook-endpoint.workflow.ts),
 * the delivery activity and the settings reader use them, the unit tests check them. Deliveries follow
 * the Standard Webhooks specification (docs/webhooks.md).
 */

export const webhookEndpointWorkflowId = (endpointId: number | string): string => `webhook-endpoint-${endpointId}`;

/**
 * An endpoint's status (the `webhook_endpoint.status` column): ENABLED delivers; DISABLED by the seller;
 * PAUSED by its workflow after failing for WEBHOOK_RETRY_FOR (never deleted: re-enabling resumes from
 * its cursor); DELETED (soft) by the seller.
 */
export type WebhookEndpointStatus = 'ENABLED' | 'DISABLED' | 'PAUSED' | 'DELETED';

/** What the workflow shows in the Temporal UI (search attribute WebhookEndpointHealth). */
export type WebhookEndpointHealth = 'HEALTHY' | 'FAILING' | 'PAUSED' | 'STOPPED';

/**
 * One message (one event for one endpoint): PENDING until it is DELIVERED (a 2xx) or FAILED (a 4xx
 * other than 408/409/429: the receiver refused that message, retrying cannot help; the seller can
 * re-send it).
 */
export type WebhookMessageStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** What one HTTP attempt means for its message. */
export type WebhookAttemptOutcome = 'DELIVERED' | 'FAILED' | 'RETRY';

/** 4xx answers that say "later", not "never" (timeout, conflict, rate limit): retried like a 5xx. */
const RETRYABLE_CLIENT_ERRORS: readonly number[] = [408, 409, 429];

/**
 * An attempt's outcome from the receiver's status code (undefined: no answer — refused connection,
 * timeout, a refused address). A 3xx is a failure, retried: redirects are never followed.
 */
export function attemptOutcome(statusCode: number | undefined): WebhookAttemptOutcome {
  if (statusCode === undefined) return 'RETRY';
  if (statusCode >= 200 && statusCode < 300) return 'DELIVERED';
  if (statusCode >= 400 && statusCode < 500 && !RETRYABLE_CLIENT_ERRORS.includes(statusCode)) return 'FAILED';
  return 'RETRY';
}

/** The part of the settings the endpoint workflow needs (its activity hands them over on every batch). */
export interface WebhookRetrySchedule {
  /** WEBHOOK_RETRY_INITIAL: the first wait after a failed delivery (default 5s). */
  initialMs: number;
  /** WEBHOOK_RETRY_MAX_INTERVAL: the longest wait between two tries (default 1h). */
  maxIntervalMs: number;
  /** WEBHOOK_RETRY_FOR: an endpoint failing this long is paused (default 3d). */
  retryForMs: number;
  /** WEBHOOK_IDLE_POLL: how often an idle endpoint looks at the outbox without being woken (default 60s). */
  idlePollMs: number;
}

/**
 * The wait before try `failures + 1` of a failing endpoint: exponential from `initialMs`, capped at
 * `maxIntervalMs`, with "equal jitter" (half fixed, half random) so endpoints that failed together do
 * not come back together. `random01` is in [0, 1): the workflow's seeded Math.random.
 */
export function retryDelayMs(failures: number, schedule: Pick<WebhookRetrySchedule, 'initialMs' | 'maxIntervalMs'>, random01: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  const ceiling = Math.min(schedule.maxIntervalMs, schedule.initialMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random01, 0), 1));
}

/** Whether an endpoint that has been failing since `failingSinceMs` is paused at `nowMs`. */
export function shouldPause(failingSinceMs: number, nowMs: number, schedule: Pick<WebhookRetrySchedule, 'retryForMs'>): boolean {
  return nowMs - failingSinceMs >= schedule.retryForMs;
}

/**
 * The key whose events are delivered strictly in sequence order: the order (an order's story), or the
 * entity when the event concerns no order (a coupon). Different keys go in parallel.
 */
export function deliveryPartition(event: { orderSn: string | null; entityType: string; entityId: string }): string {
  return event.orderSn ? `order:${event.orderSn}` : `${event.entityType}:${event.entityId}`;
}

export interface WebhookSettings extends WebhookRetrySchedule {
  /** WEBHOOK_ALLOW_HTTP: accept http:// URLs (local development and tests only; refused when deployed). */
  allowHttp: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: accept loopback / private addresses (local receivers; refused when deployed). */
  allowPrivateTargets: boolean;
  /** WEBHOOK_REQUEST_TIMEOUT: one delivery request, connect to last byte read (default 10s, at most 20s: the batch heartbeats every delivery). */
  requestTimeoutMs: number;
  /** WEBHOOK_CONCURRENCY: orders delivered in parallel per endpoint (default 8). */
  concurrency: number;
  /** WEBHOOK_BATCH_SIZE: events one delivery activity takes from the outbox (default 100). */
  batchSize: number;
  /** WEBHOOK_SECRET_OVERLAP: after a rotation, the old secret keeps signing alongside the new one this long (default 24h). */
  secretOverlapMs: number;
}

/** At most this much of a receiver's answer is read (and kept with the attempt); the rest is dropped. */
export const WEBHOOK_RESPONSE_CAP_BYTES = 4096;

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  allowHttp: false,
  allowPrivateTargets: false,
  requestTimeoutMs: 10_000,
  concurrency: 8,
  batchSize: 100,
  secretOverlapMs: 24 * 3_600_000,
  initialMs: 5_000,
  maxIntervalMs: 3_600_000,
  retryForMs: 3 * 24 * 3_600_000,
  idlePollMs: 60_000,
};

/**
 * Reads the WEBHOOK_* settings; each bad value is an OrderSettingError naming it. `deployed` (NODE_ENV
 * production, or a real payment provider): http URLs and private targets may not be allowed.
 */
export function readWebhookSettings(get: (name: string) => string | undefined, deployed: boolean): WebhookSettings {
  const raw = (name: string) => {
    const value = get(name);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const flag = (name: string) => {
    const text = (raw(name) ?? 'false').toLowerCase();
    if (text !== 'true' && text !== 'false') throw new OrderSettingError(name, `${JSON.stringify(text)} must be true or false`);
    if (text === 'true' && deployed) throw new OrderSettingError(name, 'may be true only in local development and tests (NODE_ENV=production or a real payment provider is configured)');
    return text === 'true';
  };
  const duration = (name: string, fallback: number, minMs: number, maxMs: number) => {
    const text = raw(name);
    if (text === undefined) return fallback;
    const ms = parseDuration(text, name);
    if (ms < minMs || ms > maxMs) throw new OrderSettingError(name, `${JSON.stringify(text)} must be between ${minMs} ms and ${maxMs / 3_600_000} h`);
    return ms;
  };
  const whole = (name: string, fallback: number, min: number, max: number) => {
    const text = raw(name);
    if (text === undefined) return fallback;
    if (!/^[0-9]{1,6}$/.test(text) || Number(text) < min || Number(text) > max) throw new OrderSettingError(name, `${JSON.stringify(text)} must be a whole number from ${min} to ${max}`);
    return Number(text);
  };
  const d = DEFAULT_WEBHOOK_SETTINGS;
  const settings: WebhookSettings = {
    allowHttp: flag('WEBHOOK_ALLOW_HTTP'),
    allowPrivateTargets: flag('WEBHOOK_ALLOW_PRIVATE_TARGETS'),
    requestTimeoutMs: duration('WEBHOOK_REQUEST_TIMEOUT', d.requestTimeoutMs, 100, 20_000),
    concurrency: whole('WEBHOOK_CONCURRENCY', d.concurrency, 1, 64),
    batchSize: whole('WEBHOOK_BATCH_SIZE', d.batchSize, 1, 1000),
    secretOverlapMs: duration('WEBHOOK_SECRET_OVERLAP', d.secretOverlapMs, 1_000, 30 * 24 * 3_600_000),
    initialMs: duration('WEBHOOK_RETRY_INITIAL', d.initialMs, 10, 3_600_000),
    maxIntervalMs: duration('WEBHOOK_RETRY_MAX_INTERVAL', d.maxIntervalMs, 10, 24 * 3_600_000),
    retryForMs: duration('WEBHOOK_RETRY_FOR', d.retryForMs, 1_000, 30 * 24 * 3_600_000),
    idlePollMs: duration('WEBHOOK_IDLE_POLL', d.idlePollMs, 100, 3_600_000),
  };
  if (settings.maxIntervalMs < settings.initialMs) throw new OrderSettingError('WEBHOOK_RETRY_MAX_INTERVAL', `must not be shorter than WEBHOOK_RETRY_INITIAL (${settings.initialMs} ms)`);
  return settings;
}
