/**
 * Drill (not a test): a WeChat Pay refund outage while paid orders are cancelled, with the provider
 * gate on and then off (PROVIDER_GATE=off), in one run (issue 25 item 4).
 *
 *   npm run bench:provider-outage                               # 300 orders, 10-minute outage
 *   npm run bench:provider-outage -- --outage-minutes 3         # a quicker run
 *   npm run bench:provider-outage -- --orders 100 --parallel    # both scenarios at once (half the time, shared CPU)
 *
 * Starts its own Temporal dev server and MariaDB database (the test harness's global setup), and per
 * scenario a system (API, worker, simulator) of its own. Each scenario places the paid orders, starts
 * the outage (the simulator answers every WeChat Pay refund submit and query 500 SYSTEM_ERROR), cancels
 * the orders at --cancel-rate a second, and prints: when the gate opened, the provider refund calls
 * during the outage, refunds lost or doubled (the simulator's ledger against the refund table), how long
 * after recovery all refunds succeeded, and the fastest release (refunds released by the gate, and
 * refund calls at the provider, in any one second after recovery) against the configured
 * PROVIDER_GATE_RELEASE_PER_SECOND (--release-per-second, default 5).
 */
import 'reflect-metadata';
import '../test/support/quiet-runtime';
import globalSetup from '../test/support/global-setup';
import { numberArg, runMain } from './cli';
import globalTeardown from '../test/support/global-teardown';
import { PlacedOrder, placePaidOrder } from '../test/support/orders';
import { startTestSystem } from '../test/support/system';
import { releasesPerSecond } from '../domain/provider-gate';
import { cancelPaidOrder, gateState, maxInAnySecond, moneyCheck, refundCallsBetween, refundsOf, releaseTimes } from '../test/support/provider-outage';

const ORDERS = numberArg('orders', 300);
const OUTAGE_MS = numberArg('outage-minutes', 10) * 60_000;
const CANCEL_RATE = numberArg('cancel-rate', 10);
/** Provider calls a second of the released work (PROVIDER_GATE_RELEASE_PER_SECOND). */
const RELEASE_CALLS = numberArg('release-per-second', 5);
const PARALLEL = process.argv.includes('--parallel');
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface ScenarioResult {
  gate: 'on' | 'off';
  openedAfterMs?: number;
  callsDuringOutage: number;
  lost: number;
  doubled: number;
  succeeded: number;
  allSucceededAfterRecoveryMs?: number;
  maxReleasedPerSecond?: number;
  maxProviderCallsPerSecondAfterRecovery: number;
}

