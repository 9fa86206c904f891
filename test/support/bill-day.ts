import type { DataSource } from 'typeorm';
import { chinaDayWindow } from '../../domain';
import type { ProviderName } from '../../payments';
import type { SimControl } from '../payments/sim-control';

/**
 * A day of business booked on both sides at once, for the reconciliation test and benchmark: the
 * simulator's ledger (what the provider's bill will show) and our payment and refund rows (what the
 * order and refund workflows would have written), in chunks of 1,000. Numbers are `{prefix}{n}`
 * (refunds `{prefix}{n}R`), so a test can pick exactly its own.
 */
export interface SeededDay {
  payments: { outTradeNo: string; orderSn: string; amountFen: number; paidAt: Date }[];
  refunds: { refundSn: string; outTradeNo: string; amountFen: number; at: Date }[];
  paymentFen: number;
  refundFen: number;
}

export interface SeedDayOptions {
  provider: ProviderName;
  billDate: string;
  prefix: string;
  payments: number;
  /** The first `refunds` payments get one partial refund each. */
  refunds: number;
  /** Latest instant a booking may have (default: the end of the day); bookings are spread over the day before it. */
  notAfter?: Date;
  /** Book on the provider's side only / ours only (for differences); default both. */
  sides?: { provider: boolean; ours: boolean };
}

const CHUNK = 1000;

export async function seedBillDay(dataSource: DataSource, sim: SimControl, options: SeedDayOptions): Promise<SeededDay> {
  const window = chinaDayWindow(options.billDate);
  const start = new Date(window.startMs);
  const end = new Date(window.endMs);
  const last = Math.min(end.getTime() - 1, (options.notAfter ?? end).getTime() - 1);
  const span = Math.max(1, last - start.getTime());
  const total = options.payments;
  const day: SeededDay = { payments: [], refunds: [], paymentFen: 0, refundFen: 0 };
  for (let i = 0; i < total; i++) {
    const amountFen = 100 + ((i * 7919) % 99_900);
    // Payments in the first half of the span, their refunds later the same day.
    const paidAt = new Date(start.getTime() + Math.floor(((i + 1) / (total + 1)) * (span / 2)));
    const outTradeNo = `${options.prefix}${String(i + 1).padStart(7, '0')}`;
    day.payments.push({ outTradeNo, orderSn: `S${outTradeNo}`.slice(0, 32), amountFen, paidAt });
    day.paymentFen += amountFen;
    if (i < options.refunds) {
      const refundFen = Math.max(1, Math.floor(amountFen / 3));
      day.refunds.push({ refundSn: `${outTradeNo}R`, outTradeNo, amountFen: refundFen, at: new Date(paidAt.getTime() + Math.floor(span / 2)) });
      day.refundFen += refundFen;
    }
  }
  const sides = options.sides ?? { provider: true, ours: true };
  const refundOf = new Map(day.refunds.map((r) => [r.outTradeNo, r]));
  const paymentOf = new Map(day.payments.map((p) => [p.outTradeNo, p]));
  for (let i = 0; i < day.payments.length; i += CHUNK) {
    const chunk = day.payments.slice(i, i + CHUNK);
    if (sides.provider) {
      await sim.seedBill({
        provider: options.provider,
        payments: chunk.map((p) => {
          const r = refundOf.get(p.outTradeNo);
          return { outTradeNo: p.outTradeNo, amountFen: p.amountFen, paidAt: p.paidAt.toISOString(), ...(r ? { refunds: [{ outRefundNo: r.refundSn, amountFen: r.amountFen, at: r.at.toISOString() }] } : {}) };
        }),
      });
    }
    if (sides.ours) {
      await dataSource.query(
        `INSERT INTO payment (order_sn, provider, out_trade_no, amount_fen, status, transaction_id, paid_at) VALUES ${chunk.map(() => "(?, ?, ?, ?, 'PAID', ?, ?)").join(', ')}`,
        chunk.flatMap((p) => [p.orderSn, options.provider, p.outTradeNo, p.amountFen, `T${p.outTradeNo}`, p.paidAt]),
      );
      const refunds = chunk.map((p) => refundOf.get(p.outTradeNo)).filter((r): r is SeededDay['refunds'][number] => r !== undefined);
      if (refunds.length > 0) {
        await dataSource.query(
          `INSERT INTO refund (refund_sn, cause_key, order_sn, provider, out_trade_no, refund_fen, total_fen, reason, status, submitted_at, succeeded_at) VALUES ${refunds.map(() => "(?, ?, ?, ?, ?, ?, ?, 'seeded', 'SUCCESS', ?, ?)").join(', ')}`,
          refunds.flatMap((r) => {
            const p = paymentOf.get(r.outTradeNo)!;
            return [r.refundSn, `seed:${r.refundSn}`, p.orderSn, options.provider, r.outTradeNo, r.amountFen, p.amountFen, r.at, r.at];
          }),
        );
      }
    }
  }
  return day;
}
