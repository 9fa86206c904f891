import { AfterSaleSettings, ComplaintSettings, OrderSettingError, OrderSettings, ProviderGateSettings, RefundSpacing, parseDuration, readAfterSaleSettings, readComplaintSettings, readOrderSettings, readProviderGateSettings, readRefundSpacing, readWebhookSettings, WebhookSettings } from '../domain';
import { PaymentConfig, readPaymentConfig } from '../payments/config';
import { AuthSettings, readAuthSettings } from './auth';
import { ConfigError } from './config-error';
import { DatabaseTlsSettings, readDatabaseTls } from './database-tls';
import { PayloadEncryptionSettings, readPayloadEncryption } from './payload-encryption';
import { RateLimits, readRateLimits } from './rate-limits';
import { readTemporalConnection, TemporalConnectionSettings } from './temporal-connection';
import { WorkerCounts, WorkerTuning, readBatchWorkerTuning, readOrderRequestSlots, readWorkerTuning } from './worker-tuning';
import { SystemTaskQueues, mainTaskQueueProblem, systemTaskQueues } from '../domain/task-queues';
import { SupportQueueSettings, readSupportQueueSettings } from './support-queue';
import { WorkerVersioning, readSweepMaxInFlight, readWorkPriorities, readWorkerVersioning } from './work-scheduling';

/** Settings every process shares. Read once at start-up; each bad value raises a ConfigError naming it. */
export interface AppConfig {
  databaseUrl: string;
  /** TLS to MySQL (DATABASE_TLS, DATABASE_TLS_CA, DATABASE_TLS_CERT, DATABASE_TLS_KEY): config/database-tls.ts. */
  databaseTls: DatabaseTlsSettings;
  /**
   * Address, namespace, TLS and API key by @temporalio/envconfig (env or profile file), plus our own task
   * queues and UI link: `taskQueue` is the main one (TEMPORAL_TASK_QUEUE), `taskQueues` it and the ones
   * named after it (domain/task-queues.ts).
   */
  temporal: TemporalConnectionSettings & { taskQueue: string; taskQueues: SystemTaskQueues; uiUrl: string; payloadEncryption: PayloadEncryptionSettings };
  /** The codec server (apps/codec-server) that decrypts payloads for support staff in the Temporal UI and CLI. */
  codecServer: { port: number; host: string; corsOrigins: string[] };
  api: {
    port: number;
    publicBaseUrl: string;
    jwtSecret: string;
    /** Which bearer tokens the API accepts: HS256 development tokens (local only), the identity provider's (JWKS): config/auth.ts. */
    auth: AuthSettings;
    /** Requests a minute per principal and route, by principal kind (role) and scope (writes, polls): config/rate-limits.ts. */
    rateLimits: RateLimits;
  };
  /** The worker's /metrics + /health port, and where the SDK's own Prometheus exporter listens (appended to /metrics). */
  worker: {
    metricsPort: number;
    metricsHost: string;
    sdkMetricsAddress: string;
    tuning: WorkerTuning;
    /** BATCH_WORKER_*: the slots of the Worker on the batch task queue (config/worker-tuning.ts). */
    batchTuning: Required<WorkerCounts>;
    /** WORKER_MAX_CONCURRENT_ORDER_REQUESTS: activity slots of the Worker on the order-requests task queue. */
    orderRequestSlots: number;
    /** WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID: the worker's Worker Deployment version; unset: unversioned (config/work-scheduling.ts). */
    versioning?: WorkerVersioning;
  };
  /** WORK_PRIORITIES (default on): interactive work ahead of batch work by Temporal task priority (domain/work-priority.ts). */
  workPriorities: boolean;
  /**
   * Timing of the refund workflow's provider polling, so tests can run it in seconds, and the time
   * between two refunds of one payment per provider (WeChat Pay 1 min, Alipay 3 s by default).
   */
  refund: { pollScheduleMs: number[]; spacingMs: RefundSpacing };
  /** Delays between the payment watch's provider queries while no notification arrived; the last repeats until the payment expires. */
  paymentQueryScheduleMs: number[];
  /** How long a cancelled order's workflow stays to refund payments that were already in flight. */
  latePaymentWindowMs: number;
  /** How long a new group buy collects members before it fails and refunds them. */
  groupBuyDeadlineMs: number;
  /** WeChat Pay / Alipay endpoints and keys (the local simulator and dev keys by default). */
  payments: PaymentConfig;
  /** The javashop order timers (cancel_order_day, rog_order_day, …), in milliseconds. */
  orderSettings: OrderSettings;
  /** Complaint deadlines: the seller's answer (→ arbitration) and the buyer's silence (→ closed). */
  complaints: ComplaintSettings;
  /** After-sale deadlines: the seller's audit (→ automatic pass), the buyer's return shipping (→ closed), the seller's receipt (→ support). */
  afterSales: AfterSaleSettings;
  /** The Temporal Schedules that reconcile the database with the workflows (order-status sweep, refund-status check). */
  sweeps: SweepConfig;
  /** The daily reconciliation against the providers' bills (one schedule per provider). */
  reconciliation: ReconciliationConfig;
  /** The buyers' carts and buy-now items (javashop keeps them in Redis too); only the API uses it. */
  redis: RedisConfig;
  /** Support's work queue: a service level per kind of waiting item, and how often overdue items are marked. */
  supportQueue: SupportQueueSettings;
  /** The provider gates (PROVIDER_GATE=on|off and its thresholds): domain/provider-gate.ts, docs/support.md#provider-gate. */
  providerGate: ProviderGateSettings;
  /** Webhook delivery (WEBHOOK_*): target rules, timeouts, concurrency, retries; domain/webhooks.ts, docs/webhooks.md. */
  webhooks: WebhookSettings;
}

