import { OrderStatus } from '../../domain';
import { providerGateWorkflowId } from '../../domain/provider-gate';
import { ProviderGateState, providerGateStateQuery } from '../../workflows/provider-gate.contract';
import { orderStateQuery, orderWorkflowId } from '../../workflows/order.contract';
import { PlacedOrder, placeOrder, startPayment, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { recordHistory } from '../support/fixtures';

/**
 * The order's payment watch waits on the payment-queries gate (issue 25 item 4): unpaid WeChat Pay
 * payments asked about every second while every WeChat Pay payment query fails. The gate opens; the
 * watches' queries are held (PROVIDER_GATE_OPEN) until the gate's next probe instead of asking every
 * second; once the provider answers the watches ask again and find a payment made meanwhile.
 */
jest.setTimeout(240_000);

const ORDERS = 4;
const OUTAGE_MS = 30_000;
const PROBE_MS = 20_000;

describe('provider gate: payment queries wait on it', () => {
  let system: TestSystem;
  let gateId: string;
  beforeAll(async () => {
    system = await startTestSystem({
      PROVIDER_GATE: 'on',
      PROVIDER_GATE_WINDOW: '30s',
      PROVIDER_GATE_MIN_CALLS: '4',
      PROVIDER_GATE_FAILURE_RATE: '0.5',
      PROVIDER_GATE_PROBE_INTERVAL: `${PROBE_MS}ms`,
      // Each watch asks every second: without the gate, ORDERS calls a second into the failing API.
      PAYMENT_QUERY_SCHEDULE: '1s',
    });
    gateId = providerGateWorkflowId('wechatpay', 'payment-queries', system.config.temporal.taskQueue);
  });
  afterAll(async () => {
    await system?.stop();
  });

  const gate = () => system.temporal.workflow.getHandle(gateId).query(providerGateStateQuery).catch(() => undefined);
  const queriesBetween = async (fromMs: number, toMs: number) =>
    (await system.sim.requests({ provider: 'wechatpay', operation: 'queryPayment' })).filter((c) => Date.parse(c.at) >= fromMs && Date.parse(c.at) < toMs);

  it('opens on failing queries, holds the watches until its next probe, and they find the payment after it closes', async () => {
    await system.sim.startOutage({ provider: 'wechatpay', operations: ['queryPayment'], durationMs: OUTAGE_MS });
    const outageStart = Date.now();
    const orders: PlacedOrder[] = await Promise.all(Array.from({ length: ORDERS }, () => placeOrder(system)));
    const trades = await Promise.all(orders.map((order) => startPayment(system, order, 'wechatpay')));

    const open: ProviderGateState = await eventually(async () => {
      const state = await gate();
      return state?.status === 'OPEN' ? state : undefined;
    }, 30_000, 'the payment-queries gate open');
    const openedAt = Date.parse(open.openSinceIso!);

    // Every watch is held, waiting for the gate's next probe rather than its own one-second schedule.
    const watch = (order: PlacedOrder) => system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn)).query(orderStateQuery).then((s) => s.paymentWatches?.[0]);
    const held = await eventually(async () => {
      const views = await Promise.all(orders.map(watch));
      return views.every((v) => v?.detail === 'held by the open provider gate') ? views : undefined;
    }, 20_000, 'every watch held by the gate');
    for (const view of held) expect(Date.parse(view!.nextQueryAtIso!)).toBeGreaterThanOrEqual(openedAt + PROBE_MS);

    // While it is open: no query from the watches (only the gate's probes), against ORDERS a second without it.
    const quietFrom = openedAt + 3_000;
    const quietTo = openedAt + PROBE_MS - 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, quietTo - Date.now())));
    const whileOpen = await queriesBetween(quietFrom, quietTo);
    console.log(`payment-queries gate test: opened ${openedAt - outageStart} ms into the outage; ${whileOpen.length} WeChat payment queries in the ${(quietTo - quietFrom) / 1000} s after (about ${Math.round((ORDERS * (quietTo - quietFrom)) / 1000)} without the gate)`);
    expect(whileOpen).toHaveLength(0);

    // The buyer pays the first order meanwhile (its notification is dropped): the watch finds it once the gate closes.
    await system.sim.controlNotifications({ mode: 'drop', kind: 'payment', provider: 'wechatpay', count: 10 });
    await system.sim.payTrade(trades[0], 'wechatpay');
    await eventually(async () => ((await gate())?.status === 'CLOSED' ? true : undefined), OUTAGE_MS + 2 * PROBE_MS + 10_000, 'the gate closed after the outage');
    await waitForStatus(system, orders[0].orderSn, OrderStatus.PAID_OFF, 30_000);
    const resumed = await eventually(async () => {
      const view = await watch(orders[1]);
      return view && view.detail !== 'held by the open provider gate' ? view : undefined;
    }, 30_000, 'the other watches asking again');
    expect(resumed.outcome).toBeUndefined();
    // An order whose watch was held by the gate, then found the payment: a replay fixture.
    await recordHistory(system.temporal.workflow.getHandle(orderWorkflowId(orders[0].orderSn)), 'order-payment-watch-held-by-gate');
  });
});
