import { OrderStatus } from '../../domain';
import { groupBuyWorkflowId } from '../../workflows/group-buy.contract';
import type { ProviderName } from '../../payments';
import { afterSaleApi, afterSaleWorkflowDone, waitForAfterSale } from './after-sales';
import { EngineWork, countInto } from './engine-work';
import { PlaceOrderOptions, PlacedOrder, placeOrder, startPayment, waitForStatus } from './orders';
import { TestSystem, eventually } from './system';

/**
 * One full flow of each kind the product bills for, driven through HTTP on the real system, for the
 * engine-work figures (test/integration/engine-work.test.ts pins them; bench/flow.ts prints them).
 * Each step waits until every workflow of the flow has nothing in flight before the next is sent, so
 * the same commands reach the workflows in the same tasks every run, on a quiet machine or a loaded one. Run them on a system started with ENGINE_WORK_ENV: provider notifications must
 * win every race against the workflows' own polls (a poll that wins adds a timer fire, an activity and
 * a task).
 */
export const FLOW_KINDS = ['cancel-after-payment', 'after-sale-return', 'complaint-arbitration', 'group-buy-formed'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

/**
 * Polls far behind the simulator's notifications (refunds settle in 1 s, payments notify at once), and
 * a cancelled order's late-payment window short enough to wait out, so its workflow closes.
 */
export const ENGINE_WORK_ENV = { REFUND_POLL_SCHEDULE: '10m', PAYMENT_QUERY_SCHEDULE: '10m', LATE_PAYMENT_WINDOW: '1s' };

export interface FlowRun {
  kind: FlowKind;
  orderSns: string[];
  /** Ids not found by OrderSn (a group has none of its own). */
  extraWorkflowIds: string[];
}

export async function runFlowOfKind(system: TestSystem, kind: FlowKind): Promise<FlowRun> {
  switch (kind) {
    case 'cancel-after-payment': {
      const order = await paidOrder(system, 'wechatpay', { quantity: 1 });
      await settledFlow(system, [order.orderSn]);
      await withRefundNotificationHeld(system, order.orderSn, 'wechatpay', async () => {
        const accepted = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `ew-${order.orderSn}` }, body: { reason: 'out of stock' } });
        if (accepted.status !== 202) throw new Error(`cancel ${accepted.status} ${JSON.stringify(accepted.body)}`);
      });
      await eventually(async () => {
        const [row] = await system.dataSource.query(`SELECT status FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
        return row ? true : undefined;
      }, 60_000, `cancellation of ${order.orderSn} completed`);
      // The order workflow waits out the late-payment window, then ends.
      await system.temporal.workflow.getHandle(`order-${order.orderSn}`).result();
      return { kind, orderSns: [order.orderSn], extraWorkflowIds: [] };
    }
    case 'after-sale-return': {
      const order = await receivedOrder(system, 'alipay');
      const api = afterSaleApi(system, order);
      const [line] = await system.dataSource.query('SELECT id FROM order_item WHERE order_sn = ?', [order.orderSn]);
      const orderItemId = Number(line.id);
      const applied = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId, num: 1 }], reason: 'Cracked cup' }, `ew-${order.orderSn}`);
      if (applied.status !== 201) throw new Error(`after-sale ${applied.status} ${JSON.stringify(applied.body)}`);
      const sn: string = applied.body.serviceSn;
      const quiet = () => settledFlow(system, [order.orderSn]);
      await quiet();
      await expectOk(api.audit(sn, { decision: 'PASS' }), 'audit');
      await quiet();
      await expectOk(api.shipBack(sn), 'ship back');
      await quiet();
      await withRefundNotificationHeld(system, order.orderSn, 'alipay', () => expectOk(api.receipt(sn, [{ orderItemId, goodNum: 1, damagedNum: 0 }]), 'receipt'));
      await waitForAfterSale(system, sn, 'COMPLETED');
      await afterSaleWorkflowDone(system, sn);
      return { kind, orderSns: [order.orderSn], extraWorkflowIds: [] };
    }
    case 'complaint-arbitration': {
      const order = await receivedOrder(system, 'wechatpay');
      const buyer = system.token('buyer', order.buyerId);
      const seller = system.token('seller', order.sellerId);
      const support = system.token('support', 1);
      const quiet = () => settledFlow(system, [order.orderSn]);
      const filed = await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: buyer, body: { skuId: order.skuId, topic: 'Short weight', content: 'The tin holds 200 g, not 250 g.' } });
      if (filed.status !== 201) throw new Error(`complaint ${filed.status} ${JSON.stringify(filed.body)}`);
      const id: number = filed.body.id;
      await quiet();
      await expectOk(system.http('POST', `/support/complaints/${id}/review`, { token: support, body: { content: 'accepted' } }), 'review');
      await quiet();
      await expectOk(system.http('POST', `/complaints/${id}/appeal`, { token: seller, body: { content: 'We weighed it: 251 g.' } }), 'appeal');
      await quiet();
      await expectOk(system.http('POST', `/complaints/${id}/arbitration-request`, { token: buyer, body: { content: 'Please decide.' } }), 'arbitration request');
      await quiet();
      await withRefundNotificationHeld(system, order.orderSn, 'wechatpay', () =>
        expectOk(system.http('POST', `/support/complaints/${id}/arbitration`, { token: support, body: { result: 'Short weight confirmed.', refundFen: 5000 } }), 'arbitration'),
      );
      await system.temporal.workflow.getHandle(`complaint-${id}`).result();
      return { kind, orderSns: [order.orderSn], extraWorkflowIds: [] };
    }
    case 'group-buy-formed': {
      const first = await placeOrder(system, { quantity: 1, groupBuy: { size: 2 } });
      const second = await placeOrder(system, { quantity: 1, sku: { skuId: first.skuId, sellerId: first.sellerId }, buyerId: first.buyerId + 1, groupBuy: { groupId: first.groupId } });
      await settledFlow(system, [first.orderSn, second.orderSn], [groupBuyWorkflowId(first.groupId!)]);
      await pay(system, first, 'wechatpay');
      await settledFlow(system, [first.orderSn, second.orderSn], [groupBuyWorkflowId(first.groupId!)]);
      // The last member's payment forms the group: its order passes PAID_OFF on the way to FORMED.
      await pay(system, second, 'alipay', OrderStatus.FORMED);
      await waitForStatus(system, first.orderSn, OrderStatus.FORMED);
      await waitForStatus(system, second.orderSn, OrderStatus.FORMED);
      await system.temporal.workflow.getHandle(groupBuyWorkflowId(first.groupId!)).result();
      return { kind, orderSns: [first.orderSn, second.orderSn], extraWorkflowIds: [groupBuyWorkflowId(first.groupId!)] };
    }
  }
}

/**
 * Pays as the tests' payOrder does, but lets the order handle `paymentStarted` in a task of its own
 * before the provider's notification arrives: under load the two otherwise share one task (one task,
 * one timer and five events fewer), which would make the count depend on the machine's speed.
 */
async function pay(system: TestSystem, order: PlacedOrder, provider: ProviderName, then: OrderStatus = OrderStatus.PAID_OFF): Promise<void> {
  const outTradeNo = await startPayment(system, order, provider);
  await settled(system, `order-${order.orderSn}`);
  await system.sim.payTrade(outTradeNo, provider);
  await waitForStatus(system, order.orderSn, then);
}

async function paidOrder(system: TestSystem, provider: ProviderName, options: PlaceOrderOptions = {}): Promise<PlacedOrder> {
  const order = await placeOrder(system, options);
  await settled(system, `order-${order.orderSn}`);
  await pay(system, order, provider);
  return order;
}

/** Paid (2 × 129.00), shipped and received: ROG, each step's work done before the next. */
async function receivedOrder(system: TestSystem, provider: ProviderName): Promise<PlacedOrder> {
  const order = await paidOrder(system, provider, { priceFen: 12900, quantity: 2 });
  await settledFlow(system, [order.orderSn]);
  await expectOk(system.http('POST', `/orders/${order.orderSn}/shipment`, { token: system.token('seller', order.sellerId), body: { carrier: 'SF', trackingNo: `SF${order.orderSn.slice(-6)}` } }), 'ship');
  await settledFlow(system, [order.orderSn]);
  await expectOk(system.http('POST', `/orders/${order.orderSn}/receipt`, { token: system.token('buyer', order.buyerId) }), 'receipt');
  await waitForStatus(system, order.orderSn, OrderStatus.ROG);
  await settledFlow(system, [order.orderSn]);
  return order;
}

/**
 * The provider's refund notification is held back until the refund workflow, having submitted, waits
 * quietly (on its poll timer, or finished if the provider answered at once): whether the notification
 * beats that timer's start would otherwise depend on the machine's speed (a timer less when it does).
 */
async function withRefundNotificationHeld(system: TestSystem, orderSn: string, provider: ProviderName, step: () => Promise<void>): Promise<void> {
  await system.sim.controlNotifications({ provider, kind: 'refund', mode: 'reorder', count: 1 });
  await step();
  const refundSn = await eventually(async () => {
    const [row] = await system.dataSource.query(`SELECT refund_sn FROM refund WHERE order_sn = ? AND status <> 'APPLY' ORDER BY id DESC LIMIT 1`, [orderSn]);
    return row?.refund_sn as string | undefined;
  }, 60_000, `a refund of ${orderSn} submitted`);
  await settled(system, `refund-${refundSn}`);
  // The simulator sends it once the refund has settled there (its processing time): release it then.
  await eventually(async () => ((await system.sim.flushNotifications()).released > 0 ? true : undefined), 30_000, `the refund notification of ${orderSn} held back`);
}

/** Every workflow of these orders has nothing in flight: the next step starts from a quiet flow. */
async function settledFlow(system: TestSystem, orderSns: string[], extraWorkflowIds: string[] = []): Promise<void> {
  for (const id of await flowWorkflowIds(system, { kind: 'cancel-after-payment', orderSns, extraWorkflowIds })) await settled(system, id);
}

async function expectOk(answer: Promise<{ status: number; body: unknown }>, what: string): Promise<void> {
  const { status, body } = await answer;
  if (status >= 300) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
}

/** Every workflow of the flow: by OrderSn (visibility, eventually consistent: until two reads agree) plus the extra ids. */
export async function flowWorkflowIds(system: TestSystem, run: FlowRun): Promise<string[]> {
  const query = run.orderSns.map((sn) => `OrderSn="${sn}"`).join(' OR ');
  let previous = -1;
  return eventually(async () => {
    const ids = new Set(run.extraWorkflowIds);
    for await (const wf of system.temporal.workflow.list({ query })) ids.add(wf.workflowId);
    const stable = ids.size === previous;
    previous = ids.size;
    return stable ? [...ids].sort() : undefined;
  }, 20_000, `the workflows of ${run.orderSns.join(', ')} listed`);
}

/**
 * Waits until a workflow has nothing in flight (closed, or open with no workflow task, activity or
 * child pending and its history unchanged across two reads), so its count is the same every run.
 */
export async function settled(system: TestSystem, workflowId: string): Promise<void> {
  const handle = system.temporal.workflow.getHandle(workflowId);
  let lastLength = -1;
  await eventually(async () => {
    const described = await handle.describe();
    const length = Number(described.historyLength);
    const raw = described.raw;
    const idle = described.status.name !== 'RUNNING' || (!raw.pendingWorkflowTask && !raw.pendingActivities?.length && !raw.pendingChildren?.length);
    const still = idle && length === lastLength;
    lastLength = length;
    return still ? true : undefined;
  }, 60_000, `${workflowId} settled`);
}

/** Engine work of the flow's workflows, by workflow type (runs of one type summed). */
export async function countFlow(system: TestSystem, workflowIds: string[]): Promise<Map<string, EngineWork>> {
  const byType = new Map<string, EngineWork>();
  for (const id of workflowIds) {
    await settled(system, id);
    countInto(byType, await system.temporal.workflow.getHandle(id).fetchHistory());
  }
  return byType;
}