export interface ReconciliationConfig {
  /** When the daily run starts (5-field cron) in `timeZone`: after both providers publish yesterday's bill (WeChat advises after 10:00, Alipay by 09:00). */
  cron: string;
  timeZone: string;
}

export interface RedisConfig {
  /** redis://[user:password@]host:port[/db]; the db index lets parallel systems share one server. */
  url: string;
  /** Prefixed to every key (`{prefix}cart:{buyerId}`), so test runs and environments never collide. */
  keyPrefix: string;
  /** An abandoned cart (no change for this long) expires: every write renews the TTL. */
  cartTtlMs: number;
}

type Env = NodeJS.ProcessEnv;

export function readAppConfig(env: Env = process.env): AppConfig {
  const apiPort = readPort(env, 'API_PORT', 3000);
  const payments = readPaymentConfig(env);
  const uiUrl = readUrl(env, 'TEMPORAL_UI_URL', 'http://localhost:8233');
  const config: Omit<AppConfig, 'temporal'> & { temporal: Omit<AppConfig['temporal'], 'payloadEncryption'> } = {
    databaseUrl: readDatabaseUrl(env),
    databaseTls: readDatabaseTls(env),
    temporal: {
      ...readTemporalConnection(env),
      ...readTaskQueues(env),
      uiUrl,
    },
    codecServer: {
      port: readPort(env, 'CODEC_SERVER_PORT', 8234),
      host: readNonEmpty(env, 'CODEC_SERVER_HOST', '127.0.0.1'),
      corsOrigins: readOrigins(env, 'CODEC_CORS_ORIGINS', new URL(uiUrl).origin),
    },
    api: {
      port: apiPort,
      publicBaseUrl: readUrl(env, 'PUBLIC_BASE_URL', `http://127.0.0.1:${apiPort}`),
      jwtSecret: readJwtSecret(env, payments.realProvider),
      rateLimits: readRateLimits(env),
      // Set last (below): a deployment missing its secrets hears about JWT_SECRET and the codec keys first.
      auth: { devTokens: false },
    },
    worker: readWorkerSettings(env),
    workPriorities: readWorkPriorities(env),
    refund: {
      pollScheduleMs: readDurationList(env, 'REFUND_POLL_SCHEDULE', '1m,5m,10m,20m,30m'),
      spacingMs: asConfigError(() => readRefundSpacing((name) => env[name], { realProvider: payments.realProvider })),
    },
    paymentQueryScheduleMs: readDurationList(env, 'PAYMENT_QUERY_SCHEDULE', '10s,30s,1m,5m,10m,30m'),
    orderSettings: asConfigError(() => readOrderSettings((name) => env[name])),
    complaints: asConfigError(() => readComplaintSettings((name) => env[name])),
    afterSales: asConfigError(() => readAfterSaleSettings((name) => env[name])),
    latePaymentWindowMs: asConfigError(() => parseDuration(env.LATE_PAYMENT_WINDOW ?? '1h', 'LATE_PAYMENT_WINDOW')),
    groupBuyDeadlineMs: asConfigError(() => parseDuration(env.GROUP_BUY_DEADLINE ?? '24h', 'GROUP_BUY_DEADLINE')),
    payments,
    sweeps: readSweepConfig(env),
    reconciliation: { cron: readCron(env, 'RECONCILIATION_CRON', '0 10 * * *'), timeZone: readTimeZone(env, 'RECONCILIATION_TIMEZONE', 'Asia/Shanghai') },
    redis: readRedisConfig(env),
    supportQueue: readSupportQueueSettings(env),
    providerGate: asConfigError(() => readProviderGateSettings((name) => env[name])),
    webhooks: asConfigError(() => readWebhookSettings((name) => env[name], env.NODE_ENV === 'production' || payments.realProvider)),
  };
  // Read last, so a deployment missing several secrets hears about JWT_SECRET first; deployed exactly
  // when the JWT secret must be a real one (readJwtSecret).
  const deployed = env.NODE_ENV === 'production' || payments.realProvider;
  const payloadEncryption = readPayloadEncryption(env, deployed);
  const auth = readAuthSettings(env, deployed);
  return { ...config, api: { ...config.api, auth }, temporal: { ...config.temporal, payloadEncryption } };
}

