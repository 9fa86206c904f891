import {
  DEFAULT_PROVIDER_GATE_SETTINGS,
  GateOutcome,
  OrderSettingError,
  addOutcomes,
  probeCloses,
  releaseBatch,
  providerGateWorkflowId,
  readProviderGateSettings,
  shouldOpen,
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

  it('releases batches of at most the rate, oldest first', () => {
    expect(releaseBatch([1, 2, 3, 4, 5], 3)).toEqual([1, 2, 3]);
    expect(releaseBatch([1], 3)).toEqual([1]);
    expect(releaseBatch([1, 2], 1)).toEqual([1]);
  });

  it('reads validated settings, off by default', () => {
    expect(readProviderGateSettings(() => undefined)).toEqual(DEFAULT_PROVIDER_GATE_SETTINGS);
    const env: Record<string, string> = { PROVIDER_GATE: 'on', PROVIDER_GATE_WINDOW: '30s', PROVIDER_GATE_MIN_CALLS: '5', PROVIDER_GATE_FAILURE_RATE: '0.8', PROVIDER_GATE_PROBE_INTERVAL: '5s', PROVIDER_GATE_RELEASE_RATE: '2' };
    expect(readProviderGateSettings((n) => env[n])).toEqual({ enabled: true, windowMs: 30_000, minCalls: 5, failureRate: 0.8, probeIntervalMs: 5_000, releasePerSecond: 2 });
    for (const [name, value] of [['PROVIDER_GATE', 'maybe'], ['PROVIDER_GATE_WINDOW', '500ms'], ['PROVIDER_GATE_MIN_CALLS', '0'], ['PROVIDER_GATE_FAILURE_RATE', '1.5'], ['PROVIDER_GATE_PROBE_INTERVAL', 'soon'], ['PROVIDER_GATE_RELEASE_RATE', '50'], ['PROVIDER_GATE_RELEASE_RATE', '2.5']]) {
      expect(() => readProviderGateSettings((n) => (n === name ? value : undefined))).toThrow(OrderSettingError);
      expect(() => readProviderGateSettings((n) => (n === name ? value : undefined))).toThrow(name);
    }
  });
});
