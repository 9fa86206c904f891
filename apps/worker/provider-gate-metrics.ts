import type { Client } from '@temporalio/client';
import { Gauge, Registry } from 'prom-client';
import { GATE_FAMILIES, GateFamily, GateProvider, providerGateWorkflowId } from '../../domain/provider-gate';
import { ProviderGateState, providerGateStateQuery } from '../../workflows/provider-gate.contract';

const PROVIDERS: readonly GateProvider[] = ['wechatpay', 'alipay'];

/**
 * The provider gates as metrics, read at scrape time from each gate's query (cached a second): a gate
 * that is not running is closed with nothing waiting. The gates read are this system's (its task queue).
 *   orders_provider_gate_open{provider, family}              1 while open
 *   orders_provider_gate_open_seconds{provider, family}      how long it has been open (0 when closed)
 *   orders_provider_gate_waiting{provider, family}           calls waiting behind it
 *   orders_provider_gate_waiting_fen{provider, family}       the money they carry
 *   orders_provider_gate_last_probe_age_seconds{…}           since its last probe (-1: none yet)
 */
export function registerProviderGateMetrics(registry: Registry, client: Client, taskQueue: string): void {
  let cached: { at: number; states: Promise<Map<string, ProviderGateState | undefined>> } | undefined;
  const states = () => {
    if (!cached || Date.now() - cached.at > 1000) {
      const read = Promise.all(
        PROVIDERS.flatMap((provider) => GATE_FAMILIES.map(async (family) => {
          const id = providerGateWorkflowId(provider, family, taskQueue);
          const state = await client.workflow.getHandle(id).query(providerGateStateQuery).catch(() => undefined);
          return [`${provider}/${family}`, state] as const;
        })),
      ).then((entries) => new Map(entries));
      cached = { at: Date.now(), states: read };
    }
    return cached.states;
  };
  const gauge = (name: string, help: string, value: (state: ProviderGateState | undefined) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider', 'family'] as const,
      registers: [registry],
      async collect() {
        const all = await states();
        for (const provider of PROVIDERS) for (const family of GATE_FAMILIES) this.set({ provider, family: family as GateFamily }, value(all.get(`${provider}/${family}`)));
      },
    });
  gauge('orders_provider_gate_open', 'Whether the provider gate is open (1) or closed (0)', (s) => (s?.status === 'OPEN' ? 1 : 0));
  gauge('orders_provider_gate_open_seconds', 'Seconds the provider gate has been open (0 when closed)', (s) => (s?.openSinceIso ? (Date.now() - Date.parse(s.openSinceIso)) / 1000 : 0));
  gauge('orders_provider_gate_waiting', 'Calls waiting behind the provider gate', (s) => s?.waiting ?? 0);
  gauge('orders_provider_gate_waiting_fen', 'Money (fen) of the refunds waiting behind the provider gate', (s) => s?.waitingFen ?? 0);
  gauge('orders_provider_gate_last_probe_age_seconds', 'Seconds since the provider gate last probed the provider (-1: never)', (s) => (s?.lastProbe ? (Date.now() - Date.parse(s.lastProbe.atIso)) / 1000 : -1));
}
