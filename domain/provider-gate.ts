import { OrderSettingError, parseDuration } from './order-settings';

/**
 * The provider gate's rule (issue 25 item 4), pure: the gate workflow (workflows/provider-gate.workflow.ts)
 * and the settings reader use it, the unit tests check it. One gate per provider and operation family
 * counts the calls' outcomes by failure class (the classes of payments/error-classes.ts: retryable,
 * needs-operator, final) in a sliding window. Only retryable failures (5xx, timeouts, SYSTEM_ERROR, rate
 * limits) say "the provider is down"; needs-operator and final answers are the provider answering about
 * one case, so they count as answered calls.
 */
export type GateProvider = 'wechatpay' | 'alipay';
export type GateFamily = 'refunds' | 'payment-queries';
export type GateFailureClass = 'retryable' | 'needs-operator' | 'final';

export const GATE_FAMILIES: readonly GateFamily[] = ['refunds', 'payment-queries'];

export const providerGateWorkflowId = (provider: GateProvider, family: GateFamily): string => `provider-gate-${provider}-${family}`;

/** One provider call's outcome as the activity that made it saw it. */
export interface GateOutcome {
  atMs: number;
  /** undefined: the provider answered (whatever the business answer). */
  failure?: GateFailureClass;
}

/** The outcomes of one second. */
export interface GateBucket {
  second: number;
  ok: number;
  retryable: number;
  needsOperator: number;
  final: number;
}

export interface GateCounts {
  calls: number;
  ok: number;
  retryable: number;
  needsOperator: number;
  final: number;
  /** retryable / calls (0 without calls). */
  failureRate: number;
}

export interface ProviderGateSettings {
  /** PROVIDER_GATE=on|off (default off): off, calls are neither counted nor held, as before the gate. */
  enabled: boolean;
  /** PROVIDER_GATE_WINDOW: how far back the failure rate looks (default 1m). */
  windowMs: number;
  /** PROVIDER_GATE_MIN_CALLS: fewer calls in the window never open the gate (default 10). */
  minCalls: number;
  /** PROVIDER_GATE_FAILURE_RATE: the share of retryable failures in the window that opens it (default 0.5). */
  failureRate: number;
  /** PROVIDER_GATE_PROBE_INTERVAL: while open, one probe call this often (default 30s). */
  probeIntervalMs: number;
  /** PROVIDER_GATE_RELEASE_RATE: waiting calls released per second once it closes, a whole number (default 3, at most the providers' ceiling of 3). */
  releasePerSecond: number;
}

/**
 * The providers' rate limit for calls that may still fail: 6 a second (see activities/provider-failures.ts).
 * A released refund makes up to two calls (it asks about its number, then submits it), so the gate
 * releases at most 3 a second: a burst above it would earn FREQUENCY_LIMITED answers and re-open the gate.
 */
export const PROVIDER_CALL_CEILING_PER_SECOND: Readonly<Record<GateProvider, number>> = { wechatpay: 6, alipay: 6 };
export const CALLS_PER_RELEASE = 2;
export const GATE_RELEASE_CEILING_PER_SECOND: Readonly<Record<GateProvider, number>> = {
  wechatpay: PROVIDER_CALL_CEILING_PER_SECOND.wechatpay / CALLS_PER_RELEASE,
  alipay: PROVIDER_CALL_CEILING_PER_SECOND.alipay / CALLS_PER_RELEASE,
};

export const DEFAULT_PROVIDER_GATE_SETTINGS: ProviderGateSettings = {
  enabled: false,
  windowMs: 60_000,
  minCalls: 10,
  failureRate: 0.5,
  probeIntervalMs: 30_000,
  releasePerSecond: 3,
};

/** Adds outcomes to the per-second buckets and drops what is older than the window. */
export function addOutcomes(buckets: readonly GateBucket[], outcomes: readonly GateOutcome[], nowMs: number, windowMs: number): GateBucket[] {
  const bySecond = new Map<number, GateBucket>(buckets.map((b) => [b.second, { ...b }]));
  for (const outcome of outcomes) {
    const second = Math.floor(outcome.atMs / 1000);
    const bucket = bySecond.get(second) ?? { second, ok: 0, retryable: 0, needsOperator: 0, final: 0 };
    if (outcome.failure === 'retryable') bucket.retryable += 1;
    else if (outcome.failure === 'needs-operator') bucket.needsOperator += 1;
    else if (outcome.failure === 'final') bucket.final += 1;
    else bucket.ok += 1;
    bySecond.set(second, bucket);
  }
  const oldest = Math.floor((nowMs - windowMs) / 1000);
  return [...bySecond.values()].filter((b) => b.second > oldest).sort((a, b) => a.second - b.second);
}

