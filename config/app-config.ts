import { OrderSettingError, OrderSettings, parseDuration, readOrderSettings } from '../domain';
import { PaymentConfig, readPaymentConfig } from '../payments/config';
import { ConfigError } from './config-error';

/** Settings every process shares. Read once at start-up; each bad value raises a ConfigError naming it. */
export interface AppConfig {
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  api: { port: number; publicBaseUrl: string; jwtSecret: string };
  /** Timing of the refund workflow's provider polling, so tests can run it in seconds. */
  refund: { pollScheduleMs: number[] };
  /** How long a cancelled order's workflow stays to refund payments that were already in flight. */
  latePaymentWindowMs: number;
  /** How long a new group buy collects members before it fails and refunds them. */
  groupBuyDeadlineMs: number;
  /** WeChat Pay / Alipay endpoints and keys (the local simulator and dev keys by default). */
  payments: PaymentConfig;
  /** The javashop order timers (cancel_order_day, rog_order_day, …), in milliseconds. */
  orderSettings: OrderSettings;
}

type Env = NodeJS.ProcessEnv;

export function readAppConfig(env: Env = process.env): AppConfig {
  const apiPort = readPort(env, 'API_PORT', 3000);
  return {
    databaseUrl: readDatabaseUrl(env),
    temporal: {
      address: readHostPort(env, 'TEMPORAL_ADDRESS', '127.0.0.1:7233'),
      namespace: readNonEmpty(env, 'TEMPORAL_NAMESPACE', 'default'),
      taskQueue: readNonEmpty(env, 'TEMPORAL_TASK_QUEUE', 'orders'),
      uiUrl: readUrl(env, 'TEMPORAL_UI_URL', 'http://localhost:8233'),
    },
    api: {
      port: apiPort,
      publicBaseUrl: readUrl(env, 'PUBLIC_BASE_URL', `http://127.0.0.1:${apiPort}`),
      jwtSecret: readSecret(env, 'JWT_SECRET', 'dev-only-secret-change-me-0123456789'),
    },
    refund: { pollScheduleMs: readDurationList(env, 'REFUND_POLL_SCHEDULE', '1m,5m,10m,20m,30m') },
    orderSettings: asConfigError(() => readOrderSettings((name) => env[name])),
    latePaymentWindowMs: asConfigError(() => parseDuration(env.LATE_PAYMENT_WINDOW ?? '1h', 'LATE_PAYMENT_WINDOW')),
    groupBuyDeadlineMs: asConfigError(() => parseDuration(env.GROUP_BUY_DEADLINE ?? '24h', 'GROUP_BUY_DEADLINE')),
    payments: readPaymentConfig(env),
  };
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

function readHostPort(env: Env, name: string, fallback: string): string {
  const value = readNonEmpty(env, name, fallback);
  if (!/^[^\s:/]+:\d{1,5}$/.test(value)) throw new ConfigError(name, `"${value}" must be host:port, e.g. 127.0.0.1:7233`);
  return value;
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

function readSecret(env: Env, name: string, fallback: string): string {
  const value = env[name] ?? fallback;
  if (value.length < 32) throw new ConfigError(name, 'must be at least 32 characters (HS256 key)');
  return value;
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
