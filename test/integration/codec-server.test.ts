/**
 * The codec server on real Temporal: it decrypts the payloads of a real order's history for support
 * and admin tokens only (401 without or with a bad token, 403 for buyers and sellers), in the header
 * or in the path form the dev server's UI uses; it answers the UI's CORS preflight for allowed origins
 * only; it encrypts what the CLI sends; the Temporal CLI shows the history readable through it and
 * as ciphertext without it. And key rotation on a running order: a worker given a new current key
 * carries on an order whose history was written with the old one.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { CodecServer } from '../../apps/codec-server/server';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, payloadFromJson, payloadToJson } from '../../apps/shared/payload-codec';
import { connectWorkerConnection } from '../../apps/shared/temporal';
import { createLogger } from '../../apps/shared/logger';
import { createOrderWorkers } from '../../apps/worker/worker';
import { DEVELOPMENT_PAYLOAD_KEY, readPayloadEncryption } from '../../config/payload-encryption';
import { OrderStatus } from '../../domain';
import { placeOrder, waitForStatus } from '../support/orders';
import { TestSystem, startTestSystem } from '../support/system';

const UI_ORIGIN = 'http://localhost:8233';
/** Rotation, phase 1 (before this file's tests): every process already knows the next key, "dev" is still current. */
const NEXT_KEY = randomBytes(32).toString('base64');
const KNOWN_KEYS = `dev:${DEVELOPMENT_PAYLOAD_KEY},2027-01:${NEXT_KEY}`;
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

/** The payloads of a history as Temporal holds them (fetchHistory applies no codec). */
function payloadsOf(value: unknown, out: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const metadata = (value as { metadata?: Record<string, unknown> }).metadata;
  if (metadata && metadata.encoding instanceof Uint8Array) {
    if (utf8(metadata.encoding as Uint8Array) === ENCRYPTED_ENCODING) out.push(value as Payload);
    return out;
  }
  for (const v of Object.values(value as Record<string, unknown>)) payloadsOf(v, out);
  return out;
}

