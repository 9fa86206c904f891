import { walkPages } from '../support/pages';
import { ComplainStatus, OrderStatus } from '../../domain';
import { recordHistory } from '../support/fixtures';
import { complaintStatus, listWorkflowIds, waitForComplaint } from '../support/complaints';
import { PlacedOrder, placePaidOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * Complaints end to end through HTTP, on the real Temporal dev server, MariaDB and the payment
 * simulator: the full walk to an arbitrated partial refund, withdrawal, one open complaint per line,
 * ownership, and (with short settings) both deadlines.
 */
describe('complaints', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const buyer = (order: PlacedOrder) => system.token('buyer', order.buyerId);
  const seller = (order: PlacedOrder) => system.token('seller', order.sellerId);
  const support = () => system.token('support', 1);
  const file = (order: PlacedOrder, token = buyer(order)) =>
    system.http('POST', `/orders/${order.orderSn}/complaints`, { token, body: { skuId: order.skuId, topic: 'Short weight', content: 'The tin holds 200 g, not 250 g.' } });
  const step = (id: number, path: string, token: string, body: Record<string, unknown>) => system.http('POST', `/complaints/${id}/${path}`, { token, body });
  const supportStep = (id: number, path: string, body: Record<string, unknown>) => system.http('POST', `/support/complaints/${id}/${path}`, { token: support(), body });

  async function receivedOrder(): Promise<PlacedOrder & { outTradeNo: string }> {
    const order = await placePaidOrder(system, 'wechatpay', { priceFen: 12900, quantity: 2 });
    await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: seller(order), body: { carrier: 'SF', trackingNo: `SF${order.orderSn.slice(-6)}` } });
    await system.http('POST', `/orders/${order.orderSn}/receipt`, { token: buyer(order) });
    await waitForStatus(system, order.orderSn, OrderStatus.ROG);
    return order;
  }

  it('walks NEW → WAIT_APPEAL → COMMUNICATION → WAIT_ARBITRATION → COMPLETE with a partial refund paid exactly once', async () => {
    const order = await receivedOrder();
    const filed = await file(order);
    expect(filed.status).toBe(201);
    const id: number = filed.body.id;
    expect(filed.body).toMatchObject({ status: 'NEW', workflowId: `complaint-${id}`, lineComplainStatus: 'APPLYING' });
    expect(filed.body.temporalUiUrl).toContain(`complaint-${id}`);

    // One open complaint per line.
    const second = await file(order);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'COMPLAINT_ALREADY_OPEN', detail: expect.stringMatching(/already has an open complaint/) });

    // Another seller's token: 404 for reading and for every step, and nothing reaches the workflow.
    const stranger = system.token('seller', order.sellerId + 77_777);
    expect((await system.http('GET', `/complaints/${id}`, { token: stranger })).status).toBe(404);
    expect((await step(id, 'appeal', stranger, { content: 'not mine' })).status).toBe(404);
    expect((await step(id, 'messages', system.token('buyer', order.buyerId + 1), { content: 'not mine either' })).status).toBe(404);

    // Out of order: the seller cannot answer before support has reviewed it (fast 409 with the reason).
    const early = await step(id, 'appeal', seller(order), { content: 'we weighed it' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'ComplaintStepRefused', detail: expect.stringMatching(/NEW/) });

    expect((await supportStep(id, 'review', { content: 'accepted: photo attached by the buyer' })).body.status).toBe('WAIT_APPEAL');
    expect((await step(id, 'appeal', seller(order), { content: 'We weighed it before shipping: 251 g.' })).body.status).toBe('COMMUNICATION');
    for (const [token, content] of [[buyer(order), 'Here is the scale photo.'], [seller(order), 'The photo shows the tin only.'], [support(), 'Both: please send the parcel label.']]) {
      const answer = await step(id, 'messages', token, { content });
      expect(answer.status).toBe(200);
    }
    const asked = await step(id, 'arbitration-request', buyer(order), { content: 'We do not agree; please decide.' });
    expect(asked.body).toMatchObject({ status: 'WAIT_ARBITRATION', workflow: { waitingOn: 'SUPPORT' } });
    expect(asked.body.messages.map((m: { role: string }) => m.role)).toEqual(['BUYER', 'SELLER', 'SUPPORT']);

    // Support finds it with one query, as in the Temporal UI.
    const waiting = await listWorkflowIds(system, `ComplaintStatus="WAIT_ARBITRATION" AND OrderSn="${order.orderSn}"`, (ids) => ids.length === 1);
    expect(waiting).toEqual([`complaint-${id}`]);
    const listed = await system.http('GET', `/support/complaints?status=WAIT_ARBITRATION&sellerId=${order.sellerId}`, { token: support() });
    expect(listed.body.items.map((c: { id: number }) => c.id)).toEqual([id]);
    // The seller's own list, page by page (one a page): its complaints, newest first, each once.
    const sellerComplaints = (await system.dataSource.query('SELECT id FROM complaint WHERE seller_id = ? ORDER BY id DESC', [order.sellerId])).map((r: { id: number | string }) => Number(r.id));
    expect((await walkPages(system, '/v1/complaints', system.token('seller', order.sellerId), 1)).map((c) => c.id)).toEqual(sellerComplaints);

    // The refund is bounded by the line (2 × 129.00) before anything is recorded.
    const tooMuch = await supportStep(id, 'arbitration', { result: 'refund everything twice', refundFen: 25_801 });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.detail).toMatch(/exceeds the 25800 fen that remain refundable on this line/);

    const decided = await supportStep(id, 'arbitration', { result: 'Short weight confirmed: refund 50.00 CNY.', refundFen: 5000 });
    expect(decided.body).toMatchObject({ status: 'COMPLETE', refundFen: 5000, arbitrationResult: 'Short weight confirmed: refund 50.00 CNY.', lineComplainStatus: 'COMPLETE' });
    const handle = system.temporal.workflow.getHandle(`complaint-${id}`);
    const final = await handle.result();
    expect(final.refund).toMatchObject({ refundFen: 5000, status: 'SUCCESS' });
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 5000, refunds: 1 });
    const [row] = await system.dataSource.query('SELECT order_status, refunded_fen FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toEqual({ order_status: 'ROG', refunded_fen: 5000 });

    const log = await system.dataSource.query(`SELECT event_key, old_status, new_status, actor_role FROM order_log WHERE order_sn = ? AND operation = 'COMPLAINT' ORDER BY id`, [order.orderSn]);
    expect(log).toEqual([
      { event_key: `complaint:${id}:filed`, old_status: null, new_status: 'NEW', actor_role: 'BUYER' },
      { event_key: `complaint:${id}:1:REVIEW`, old_status: 'NEW', new_status: 'WAIT_APPEAL', actor_role: 'SUPPORT' },
      { event_key: `complaint:${id}:2:APPEAL`, old_status: 'WAIT_APPEAL', new_status: 'COMMUNICATION', actor_role: 'SELLER' },
      { event_key: `complaint:${id}:3:MESSAGE`, old_status: 'COMMUNICATION', new_status: 'COMMUNICATION', actor_role: 'BUYER' },
      { event_key: `complaint:${id}:4:MESSAGE`, old_status: 'COMMUNICATION', new_status: 'COMMUNICATION', actor_role: 'SELLER' },
      { event_key: `complaint:${id}:5:MESSAGE`, old_status: 'COMMUNICATION', new_status: 'COMMUNICATION', actor_role: 'SUPPORT' },
      { event_key: `complaint:${id}:6:REQUEST_ARBITRATION`, old_status: 'COMMUNICATION', new_status: 'WAIT_ARBITRATION', actor_role: 'BUYER' },
      { event_key: `complaint:${id}:7:ARBITRATE`, old_status: 'WAIT_ARBITRATION', new_status: 'COMPLETE', actor_role: 'SUPPORT' },
    ]);
    // A closed complaint takes no more steps.
    expect((await step(id, 'messages', buyer(order), { content: 'thanks' })).status).toBe(409);
    await recordHistory(handle, 'complaint-arbitrated-refund');

    // COMPLETE freed the line; a second arbitration refund on the same payment is bounded by what remains.
    const again = await file(order);
    expect(again.status).toBe(201);
    const next: number = again.body.id;
    await supportStep(next, 'review', { content: 'accepted' });
    await step(next, 'appeal', seller(order), { content: 'no' });
    await step(next, 'arbitration-request', seller(order), { content: 'decide' });
    const overPaid = await supportStep(next, 'arbitration', { result: 'refund the whole line', refundFen: 25_800 });
    expect(overPaid.status).toBe(409);
    expect(overPaid.body.detail).toMatch(/remain refundable/);
    expect(await complaintStatus(system, next)).toBe('WAIT_ARBITRATION');
    expect((await supportStep(next, 'arbitration', { result: 'no further refund' })).body.status).toBe('COMPLETE');
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 5000, refunds: 1 });
  });

  it('a withdrawn complaint frees the line for a new one', async () => {
    const order = await receivedOrder();
    // Five filings at once: one complaint, four refusals.
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => file(order)));
    expect(concurrent.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const first = concurrent.find((r) => r.status === 201)!.body.id as number;
    expect(await system.dataSource.query('SELECT COUNT(*) AS n FROM complaint WHERE order_sn = ?', [order.orderSn])).toEqual([{ n: 1 }]);
    const withdrawn = await step(first, 'withdrawal', buyer(order), { content: 'the seller sent the missing tea' });
    expect(withdrawn.body).toMatchObject({ status: 'CANCEL', closedReason: 'the seller sent the missing tea', lineComplainStatus: 'COMPLETE' });
    const handle = system.temporal.workflow.getHandle(`complaint-${first}`);
    expect((await handle.result()).status).toBe('CANCEL');
    await recordHistory(handle, 'complaint-withdrawn');
    // The seller cannot withdraw a buyer's complaint, and a withdrawn one cannot be withdrawn again.
    expect((await step(first, 'withdrawal', buyer(order), { content: 'again' })).status).toBe(409);

    const second = await file(order);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ status: 'NEW', lineComplainStatus: 'APPLYING' });
    expect((await step(second.body.id, 'withdrawal', seller(order), { content: 'seller tries' })).status).toBe(403);
    await step(second.body.id, 'withdrawal', buyer(order), { content: 'done' });
  });

  it('refuses bad input with 400 and unknown lines or orders with 404', async () => {
    const order = await receivedOrder();
    expect((await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: buyer(order), body: { skuId: order.skuId, topic: ' ', content: 'x' } })).status).toBe(400);
    expect((await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: buyer(order), body: { skuId: order.skuId + 999_999, topic: 't', content: 'x' } })).status).toBe(404);
    expect((await file(order, system.token('buyer', order.buyerId + 1))).status).toBe(404);
    expect((await system.http('GET', '/support/complaints?status=NOPE', { token: support() })).status).toBe(400);
    expect((await supportStep(2_000_000_000, 'review', { content: 'x' })).status).toBe(404);
  });
});