function readTaskQueues(env: Env): { taskQueue: string; taskQueues: SystemTaskQueues } {
  const taskQueue = readNonEmpty(env, 'TEMPORAL_TASK_QUEUE', 'orders');
  const problem = mainTaskQueueProblem(taskQueue);
  if (problem) throw new ConfigError('TEMPORAL_TASK_QUEUE', problem);
  return { taskQueue, taskQueues: systemTaskQueues(taskQueue) };
}

function readWorkerSettings(env: Env): AppConfig['worker'] {
  const metricsPort = readPort(env, 'WORKER_METRICS_PORT', 9464);
  const sdkMetricsAddress = readNonEmpty(env, 'WORKER_SDK_METRICS_ADDRESS', `127.0.0.1:${metricsPort === 0 ? 0 : metricsPort + 1}`);
  if (!/^[^\s/]+:\d{1,5}$/.test(sdkMetricsAddress)) throw new ConfigError('WORKER_SDK_METRICS_ADDRESS', `"${sdkMetricsAddress}" must be host:port, e.g. 127.0.0.1:9465`);
  const versioning = readWorkerVersioning(env);
  return { metricsPort, metricsHost: readNonEmpty(env, 'WORKER_METRICS_HOST', '127.0.0.1'), sdkMetricsAddress, tuning: readWorkerTuning(env), batchTuning: readBatchWorkerTuning(env), orderRequestSlots: readOrderRequestSlots(env), ...(versioning ? { versioning } : {}) };
}

export interface SweepConfig {
  /** When the daily order-status sweep runs (5-field cron), in `orderSweepTimeZone`; javashop ran it at 23:30. */
  orderSweepCron: string;
  orderSweepTimeZone: string;
  /** How often the refund-status check runs (javashop: hourly). */
  refundCheckIntervalMs: number;
  /** Only refunds PROCESSING for longer than this are checked; younger ones are still in their workflow's own polling. */
  refundCheckMinAgeMs: number;
  /** Rows per page: one page is one activity and one bounded query, never one transaction for everything. */
  batchSize: number;
  /** SWEEP_MAX_IN_FLIGHT: handed-over orders not yet moved on before the sweep waits (config/work-scheduling.ts). */
  maxInFlight: number;
  /** Appended to the schedule ids (`order-status-sweep-{suffix}`), so test systems sharing a Temporal server do not share schedules. */
  scheduleIdSuffix: string;
}

function readSweepConfig(env: Env): SweepConfig {
  const cron = readCron(env, 'ORDER_SWEEP_CRON', '30 23 * * *');
  const timeZone = readTimeZone(env, 'ORDER_SWEEP_TIMEZONE', 'Asia/Shanghai');
  const batchRaw = (env.SWEEP_BATCH_SIZE ?? '500').trim();
  const batchSize = Number(batchRaw);
  if (!/^[0-9]+$/.test(batchRaw) || batchSize < 1 || batchSize > 5000) {
    throw new ConfigError('SWEEP_BATCH_SIZE', `"${batchRaw}" must be a whole number from 1 to 5000 (rows per page)`);
  }
  const suffix = (env.SCHEDULE_ID_SUFFIX ?? '').trim();
  if (!/^[A-Za-z0-9_-]*$/.test(suffix)) throw new ConfigError('SCHEDULE_ID_SUFFIX', `"${suffix}" may only contain letters, digits, _ and -`);
  return {
    orderSweepCron: cron,
    orderSweepTimeZone: timeZone,
    refundCheckIntervalMs: asConfigError(() => parseDuration(env.REFUND_CHECK_INTERVAL || '1h', 'REFUND_CHECK_INTERVAL')),
    refundCheckMinAgeMs: asConfigError(() => parseDuration(env.REFUND_CHECK_MIN_AGE || '1h', 'REFUND_CHECK_MIN_AGE')),
    batchSize,
    maxInFlight: readSweepMaxInFlight(env),
    scheduleIdSuffix: suffix,
  };
}

function readCron(env: Env, name: string, fallback: string): string {
  const cron = readNonEmpty(env, name, fallback).replace(/\s+/g, ' ');
  if (!/^[0-9*,/\-A-Za-z?]+( [0-9*,/\-A-Za-z?]+){4}$/.test(cron)) {
    throw new ConfigError(name, `"${cron}" is not a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "${fallback}"`);
  }
  return cron;
}

