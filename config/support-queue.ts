import { DEFAULT_SERVICE_LEVELS, SERVICE_LEVEL_SETTINGS, ServiceLevels, WORK_KINDS, parseDuration } from '../domain';
import { ConfigError } from './config-error';

/** Support's work queue: how long each kind may wait on a person, and how often overdue items are looked for. */
export interface SupportQueueSettings {
  /** Per kind, milliseconds (SUPPORT_SLA_PARKED_REFUND, SUPPORT_SLA_MANUAL_AFTER_SALE, …; defaults in domain/support-work.ts). */
  serviceLevelsMs: ServiceLevels;
  /** How often the Schedule runs the overdue marker (SUPPORT_OVERDUE_CHECK_INTERVAL, default 15m). */
  checkIntervalMs: number;
}

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;

/** A service level is a duration from 1 minute to a year: shorter would escalate on every check, longer means none. */
export function readSupportQueueSettings(env: NodeJS.ProcessEnv): SupportQueueSettings {
  const serviceLevelsMs = {} as ServiceLevels;
  for (const kind of WORK_KINDS) {
    const name = SERVICE_LEVEL_SETTINGS[kind];
    serviceLevelsMs[kind] = readBoundedDuration(env, name, DEFAULT_SERVICE_LEVELS[kind], 1000, YEAR);
  }
  return { serviceLevelsMs, checkIntervalMs: readBoundedDuration(env, 'SUPPORT_OVERDUE_CHECK_INTERVAL', '15m', 1000, 24 * 60 * MINUTE) };
}

function readBoundedDuration(env: NodeJS.ProcessEnv, name: string, fallback: string, minMs: number, maxMs: number): number {
  const raw = (env[name] ?? '').trim() || fallback;
  let value: number;
  try {
    value = parseDuration(raw, name);
  } catch (err) {
    throw new ConfigError(name, (err as { problem?: string }).problem ?? (err as Error).message);
  }
  if (value < minMs || value > maxMs) throw new ConfigError(name, `"${raw}" must be between ${minMs / 1000} s and ${Math.round(maxMs / MINUTE)} min`);
  return value;
}
