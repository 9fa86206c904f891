import { ProviderGateState } from '../../workflows/provider-gate.contract';
import { recordHistory } from '../support/fixtures';
import { providerGateWorkflowId, releasesPerSecond } from '../../domain/provider-gate';
import { PlacedOrder, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { cancelPaidOrder, gateState, maxInAnySecond, moneyCheck, refundCallsBetween, refundsOf, releaseTimes } from '../support/provider-outage';

/**
 * A WeChat Pay refund outage (issue 25 item 4), short: 20 paid orders cancelled while the simulator
 * fails every WeChat Pay refund call for 30 s. The gate opens, refund workflows wait on it instead of
 * retrying, it probes every 5 s, closes when the provider answers and releases them within its pace:
 * the released refunds' calls (each asks, then submits) reach the simulator at most 4 in any second
 * (PROVIDER_GATE_RELEASE_PER_SECOND); every refund succeeds once, under its own number.
 */
jest.setTimeout(300_000);

const ORDERS = 20;
const OUTAGE_MS = 30_000;
const PROBE_MS = 5_000;
const RELEASE_CALLS_PER_SECOND = 4;

describe('provider gate: a WeChat Pay refund outage', () => {
  let system: TestSystem;
  let gateId: string;
  beforeAll(async () => {
    system = await startTestSystem({
      PROVIDER_GATE: 'on',
      PROVIDER_GATE_WINDOW: '30s',
      PROVIDER_GATE_MIN_CALLS: '5',
      PROVIDER_GATE_FAILURE_RATE: '0.5',
      PROVIDER_GATE_PROBE_INTERVAL: `${PROBE_MS}ms`,
      PROVIDER_GATE_RELEASE_PER_SECOND: String(RELEASE_CALLS_PER_SECOND),
    });
    gateId = providerGateWorkflowId('wechatpay', 'refunds', system.config.temporal.taskQueue);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('opens, holds the calls, probes, closes and releases at its rate; nothing lost or doubled', async () => {
    const orders: PlacedOrder[] = [];
    for (let i = 0; i < ORDERS; i += 5) orders.push(...(await Promise.all([0, 1, 2, 3, 4].map(() => placePaidOrder(system, 'wechatpay', { quantity: 1, priceFen: 1000 + i })))));

    const outageStart = Date.now();
    await system.sim.startOutage({ provider: 'wechatpay', operations: ['submitRefund', 'queryRefund'], durationMs: OUTAGE_MS });
    await Promise.all(orders.map((order) => cancelPaidOrder(system, order, `gate-${order.orderSn}`)));

    // Open within a minute, with the refunds waiting behind it and their money counted.
    const open = await eventually(async () => {
      const state = await gateState(system);
      return state?.status === 'OPEN' && state.waiting >= ORDERS / 2 ? state : undefined;
    }, 60_000, 'the gate open with refunds waiting');
    expect(Date.parse(open.openSinceIso!) - outageStart).toBeLessThan(60_000);
    expect(open.waitingFen).toBeGreaterThan(0);
    expect(open.window.retryable).toBeGreaterThanOrEqual(5);
    // The Temporal UI finds it: ProviderGateState="OPEN".
    await eventually(async () => {
      for await (const wf of system.temporal.workflow.list({ query: `WorkflowId = "${gateId}" AND ProviderGateState = "OPEN"` })) return wf;
      return undefined;
    }, 30_000, 'the open gate in visibility');
    // The support console's line reads it from GET /support/provider-gates.
    const gates = await system.http('GET', '/support/provider-gates', { token: system.token('support', 1) });
    expect(gates.status).toBe(200);
    expect(gates.body.gates.find((g: { provider: string; family: string }) => g.provider === 'wechatpay' && g.family === 'refunds')).toMatchObject({ status: 'OPEN', running: true, workflowId: gateId });
    const waitingAll = await eventually(async () => ((await gateState(system))?.waiting === ORDERS ? (await gateState(system))! : undefined), 60_000, 'every refund waiting');

    const refunds = await eventually(async () => {
      const rows = await refundsOf(system, orders);
      return rows.length === ORDERS && rows.every((r) => r.status === 'SUCCESS') ? rows : undefined;
    }, OUTAGE_MS + 120_000, 'every refund SUCCESS after the outage');
    const outageEnd = outageStart + OUTAGE_MS;
    const closed: ProviderGateState = (await gateState(system))!;
    expect(closed.status).toBe('CLOSED');
    expect(closed.lastProbe?.answered).toBe(true);
    expect(closed.released).toBeGreaterThanOrEqual(ORDERS);

    // During the outage: each refund's first try (and a retry for some) before the gate opened, then probes only.
    const duringOutage = await refundCallsBetween(system, outageStart, outageEnd);
    const afterOpen = await refundCallsBetween(system, Date.parse(open.openSinceIso!) + 5_000, outageEnd);
    const probesDuringOutage = Math.ceil(OUTAGE_MS / PROBE_MS) + 1;
    console.log(`provider gate test: ${duringOutage.length} WeChat refund calls during the ${OUTAGE_MS / 1000} s outage (${afterOpen.length} after the gate opened); probes ${closed.probes}; ${waitingAll.waitingFen} fen waited`);
    expect(duringOutage.length).toBeLessThanOrEqual(2 * ORDERS + probesDuringOutage);
    expect(afterOpen.length).toBeLessThanOrEqual(probesDuringOutage);

    // Money: every order refunded once at the provider, under its own number.
    expect(await moneyCheck(system, orders)).toEqual({ refunds: ORDERS, succeeded: ORDERS, atProvider: ORDERS, lost: 0, doubled: 0 });

    // The release never beat its pace: released refunds (two calls each) and, at the simulator, the calls themselves.
    const released = await releaseTimes(system);
    expect(released.length).toBeGreaterThanOrEqual(ORDERS);
    expect(maxInAnySecond(released)).toBeLessThanOrEqual(releasesPerSecond(RELEASE_CALLS_PER_SECOND));
    const afterRecovery = await refundCallsBetween(system, outageEnd, Date.now() + 1);
    const maxCalls = maxInAnySecond(afterRecovery.map((c) => Date.parse(c.at)));
    console.log(`provider gate test: ${afterRecovery.length} WeChat refund calls after recovery, at most ${maxCalls} in any second (configured ${RELEASE_CALLS_PER_SECOND}); ${closed.pacedCalls} calls paced by the gate`);
    // Every released refund asked, then submitted: both calls took a slot from the gate.
    expect(closed.pacedCalls).toBeGreaterThanOrEqual(2 * ORDERS);
    expect(afterRecovery.length).toBeGreaterThanOrEqual(ORDERS);
    expect(maxCalls).toBeLessThanOrEqual(RELEASE_CALLS_PER_SECOND);

    await recordHistory(system.temporal.workflow.getHandle(gateId), 'provider-gate-outage');
    await recordHistory(system.temporal.workflow.getHandle(`refund-${refunds[0].refund_sn}`), 'refund-waited-for-provider-gate');
  });
});
