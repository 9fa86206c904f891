/**
 * The chaos run's refund stories after payment (issue 20, part 5): after-sale refunds (refund only,
 * and returns with good and damaged units), complaint refunds decided by support, support's goodwill
 * refunds, and a complaint and an after-sale racing for the same line. Each story records what its
 * accepted steps asked for, so the checks (chaos/money-checks.ts) can hold the system to it exactly:
 * the refunds per payment, the order's final status, and what the goods' counters must show.
 */

export type MoneyKind = 'after-sale-refund' | 'after-sale-return' | 'complaint-refund' | 'goodwill' | 'complaint-vs-after-sale';

/** What one money story expects, filled in as its steps are answered. */
export interface MoneyExpectation {
  /** The amounts of the refunds the story's accepted steps asked for (one payment per story). */
  refundsFen: number[];
  /** Units shipped (they leave the shelf: on hand −n). */
  shipped: number;
  /** Units a seller received back in good condition (on hand and available +n). */
  restocked: number;
  /** Units whose sale an after-sale took back (sales −n): every unit of a completed after-sale that refunded money. */
  salesReturned: number;
  /** The after-sales and complaints of the story and the status each must end in. */
  afterSales: { serviceSn: string; final: string }[];
  complaints: { id: number; final: string }[];
  /** Answers that are correct refusals (a 409 where the line had no more to give). */
  refusals: string[];
}

