import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { SellerClient, createSellerClient, ok } from '../../clients/seller';

/**
 * A seller's backend in miniature (docs/seller-integration.md, "Seller backend example"): it calls the
 * API with its API key through the generated client, registers its own webhook endpoint, verifies each
 * delivery with the Standard Webhooks library, handles each `webhook-id` once, and applies one rule —
 * an order paid for a SKU the seller cannot ship is cancelled at once.
 */

export interface SellerBackendOptions {
  apiUrl: string;
  /** `sk_live_…` with scopes orders:read, orders:write and webhooks:manage. */
  apiKey: string;
  /** SKUs the warehouse cannot ship: a paid order holding one is cancelled. */
  blockedSkuIds: string[];
  /** Where the webhook server listens (port 0: any free port). */
  host?: string;
  port?: number;
}

/** What the backend did with one delivery (kept for the test and the console). */
export interface HandledDelivery {
  webhookId: string;
  type: string;
  orderSn: string | null;
  outcome: 'handled' | 'duplicate' | 'cancelled' | 'rejected';
}

export interface SellerBackend {
  url: string;
  endpointId: string;
  deliveries: HandledDelivery[];
  close(): Promise<void>;
}

interface Delivery {
  type: string;
  data: { eventId: string; orderSn: string | null };
}

export async function startSellerBackend(options: SellerBackendOptions): Promise<SellerBackend> {
  const client = createSellerClient({ baseUrl: options.apiUrl, apiKey: options.apiKey });
  const deliveries: HandledDelivery[] = [];
  // Ids handled. A real backend keeps them in its database (unique key), next to the effect.
  const seen = new Set<string>();
  let webhook: Webhook | undefined;

  const server = createServer((req, res) => void receive(req, res));
  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const webhookId = String(req.headers['webhook-id'] ?? '');
    // Registration still answering: 503 is retried, while a 4xx would fail the message for good.
    if (!webhook) return void res.writeHead(503).end();
    let delivery: Delivery;
    try {
      // Verified over the exact bytes received, before anything is parsed or trusted.
      delivery = webhook.verify(raw, req.headers as Record<string, string>) as Delivery;
    } catch (err) {
      deliveries.push({ webhookId, type: 'unknown', orderSn: null, outcome: 'rejected' });
      res.writeHead(err instanceof WebhookVerificationError ? 401 : 400).end();
      return;
    }
    const record = (outcome: HandledDelivery['outcome']) => deliveries.push({ webhookId, type: delivery.type, orderSn: delivery.data.orderSn, outcome });
    if (seen.has(webhookId)) {
      record('duplicate');
      res.writeHead(200).end();
      return;
    }
    try {
      record((await applyRules(client, delivery, options.blockedSkuIds)) ? 'cancelled' : 'handled');
      seen.add(webhookId);
      res.writeHead(200).end();
    } catch (err) {
      // Not marked seen: the API retries the delivery, and the cancellation's Idempotency-Key makes a second try harmless.
      console.error(`seller-backend: ${webhookId} failed: ${(err as Error).message}`);
      res.writeHead(500).end();
    }
  }

  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const url = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}/webhooks`;
  try {
    const endpoint = await ok(client.POST('/v1/seller/webhook-endpoints', { body: { url, description: 'seller-backend example', eventTypes: ['order.paid', 'order.cancelled'] } }));
    webhook = new Webhook(endpoint.secret);
    return { url, endpointId: String(endpoint.id), deliveries, close: () => closeServer(server) };
  } catch (err) {
    await closeServer(server);
    throw err;
  }
}

/** The rule: an order paid for a blocked SKU is cancelled. Returns whether it asked for a cancellation. */
async function applyRules(client: SellerClient, delivery: Delivery, blockedSkuIds: string[]): Promise<boolean> {
  const orderSn = delivery.data.orderSn;
  if (delivery.type !== 'order.paid' || !orderSn) return false;
  const order = await ok(client.GET('/v1/orders/{orderSn}', { params: { path: { orderSn } } }));
  const blocked = order.items.find((item) => blockedSkuIds.includes(String(item.skuId)));
  if (!blocked) return false;
  await ok(client.POST('/v1/orders/{orderSn}/cancellations', {
    params: { path: { orderSn }, header: { 'Idempotency-Key': `seller-backend-cancel-${orderSn}` } },
    body: { reason: `SKU ${blocked.skuId} cannot be shipped` },
  }));
  return true;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
