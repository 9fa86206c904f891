import {
  DEFAULT_PROVIDER_GATE_SETTINGS,
  GateOutcome,
  OrderSettingError,
  addOutcomes,
  probeCloses,
  releaseBatch,
  releasesPerSecond,
  reserveCallSlot,
  afterUnslottedCall,
  callSlotSpacingMs,
  CALL_SLOT_HORIZON_MS,
  providerGateWorkflowId,
  readProviderGateSettings,
  shouldOpen,
  windowCounts,
} from '../../../domain';

const at = (s: number, failure?: GateOutcome['failure']): GateOutcome => ({ atMs: s * 1000, ...(failure ? { failure } : {}) });
const settings = { minCalls: 10, failureRate: 0.5 };

describe('provider gate rule', () => {
  it('names one gate per provider, family and system (its task queue)', () => {
    expect(providerGateWorkflowId('wechatpay', 'refunds')).toBe('provider-gate-wechatpay-refunds');
    expect(providerGateWorkflowId('wechatpay', 'refunds', 'orders')).toBe('provider-gate-wechatpay-refunds-orders');
    expect(providerGateWorkflowId('alipay', 'payment-queries', 'orders-b')).not.toBe(providerGateWorkflowId('alipay', 'payment-queries', 'orders'));
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

  it('releases batches of the call rate over the two calls a refund makes, at least one, oldest first', () => {
    expect(releasesPerSecond(6)).toBe(3);
    expect(releasesPerSecond(5)).toBe(2);
    expect(releasesPerSecond(1)).toBe(1);
    expect(releaseBatch([1, 2, 3, 4, 5], 6)).toEqual([1, 2, 3]);
    expect(releaseBatch([1], 6)).toEqual([1]);
    expect(releaseBatch([1, 2], 2)).toEqual([1]);
  });

  it('paces released calls: however they bunch, no one-second window gets more than the rate', () => {
    for (const rate of [1, 2, 3, 5, 6]) {
      // 40 calls asking at once, then 40 more spread at random over 10 s: every slot handed out is kept.
      let nextFree = 0;
      const slots: number[] = [];
      const asks = [...Array.from({ length: 40 }, () => 1_000), ...Array.from({ length: 40 }, (_, i) => 1_000 + ((i * 7919) % 10_000))].sort((a, b) => a - b);
      let deferred = 0;
      for (const now of asks) {
        const slot = reserveCallSlot(nextFree, now, rate);
        if (slot.kind === 'later') {
          deferred += 1;
          // Told to come back no earlier than a slot is within the horizon.
          expect(Math.max(now, nextFree) - (now + slot.retryAfterMs)).toBeLessThan(CALL_SLOT_HORIZON_MS);
          continue;
        }
        expect(slot.atMs).toBeGreaterThanOrEqual(now);
        expect(slot.atMs - now).toBeLessThanOrEqual(CALL_SLOT_HORIZON_MS);
        slots.push(slot.atMs);
        nextFree = slot.nextFreeMs;
      }
      expect(deferred).toBeGreaterThan(0);
      // Slots a spacing apart: rate + 1 of them span more than a second, with a margin for lateness.
      for (let i = 1; i < slots.length; i++) expect(slots[i] - slots[i - 1]).toBeGreaterThanOrEqual(callSlotSpacingMs(rate));
      for (let i = rate; i < slots.length; i++) expect(slots[i] - slots[i - rate]).toBeGreaterThanOrEqual(1_000 + 200);
    }
  });

  it('hands out a call slot at once when the pace allows it', () => {
    expect(reserveCallSlot(0, 5_000, 5)).toEqual({ kind: 'slot', atMs: 5_000, nextFreeMs: 5_250 });
    expect(reserveCallSlot(5_250, 5_100, 5)).toEqual({ kind: 'slot', atMs: 5_250, nextFreeMs: 5_500 });
    expect(reserveCallSlot(20_000, 5_000, 5)).toEqual({ kind: 'later', retryAfterMs: 10_250 });
    // The gate's probe took the provider's attention at 5 000: the first release call comes a spacing later.
    expect(reserveCallSlot(afterUnslottedCall(0, 5_000, 5), 5_010, 5)).toMatchObject({ kind: 'slot', atMs: 5_250 });
    expect(afterUnslottedCall(9_000, 5_000, 5)).toBe(9_000);
  });

  it('reads validated settings, off by default', () => {
    expect(readProviderGateSettings(() => undefined)).toEqual(DEFAULT_PROVIDER_GATE_SETTINGS);
    const env: Record<string, string> = { PROVIDER_GATE: 'on', PROVIDER_GATE_WINDOW: '30s', PROVIDER_GATE_MIN_CALLS: '5', PROVIDER_GATE_FAILURE_RATE: '0.8', PROVIDER_GATE_PROBE_INTERVAL: '5s', PROVIDER_GATE_RELEASE_PER_SECOND: '4' };
    expect(readProviderGateSettings((n) => env[n])).toEqual({ enabled: true, windowMs: 30_000, minCalls: 5, failureRate: 0.8, probeIntervalMs: 5_000, releaseCallsPerSecond: 4 });
    // The default stays within the providers' 6 calls a second for erroring calls.
    expect(DEFAULT_PROVIDER_GATE_SETTINGS.releaseCallsPerSecond).toBeLessThanOrEqual(6);
    for (const [name, value] of [['PROVIDER_GATE', 'maybe'], ['PROVIDER_GATE_WINDOW', '500ms'], ['PROVIDER_GATE_MIN_CALLS', '0'], ['PROVIDER_GATE_FAILURE_RATE', '1.5'], ['PROVIDER_GATE_PROBE_INTERVAL', 'soon'], ['PROVIDER_GATE_RELEASE_PER_SECOND', '7'], ['PROVIDER_GATE_RELEASE_PER_SECOND', '0'], ['PROVIDER_GATE_RELEASE_PER_SECOND', '2.5'], ['PROVIDER_GATE_RELEASE_RATE', '3']]) {
      expect(() => readProviderGateSettings((n) => (n === name ? value : undefined))).toThrow(OrderSettingError);
      expect(() => readProviderGateSettings((n) => (n === name ? value : undefined))).toThrow(name);
    }
  });
});
