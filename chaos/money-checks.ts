/**
 * What the chaos run checks once everything has settled, for every story kind: the refunds each
 * payment must have (how many and how much), each refund number paid once by the provider, the
 * refund rows against the provider's ledger, each line never refunded past what was paid for it
 * (refund_line of refunds not CLOSED) with order_item.refundable_fen = paid − that, the after-sales
 * and complaints in their final status, and the goods' counters against what the stories did.
 */
import type { LedgerEntry } from '../test/payments/sim-control';
import type { MoneyExpectation } from './money-stories';

export interface CheckedPlan {
  kind: string;
  orderSns: string[];
  outTradeNos: string[];
  skuId: number;
  quantity: number;
  money?: MoneyExpectation;
}

export interface CheckIo {
  ledger(): Promise<LedgerEntry[]>;
  db<T>(sql: string, args: unknown[]): Promise<T[]>;
  sleep(ms: number): Promise<void>;
}

/** Kinds whose orders stay sold (reserved and counted in sales). */
const KEPT = (kind: string) => kind !== 'paid-cancel' && kind !== 'unpaid-cancel';

/** The refunds a payment of the plan must end with: their count and amounts (a cancellation: one, of all it captured). */
function expectedRefunds(plan: CheckedPlan, capturedFen: number): number[] {
  if (plan.kind === 'paid-cancel') return [capturedFen];
  return plan.money?.refundsFen ?? [];
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

export async function checkMoney(io: CheckIo, plans: CheckedPlan[], timeoutMs: number): Promise<{ twice: string[]; mismatches: string[] }> {
  let entries = await io.ledger();
  const refundsOf = (no: string) => entries.filter((e) => e.outTradeNo === no && e.kind === 'refund');
  const capturedOf = (no: string) => sum(entries.filter((e) => e.outTradeNo === no && e.kind === 'payment').map((e) => e.amountFen));
  const payments = plans.flatMap((plan) => plan.outTradeNos.map((no) => ({ plan, no })));
  const want = (p: { plan: CheckedPlan; no: string }) => expectedRefunds(p.plan, capturedOf(p.no));
  const behind = () => payments.filter((p) => refundsOf(p.no).length < want(p).length || sum(refundsOf(p.no).map((e) => e.amountFen)) < sum(want(p)));

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && behind().length > 0) {
    await io.sleep(1000);
    entries = await io.ledger();
  }
  // The refund rows follow the provider (its notification or the workflow's next query): everything
  // is checked again until it holds or the deadline passes.
  for (;;) {
    const found = await evaluate();
    if ((found.twice.length === 0 && found.mismatches.length === 0) || Date.now() > deadline) return found;
    await io.sleep(1000);
    entries = await io.ledger();
  }

  async function evaluate(): Promise<{ twice: string[]; mismatches: string[] }> {
    const twice: string[] = [];
    const mismatches: string[] = [];
    // Money moved twice: a refund number paid more than once, more refunded than captured, more refunds than the story accepted.
    const byRefundNo = new Map<string, number>();
    for (const e of entries) if (e.kind === 'refund') byRefundNo.set(`${e.outTradeNo}/${e.outRefundNo}`, (byRefundNo.get(`${e.outTradeNo}/${e.outRefundNo}`) ?? 0) + 1);
    for (const [no, n] of byRefundNo) if (n > 1) twice.push(`refund ${no} paid ${n} times`);
    const expectedCount = new Map(payments.map((p) => [p.no, want(p).length]));
    for (const no of new Set(entries.map((e) => e.outTradeNo))) {
      const refunds = refundsOf(no);
      const refunded = sum(refunds.map((e) => e.amountFen));
      if (refunded > capturedOf(no) || refunds.length > (expectedCount.get(no) ?? 0)) {
        twice.push(`${no}: captured ${capturedOf(no)}, refunded ${refunded} in ${refunds.length} (expected ${expectedCount.get(no) ?? 0} refunds)`);
      }
    }

    // Refunds off: per payment, the refunds the story's accepted steps asked for, no more, no less.
    for (const p of payments) {
      const moved = refundsOf(p.no).map((e) => e.amountFen).sort((a, b) => a - b);
      const expected = [...want(p)].sort((a, b) => a - b);
      if (JSON.stringify(moved) !== JSON.stringify(expected)) mismatches.push(`${p.no} (${p.plan.kind}, ${p.plan.orderSns.join(' ')}): refunded [${moved.join(', ')}], expected [${expected.join(', ')}]`);
    }
    const refunded = payments.map((p) => p.no);
    if (refunded.length > 0) {
      const rows = await io.db<{ out_trade_no: string; refund_sn: string; refund_fen: number; status: string }>(
        'SELECT out_trade_no, refund_sn, refund_fen, status FROM refund WHERE out_trade_no IN (?) ORDER BY id',
        [refunded],
      );
      for (const no of refunded) {
        const mine = rows.filter((r) => r.out_trade_no === no);
        const paid = mine.filter((r) => r.status === 'SUCCESS' || r.status === 'REFUNDED_OFFLINE');
        const moved = refundsOf(no);
        if (sum(paid.map((r) => Number(r.refund_fen))) !== sum(moved.map((e) => e.amountFen)) || paid.length !== moved.length) {
          mismatches.push(`${no}: refund rows say ${paid.map((r) => `${r.refund_sn} ${r.refund_fen}`).join(', ') || 'none'} paid, the provider moved ${moved.map((e) => `${e.outRefundNo} ${e.amountFen}`).join(', ') || 'nothing'}`);
        }
        for (const r of mine) if (!['SUCCESS', 'REFUNDED_OFFLINE', 'CLOSED'].includes(r.status)) mismatches.push(`${no}: refund ${r.refund_sn} (${r.refund_fen} fen) still ${r.status}`);
      }
    }

    // Each line: Σ refunds not CLOSED ≤ what was paid for it, and what remains refundable is exactly the rest.
    const orderSns = plans.filter((p) => p.outTradeNos.length > 0).flatMap((p) => p.orderSns);
    if (orderSns.length > 0) {
      const lines = await io.db<{ id: number; order_sn: string; paid_fen: number; refundable_fen: number; taken: number }>(
        `SELECT i.id, i.order_sn, i.paid_fen, i.refundable_fen,
                COALESCE((SELECT SUM(l.refund_fen) FROM refund_line l JOIN refund r ON r.refund_sn = l.refund_sn WHERE l.order_item_id = i.id AND r.status <> 'CLOSED'), 0) AS taken
         FROM order_item i WHERE i.order_sn IN (?)`,
        [orderSns],
      );
      for (const line of lines) {
        const taken = Number(line.taken);
        if (taken > line.paid_fen || Number(line.refundable_fen) !== line.paid_fen - taken) {
          mismatches.push(`line ${line.id} of ${line.order_sn}: paid ${line.paid_fen}, refunds not CLOSED take ${taken}, refundable_fen ${line.refundable_fen}`);
        }
      }
    }
    return { twice, mismatches };
  }
}

