import type { TestSystem } from '../support/system';
import type { MoneyModel } from './model';

/**
 * After a sequence: wait until the system is quiet (no refund, after-sale refund, cancellation or
 * goodwill refund of the sequence's orders still in flight), then compare MySQL, the simulator's
 * ledger and the model. Every check returns violations as sentences; none is fatal on its own so one
 * report names them all.
 */

const IN_FLIGHT_REFUND = ['APPLY', 'PROCESSING'];
const FINAL_REFUNDS_NOT_CLOSED = "status <> 'CLOSED'";

/** What is still moving, or undefined when all of it has settled. */
async function inFlight(system: TestSystem, orderSns: string[]): Promise<string | undefined> {
  const q = (sql: string) => system.dataSource.query(sql, [orderSns]);
  const refunds = await q(`SELECT refund_sn, status FROM refund WHERE order_sn IN (?) AND status IN ('${IN_FLIGHT_REFUND.join("','")}')`);
  if (refunds.length) return `refunds ${refunds.map((r: any) => `${r.refund_sn} ${r.status}`).join(', ')}`;
  const afterSales = await q(`SELECT service_sn, status FROM after_sale WHERE order_sn IN (?) AND (status IN ('REFUNDING', 'STOCK_IN') OR (status = 'PASS' AND service_type = 'REFUND_ONLY'))`);
  if (afterSales.length) return `after-sales ${afterSales.map((r: any) => `${r.service_sn} ${r.status}`).join(', ')}`;
  const cancellations = await q(`SELECT order_sn, status FROM cancellation_request WHERE order_sn IN (?) AND status IN ('RECEIVED', 'REQUESTED', 'REFUNDING')`);
  if (cancellations.length) return `cancellations ${cancellations.map((r: any) => `${r.order_sn} ${r.status}`).join(', ')}`;
  const goodwill = await q(`SELECT id, status FROM goodwill_refund WHERE order_sn IN (?) AND status = 'RECEIVED'`);
  if (goodwill.length) return `goodwill refunds ${goodwill.map((r: any) => r.id).join(', ')}`;
  return undefined;
}

