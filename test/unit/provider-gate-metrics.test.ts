import type { Client } from '@temporalio/client';
import { Registry } from 'prom-client';
import { registerProviderGateMetrics } from '../../apps/worker/provider-gate-metrics';
import { DEFAULT_PROVIDER_GATE_SETTINGS } from '../../domain/provider-gate';
import type { ProviderGateState } from '../../workflows/provider-gate.contract';

describe('provider gate metrics', () => {
  it('exports each gate from its query; a gate not running is closed with nothing waiting', async () => {
    const open: ProviderGateState = {
      provider: 'wechatpay',
      family: 'refunds',
      status: 'OPEN',
      openSinceIso: new Date(Date.now() - 90_000).toISOString(),
      waiting: 312,
      waitingFen: 4_821_000,
      lastProbe: { atIso: new Date(Date.now() - 10_000).toISOString(), answered: false, detail: 'SYSTEM_ERROR' },
      probes: 3,
      released: 0,
      opened: 1,
      pacedCalls: 0,
      window: { calls: 40, ok: 0, retryable: 40, needsOperator: 0, final: 0, failureRate: 1 },
      settings: DEFAULT_PROVIDER_GATE_SETTINGS,
    };
    const client = {
      workflow: {
        getHandle: (id: string) => ({ query: async () => (id === 'provider-gate-wechatpay-refunds-orders' ? open : Promise.reject(new Error('workflow not found'))) }),
      },
    } as unknown as Client;
    const registry = new Registry();
    registerProviderGateMetrics(registry, client, 'orders');
    const text = await registry.metrics();
    expect(text).toContain('orders_provider_gate_open{provider="wechatpay",family="refunds"} 1');
    expect(text).toContain('orders_provider_gate_waiting{provider="wechatpay",family="refunds"} 312');
    expect(text).toContain('orders_provider_gate_waiting_fen{provider="wechatpay",family="refunds"} 4821000');
    expect(text).toContain('orders_provider_gate_open{provider="alipay",family="refunds"} 0');
    expect(text).toContain('orders_provider_gate_last_probe_age_seconds{provider="alipay",family="payment-queries"} -1');
    const openSeconds = Number(/orders_provider_gate_open_seconds\{provider="wechatpay",family="refunds"\} ([0-9.]+)/.exec(text)?.[1]);
    expect(openSeconds).toBeGreaterThanOrEqual(90);
  });
});
