import type { TestSystem } from './system';
import { eventually } from './system';
import type { ReceivedWebhook, WebhookReceiver } from './webhook-receiver';

/** What the webhook tests share: registering an endpoint on a receiver, the produced events, and the two checks. */

export interface RegisteredEndpoint {
  id: number;
  secret: string;
  /** The seller's last event number when it was registered: it receives what follows. */
  from: number;
}

/** Registers `receiver` as an endpoint of the seller (201 expected) and gives the receiver its secret. */
export async function registerEndpoint(system: TestSystem, sellerId: number, receiver: WebhookReceiver, body: Record<string, unknown> = {}): Promise<RegisteredEndpoint> {
  const created = await system.http('POST', '/seller/webhook-endpoints', { token: system.token('seller', sellerId), body: { url: receiver.url, ...body } });
  if (created.status !== 201) throw new Error(`register ${receiver.url}: ${created.status} ${JSON.stringify(created.body)}`);
  if (!/^whsec_[A-Za-z0-9+/]+=*$/.test(created.body.secret)) throw new Error(`not a Standard Webhooks secret: ${created.body.secret}`);
  receiver.useSecrets(created.body.secret);
  return { id: created.body.id, secret: created.body.secret, from: created.body.cursor };
}

export interface ProducedEvent {
  event_id: string;
  seller_seq: number;
  order_sn: string | null;
  event_type: string;
}

/** The seller's outbox rows after `after` (of these types), in sequence order. */
export async function producedEvents(system: TestSystem, sellerId: number, types?: string[], after = 0): Promise<ProducedEvent[]> {
  const rows: ProducedEvent[] = await system.dataSource.query('SELECT event_id, seller_seq, order_sn, event_type FROM business_event WHERE seller_id = ? AND seller_seq > ? ORDER BY seller_seq', [sellerId, after]);
  return rows.filter((r) => !types || types.includes(r.event_type));
}

/** Waits until the receiver has accepted exactly the events produced since the endpoint was registered (by webhook-id); returns their ids. */
export async function waitForAllDelivered(system: TestSystem, sellerId: number, receiver: WebhookReceiver, endpoint: RegisteredEndpoint, types?: string[], timeoutMs = 90_000): Promise<string[]> {
  return eventually(async () => {
    const expected = (await producedEvents(system, sellerId, types, endpoint.from)).map((r) => r.event_id).sort();
    const got = receiver.accepted().map((r) => r.webhookId).sort();
    return got.length === expected.length && got.every((id, i) => id === expected[i]) ? expected : undefined;
  }, timeoutMs, `every event at ${receiver.url}`);
}

/** The deliveries of each order (first arrival of each webhook-id) that arrived out of seller_seq order; [] when none did. */
export function outOfSequence(deliveries: ReceivedWebhook[]): string[] {
  const lastByOrder = new Map<string, number>();
  const wrong: string[] = [];
  for (const d of deliveries) {
    const key = d.body.data.orderSn ?? `${d.body.data.entityType}:${d.body.data.entityId}`;
    if ((lastByOrder.get(key) ?? 0) > d.body.data.sellerSeq) wrong.push(`${key}: ${d.body.data.sellerSeq} after ${lastByOrder.get(key)}`);
    lastByOrder.set(key, Math.max(lastByOrder.get(key) ?? 0, d.body.data.sellerSeq));
  }
  return wrong;
}
