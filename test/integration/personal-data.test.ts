/**
 * Buyers' personal data (name, mobile number, delivery address) stays in MySQL (trade.consignee_json)
 * and never enters Temporal: no workflow input, result, Update, signal, query answer, activity input
 * or result, memo, search attribute or workflow id of an order's workflows carries it. Temporal
 * histories are kept (and shown in the Web UI) beyond the application's control, so this is checked
 * on the real histories of a paid order that is shipped-not and cancelled with a refund. If this test
 * fails, personal data has entered payloads: add the encrypting payload codec (README, "Personal data").
 */
import type { Payload } from '@temporalio/common';
import { seedGoods, newSellerId } from '../support/fixtures';
import { payOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

const NAME = 'Zhang Sanfeng-PII';
const MOBILE = '13987654321';
const ADDRESS = 'PII-Road 88, Xuhui District, Shanghai';

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

describe('personal data never enters workflow payloads', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('keeps the consignee in MySQL only, through checkout, payment, cancellation and refund', async () => {
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
    const cancelled = await system.http('POST', `/orders/${orderSn}/cancellations`, { token: system.token('buyer', buyerId), headers: { 'idempotency-key': `pii-${orderSn}` }, body: { reason: 'changed my mind' } });
    expect(cancelled.status).toBe(202);
    await eventually(async () => ((await system.dataSource.query(`SELECT 1 FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [orderSn])).length ? true : undefined), 60_000, 'cancellation completed');

    // Every workflow of the order, found the way support finds them: the order, its payment watch, its cancellation and its refund.
    const workflows = await eventually(async () => {
      const found = [];
      for await (const execution of system.temporal.workflow.list({ query: `OrderSn="${orderSn}"` })) found.push(execution);
      return found.length >= 4 ? found : undefined;
    }, 30_000, 'the order, payment watch, cancellation and refund workflows in visibility');
    expect(workflows.map((w) => w.type).sort()).toEqual(['cancellationWorkflow', 'orderWorkflow', 'paymentWatchWorkflow', 'refundWorkflow']);

    let allText = '';
    for (const execution of workflows) {
      const handle = system.temporal.workflow.getHandle(execution.workflowId, execution.runId);
      const history = await handle.fetchHistory();
      const description = await handle.describe();
      const texts = [
        execution.workflowId,
        ...textOf(history),
        ...textOf(description.raw.workflowExecutionInfo?.memo as unknown as { fields: Record<string, Payload> }),
        ...textOf(description.raw.workflowExecutionInfo?.searchAttributes),
      ].join('\n');
      allText += texts;
      expect(texts.length).toBeGreaterThan(500); // the history was really read: inputs, activities, results (the payment watch's is the shortest)
      expect(texts).toContain(orderSn);
      for (const secret of [NAME, MOBILE, ADDRESS, 'PII']) expect({ workflow: execution.workflowId, leaks: texts.includes(secret) ? secret : null }).toEqual({ workflow: execution.workflowId, leaks: null });
    }
    // Payloads were decoded: the cancel reason the buyer typed is in the order workflow's Update arguments.
    expect(allText).toContain('changed my mind');
    // The live state the API and the UI ask the order workflow for carries none either.
    const state = await system.temporal.workflow.getHandle(`order-${orderSn}`).query('state');
    expect(JSON.stringify(state)).not.toMatch(new RegExp(`${MOBILE}|PII`));
  });
});
