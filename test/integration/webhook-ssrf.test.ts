import { insertWebhookEndpoint } from '../../db/webhook-endpoints';
import { runWebhookEndpointWorkflow } from '../../apps/shared/webhook-workflows';
import { webhookEndpointStateQuery, webhookEndpointWorkflowId } from '../../workflows/webhook-endpoint.contract';
import { newSellerId, seedGoods } from '../support/fixtures';
import { placeOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * The webhook SSRF guard with WEBHOOK_ALLOW_PRIVATE_TARGETS off (as outside development; http is allowed
 * here only so that the refusals below are the address check's, not the scheme's): registering a
 * loopback, metadata, private or CGNAT address, or a name resolving to one, is a 422 problem; and an
 * endpoint that points inside anyway (registered before the setting changed, or whose name resolves
 * inside by now) is refused at every connection. A real receiver listens on the loopback address
 * throughout and must never see a connection.
 */
jest.setTimeout(180_000);

describe('webhooks: targets inside are refused', () => {
  let system: TestSystem;
  const receiver = new WebhookReceiver();
  let sellerId: number;

  beforeAll(async () => {
    await receiver.listen();
    system = await startTestSystem({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_RETRY_INITIAL: '200ms', WEBHOOK_RETRY_MAX_INTERVAL: '1s' });
    sellerId = newSellerId();
  });
  afterAll(async () => {
    await system?.stop();
    await receiver.close();
  });

  it.each([
    ['loopback', () => `http://127.0.0.1:${receiver.port}/hooks`, /127.0.0.1 is loopback/],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/', /link-local \(cloud metadata\)/],
    ['a name resolving to loopback', () => `http://localhost:${receiver.port}/hooks`, /localhost resolves to .* loopback/],
    ['IPv6 loopback', () => `http://[::1]:${receiver.port}/hooks`, /::1 is loopback/],
    ['IPv4-mapped IPv6', () => `http://[::ffff:127.0.0.1]:${receiver.port}/hooks`, /IPv4-mapped/],
    ['private', () => 'http://10.20.30.40/hooks', /private/],
    ['CGNAT', () => 'http://100.64.0.10/hooks', /carrier-grade NAT/],
    ['unspecified', () => `http://0.0.0.0:${receiver.port}/hooks`, /unspecified/],
    ['credentials in the URL', () => 'http://user:secret@hooks.example.com/x', /user name or password/],
  ])('refuses registering %s with a problem answer', async (_what, url, why) => {
    const answer = await system.http('POST', '/seller/webhook-endpoints', { token: system.token('seller', sellerId), body: { url: url() } });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'WEBHOOK_URL_REFUSED', detail: expect.stringMatching(why) });
  });

  it('created nothing and made no request', async () => {
    const list = await system.http('GET', '/seller/webhook-endpoints', { token: system.token('seller', sellerId) });
    expect(list.body).toEqual({ items: [], nextCursor: null });
    expect(receiver.connections).toBe(0);
  });

  it('takes a seller API key with the webhooks:manage scope; one without it is a 403', async () => {
    const key = async (scopes: string[]) => (await system.http('POST', '/seller/api-keys', { token: system.token('seller', sellerId), body: { name: `hooks ${scopes}`, scopes } })).body.key as string;
    const manager = await key(['webhooks:manage']);
    expect((await system.http('GET', '/seller/webhook-endpoints', { token: manager })).status).toBe(200);
    const refused = await system.http('POST', '/seller/webhook-endpoints', { token: manager, body: { url: `http://127.0.0.1:${receiver.port}/hooks` } });
    expect(refused.body.code).toBe('WEBHOOK_URL_REFUSED');
    const reader = await key(['events:read']);
    const denied = await system.http('GET', '/seller/webhook-endpoints', { token: reader });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('refuses an endpoint that points inside anyway at every connection: attempts say why, the receiver sees nothing', async () => {
    // As if it had been registered while the setting was on (or its name resolved outside then).
    const id = await insertWebhookEndpoint(system.dataSource, { sellerId, url: receiver.url, description: 'points inside', eventTypes: null, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    await runWebhookEndpointWorkflow(system.temporal, system.config.temporal.taskQueue, { id, sellerId }, 'changed');
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 1000, stock: 5 });
    await placeOrder(system, { sku: { skuId, sellerId }, quantity: 1 });
    const attempts = await eventually(async () => {
      const page = await system.http('GET', `/seller/webhook-endpoints/${id}/attempts`, { token: system.token('seller', sellerId) });
      return page.body.items.length >= 2 ? page.body.items : undefined;
    }, 60_000, 'refused attempts recorded');
    for (const attempt of attempts) expect(attempt).toMatchObject({ statusCode: null, outcome: 'RETRY', error: expect.stringMatching(/^refused: .*127.0.0.1 is loopback/) });
    const state = await system.temporal.workflow.getHandle(webhookEndpointWorkflowId(id)).query(webhookEndpointStateQuery);
    expect(state.health).toBe('FAILING');
    // Moving it to another inside name is refused too.
    const moved = await system.http('PATCH', `/seller/webhook-endpoints/${id}`, { token: system.token('seller', sellerId), body: { url: `http://localhost:${receiver.port}/hooks` } });
    expect(moved.status).toBe(422);
    expect(receiver.connections).toBe(0);
    const deleted = await system.http('DELETE', `/seller/webhook-endpoints/${id}`, { token: system.token('seller', sellerId) });
    expect(deleted.status).toBe(204);
    await system.temporal.workflow.getHandle(webhookEndpointWorkflowId(id)).result();
  });
});
