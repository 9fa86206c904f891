/**
 * Alipay trade bill (bill_type=trade): a zip holding `{pid}_{yyyyMMdd}_业务明细.csv` (and a summary
 * file we do not need), GBK-encoded. The detail file: `#` comment lines (title, account, period),
 * a header line, one line per payment (业务类型 交易) and per refund (业务类型 退款, with the
 * refund's out_request_no in 退款批次号/请求号 and a negative 商家实收), then `#` lines with the
 * totals (#交易合计：N笔，商家实收共X元… / #退款合计：…). Amounts in yuan, times China local time.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import * as iconv from 'iconv-lite';
import { BillIntegrityError, BillRow, BillTotals, addToTotals, columnIndex, emptyTotals, signedYuanToFen } from '../bills';
import { chinaTimeToIso } from '../provider-time';

export const ALIPAY_BILL_COLUMNS = {
  tradeNo: ['支付宝交易号'],
  outTradeNo: ['商户订单号'],
  type: ['业务类型'],
  finishedAt: ['完成时间'],
  orderYuan: ['订单金额（元）', '订单金额(元)'],
  receivedYuan: ['商家实收（元）', '商家实收(元)'],
  outRequestNo: ['退款批次号/请求号'],
};

export const ALIPAY_DETAIL_SUFFIX = '_业务明细.csv';
const TOTAL = /^#(交易|退款)合计[：:]\s*(\d+)\s*笔[，,]\s*商家实收共\s*(-?[0-9.]+)\s*元/;

/** Alipay pads cells with tabs and spaces. */
const cell = (value: string | undefined) => (value ?? '').replace(/^[\s\t]+|[\s\t]+$/g, '');

export async function* parseAlipayTradeBill(gbk: Readable, totals: BillTotals = emptyTotals()): AsyncGenerator<BillRow> {
  const text = gbk.pipe(iconv.decodeStream('gbk')) as unknown as Readable;
  gbk.on('error', (err) => text.emit('error', err));
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  let columns: Record<string, number> | undefined;
  const stated: Record<string, { count: number; fen: number }> = {};
  let lineNo = 0;
  for await (const rawLine of lines) {
    const line = rawLine.replace(/^\uFEFF/, '');
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = TOTAL.exec(line);
      if (m) stated[m[1]] = { count: Number(m[2]), fen: signedYuanToFen(m[3]) };
      continue;
    }
    const cells = line.split(',');
    if (!columns) {
      columns = columnIndex(cells.map(cell), 'alipay', ALIPAY_BILL_COLUMNS);
      continue;
    }
    lineNo += 1;
    const type = cell(cells[columns.type]);
    let row: BillRow;
    try {
      const base = { lineNo, outTradeNo: cell(cells[columns.outTradeNo]), transactionId: cell(cells[columns.tradeNo]), bookedAt: chinaTimeToIso(cell(cells[columns.finishedAt]), 'bill time') };
      if (type === '退款') {
        row = { ...base, kind: 'REFUND', outRefundNo: cell(cells[columns.outRequestNo]) || base.outTradeNo, amountFen: Math.abs(signedYuanToFen(cell(cells[columns.receivedYuan]))) };
      } else if (type === '交易') {
        row = { ...base, kind: 'PAYMENT', amountFen: signedYuanToFen(cell(cells[columns.orderYuan])) };
      } else {
        throw new Error(`unknown 业务类型 ${JSON.stringify(type)}`);
      }
    } catch (err) {
      throw new BillIntegrityError('alipay', `detail line ${lineNo}: ${(err as Error).message}`);
    }
    if (!row.outTradeNo) throw new BillIntegrityError('alipay', `detail line ${lineNo} has no 商户订单号`);
    addToTotals(totals, row);
    yield row;
  }
  if (!columns) throw new BillIntegrityError('alipay', 'no header line');
  const trade = stated['交易'];
  const refund = stated['退款'];
  if (!trade || !refund) throw new BillIntegrityError('alipay', 'no 交易合计 / 退款合计 lines: the file is truncated');
  if (trade.count !== totals.payments || trade.fen !== totals.paymentFen) {
    throw new BillIntegrityError('alipay', `交易合计 says ${trade.count} / ${trade.fen} fen, rows give ${totals.payments} / ${totals.paymentFen}`);
  }
  if (refund.count !== totals.refunds || Math.abs(refund.fen) !== totals.refundFen) {
    throw new BillIntegrityError('alipay', `退款合计 says ${refund.count} / ${refund.fen} fen, rows give ${totals.refunds} / ${totals.refundFen}`);
  }
}
