/**
 * Buyers' personal data never reaches Temporal in clear. The consignee (name, mobile number, delivery
 * address) stays in MySQL (trade.consignee_json) and enters no payload at all; what people type — a
 * cancellation's reason, a shipment's carrier and tracking number (which leads to the address at the
 * carrier), later return logistics — does enter payloads, and the payload codec encrypts every one of
 * them. Checked on the real histories of a paid order cancelled with a refund and of a shipped one,
 * read raw (without the codec, as Temporal stores them and a UI without the codec server shows them):
 * every payload is `binary/encrypted` and none of those strings appears anywhere; through the codec the
 * same payloads decode to the original JSON. Workflow ids, search attributes and memos are never
 * encrypted (Temporal indexes them), so they must carry none of it either.
 */
import type { Payload } from '@temporalio/common';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../apps/shared/payload-codec';
import { temporalDataConverter } from '../../apps/shared/temporal';
import { seedGoods, newSellerId } from '../support/fixtures';
import { payOrder, placePaidOrder, waitForStatus } from '../support/orders';
import { OrderStatus } from '../../domain';
import { TestSystem, eventually, startTestSystem } from '../support/system';

const NAME = 'Zhang Sanfeng-PII';
const MOBILE = '13987654321';
const ADDRESS = 'PII-Road 88, Xuhui District, Shanghai';
const REASON = 'changed my mind, PII-reason';
const CARRIER = 'PII-Carrier Express';
const TRACKING_NO = 'PIITRACK0042';

const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

/** Every string in a history, with each payload's bytes decoded as text (JSON payloads are UTF-8). */
function textOf(value: unknown, out: string[] = []): string[] {
  if (value === null || value === undefined) return out;
  if (value instanceof Uint8Array) {
    out.push(Buffer.from(value).toString('utf8'));
  } else if (typeof value === 'string') {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) textOf(v, out);
  } else if (typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>)) textOf(v, out);
  }
  return out;
}

/**
 * Every payload in a history (objects with metadata and data) with where it is, except search
 * attributes, which Temporal must read in clear, and what the SDK's core writes into markers itself,
 * bypassing the codec: `patched()`'s patch id (a constant of our code) and a local activity's
 * bookkeeping (sequence number, attempt, activity type, times). A local activity's result is ours and
 * is checked. Headers are not encoded by the SDK's codecs either: ours is only the order number
 * (workflows/log-context.ts), returned apart and checked to be that.
 */
const headers: { path: string; payload: Payload }[] = [];
function payloadsOf(value: unknown, path = '', out: { path: string; payload: Payload }[] = []): { path: string; payload: Payload }[] {
  if (value === null || value === undefined || typeof value !== 'object' || value instanceof Uint8Array) return out;
  if (/searchAttributes$/.test(path) || /markerRecordedEventAttributes\.details\.(patch-data|data)$/.test(path)) return out;
  if (/\.header\.fields\.[^.]+$/.test(path)) {
    headers.push({ path, payload: value as Payload });
    return out;
  }
  const candidate = value as { metadata?: unknown };
  if (candidate.metadata && typeof candidate.metadata === 'object' && (candidate.metadata as Record<string, unknown>).encoding instanceof Uint8Array) {
    out.push({ path, payload: value as Payload });
    return out;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) payloadsOf(v, `${path}.${k}`, out);
  return out;
}