/** After-sales and complaints not in the status their story ends them in (polled until the deadline). */
export async function checkCases(io: CheckIo, plans: CheckedPlan[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const off: string[] = [];
    for (const plan of plans) {
      for (const a of plan.money?.afterSales ?? []) {
        const [row] = await io.db<{ status: string }>('SELECT status FROM after_sale WHERE service_sn = ?', [a.serviceSn]);
        if (row?.status !== a.final) off.push(`after-sale ${a.serviceSn} of ${plan.orderSns[0]} (${plan.kind}) is ${row?.status}, expected ${a.final}`);
      }
      for (const c of plan.money?.complaints ?? []) {
        const [row] = await io.db<{ status: string }>('SELECT status FROM complaint WHERE id = ?', [c.id]);
        if (row?.status !== c.final) off.push(`complaint ${c.id} of ${plan.orderSns[0]} (${plan.kind}) is ${row?.status}, expected ${c.final}`);
      }
    }
    if (off.length === 0 || Date.now() > deadline) return off;
    await io.sleep(1000);
  }
}

/** What one order of the plan does to its SKU's counters: available, on hand, sales. */
function orderEffect(plan: CheckedPlan): { available: number; onHand: number; sales: number } {
  const kept = KEPT(plan.kind) ? plan.quantity : 0;
  const m = plan.money;
  return {
    available: -kept + (m?.restocked ?? 0),
    onHand: -(m?.shipped ?? 0) + (m?.restocked ?? 0),
    sales: kept - (m?.salesReturned ?? 0),
  };
}

/** Stock and sales per SKU against every story on it; for a SKU off, the orders whose ledger rows differ from their story. */
export async function stockDrift(io: CheckIo, plans: CheckedPlan[], skus: { id: number; stock: number }[], statusOf: (orderSn: string) => Promise<string | undefined>): Promise<string[]> {
  const drift: string[] = [];
  for (const sku of skus) {
    const mine = plans.filter((p) => p.skuId === sku.id);
    const effects = mine.flatMap((p) => p.orderSns.map(() => orderEffect(p)));
    const [row] = await io.db<{ quantity: number; available_quantity: number; sales_count: number }>('SELECT quantity, available_quantity, sales_count FROM goods WHERE id = ?', [sku.id]);
    const want = {
      quantity: sku.stock + sum(effects.map((e) => e.onHand)),
      available_quantity: sku.stock + sum(effects.map((e) => e.available)),
      sales_count: sum(effects.map((e) => e.sales)),
    };
    if (row.quantity === want.quantity && row.available_quantity === want.available_quantity && row.sales_count === want.sales_count) continue;
    drift.push(`SKU ${sku.id}: ${JSON.stringify(row)}, expected ${JSON.stringify(want)}`);
    for (const plan of mine) {
      const effect = orderEffect(plan);
      for (const orderSn of plan.orderSns) {
        const moves = await io.db<{ kind: string; quantity: number }>('SELECT kind, quantity FROM stock_movement WHERE order_sn = ? ORDER BY id', [orderSn]);
        const of = (kinds: string[]) => sum(moves.filter((m) => kinds.includes(m.kind)).map((m) => m.quantity));
        const actual = { available: of(['RESERVE', 'RELEASE', 'RESTORE', 'RETURN_RESTOCK']), onHand: of(['SHIP', 'RETURN_RESTOCK']), sales: of(['SALE', 'SALE_REVERSAL', 'SALE_RETURN']) };
        if (JSON.stringify(actual) !== JSON.stringify(effect)) {
          drift.push(`  ${orderSn} (${plan.kind}, ${await statusOf(orderSn)}): ${moves.map((m) => `${m.kind} ${m.quantity}`).join(', ')}; expected ${JSON.stringify(effect)}`);
        }
      }
    }
  }
  return drift;
}