async function scenario(gate: 'on' | 'off'): Promise<ScenarioResult> {
  const log = (line: string) => console.log(`[gate ${gate}] ${line}`);
  const system = await startTestSystem({
    PROVIDER_GATE: gate,
    PROVIDER_GATE_WINDOW: '1m',
    PROVIDER_GATE_MIN_CALLS: '10',
    PROVIDER_GATE_FAILURE_RATE: '0.5',
    PROVIDER_GATE_PROBE_INTERVAL: '30s',
    PROVIDER_GATE_RELEASE_PER_SECOND: String(RELEASE_CALLS),
    // Refund notifications arrive; the polling is the provider's default pace (not the tests' seconds).
    REFUND_POLL_SCHEDULE: '1m,5m',
  }, { ownDatabase: true });
  try {
    const orders: PlacedOrder[] = [];
    const placing = Date.now();
    for (let i = 0; i < ORDERS; i += 10) {
      orders.push(...(await Promise.all(Array.from({ length: Math.min(10, ORDERS - i) }, () => placePaidOrder(system, 'wechatpay', { quantity: 1, priceFen: 990 })))));
    }
    log(`${orders.length} paid WeChat Pay orders placed in ${s(Date.now() - placing)}`);

    const outageStart = Date.now();
    const outageEnd = outageStart + OUTAGE_MS;
    await system.sim.startOutage({ provider: 'wechatpay', operations: ['submitRefund', 'queryRefund'], durationMs: OUTAGE_MS });
    log(`outage: every WeChat Pay refund call fails for ${s(OUTAGE_MS)}; cancelling at ${CANCEL_RATE}/s`);
    let openedAt: number | undefined;
    // One query at a time: on a loaded machine a query a second that is not awaited fills the gate's query buffer.
    let asking = false;
    const watchGate = setInterval(() => {
      if (asking || openedAt !== undefined) return;
      asking = true;
      void gateState(system).then((state) => {
        if (state?.openSinceIso && openedAt === undefined) openedAt = Date.parse(state.openSinceIso);
      }).finally(() => {
        asking = false;
      });
    }, 1000);
    for (let i = 0; i < orders.length; i += CANCEL_RATE) {
      const started = Date.now();
      await Promise.all(orders.slice(i, i + CANCEL_RATE).map((order) => cancelPaidOrder(system, order, `outage-${order.orderSn}`)));
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }
    log(`${orders.length} cancellations accepted after ${s(Date.now() - outageStart)}`);

    let succeededAt: number | undefined;
    let lastReport = 0;
    for (;;) {
      const rows = await refundsOf(system, orders);
      const done = rows.filter((r) => r.status === 'SUCCESS').length;
      if (Date.now() - lastReport > 30_000) {
        const state = await gateState(system);
        log(`${s(Date.now() - outageStart)} in: ${done}/${orders.length} refunds SUCCESS; gate ${state ? `${state.status}, ${state.waiting} waiting (${state.waitingFen} fen), ${state.probes} probes, last probe ${state.lastProbe?.atIso ?? '-'} ${state.lastProbe?.detail ?? ''}` : 'not running'}`);
        lastReport = Date.now();
      }
      if (done === orders.length && rows.length === orders.length) {
        succeededAt = Date.now();
        break;
      }
      if (Date.now() > outageEnd + 20 * 60_000) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    clearInterval(watchGate);

    const duringOutage = await refundCallsBetween(system, outageStart, outageEnd);
    const afterRecovery = await refundCallsBetween(system, outageEnd, Date.now() + 1);
    const money = await moneyCheck(system, orders);
    const released = gate === 'on' ? await releaseTimes(system) : [];
    return {
      gate,
      ...(openedAt !== undefined ? { openedAfterMs: openedAt - outageStart } : {}),
      callsDuringOutage: duringOutage.length,
      lost: money.lost,
      doubled: money.doubled,
      succeeded: money.succeeded,
      ...(succeededAt !== undefined ? { allSucceededAfterRecoveryMs: succeededAt - outageEnd } : {}),
      ...(gate === 'on' ? { maxReleasedPerSecond: maxInAnySecond(released) } : {}),
      maxProviderCallsPerSecondAfterRecovery: maxInAnySecond(afterRecovery.map((c) => Date.parse(c.at))),
    };
  } finally {
    await system.stop();
  }
}

async function main(): Promise<void> {
  await globalSetup();
  try {
    const results = PARALLEL ? await Promise.all([scenario('on'), scenario('off')]) : [await scenario('on'), await scenario('off')];
    const [on, off] = results;
    console.log(`\nprovider outage drill: ${ORDERS} paid WeChat Pay orders cancelled at ${CANCEL_RATE}/s during a ${s(OUTAGE_MS)} refund outage${PARALLEL ? ' (both scenarios at once)' : ''}`);
    console.log(`  gate opened after outage start:        ${on.openedAfterMs === undefined ? 'never' : s(on.openedAfterMs)}`);
    console.log(`  provider refund calls during outage:   gate on ${on.callsDuringOutage}, gate off ${off.callsDuringOutage}`);
    for (const r of results) console.log(`  refunds lost / doubled (gate ${r.gate}):    ${r.lost} / ${r.doubled}; SUCCESS ${r.succeeded}/${ORDERS}`);
    for (const r of results) console.log(`  all SUCCESS after recovery (gate ${r.gate}): ${r.allSucceededAfterRecoveryMs === undefined ? 'not within 20 min' : s(r.allSucceededAfterRecoveryMs)}`);
    console.log(`  release: at most ${on.maxReleasedPerSecond} refunds released in any second (${releasesPerSecond(RELEASE_CALLS)}/s for ${RELEASE_CALLS} calls/s)`);
    console.log(`  provider refund calls after recovery, most in any 1-second window: gate on ${on.maxProviderCallsPerSecondAfterRecovery} (configured ${RELEASE_CALLS}/s: ${on.maxProviderCallsPerSecondAfterRecovery <= RELEASE_CALLS ? 'within' : 'OVER'}), gate off ${off.maxProviderCallsPerSecondAfterRecovery}`);
  } finally {
    await globalTeardown();
  }
  process.exit(0);
}

runMain(main);