export function windowCounts(buckets: readonly GateBucket[], nowMs: number, windowMs: number): GateCounts {
  const oldest = Math.floor((nowMs - windowMs) / 1000);
  const counts = { calls: 0, ok: 0, retryable: 0, needsOperator: 0, final: 0, failureRate: 0 };
  for (const b of buckets) {
    if (b.second <= oldest) continue;
    counts.ok += b.ok;
    counts.retryable += b.retryable;
    counts.needsOperator += b.needsOperator;
    counts.final += b.final;
  }
  counts.calls = counts.ok + counts.retryable + counts.needsOperator + counts.final;
  counts.failureRate = counts.calls === 0 ? 0 : counts.retryable / counts.calls;
  return counts;
}

/** The gate opens when the window holds enough calls and the share of retryable failures reaches the threshold. */
export function shouldOpen(counts: GateCounts, settings: Pick<ProviderGateSettings, 'minCalls' | 'failureRate'>): boolean {
  return counts.calls >= settings.minCalls && counts.failureRate >= settings.failureRate;
}

/** A probe's outcome closes the gate when the provider answered (any answer but a retryable failure). */
export function probeCloses(outcome: GateOutcome): boolean {
  return outcome.failure !== 'retryable';
}

/**
 * The release pace: batches of at most `releasePerSecond` waiting calls, each batch at least a second
 * after the previous one (the gate sleeps a second between them), so no one-second window holds two
 * batches and none holds more than the rate, however slowly the gate's tasks run.
 */
export function releaseBatch<T>(waiting: readonly T[], releasePerSecond: number): T[] {
  return waiting.slice(0, Math.max(1, Math.floor(releasePerSecond)));
}

/**
 * Reads PROVIDER_GATE, PROVIDER_GATE_WINDOW, PROVIDER_GATE_MIN_CALLS, PROVIDER_GATE_FAILURE_RATE,
 * PROVIDER_GATE_PROBE_INTERVAL and PROVIDER_GATE_RELEASE_RATE; each bad value is an OrderSettingError naming it.
 */
export function readProviderGateSettings(get: (name: string) => string | undefined): ProviderGateSettings {
  const raw = (name: string) => {
    const value = get(name);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const gate = (raw('PROVIDER_GATE') ?? 'off').toLowerCase();
  if (gate !== 'on' && gate !== 'off') throw new OrderSettingError('PROVIDER_GATE', `${JSON.stringify(gate)} must be on or off`);
  const duration = (name: string, fallback: number, minMs: number, maxMs: number) => {
    const text = raw(name);
    if (text === undefined) return fallback;
    const ms = parseDuration(text, name);
    if (ms < minMs || ms > maxMs) throw new OrderSettingError(name, `${JSON.stringify(text)} must be between ${minMs} ms and ${maxMs / 60_000} min`);
    return ms;
  };
  const number = (name: string, fallback: number, check: (n: number) => boolean, what: string) => {
    const text = raw(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !check(n)) throw new OrderSettingError(name, `${JSON.stringify(text)} must be ${what}`);
    return n;
  };
  const ceiling = Math.min(...Object.values(GATE_RELEASE_CEILING_PER_SECOND));
  const d = DEFAULT_PROVIDER_GATE_SETTINGS;
  return {
    enabled: gate === 'on',
    windowMs: duration('PROVIDER_GATE_WINDOW', d.windowMs, 1_000, 60 * 60_000),
    minCalls: number('PROVIDER_GATE_MIN_CALLS', d.minCalls, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'a whole number from 1 to 100000'),
    failureRate: number('PROVIDER_GATE_FAILURE_RATE', d.failureRate, (n) => n > 0 && n <= 1, 'a share above 0 and at most 1, e.g. 0.5'),
    probeIntervalMs: duration('PROVIDER_GATE_PROBE_INTERVAL', d.probeIntervalMs, 1_000, 10 * 60_000),
    releasePerSecond: number('PROVIDER_GATE_RELEASE_RATE', d.releasePerSecond, (n) => Number.isInteger(n) && n >= 1 && n <= ceiling, `whole calls a second from 1 to the providers' ceiling of ${ceiling}`),
  };
}