describe('complaint deadlines', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ COMPLAINT_SELLER_REPLY_DEADLINE: '4s', COMPLAINT_BUYER_IDLE_DEADLINE: '3s' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const support = () => system.token('support', 1);

  async function reviewedComplaint(): Promise<{ order: PlacedOrder; id: number }> {
    const order = await placePaidOrder(system, 'alipay');
    const filed = await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: system.token('buyer', order.buyerId), body: { skuId: order.skuId, topic: 'Not shipped', content: 'Paid a week ago, nothing shipped.' } });
    expect(filed.status).toBe(201);
    const reviewed = await system.http('POST', `/support/complaints/${filed.body.id}/review`, { token: support(), body: { content: 'accepted' } });
    expect(reviewed.body).toMatchObject({ status: 'WAIT_APPEAL', workflow: { waitingOn: 'SELLER' } });
    return { order, id: filed.body.id };
  }

  it("a seller's silence past the deadline sends the complaint to arbitration", async () => {
    const { order, id } = await reviewedComplaint();
    await waitForComplaint(system, id, ComplainStatus.WAIT_ARBITRATION, 30_000);
    const [logged] = await system.dataSource.query(`SELECT actor_role, message FROM order_log WHERE order_sn = ? AND event_key = ?`, [order.orderSn, `complaint:${id}:2:REQUEST_ARBITRATION`]);
    expect(logged).toEqual({ actor_role: 'SYSTEM_TIMER', message: expect.stringMatching(/seller did not answer in time/) });
    // Too late to answer now: the case is with support.
    expect((await system.http('POST', `/complaints/${id}/appeal`, { token: system.token('seller', order.sellerId), body: { content: 'sorry, late' } })).status).toBe(409);
    await listWorkflowIds(system, `ComplaintStatus="WAIT_ARBITRATION" AND OrderSn="${order.orderSn}"`, (ids) => ids.length === 1);
    const handle = system.temporal.workflow.getHandle(`complaint-${id}`);
    await system.http('POST', `/support/complaints/${id}/arbitration`, { token: support(), body: { result: 'seller silent: complaint upheld, no refund asked' } });
    expect((await handle.result()).status).toBe('COMPLETE');
    await recordHistory(handle, 'complaint-seller-silent');
  });

  it('a complaint waiting on a buyer who does not answer closes and frees the line', async () => {
    const { order, id } = await reviewedComplaint();
    const answered = await system.http('POST', `/complaints/${id}/appeal`, { token: system.token('seller', order.sellerId), body: { content: 'Shipped today, tracking SF1.' } });
    expect(answered.body).toMatchObject({ status: 'COMMUNICATION', workflow: { waitingOn: 'BUYER' } });
    await waitForComplaint(system, id, ComplainStatus.CANCEL, 30_000);
    const [row] = await system.dataSource.query('SELECT closed_reason, open_line_key FROM complaint WHERE id = ?', [id]);
    expect(row).toEqual({ closed_reason: expect.stringMatching(/buyer did not answer in time/), open_line_key: null });
    await eventually(async () => ((await system.temporal.workflow.getHandle(`complaint-${id}`).describe()).status.name === 'COMPLETED' ? true : undefined), 20_000, 'workflow closed');
  });
});
