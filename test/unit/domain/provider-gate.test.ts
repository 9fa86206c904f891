import {
  DEFAULT_PROVIDER_GATE_SETTINGS,
  GateOutcome,
  OrderSettingError,
  addOutcomes,
  msUntilNextRelease,
  probeCloses,
  providerGateWorkflowId,
  readProviderGateSettings,
  shouldOpen,
  takeReleases,
  windowCounts,
} from '../../../domain';

const at = (s: number, failure?: GateOutcome['failure']): GateOutcome => ({ atMs: s * 1000, ...(failure ? { failure } : {}) });
const settings = { minCalls: 10, failureRate: 0.5 };

describe('provider gate rule', () => {
  it('names one gate per provider and family', () => {
    expect(providerGateWorkflowId('wechatpay', 'refunds')).toBe('provider-gate-wechatpay-refunds');
  });

  it('counts outcomes by class in a sliding window and forgets older ones', () => {
    let buckets = addOutcomes([], [at(1), at(1, 'retryable'), at(2, 'final'), at(3, 'needs-operator')], 3_000, 60_000);
    expect(windowCounts(buckets, 3_000, 60_000)).toEqual({ calls: 4, ok: 1, retryable: 1, needsOperator: 1, final: 1, failureRate: 0.25 });
    buckets = addOutcomes(buckets, [at(70, 'retryable')], 70_000, 60_000);
    // Seconds 1–3 are more than a minute back.
    expect(buckets.map((b) => b.second)).toEqual([70]);
    expect(windowCounts(buckets, 70_000, 60_000)).toMatchObject({ calls: 1, retryable: 1, failureRate: 1 });
    // Buckets never outnumber the window's seconds.
    const many = addOutcomes([], Array.from({ length: 5000 }, (_, i) => at(i / 10, 'retryable')), 500_000, 60_000);
    expect(many.length).toBeLessThanOrEqual(60);
  });

  it('opens only with enough calls and a high enough share of retryable failures', () => {
    const nine = addOutcomes([], Array.from({ length: 9 }, () => at(5, 'retryable')), 5_000, 60_000);
    expect(shouldOpen(windowCounts(nine, 5_000, 60_000), settings)).toBe(false);
    const ten = addOutcomes(nine, [at(5, 'retryable')], 5_000, 60_000);
    expect(shouldOpen(windowCounts(ten, 5_000, 60_000), settings)).toBe(true);
    // Final and needs-operator answers are the provider answering: they do not open it.
    const answered = addOutcomes([], Array.from({ length: 20 }, (_, i) => at(5, i % 2 ? 'final' : 'needs-operator')), 5_000, 60_000);
    expect(shouldOpen(windowCounts(answered, 5_000, 60_000), settings)).toBe(false);
    const half = addOutcomes([], Array.from({ length: 20 }, (_, i) => at(5, i % 2 ? 'retryable' : undefined)), 5_000, 60_000);
    expect(shouldOpen(windowCounts(half, 5_000, 60_000), settings)).toBe(true);
    expect(shouldOpen(windowCounts(half, 5_000, 60_000), { minCalls: 10, failureRate: 0.6 })).toBe(false);
  });

  it('a probe closes the gate when the provider answers anything but a retryable failure', () => {
    expect(probeCloses(at(1))).toBe(true);
    expect(probeCloses(at(1, 'final'))).toBe(true);
    expect(probeCloses(at(1, 'retryable'))).toBe(false);
  });

  it('releases never faster than the rate, whatever the asking pattern', () => {
    const rate = 5;
    let bucket = { tokens: 0, atMs: 0 };
    const released: number[] = [];
    for (let now = 0; now <= 20_000; now += 37) {
      const take = takeReleases(bucket, now, rate, 1000);
      bucket = take.bucket;
      for (let i = 0; i < take.granted; i++) released.push(now);
    }
    // In any one-second window: at most `rate` (the bucket holds one token: releases are 1000/rate ms apart).
    for (const t of released) expect(released.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(rate);
    // Polled every 37 ms it loses a little; woken exactly when a token is whole (as the gate workflow sleeps) it keeps the rate.
    expect(released.length).toBeGreaterThanOrEqual(rate * 20 * 0.85);
    let exact = { tokens: 1, atMs: 0 };
    let now = 0;
    let count = 0;
    while (now < 10_000) {
      const take = takeReleases(exact, now, rate, 1);
      exact = take.bucket;
      count += take.granted;
      now += Math.max(1, msUntilNextRelease(exact, rate));
    }
    expect(count).toBe(rate * 10);
    expect(msUntilNextRelease({ tokens: 0.5, atMs: 0 }, 5)).toBe(100);
    expect(msUntilNextRelease({ tokens: 1, atMs: 0 }, 5)).toBe(0);
  });

  it('reads validated settings, off by default', () => {
    expect(readProviderGateSettings(() => undefined)).toEqual(DEFAULT_PROVIDER_GATE_SETTINGS);
    const env: Record<string, string> = { PROVIDER_GATE: 'on', PROVIDER_GATE_WINDOW: '30s', PROVIDER_GATE_MIN_CALLS: '5', PROVIDER_GATE_FAILURE_RATE: '0.8', PROVIDER_GATE_PROBE_INTERVAL: '5s', PROVIDER_GATE_RELEASE_RATE: '2.5' };
    expect(readProviderGateSettings((n) => env[n])).toEqual({ enabled: true, windowMs: 30_000, minCalls: 5, failureRate: 0.8, probeIntervalMs: 5_000, releasePerSecond: 2.5 });
    for (const [name, value] of [['PROVIDER_GATE', 'maybe'], ['PROVIDER_GATE_WINDOW', '500ms'], ['PROVIDER_GATE_MIN_CALLS', '0'], ['PROVIDER_GATE_FAILURE_RATE', '1.5'], ['PROVIDER_GATE_PROBE_INTERVAL', 'soon'], ['PROVIDER_GATE_RELEASE_RATE', '50']]) {
      expect(() => readProviderGateSettings((n) => (n === name ? value : undefined))).toThrow(OrderSettingError);
      expect(() => readProviderGateSettings((n) => (n === name ? value : undefined))).toThrow(name);
    }
  });
});
