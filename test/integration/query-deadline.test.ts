import { placeOrder } from '../support/orders';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * A read endpoint never hangs on a workflow that cannot answer its query: with no worker polling, the
 * order's page answers within the query deadline (20 s), with its row and the workflow's state
 * marked unavailable, instead of keeping the HTTP call open until the client gives up.
 */
describe('workflow queries have a deadline', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('answers an order without its workflow state when no worker answers the query', async () => {
    const order = await placeOrder(system);
    const support = system.token('support', 1);
    const live = await system.http('GET', `/orders/${order.orderSn}`, { token: support });
    expect(live.body.workflow.state).toMatchObject({ orderSn: order.orderSn });

    await system.stopWorker();
    const began = Date.now();
    const stale = await system.http('GET', `/orders/${order.orderSn}`, { token: support });
    const tookMs = Date.now() - began;
    expect(stale.status).toBe(200);
    expect(stale.body.workflow.state).toEqual({ unavailable: expect.any(String) });
    // Without the deadline the server gave up after ~29 s (measured); with it, 20 s.
    expect(tookMs).toBeLessThan(25_000);
    process.stdout.write(`order page without a worker answered in ${tookMs} ms: ${stale.body.workflow.state.unavailable}\n`);
    await system.startWorker();
  }, 120_000);
});
