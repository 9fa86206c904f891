import { ConfigError } from './config-error';

/** Settings every process shares. Read once at start-up; each bad value raises a ConfigError naming it. */
export interface AppConfig {
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  api: { port: number; publicBaseUrl: string; jwtSecret: string };
  /** Timing of the refund workflow's provider polling, so tests can run it in seconds. */
  refund: { pollScheduleMs: number[] };
}

type Env = Record<string, string | undefined>;

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

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "1m", "2h", "1d" → milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]];
}

function readDurationList(env: Env, name: string, fallback: string): number[] {
  const raw = env[name] ?? fallback;
  const parts = raw.split(',').map((part) => part.trim()).filter(Boolean);
  const values = parts.map(parseDurationMs);
  if (parts.length === 0 || values.some((v) => v === undefined || v <= 0)) {
    throw new ConfigError(name, `"${raw}" must be a comma-separated list of durations like 1m,5m,10m (units ms,s,m,h,d)`);
  }
  return values as number[];
}