/** Polls until nothing of these orders is in flight; returns what still was after `timeoutMs` (a violation: it never settled). */
export async function waitQuiet(system: TestSystem, orderSns: string[], timeoutMs: number): Promise<string | undefined> {
  if (!orderSns.length) return undefined;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const moving = await inFlight(system, orderSns);
    if (!moving) return undefined;
    if (Date.now() > deadline) return `not quiet after ${timeoutMs / 1000} s: ${moving}`;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const n = (v: unknown) => Number(v ?? 0);

export async function checkInvariants(system: TestSystem, model: MoneyModel): Promise<string[]> {
  const orderSns = model.orders.map((o) => o.orderSn);
  if (!orderSns.length) return [];
  const violations: string[] = [];
  const q = (sql: string, params: unknown[] = [orderSns]) => system.dataSource.query(sql, params);
  const fen = (v: number) => `${v} fen`;

  // 1. Per order line: refunds (not CLOSED) that name the line ≤ what was paid for it. After-sale
  //    refunds name their lines in refund_line; a complaint's refund names its line through the
  //    complaint (order_sn, sku_id) and counts from there unless it wrote refund_line rows itself.
  const lines: { id: number; order_sn: string; sku_id: number; paid_fen: number; refundable_fen: number }[] = await q('SELECT id, order_sn, sku_id, paid_fen, refundable_fen FROM order_item WHERE order_sn IN (?)');
  const perLine = new Map<number, { fen: number; causes: string[] }>();
  const add = (id: number, amount: number, cause: string) => {
    const entry = perLine.get(id) ?? { fen: 0, causes: [] };
    entry.fen += amount;
    entry.causes.push(`${cause} ${amount}`);
    perLine.set(id, entry);
  };
  const viaLines = await q(`SELECT rl.order_item_id, rl.refund_fen, r.cause_key, r.status FROM refund_line rl JOIN refund r ON r.refund_sn = rl.refund_sn WHERE r.order_sn IN (?) AND r.${FINAL_REFUNDS_NOT_CLOSED}`);
  for (const row of viaLines) add(n(row.order_item_id), n(row.refund_fen), `${row.cause_key} (${row.status})`);
  const viaComplaints = await q(
    `SELECT oi.id AS order_item_id, r.refund_fen, r.cause_key, r.status FROM refund r
       JOIN complaint c ON r.cause_key LIKE CONCAT('complaint:', c.id, ':%')
       JOIN order_item oi ON oi.order_sn = c.order_sn AND oi.sku_id = c.sku_id
      WHERE r.order_sn IN (?) AND r.${FINAL_REFUNDS_NOT_CLOSED} AND NOT EXISTS (SELECT 1 FROM refund_line x WHERE x.refund_sn = r.refund_sn)`,
  );
  for (const row of viaComplaints) add(n(row.order_item_id), n(row.refund_fen), `${row.cause_key} (${row.status})`);
  for (const line of lines) {
    const refunded = perLine.get(n(line.id));
    if (refunded && refunded.fen > line.paid_fen) {
      violations.push(`line ${line.id} of ${line.order_sn} (sku ${line.sku_id}) was paid ${fen(line.paid_fen)} but refunds of ${fen(refunded.fen)} name it: ${refunded.causes.join(', ')}`);
    }
    if (line.refundable_fen < 0 || line.refundable_fen > line.paid_fen) violations.push(`line ${line.id}: refundable_fen ${line.refundable_fen} outside 0..${line.paid_fen}`);
  }

  // 2. Per payment: refunds (not CLOSED) ≤ the amount, and ≤ what the simulator captured.
  const ledger = await system.sim.ledger();
  const payments: { out_trade_no: string; order_sn: string; amount_fen: number; status: string }[] = await q(`SELECT out_trade_no, order_sn, amount_fen, status FROM payment WHERE order_sn IN (?)`);
  const refunds: { refund_sn: string; order_sn: string; out_trade_no: string; refund_fen: number; status: string; cause_key: string }[] = await q('SELECT refund_sn, order_sn, out_trade_no, refund_fen, status, cause_key FROM refund WHERE order_sn IN (?)');
  const open = refunds.filter((r) => r.status !== 'CLOSED');
  for (const p of payments) {
    const committed = open.filter((r) => r.out_trade_no === p.out_trade_no).reduce((s, r) => s + r.refund_fen, 0);
    const captured = ledger.filter((e) => e.kind === 'payment' && e.outTradeNo === p.out_trade_no).reduce((s, e) => s + e.amountFen, 0);
    if (committed > p.amount_fen) violations.push(`payment ${p.out_trade_no} of ${p.order_sn}: refunds of ${fen(committed)} (not CLOSED) exceed its ${fen(p.amount_fen)}`);
    if (['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(p.status) && captured !== p.amount_fen) violations.push(`payment ${p.out_trade_no}: the simulator captured ${fen(captured)}, MySQL says ${fen(p.amount_fen)} (${p.status})`);
    if (committed > captured) violations.push(`payment ${p.out_trade_no}: refunds of ${fen(committed)} exceed the ${fen(captured)} captured at the provider`);
  }

  // 3. Per order: refunds (not CLOSED) ≤ what was paid (goods + shipping); refunded_fen = what succeeded.
  const orders: { order_sn: string; order_fen: number; paid_fen: number; refunded_fen: number; shipping_fen: number }[] = await q('SELECT order_sn, order_fen, paid_fen, refunded_fen, shipping_fen FROM orders WHERE order_sn IN (?)');
  for (const o of orders) {
    const mine = open.filter((r) => r.order_sn === o.order_sn);
    const committed = mine.reduce((s, r) => s + r.refund_fen, 0);
    const goods = lines.filter((l) => l.order_sn === o.order_sn).reduce((s, l) => s + l.paid_fen, 0);
    const captured = payments.filter((p) => p.order_sn === o.order_sn && p.status !== 'CLOSED').reduce((s, p) => s + p.amount_fen, 0);
    if (goods + o.shipping_fen !== o.order_fen) violations.push(`order ${o.order_sn}: lines ${fen(goods)} + shipping ${fen(o.shipping_fen)} ≠ order ${fen(o.order_fen)}`);
    if (committed > Math.min(o.order_fen, captured)) violations.push(`order ${o.order_sn}: refunds of ${fen(committed)} exceed what was paid (${fen(Math.min(o.order_fen, captured))}): ${mine.map((r) => `${r.cause_key} ${r.refund_fen} ${r.status}`).join(', ')}`);
    const succeeded = mine.filter((r) => r.status === 'SUCCESS' || r.status === 'REFUNDED_OFFLINE').reduce((s, r) => s + r.refund_fen, 0);
    if (succeeded !== o.refunded_fen) violations.push(`order ${o.order_sn}: refunded_fen ${o.refunded_fen} ≠ Σ successful refunds ${succeeded}`);
  }

  // 4. The simulator: each refund number paid at most once, only numbers MySQL knows, and what it paid
  //    out per payment = Σ SUCCESS refunds in MySQL.
  const outTradeNos = new Set(payments.map((p) => p.out_trade_no));
  const paidOut = ledger.filter((e) => e.kind === 'refund' && outTradeNos.has(e.outTradeNo));
  const seen = new Map<string, number>();
  for (const e of paidOut) seen.set(e.outRefundNo ?? '?', (seen.get(e.outRefundNo ?? '?') ?? 0) + 1);
  for (const [no, count] of seen) {
    if (count > 1) violations.push(`the simulator paid refund ${no} ${count} times`);
    if (!refunds.some((r) => r.refund_sn === no)) violations.push(`the simulator paid refund ${no}, which MySQL does not know`);
  }
  for (const p of payments) {
    const atProvider = paidOut.filter((e) => e.outTradeNo === p.out_trade_no).reduce((s, e) => s + e.amountFen, 0);
    const success = refunds.filter((r) => r.out_trade_no === p.out_trade_no && r.status === 'SUCCESS').reduce((s, r) => s + r.refund_fen, 0);
    if (atProvider !== success) violations.push(`payment ${p.out_trade_no}: the simulator paid out ${fen(atProvider)}, MySQL has ${fen(success)} of SUCCESS refunds`);
  }

  violations.push(...(await checkStock(system, model)));
  return violations;
}

/**
 * Stock and sales per SKU, two ways: the counters must equal initial + the stock_movement ledger, and
 * must equal what the model saw happen — available = initial − reserved + released/restored + good
 * returns; on hand = initial − shipped + good returns; sales = paid, not cancelled − refunded after-sale units.
 */
async function checkStock(system: TestSystem, model: MoneyModel): Promise<string[]> {
  const violations: string[] = [];
  const skuIds = [...model.skus.keys()];
  if (!skuIds.length) return violations;
  const goods: { id: number; quantity: number; available_quantity: number; sales_count: number }[] = await system.dataSource.query('SELECT id, quantity, available_quantity, sales_count FROM goods WHERE id IN (?)', [skuIds]);
  const movements: { sku_id: number; kind: string; quantity: number }[] = await system.dataSource.query('SELECT sku_id, kind, SUM(quantity) AS quantity FROM stock_movement WHERE sku_id IN (?) GROUP BY sku_id, kind', [skuIds]);
  const returned: { sku_id: number; num: number }[] = await system.dataSource.query(
    `SELECT i.sku_id, SUM(i.num) AS num FROM after_sale_item i JOIN after_sale a ON a.service_sn = i.service_sn
      WHERE i.sku_id IN (?) AND a.status = 'COMPLETED' AND a.refunded_fen > 0 AND a.service_type IN ('REFUND_ONLY', 'RETURN_GOODS') GROUP BY i.sku_id`,
    [skuIds],
  );
  for (const g of goods) {
    const sku = n(g.id);
    const initial = model.skus.get(sku)!;
    const moved = (...kinds: string[]) => movements.filter((m) => n(m.sku_id) === sku && kinds.includes(m.kind)).reduce((s, m) => s + n(m.quantity), 0);
    const ledger = {
      available: initial + moved('RESERVE', 'RELEASE', 'RESTORE', 'RETURN_RESTOCK'),
      onHand: initial + moved('SHIP', 'RETURN_RESTOCK'),
      sales: moved('SALE', 'SALE_REVERSAL', 'SALE_RETURN'),
    };
    let reserved = 0;
    let released = 0;
    let shipped = 0;
    let sold = 0;
    for (const o of model.orders) {
      for (const l of o.lines.filter((x) => x.skuId === sku)) {
        reserved += l.num;
        if (o.stage === 'CANCELLED') released += l.num;
        if (o.shipped) shipped += l.num;
        if (o.paid && o.stage !== 'CANCELLED') sold += l.num;
      }
    }
    const good = model.goodReturned.get(sku) ?? 0;
    const refundedUnits = n(returned.find((r) => n(r.sku_id) === sku)?.num);
    const expected = { available: initial - reserved + released + good, onHand: initial - shipped + good, sales: sold - refundedUnits };
    const actual = { available: g.available_quantity, onHand: g.quantity, sales: g.sales_count };
    for (const key of ['available', 'onHand', 'sales'] as const) {
      if (actual[key] !== ledger[key]) violations.push(`sku ${sku}: ${key} ${actual[key]} but initial + the stock ledger give ${ledger[key]}`);
      if (actual[key] !== expected[key]) violations.push(`sku ${sku}: ${key} ${actual[key]} but the model expects ${expected[key]} (initial ${initial}, reserved ${reserved}, released ${released}, shipped ${shipped}, sold ${sold}, good returns ${good}, refunded units ${refundedUnits})`);
    }
  }
  return violations;
}
