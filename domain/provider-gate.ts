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

/**
 * `provider-gate-{provider}-{family}-{system}`: the system is the deployment's task queue
 * (TEMPORAL_TASK_QUEUE), so two systems sharing a namespace never share (or release each other's
 * work from) one gate. Without a system the id is the bare per-provider one.
 */
export const providerGateWorkflowId = (provider: GateProvider, family: GateFamily, system?: string): string =>
  `provider-gate-${provider}-${family}${system ? `-${system}` : ''}`;

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
  /**
   * PROVIDER_GATE_RELEASE_PER_SECOND: provider calls a second, at most, made by the work the gate
   * released once it closes (default 5, at most the providers' 6 a second for calls that may still
   * fail). The gate releases `releasesPerSecond()` waiting workflows a second and paces each of their
   * calls through `reserveCallSlot`.
   */
  releaseCallsPerSecond: number;
}

/**
 * The providers' rate limit for calls that may still fail: WeChat Pay allows 6 a second for erroring
 * calls (150 for successful ones; /work/shared/reference/payments.md §1.1), and we hold Alipay to the
 * same. Just after an outage every call may still fail, so the release stays under the lower limit: a
 * burst above it would earn FREQUENCY_LIMITED answers and re-open the gate.
 */
export const PROVIDER_CALL_CEILING_PER_SECOND: Readonly<Record<GateProvider, number>> = { wechatpay: 6, alipay: 6 };
/** A released refund makes up to two calls: it asks about its number, then submits it (if the provider never saw it). */
export const CALLS_PER_RELEASE = 2;

export const DEFAULT_PROVIDER_GATE_SETTINGS: ProviderGateSettings = {
  enabled: false,
  windowMs: 60_000,
  minCalls: 10,
  failureRate: 0.5,
  probeIntervalMs: 30_000,
  releaseCallsPerSecond: 5,
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
 * When a held call should ask again: a second after the open gate's next probe (its last one, or its
 * opening, plus the probe interval), never in the past. A payment query held by the gate waits for it
 * instead of its own schedule: before that probe the gate cannot have closed.
 */
export function afterNextProbeMs(openSinceMs: number, lastProbeAtMs: number | undefined, probeIntervalMs: number, nowMs: number): number {
  const nextProbe = Math.max(openSinceMs, lastProbeAtMs ?? 0) + probeIntervalMs;
  return Math.max(nowMs + 1_000, nextProbe + 1_000);
}

/** Waiting workflows released a second: the call rate over the calls each makes (at least one a second). */
export function releasesPerSecond(releaseCallsPerSecond: number): number {
  return Math.max(1, Math.floor(releaseCallsPerSecond / CALLS_PER_RELEASE));
}

/**
 * The release pace: batches of at most `releasesPerSecond` waiting workflows, each batch at least a
 * second after the previous one (the gate sleeps a second between them), so no one-second window
 * holds two batches. The batches only bound how much work queues for call slots: the calls themselves
 * are paced by `reserveCallSlot`, since a released workflow's calls start whenever its tasks run.
 */
export function releaseBatch<T>(waiting: readonly T[], releaseCallsPerSecond: number): T[] {
  return waiting.slice(0, releasesPerSecond(releaseCallsPerSecond));
}

/**
 * Slots are spaced a quarter wider than 1 s / rate: a call reaches the provider a little after its
 * slot (the worker's timer, the HTTP round trip), and only a spread of that lateness above the margin
 * could put rate + 1 calls into one second.
 */
export const CALL_SLOT_MARGIN = 1.25;
/** A call is not given a slot further ahead than this: it is retried later instead of holding a worker slot. */
export const CALL_SLOT_HORIZON_MS = 5_000;

export const callSlotSpacingMs = (callsPerSecond: number): number => Math.ceil((1000 * CALL_SLOT_MARGIN) / callsPerSecond);

export type CallSlot = { kind: 'slot'; atMs: number; nextFreeMs: number } | { kind: 'later'; retryAfterMs: number };

/**
 * A call made outside the slots (the gate's own probe) still counts: the next slot is at least a
 * spacing after it, so the release that follows a probe's answer cannot crowd the probe's second.
 */
export function afterUnslottedCall(nextFreeMs: number, callAtMs: number, callsPerSecond: number): number {
  return Math.max(nextFreeMs, callAtMs + callSlotSpacingMs(callsPerSecond));
}

/**
 * The pacing rule for released work's provider calls (a one-place token bucket of depth one, kept by
 * the gate): each call gets the next free instant, at least `callSlotSpacingMs` after the previous
 * one, so any one-second window holds at most `callsPerSecond` calls. A slot further ahead than the
 * horizon is not handed out; the caller asks again after `retryAfterMs`.
 */
export function reserveCallSlot(nextFreeMs: number, nowMs: number, callsPerSecond: number, horizonMs = CALL_SLOT_HORIZON_MS): CallSlot {
  const atMs = Math.max(nowMs, nextFreeMs);
  if (atMs - nowMs > horizonMs) return { kind: 'later', retryAfterMs: atMs - nowMs - horizonMs + callSlotSpacingMs(callsPerSecond) };
  return { kind: 'slot', atMs, nextFreeMs: atMs + callSlotSpacingMs(callsPerSecond) };
}

/**
 * Reads PROVIDER_GATE, PROVIDER_GATE_WINDOW, PROVIDER_GATE_MIN_CALLS, PROVIDER_GATE_FAILURE_RATE,
 * PROVIDER_GATE_PROBE_INTERVAL and PROVIDER_GATE_RELEASE_PER_SECOND; each bad value is an OrderSettingError naming it.
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
  // The old name counted released refunds, not calls: a value left under it must not be silently ignored.
  if (raw('PROVIDER_GATE_RELEASE_RATE') !== undefined) throw new OrderSettingError('PROVIDER_GATE_RELEASE_RATE', 'is replaced by PROVIDER_GATE_RELEASE_PER_SECOND (provider calls a second, not refunds)');
  const ceiling = Math.min(...Object.values(PROVIDER_CALL_CEILING_PER_SECOND));
  const d = DEFAULT_PROVIDER_GATE_SETTINGS;
  return {
    enabled: gate === 'on',
    windowMs: duration('PROVIDER_GATE_WINDOW', d.windowMs, 1_000, 60 * 60_000),
    minCalls: number('PROVIDER_GATE_MIN_CALLS', d.minCalls, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'a whole number from 1 to 100000'),
    failureRate: number('PROVIDER_GATE_FAILURE_RATE', d.failureRate, (n) => n > 0 && n <= 1, 'a share above 0 and at most 1, e.g. 0.5'),
    probeIntervalMs: duration('PROVIDER_GATE_PROBE_INTERVAL', d.probeIntervalMs, 1_000, 10 * 60_000),
    releaseCallsPerSecond: number('PROVIDER_GATE_RELEASE_PER_SECOND', d.releaseCallsPerSecond, (n) => Number.isInteger(n) && n >= 1 && n <= ceiling, `whole provider calls a second from 1 to the providers' limit of ${ceiling} (erroring calls)`),
  };
}