function readTimeZone(env: Env, name: string, fallback: string): string {
  const timeZone = readNonEmpty(env, name, fallback);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new ConfigError(name, `"${timeZone}" is not an IANA time zone, e.g. Asia/Shanghai or UTC`);
  }
  return timeZone;
}

export function readRedisConfig(env: Env = process.env): RedisConfig {
  const value = (env.REDIS_URL ?? 'redis://127.0.0.1:6379/0').trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('REDIS_URL', `"${value}" is not a URL; expected redis://host:port/db, e.g. redis://127.0.0.1:6379/0`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', `scheme must be redis:// or rediss://, got ${url.protocol}//`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^([0-9]|1[0-5])$/.test(db)) throw new ConfigError('REDIS_URL', `database index "${db}" must be 0-15`);
  const keyPrefix = env.REDIS_KEY_PREFIX ?? 'orders:';
  if (!/^[A-Za-z0-9:_-]{0,64}$/.test(keyPrefix)) throw new ConfigError('REDIS_KEY_PREFIX', `"${keyPrefix}" may only contain letters, digits, ':', '_' and '-' (at most 64)`);
  return { url: value, keyPrefix, cartTtlMs: asConfigError(() => parseDuration(env.CART_TTL ?? '30d', 'CART_TTL')) };
}

export function readDatabaseUrl(env: Env = process.env): string {
  const value = env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/orders';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL', `"${value}" is not a URL; expected mysql://user:password@host:port/database`);
  }
  if (url.protocol !== 'mysql:') {
    throw new ConfigError('DATABASE_URL', `scheme must be mysql://, got ${url.protocol}//`);
  }
  const database = url.pathname.replace(/^\//, '');
  if (!/^[A-Za-z0-9_]+$/.test(database)) {
    throw new ConfigError('DATABASE_URL', `database name "${database}" must be letters, digits or _ (e.g. mysql://root@127.0.0.1:3306/orders)`);
  }
  return value;
}

function readNonEmpty(env: Env, name: string, fallback: string): string {
  const value = (env[name] ?? fallback).trim();
  if (!value) throw new ConfigError(name, 'must not be empty');
  return value;
}

function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(name, `"${raw}" is not a TCP port (0-65535)`);
  return port;
}

/** Browser origins (scheme://host[:port], no path) allowed to call a server cross-origin, comma-separated. */
function readOrigins(env: Env, name: string, fallback: string): string[] {
  const origins = readNonEmpty(env, name, fallback).split(',').map((part) => part.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== origin) {
      throw new ConfigError(name, `"${origin}" is not an origin (scheme://host[:port], no path or trailing slash), e.g. http://localhost:8233`);
    }
  }
  return origins;
}

function readUrl(env: Env, name: string, fallback: string): string {
  const value = readNonEmpty(env, name, fallback);
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(name, `"${value}" is not an http(s) URL`);
  }
  return value.replace(/\/$/, '');
}

/** Development secrets written in this repository (config default, docker-compose): anyone can mint tokens with them. */
export const PUBLISHED_JWT_SECRETS: readonly string[] = ['dev-only-secret-change-me-0123456789', 'compose-dev-only-jwt-secret-0123456789abcdef'];

/**
 * Local development may use the published default; a deployment — NODE_ENV=production, or any real
 * provider URL configured — must bring its own secret, or start-up stops with one line naming it.
 */
function readJwtSecret(env: Env, realProvider: boolean): string {
  const value = env.JWT_SECRET;
  const deployed = env.NODE_ENV === 'production' || realProvider;
  if (deployed && (value === undefined || value === '' || PUBLISHED_JWT_SECRETS.includes(value))) {
    const why = env.NODE_ENV === 'production' ? 'NODE_ENV=production' : 'a real payment provider URL is configured';
    throw new ConfigError('JWT_SECRET', `${value ? 'is a development secret published in the repository' : 'is not set'}; outside local development (${why}) set a random secret of at least 32 characters, e.g. openssl rand -base64 48`);
  }
  const secret = value || PUBLISHED_JWT_SECRETS[0];
  if (secret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters (HS256 key)');
  return secret;
}

function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof OrderSettingError) throw new ConfigError(err.setting, err.problem);
    throw err;
  }
}

function readDurationList(env: Env, name: string, fallback: string): number[] {
  const raw = env[name] ?? fallback;
  const parts = raw.split(',').map((part) => part.trim()).filter(Boolean);
  if (parts.length === 0) throw new ConfigError(name, 'must list at least one duration, e.g. 1m,5m,10m');
  return asConfigError(() => parts.map((part) => parseDuration(part, name)));
}
