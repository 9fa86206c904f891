import { OrderStatus } from '../../domain';
import { groupBuyWorkflowId } from '../../workflows/group-buy.contract';
import { afterSaleApi, afterSaleWorkflowDone, receivedTwoLineOrder, waitForAfterSale } from './after-sales';
import { EngineWork, addEngineWork, countEngineWork } from './engine-work';
import { payOrder, placeOrder, placePaidOrder, startPayment, waitForStatus } from './orders';
import { TestSystem, eventually } from './system';

/**
 * One full flow of each kind the product bills for, driven through HTTP on the real system, for the
 * engine-work figures (test/integration/engine-work.test.ts pins them; bench/flow.ts prints them).
 * Each step waits for the one before to land, so the same commands reach the workflows in the same
 * tasks every run. Run them on a system started with ENGINE_WORK_ENV: provider notifications must
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
      const order = await placePaidOrder(system, 'wechatpay', { quantity: 1 });
      const accepted = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `ew-${order.orderSn}` }, body: { reason: 'out of stock' } });
      if (accepted.status !== 202) throw new Error(`cancel ${accepted.status} ${JSON.stringify(accepted.body)}`);
      await eventually(async () => {
        const [row] = await system.dataSource.query(`SELECT status FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
        return row ? true : undefined;
      }, 60_000, `cancellation of ${order.orderSn} completed`);
      // The order workflow waits out the late-payment window, then ends.
      await system.temporal.workflow.getHandle(`order-${order.orderSn}`).result();
      return { kind, orderSns: [order.orderSn], extraWorkflowIds: [] };
    }
    case 'after-sale-return': {
      const order = await receivedTwoLineOrder(system, 'alipay');
      const api = afterSaleApi(system, order);
      const line = order.lines[0];
      const applied = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: line.orderItemId, num: 1 }], reason: 'Cracked cup' }, `ew-${order.orderSn}`);
      if (applied.status !== 201) throw new Error(`after-sale ${applied.status} ${JSON.stringify(applied.body)}`);
      const sn: string = applied.body.serviceSn;
      await expectOk(api.audit(sn, { decision: 'PASS' }), 'audit');
      await expectOk(api.shipBack(sn), 'ship back');
      await expectOk(api.receipt(sn, [{ orderItemId: line.orderItemId, goodNum: 1, damagedNum: 0 }]), 'receipt');
      await waitForAfterSale(system, sn, 'COMPLETED');
      await afterSaleWorkflowDone(system, sn);
      return { kind, orderSns: [order.orderSn], extraWorkflowIds: [] };
    }
    case 'complaint-arbitration': {
      const order = await placePaidOrder(system, 'wechatpay', { priceFen: 12900, quantity: 2 });
      const buyer = system.token('buyer', order.buyerId);
      const seller = system.token('seller', order.sellerId);
      const support = system.token('support', 1);
      await expectOk(system.http('POST', `/orders/${order.orderSn}/shipment`, { token: seller, body: { carrier: 'SF', trackingNo: `SF${order.orderSn.slice(-6)}` } }), 'ship');
      await expectOk(system.http('POST', `/orders/${order.orderSn}/receipt`, { token: buyer }), 'receipt');
      await waitForStatus(system, order.orderSn, OrderStatus.ROG);
      const filed = await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: buyer, body: { skuId: order.skuId, topic: 'Short weight', content: 'The tin holds 200 g, not 250 g.' } });
      if (filed.status !== 201) throw new Error(`complaint ${filed.status} ${JSON.stringify(filed.body)}`);
      const id: number = filed.body.id;
      await expectOk(system.http('POST', `/support/complaints/${id}/review`, { token: support, body: { content: 'accepted' } }), 'review');
      await expectOk(system.http('POST', `/complaints/${id}/appeal`, { token: seller, body: { content: 'We weighed it: 251 g.' } }), 'appeal');
      await expectOk(system.http('POST', `/complaints/${id}/arbitration-request`, { token: buyer, body: { content: 'Please decide.' } }), 'arbitration request');
      await expectOk(system.http('POST', `/support/complaints/${id}/arbitration`, { token: support, body: { result: 'Short weight confirmed.', refundFen: 5000 } }), 'arbitration');
      await system.temporal.workflow.getHandle(`complaint-${id}`).result();
      return { kind, orderSns: [order.orderSn], extraWorkflowIds: [] };
    }
    case 'group-buy-formed': {
      const first = await placeOrder(system, { quantity: 1, groupBuy: { size: 2 } });
      const second = await placeOrder(system, { quantity: 1, sku: { skuId: first.skuId, sellerId: first.sellerId }, buyerId: first.buyerId + 1, groupBuy: { groupId: first.groupId } });
      await payOrder(system, first, 'wechatpay');
      await system.sim.payTrade(await startPayment(system, second, 'alipay'), 'alipay');
      await waitForStatus(system, first.orderSn, OrderStatus.FORMED);
      await waitForStatus(system, second.orderSn, OrderStatus.FORMED);
      await system.temporal.workflow.getHandle(groupBuyWorkflowId(first.groupId!)).result();
      return { kind, orderSns: [first.orderSn, second.orderSn], extraWorkflowIds: [groupBuyWorkflowId(first.groupId!)] };
    }
  }
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
    const history = await system.temporal.workflow.getHandle(id).fetchHistory();
    const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
    const work = countEngineWork(history);
    byType.set(type, byType.has(type) ? addEngineWork(byType.get(type)!, work) : work);
  }
  return byType;
}