describe('personal data never enters workflow payloads', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('keeps the consignee in MySQL only and everything typed encrypted, through checkout, payment, cancellation, refund and shipping', async () => {
    const sellerId = newSellerId();
    const buyerId = sellerId + 500_000;
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 8800, stock: 5 });
    const created = await system.http('POST', '/trades', {
      token: system.token('buyer', buyerId),
      body: { items: [{ skuId, quantity: 1 }], consignee: { name: NAME, mobile: MOBILE, address: ADDRESS } },
    });
    expect(created.status).toBe(201);
    const { orderSn, orderFen } = created.body.orders[0];
    // The data is really there, in its one place.
    const [trade] = await system.dataSource.query('SELECT t.consignee_json FROM trade t JOIN orders o ON o.trade_sn = t.trade_sn WHERE o.order_sn = ?', [orderSn]);
    expect(JSON.stringify(trade.consignee_json)).toContain(MOBILE);

    await eventually(async () => ((await system.dataSource.query('SELECT 1 FROM orders WHERE order_sn = ? AND order_status = ?', [orderSn, 'CONFIRM'])).length ? true : undefined));
    await payOrder(system, { orderSn, sellerId, buyerId, skuId, orderFen }, 'wechatpay');
    const cancelled = await system.http('POST', `/orders/${orderSn}/cancellations`, { token: system.token('buyer', buyerId), headers: { 'idempotency-key': `pii-${orderSn}` }, body: { reason: REASON } });
    expect(cancelled.status).toBe(202);
    await eventually(async () => ((await system.dataSource.query(`SELECT 1 FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [orderSn])).length ? true : undefined), 60_000, 'cancellation completed');

    // Every workflow of the order, found the way support finds them: the order (which watched the payment), its cancellation and its refund.
    const workflows = await eventually(async () => {
      const found = [];
      for await (const execution of system.temporal.workflow.list({ query: `OrderSn="${orderSn}"` })) found.push(execution);
      return found.length >= 3 ? found : undefined;
    }, 30_000, 'the order, cancellation and refund workflows in visibility');
    expect(workflows.map((w) => w.type).sort()).toEqual(['cancellationWorkflow', 'orderWorkflow', 'refundWorkflow']);

    const shipped = await placePaidOrder(system, 'alipay');
    const ship = await system.http('POST', `/orders/${shipped.orderSn}/shipment`, { token: system.token('seller', shipped.sellerId), body: { carrier: CARRIER, trackingNo: TRACKING_NO } });
    expect(ship.status).toBe(200);
    await waitForStatus(system, shipped.orderSn, OrderStatus.SHIPPED);
    workflows.push(...(await eventually(async () => {
      const found = [];
      for await (const execution of system.temporal.workflow.list({ query: `OrderSn="${shipped.orderSn}"` })) found.push(execution);
      return found.some((w) => w.type === 'orderWorkflow') ? found : undefined;
    }, 30_000, 'the shipped order\'s workflows in visibility')));

    const codec = temporalDataConverter(system.config.temporal.payloadEncryption).payloadCodecs![0];
    const secrets = [NAME, MOBILE, ADDRESS, 'PII', REASON, CARRIER, TRACKING_NO];
    let decodedText = '';
    let payloadCount = 0;
    for (const execution of workflows) {
      const handle = system.temporal.workflow.getHandle(execution.workflowId, execution.runId);
      // fetchHistory returns the history as the server holds it: the client's codec is not applied.
      const history = await handle.fetchHistory();
      const description = await handle.describe();
      const rawText = [
        execution.workflowId,
        ...textOf(history),
        ...textOf(description.raw.workflowExecutionInfo?.memo as unknown as { fields: Record<string, Payload> }),
        ...textOf(description.raw.workflowExecutionInfo?.searchAttributes),
      ].join('\n');
      expect(rawText.length).toBeGreaterThan(500); // the history was really read
      expect(rawText).toMatch(new RegExp(`${orderSn}|${shipped.orderSn}`)); // order numbers are in ids and search attributes, in clear
      for (const secret of secrets) expect({ workflow: execution.workflowId, leaks: rawText.includes(secret) ? secret : null }).toEqual({ workflow: execution.workflowId, leaks: null });

      const found = payloadsOf(history);
      const payloads = found.map((f) => f.payload);
      expect(payloads.length).toBeGreaterThan(0); // at least its input (the payment watch, the shortest, has two)
      payloadCount += payloads.length;
      for (const { path, payload } of found) {
        expect({ workflow: execution.workflowId, path, encoding: utf8(payload.metadata!.encoding), keyId: utf8(payload.metadata![KEY_ID_METADATA]) }).toEqual({ workflow: execution.workflowId, path, encoding: ENCRYPTED_ENCODING, keyId: system.config.temporal.payloadEncryption.currentKeyId });
      }
      // Through the codec (what the worker, the API and the codec server do) they are the original JSON again.
      const decoded = await codec.decode(payloads);
      for (const payload of decoded) {
        expect(['json/plain', 'binary/null']).toContain(utf8(payload.metadata!.encoding));
        if (utf8(payload.metadata!.encoding) === 'json/plain') decodedText += `${JSON.stringify(JSON.parse(utf8(payload.data)))}\n`;
      }
    }
    expect(payloadCount).toBeGreaterThan(20);
    // The activity log context's header: an order number, nothing else.
    expect(headers.length).toBeGreaterThan(0);
    for (const { path, payload } of headers) expect({ path, value: JSON.parse(utf8(payload.data)) }).toEqual({ path: expect.stringMatching(/\.header\.fields\.orderSn$/), value: expect.stringMatching(/^O\d+$/) });
    // What people typed is there once decoded: the cancel reason in the order workflow's Update, the shipment in the ship Update.
    expect(decodedText).toContain(REASON);
    expect(decodedText).toContain(TRACKING_NO);
    expect(decodedText).toContain(CARRIER);
    expect(decodedText).toContain(orderSn);
    // The consignee is in no payload, even decoded: it stays in MySQL.
    for (const secret of [NAME, MOBILE, ADDRESS]) expect(decodedText).not.toContain(secret);
    // The live state the API and the UI ask the order workflow for carries none either.
    const state = await system.temporal.workflow.getHandle(`order-${orderSn}`).query('state');
    expect(JSON.stringify(state)).not.toMatch(new RegExp(`${NAME}|${MOBILE}|${ADDRESS}`));
  });
});