describe('codec server', () => {
  let system: TestSystem;
  let server: CodecServer;
  let url: string;
  beforeAll(async () => {
    system = await startTestSystem({ PAYLOAD_CODEC_KEYS: KNOWN_KEYS, PAYLOAD_CODEC_KEY_ID: 'dev' });
    server = new CodecServer({ codec: new EncryptionCodec(system.config.temporal.payloadEncryption), jwtSecret: system.config.api.jwtSecret, corsOrigins: [UI_ORIGIN], log: createLogger('codec-server', undefined, { LOG_LEVEL: 'silent' }) });
    url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await server?.close();
    await system?.stop();
  });

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { payloads?: { metadata: Record<string, string>; data: string }[]; message?: string } };
  };
  const bearer = (role: 'buyer' | 'seller' | 'support' | 'admin') => ({ authorization: `Bearer ${system.token(role, 7)}` });

  it('decodes a real order history for support and admin, and refuses everyone else', async () => {
    const order = await placeOrder(system);
    const history = await system.temporal.workflow.getHandle(`order-${order.orderSn}`).fetchHistory();
    const payloads = payloadsOf(history).map(payloadToJson);
    expect(payloads.length).toBeGreaterThan(2);
    expect(payloads.map((p) => JSON.stringify(p)).join('')).not.toContain(order.orderSn);

    for (const role of ['support', 'admin'] as const) {
      const decoded = await post('/decode', { payloads }, bearer(role));
      expect(decoded.status).toBe(200);
      expect(decoded.body.payloads).toHaveLength(payloads.length);
      const texts = decoded.body.payloads!.map((p) => ({ encoding: Buffer.from(p.metadata.encoding, 'base64').toString(), data: Buffer.from(p.data, 'base64').toString() }));
      for (const { encoding } of texts) expect(['json/plain', 'binary/null']).toContain(encoding);
      // The workflow's input: the order, readable JSON again.
      expect(texts.some(({ data }) => data.includes(order.orderSn) && JSON.parse(data))).toBe(true);
    }
    // The dev server's UI sends no header: the token in the path works the same, with the same rules.
    expect((await post(`/token/${system.token('support', 7)}/decode`, { payloads })).status).toBe(200);
    expect((await post(`/token/${system.token('seller', 7)}/decode`, { payloads })).status).toBe(403);

    const missing = await post('/decode', { payloads });
    expect(missing.status).toBe(401);
    expect(missing.body.message).toMatch(/missing bearer token/);
    expect((await post('/decode', { payloads }, { authorization: 'Bearer not.a.jwt' })).status).toBe(401);
    expect((await post('/decode', { payloads }, { authorization: `Bearer ${system.token('support', 7).slice(0, -3)}abc` })).status).toBe(401);
    for (const role of ['buyer', 'seller'] as const) {
      const refused = await post('/decode', { payloads }, bearer(role));
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ message: `role ${role} may not read payloads; only support and admin` });
      expect(refused.body.payloads).toBeUndefined();
    }
    expect((await post('/encode', { payloads }, bearer('buyer'))).status).toBe(403);
  });

  it('encodes what the CLI sends, into payloads the worker can read', async () => {
    const plain = [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"reason":"wrong size"}').toString('base64') }];
    const encoded = await post('/encode', { payloads: plain }, bearer('support'));
    expect(encoded.status).toBe(200);
    const [sealed] = encoded.body.payloads!.map((p) => payloadFromJson(p));
    expect(utf8(sealed.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(utf8(sealed.metadata![KEY_ID_METADATA])).toBe(system.config.temporal.payloadEncryption.currentKeyId);
    const [opened] = await new EncryptionCodec(system.config.temporal.payloadEncryption).decode([sealed]);
    expect(utf8(opened.data)).toBe('{"reason":"wrong size"}');
  });

  it('answers bad requests with a 4xx and a reason', async () => {
    expect((await post('/decode', 'not json', bearer('support'))).body.message).toMatch(/not valid JSON/);
    expect((await post('/decode', { payload: [] }, bearer('support'))).status).toBe(400);
    expect((await post('/decode', { payloads: [{ data: '***' }] }, bearer('support'))).body).toEqual({ message: 'payloads[0].data must be base64' });
    const foreign = new EncryptionCodec({ currentKeyId: 'elsewhere', keys: new Map([['elsewhere', randomBytes(32)]]) });
    const [sealed] = await foreign.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') }]);
    const unknown = await post('/decode', { payloads: [payloadToJson(sealed)] }, bearer('support'));
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toMatch(/key id "elsewhere", which is not among the configured keys/);
    const wrongPath = await fetch(`${url}/decrypt`, { method: 'POST', body: '{}' });
    expect(wrongPath.status).toBe(404);
  });

  it("answers the Web UI's CORS preflight for its origin only", async () => {
    const preflight = (origin: string, path = '/decode') =>
      fetch(`${url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' } });
    for (const path of ['/decode', '/encode', `/token/${system.token('support', 7)}/decode`]) {
      const allowed = await preflight(UI_ORIGIN, path);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
      expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-namespace');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    }
    const other = await preflight('http://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // The actual request from the UI's origin carries the allow header; from another origin it is refused.
    const fromUi = await post('/decode', { payloads: [] }, { origin: UI_ORIGIN, ...bearer('support') });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect((await post('/decode', { payloads: [] }, { origin: 'http://evil.example', ...bearer('support') })).status).toBe(403);
  });

  it('lets the Temporal CLI show a history readable through it, and ciphertext without it', async () => {
    const order = await placeOrder(system);
    // Asynchronously: the codec server answers from this very process.
    const show = async (...extra: string[]) =>
      (await promisify(execFile)(process.env.TEST_TEMPORAL_CLI!, ['workflow', 'show', '--workflow-id', `order-${order.orderSn}`, '--address', system.config.temporal.address, '--output', 'json', ...extra], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30_000 })).stdout;
    // The workflow's input, as the CLI prints it (metadata and data in base64).
    const input = (json: string) => {
      const payload = JSON.parse(json).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
      return { encoding: Buffer.from(payload.metadata.encoding, 'base64').toString(), data: Buffer.from(payload.data, 'base64') };
    };
    const raw = input(await show());
    expect(raw.encoding).toBe(ENCRYPTED_ENCODING);
    expect(raw.data.toString('latin1')).not.toContain(order.orderSn);
    const decoded = input(await show('--codec-endpoint', url, '--codec-auth', `Bearer ${system.token('support', 7)}`));
    expect(decoded.encoding).toBe('json/plain');
    expect(JSON.parse(decoded.data.toString('utf8'))).toMatchObject({ orderSn: order.orderSn, sellerId: String(order.sellerId), orderFen: order.orderFen });
    // A buyer's token gets nothing decoded: the CLI retries the refused codec calls until its deadline, then fails.
    await expect(show('--codec-endpoint', url, '--codec-auth', `Bearer ${system.token('buyer', 7)}`, '--command-timeout', '3s')).rejects.toThrow(/deadline exceeded|403/);
  });

  it('rotates keys under a running order: a worker with a new current key carries on a history written with the old one', async () => {
    const order = await placeOrder(system);
    // Phase 2: the next key becomes current (here in the worker first; the API still writes with "dev").
    const rotated = readPayloadEncryption({ PAYLOAD_CODEC_KEYS: KNOWN_KEYS, PAYLOAD_CODEC_KEY_ID: '2027-01' });
    await system.stopWorker();
    const connection = await connectWorkerConnection(system.config.temporal);
    const config = { ...system.config, temporal: { ...system.config.temporal, payloadEncryption: rotated } };
    const worker = await createOrderWorkers({ connection, config, dataSource: system.dataSource, temporalClient: system.temporal, workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE });
    const running = worker.run();
    try {
      const cancelled = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('buyer', order.buyerId), headers: { 'idempotency-key': `rot-${order.orderSn}` }, body: { reason: 'rotation' } });
      expect(cancelled.status).toBe(202);
      await waitForStatus(system, order.orderSn, OrderStatus.CANCELLED, 60_000);
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
      await system.startWorker();
    }
    const history = await system.temporal.workflow.getHandle(`order-${order.orderSn}`).fetchHistory();
    const keyIds = new Set(payloadsOf(history).map((p) => utf8(p.metadata![KEY_ID_METADATA])));
    expect([...keyIds].sort()).toEqual(['2027-01', 'dev']);
    // The codec server (given both keys) reads all of it; a process never given the new key says which key it lacks.
    const both = await post('/decode', { payloads: payloadsOf(history).map(payloadToJson) }, bearer('support'));
    expect(both.status).toBe(200);
    expect(both.body.payloads!.every((p) => Buffer.from(p.metadata.encoding, 'base64').toString() !== ENCRYPTED_ENCODING)).toBe(true);
    const oldOnly = new EncryptionCodec(readPayloadEncryption({ PAYLOAD_CODEC_KEYS: `dev:${DEVELOPMENT_PAYLOAD_KEY}` }));
    await expect(oldOnly.decode(payloadsOf(history))).rejects.toThrow(/key id "2027-01", which is not among the configured keys/);
  });
});