/** What a story needs from the harness: its API client (5xx retried), the database, and the order steps it already has. */
export interface StoryContext {
  api(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  db<T>(sql: string, args: unknown[]): Promise<T[]>;
  waitFor(orderSn: string, wanted: string[], timeoutMs: number): Promise<boolean>;
  statusOf(orderSn: string): Promise<string | undefined>;
  token(role: 'buyer' | 'seller' | 'support', id: number): string;
  sellerId: number;
  next(): number;
  sleep(ms: number): Promise<void>;
}

/** The order status each money story ends in: these refunds never change it. */
export const MONEY_FINAL_STATUS: Record<MoneyKind, string> = {
  'after-sale-refund': 'ROG',
  'after-sale-return': 'ROG',
  'complaint-refund': 'ROG',
  goodwill: 'PAID_OFF',
  'complaint-vs-after-sale': 'ROG',
};

/** Weights of the money kinds among themselves (the harness decides how many stories are money stories). */
export function pickMoneyKind(roll: number): MoneyKind {
  return roll < 0.25 ? 'after-sale-refund' : roll < 0.45 ? 'after-sale-return' : roll < 0.65 ? 'complaint-refund' : roll < 0.85 ? 'goodwill' : 'complaint-vs-after-sale';
}

export function emptyExpectation(): MoneyExpectation {
  return { refundsFen: [], shipped: 0, restocked: 0, salesReturned: 0, afterSales: [], complaints: [], refusals: [] };
}

const between = (ctx: StoryContext, min: number, max: number) => min + Math.floor(ctx.next() * (max - min + 1));
const ok = (status: number) => status >= 200 && status < 300;

/**
 * A step without an Idempotency-Key (shipment, receipt, complaint and after-sale steps). After a 5xx
 * the harness's retry may find it already done and answer 409; and the row a story waited on can run
 * a moment ahead of the workflow's own state (a worker killed after an activity wrote it, before the
 * workflow task that took its result completed: the replayed task catches up), so the workflow
 * refuses with 409 for now. Done means the row says so; a 409 is sent again, as a person presses
 * again, for up to two minutes.
 */
async function step(ctx: StoryContext, what: string, send: () => Promise<{ status: number; body: any }>, done: () => Promise<boolean>): Promise<{ status: number; body: any }> {
  let answer = await send();
  for (let i = 1; i <= 240; i += 1) {
    if (ok(answer.status) || (await done())) return answer;
    if (answer.status !== 409) break;
    await ctx.sleep(500);
    if (i % 10 === 0) answer = await send();
  }
  throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

const afterSaleRow = async (ctx: StoryContext, serviceSn: string) =>
  (await ctx.db<{ status: string; agreed_fen: number | null }>('SELECT status, agreed_fen FROM after_sale WHERE service_sn = ?', [serviceSn]))[0];
const complaintRow = async (ctx: StoryContext, id: number) =>
  (await ctx.db<{ status: string; refund_fen: number | null }>('SELECT status, refund_fen FROM complaint WHERE id = ?', [id]))[0];

async function waitForAfterSale(ctx: StoryContext, serviceSn: string, wanted: string[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await afterSaleRow(ctx, serviceSn))?.status;
    if (wanted.includes(status) || Date.now() > deadline) return status;
    await ctx.sleep(500);
  }
}

/** The seller ships and the buyer confirms receipt: the order is ROG. */
export async function shipAndReceive(ctx: StoryContext, order: { orderSn: string; buyer: number; quantity: number }, expect: MoneyExpectation): Promise<void> {
  const { orderSn } = order;
  if (!(await ctx.waitFor(orderSn, ['PAID_OFF'], 180_000))) throw new Error(`${orderSn} never PAID_OFF (is ${await ctx.statusOf(orderSn)})`);
  const ship = () => ctx.api('POST', `/orders/${orderSn}/shipment`, ctx.token('seller', ctx.sellerId), { carrier: 'SF', trackingNo: `SF${orderSn.slice(-8)}` });
  await step(ctx, `ship ${orderSn}`, ship, async () => ['SHIPPED', 'ROG'].includes((await ctx.statusOf(orderSn)) ?? ''));
  expect.shipped = order.quantity;
  if (!(await ctx.waitFor(orderSn, ['SHIPPED', 'ROG'], 120_000))) throw new Error(`${orderSn} never SHIPPED (is ${await ctx.statusOf(orderSn)})`);
  const receive = () => ctx.api('POST', `/orders/${orderSn}/receipt`, ctx.token('buyer', order.buyer));
  await step(ctx, `receive ${orderSn}`, receive, async () => (await ctx.statusOf(orderSn)) === 'ROG');
  if (!(await ctx.waitFor(orderSn, ['ROG'], 120_000))) throw new Error(`${orderSn} never ROG (is ${await ctx.statusOf(orderSn)})`);
}

async function lineOf(ctx: StoryContext, orderSn: string): Promise<{ id: number; num: number; paidFen: number }> {
  const [item] = await ctx.db<{ id: number; num: number; paid_fen: number }>('SELECT id, num, paid_fen FROM order_item WHERE order_sn = ? ORDER BY id', [orderSn]);
  return { id: Number(item.id), num: item.num, paidFen: item.paid_fen };
}

/** Applies for an after-sale of `num` units of the line; answers its number and what it asks (or undefined on a 409). */
async function applyAfterSale(ctx: StoryContext, order: { orderSn: string; buyer: number }, serviceType: 'REFUND_ONLY' | 'RETURN_GOODS', orderItemId: number, num: number) {
  const apply = () => ctx.api('POST', `/orders/${order.orderSn}/after-sales`, ctx.token('buyer', order.buyer), { serviceType, lines: [{ orderItemId, num }], reason: 'chaos: not as described' }, { 'Idempotency-Key': `as-${order.orderSn}` });
  let applied = await apply();
  // 202: recorded, the order's answer still pending (no worker answered in time); the same key asks again.
  for (let i = 0; i < 90 && applied.status === 202 && applied.body?.opening === 'PENDING'; i += 1) {
    await ctx.sleep(2000);
    applied = await apply();
  }
  if (applied.status === 409) return undefined;
  if (applied.status !== 201) throw new Error(`after-sale for ${order.orderSn}: ${applied.status} ${JSON.stringify(applied.body)}`);
  return { serviceSn: applied.body.serviceSn as string, requestedFen: applied.body.requestedFen as number };
}

/** The seller passes it, at the asked amount or a lower agreed one; answers the agreed amount. */
async function passAfterSale(ctx: StoryContext, serviceSn: string, requestedFen: number): Promise<{ passed: boolean; agreedFen: number; answer: { status: number; body: any } }> {
  const lower = ctx.next() < 0.5 && requestedFen > 1 ? between(ctx, 1, requestedFen - 1) : undefined;
  const answer = await ctx.api('POST', `/after-sales/${serviceSn}/audit`, ctx.token('seller', ctx.sellerId), { decision: 'PASS', ...(lower ? { refundFen: lower } : {}) });
  const agreedFen = lower ?? requestedFen;
  if (ok(answer.status)) return { passed: true, agreedFen, answer };
  // Retried after a 5xx: the first try may have passed it.
  const row = await afterSaleRow(ctx, serviceSn);
  if (row && row.status !== 'APPLY' && row.agreed_fen === agreedFen) return { passed: true, agreedFen, answer };
  return { passed: false, agreedFen, answer };
}

async function afterSaleRefund(ctx: StoryContext, order: { orderSn: string; buyer: number; quantity: number }, expect: MoneyExpectation, returnGoods: boolean): Promise<void> {
  await shipAndReceive(ctx, order, expect);
  const line = await lineOf(ctx, order.orderSn);
  const num = between(ctx, 1, line.num);
  const applied = await applyAfterSale(ctx, order, returnGoods ? 'RETURN_GOODS' : 'REFUND_ONLY', line.id, num);
  if (!applied) throw new Error(`after-sale for ${order.orderSn} refused on a line nothing else touched`);
  const { serviceSn, requestedFen } = applied;
  const pass = await passAfterSale(ctx, serviceSn, requestedFen);
  if (!pass.passed) throw new Error(`audit of ${serviceSn}: ${pass.answer.status} ${JSON.stringify(pass.answer.body)}`);
  if (returnGoods) {
    const seller = ctx.token('seller', ctx.sellerId);
    const send = () => ctx.api('POST', `/after-sales/${serviceSn}/return-shipment`, ctx.token('buyer', order.buyer), { carrier: 'YTO', trackingNo: `YT${serviceSn.slice(-8)}` });
    await step(ctx, `return shipment of ${serviceSn}`, send, async () => (await afterSaleRow(ctx, serviceSn)).status !== 'PASS');
    const good = between(ctx, 0, num);
    const receipt = () => ctx.api('POST', `/after-sales/${serviceSn}/receipt`, seller, { lines: [{ orderItemId: line.id, goodNum: good, damagedNum: num - good }] });
    await step(ctx, `receipt of ${serviceSn}`, receipt, async () => !['PASS', 'FULL_COURIER'].includes((await afterSaleRow(ctx, serviceSn)).status));
    expect.restocked += good;
  }
  expect.refundsFen.push(pass.agreedFen);
  expect.salesReturned += num;
  expect.afterSales.push({ serviceSn, final: 'COMPLETED' });
}

/** Files a complaint about the order's SKU and walks it to WAIT_ARBITRATION (review, the seller's appeal, the buyer asks support to decide). */
async function complaintToArbitration(ctx: StoryContext, order: { orderSn: string; buyer: number; skuId: number }): Promise<number> {
  const buyer = ctx.token('buyer', order.buyer);
  const filed = await ctx.api('POST', `/orders/${order.orderSn}/complaints`, buyer, { skuId: order.skuId, topic: 'Short weight', content: 'chaos: the tin holds less than it says' });
  let id: number | undefined = filed.status === 201 ? Number(filed.body.id) : undefined;
  // Retried after a 5xx: the first try may have filed it (one open complaint per line).
  if (id === undefined) id = (await ctx.db<{ id: number }>(`SELECT id FROM complaint WHERE order_sn = ? AND status = 'NEW'`, [order.orderSn]))[0]?.id;
  if (id === undefined) throw new Error(`complaint on ${order.orderSn}: ${filed.status} ${JSON.stringify(filed.body)}`);
  const cid = Number(id);
  const reached = (statuses: string[]) => async () => statuses.includes((await complaintRow(ctx, cid)).status);
  await step(ctx, `review of complaint ${cid}`, () => ctx.api('POST', `/support/complaints/${cid}/review`, ctx.token('support', 1), { content: 'accepted' }), reached(['WAIT_APPEAL', 'COMMUNICATION', 'WAIT_ARBITRATION']));
  await step(ctx, `appeal of complaint ${cid}`, () => ctx.api('POST', `/complaints/${cid}/appeal`, ctx.token('seller', ctx.sellerId), { content: 'we weighed it' }), reached(['COMMUNICATION', 'WAIT_ARBITRATION']));
  await step(ctx, `arbitration request of complaint ${cid}`, () => ctx.api('POST', `/complaints/${cid}/arbitration-request`, buyer, { content: 'please decide' }), reached(['WAIT_ARBITRATION']));
  return cid;
}

/**
 * Support decides with a refund of `refundFen`: answers the amount accepted, or 0 when the line had
 * no more (409, a correct refusal: support then closes it without a refund).
 */
async function arbitrate(ctx: StoryContext, id: number, refundFen: number, expect: MoneyExpectation): Promise<number> {
  const support = ctx.token('support', 1);
  const decide = () => ctx.api('POST', `/support/complaints/${id}/arbitration`, support, { result: `chaos: refund ${refundFen} fen`, refundFen });
  let decided = await decide();
  // A 409 that is not about the money (the workflow a moment behind its row, see step) is sent again.
  for (let i = 0; i < 24 && decided.status === 409 && !/refundable|exceeds/.test(String(decided.body?.detail)) && (await complaintRow(ctx, id)).status === 'WAIT_ARBITRATION'; i += 1) {
    await ctx.sleep(5000);
    decided = await decide();
  }
  if (ok(decided.status)) return refundFen;
  const row = await complaintRow(ctx, id);
  if (row.status === 'COMPLETE') return Number(row.refund_fen ?? 0); // a retry after a 5xx: the first try decided it
  if (decided.status !== 409) throw new Error(`arbitration of complaint ${id}: ${decided.status} ${JSON.stringify(decided.body)}`);
  expect.refusals.push(`complaint ${id}: ${decided.body?.detail}`);
  const close = () => ctx.api('POST', `/support/complaints/${id}/arbitration`, support, { result: 'chaos: no further refund' });
  await step(ctx, `arbitration without refund of complaint ${id}`, close, async () => (await complaintRow(ctx, id)).status === 'COMPLETE');
  return 0;
}

async function complaintRefund(ctx: StoryContext, order: { orderSn: string; buyer: number; skuId: number; quantity: number }, expect: MoneyExpectation): Promise<void> {
  await shipAndReceive(ctx, order, expect);
  const line = await lineOf(ctx, order.orderSn);
  const id = await complaintToArbitration(ctx, order);
  const refunded = await arbitrate(ctx, id, between(ctx, 1, line.paidFen), expect);
  if (refunded === 0) throw new Error(`complaint ${id} on ${order.orderSn}: refused a refund within an untouched line (${expect.refusals.join('; ')})`);
  expect.refundsFen.push(refunded);
  expect.complaints.push({ id, final: 'COMPLETE' });
}

/** Support's goodwill refunds on a paid order: one, sometimes a second that is refused (409) exactly when the two exceed the payment. */
async function goodwill(ctx: StoryContext, order: { orderSn: string; orderFen: number }, expect: MoneyExpectation): Promise<void> {
  if (!(await ctx.waitFor(order.orderSn, ['PAID_OFF'], 180_000))) throw new Error(`${order.orderSn} never PAID_OFF (is ${await ctx.statusOf(order.orderSn)})`);
  const support = ctx.token('support', 2);
  const asks = [between(ctx, 1, Math.max(1, order.orderFen - 1))];
  if (ctx.next() < 0.4) asks.push(between(ctx, 1, order.orderFen));
  let committed = 0;
  for (const [i, refundFen] of asks.entries()) {
    const answer = await ctx.api('POST', `/support/orders/${order.orderSn}/goodwill-refunds`, support, { refundFen, reason: `chaos goodwill #${i + 1}` }, { 'Idempotency-Key': `gw-${i}-${order.orderSn}` });
    const fits = committed + refundFen <= order.orderFen;
    if (fits && answer.status === 202) {
      committed += refundFen;
      expect.refundsFen.push(refundFen);
    } else if (!fits && answer.status === 409) {
      expect.refusals.push(`goodwill ${refundFen} on ${order.orderSn}: ${answer.body?.detail}`);
    } else {
      throw new Error(`goodwill ${refundFen} fen on ${order.orderSn} (${committed} of ${order.orderFen} already refunded): ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }
}

/**
 * A complaint and a refund-only after-sale on the same line, decided at the same time. The line never
 * pays out more than it was paid: one of them may be refused (the complaint's arbitration with a 409,
 * or the after-sale's refund, which then waits for support, who closes it). Both are correct answers.
 */
async function complaintVsAfterSale(ctx: StoryContext, order: { orderSn: string; buyer: number; skuId: number; quantity: number }, expect: MoneyExpectation): Promise<void> {
  await shipAndReceive(ctx, order, expect);
  const line = await lineOf(ctx, order.orderSn);
  const num = between(ctx, 1, line.num);
  const applied = await applyAfterSale(ctx, order, 'REFUND_ONLY', line.id, num);
  if (!applied) throw new Error(`after-sale for ${order.orderSn} refused before the complaint`);
  const id = await complaintToArbitration(ctx, order);
  const [pass, complaintFen] = await Promise.all([passAfterSale(ctx, applied.serviceSn, applied.requestedFen), arbitrate(ctx, id, between(ctx, 1, line.paidFen), expect)]);
  if (complaintFen > 0) expect.refundsFen.push(complaintFen);
  expect.complaints.push({ id, final: 'COMPLETE' });
  if (!pass.passed) throw new Error(`audit of ${applied.serviceSn}: ${pass.answer.status} ${JSON.stringify(pass.answer.body)}`);
  const status = await waitForAfterSale(ctx, applied.serviceSn, ['REFUNDING', 'COMPLETED', 'WAIT_FOR_MANUAL'], 180_000);
  if (status === 'WAIT_FOR_MANUAL') {
    expect.refusals.push(`after-sale ${applied.serviceSn}: its refund of ${pass.agreedFen} fen no longer fit the line`);
    const close = () => ctx.api('POST', `/support/after-sales/${applied.serviceSn}/decision`, ctx.token('support', 3), { action: 'CLOSE', reason: 'chaos: the complaint refund already covered the line' });
    await step(ctx, `support close of ${applied.serviceSn}`, close, async () => (await afterSaleRow(ctx, applied.serviceSn)).status === 'CLOSED');
    expect.afterSales.push({ serviceSn: applied.serviceSn, final: 'CLOSED' });
    return;
  }
  if (status !== 'REFUNDING' && status !== 'COMPLETED') throw new Error(`after-sale ${applied.serviceSn} is ${status} after its audit`);
  expect.refundsFen.push(pass.agreedFen);
  expect.salesReturned += num;
  expect.afterSales.push({ serviceSn: applied.serviceSn, final: 'COMPLETED' });
}

/** Runs one money story on a paid order (the harness checked it out and paid it). */
export async function runMoneyStory(ctx: StoryContext, kind: MoneyKind, order: { orderSn: string; buyer: number; skuId: number; quantity: number; orderFen: number }, expect: MoneyExpectation): Promise<void> {
  if (kind === 'after-sale-refund') return afterSaleRefund(ctx, order, expect, false);
  if (kind === 'after-sale-return') return afterSaleRefund(ctx, order, expect, true);
  if (kind === 'complaint-refund') return complaintRefund(ctx, order, expect);
  if (kind === 'goodwill') return goodwill(ctx, order, expect);
  return complaintVsAfterSale(ctx, order, expect);
}
