import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One delivery as the receiver saw it, verified with the Standard Webhooks library. */
export interface ReceivedWebhook {
  webhookId: string;
  timestamp: number;
  signature: string;
  /** The raw body verified with the endpoint's secret by `standardwebhooks` (undefined: no secret set yet). */
  verified: boolean;
  body: { type: string; timestamp: string; data: { eventId: string; sellerId: number; sellerSeq: number; entityType: string; entityId: string; orderSn: string | null; payloadVersion: number; payload: Record<string, unknown> } };
  raw: string;
  host: string | undefined;
  status: number;
  at: number;
}

/** How the receiver answers a request: a status (with an optional Location, after an optional delay), or nothing (the socket is destroyed). */
export type Answer = { status: number; location?: string; delayMs?: number } | 'hang-up';
export type AnswerRule = (delivery: Omit<ReceivedWebhook, 'status' | 'at'>) => Answer;

/**
 * A seller's backend in the test process: a real HTTP server that verifies each delivery with the
 * `standardwebhooks` library (as any receiver would, over the raw bytes) and answers by a rule the test
 * changes (200 by default; 401 for a signature that does not verify). `close()` makes its port refuse
 * connections; `listen()` again opens the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** TCP connections accepted (a refused target must never reach one). */
  connections = 0;
  rule: AnswerRule = () => ({ status: 200 });
  private secrets: string[] = [];
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** The secret(s) the receiver verifies with; a delivery verifies if any of them does. */
  useSecrets(...secrets: string[]): void {
    this.secrets = secrets;
  }

  async listen(port = this.port): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', () => (this.connections += 1));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Deliveries answered 2xx, first of each webhook-id (receivers deduplicate on it), in arrival order. */
  accepted(): ReceivedWebhook[] {
    const seen = new Set<string>();
    return this.received.filter((r) => r.status >= 200 && r.status < 300 && !seen.has(r.webhookId) && seen.add(r.webhookId));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
    const verified = this.secrets.some((secret) => {
      try {
        new Webhook(secret).verify(raw, headers);
        return true;
      } catch {
        return false;
      }
    });
    const delivery = { webhookId: headers['webhook-id'], timestamp: Number(headers['webhook-timestamp']), signature: headers['webhook-signature'], verified, body: JSON.parse(raw), raw, host: req.headers.host };
    const answer: Answer = verified ? this.rule(delivery) : { status: 401 };
    if (answer === 'hang-up') {
      this.received.push({ ...delivery, status: 0, at: Date.now() });
      req.socket.destroy();
      return;
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    this.received.push({ ...delivery, status: answer.status, at: Date.now() });
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.location ? { location: answer.location } : {}) });
    res.end(answer.status < 300 ? 'ok' : `answer ${answer.status}`);
  }
}
