/**
 * WeChat Pay v3 trade bill (交易账单, bill_type=ALL), parsed as a stream.
 *
 * The file: a header line of column names, one detail line per payment and per refund with every
 * field prefixed by a backtick (so spreadsheets keep long numbers), then a summary header
 * (总交易单数,应结订单总金额,退款总金额,…) and one summary line. Amounts are yuan with two decimals,
 * times China local time. A refund is its own line (交易状态 REFUND) next to the payment's line.
 * The SHA1 in the tradebill answer covers the uncompressed file.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { BillIntegrityError, BillRow, BillTotals, addToTotals, columnIndex, emptyTotals, signedYuanToFen } from '../bills';
import { chinaTimeToIso } from '../provider-time';

/** Column names of the ALL bill as the v3 documentation lists them (v2 names accepted too). */
export const WECHAT_BILL_COLUMNS = {
  time: ['交易时间'],
  transactionId: ['微信支付订单号', '微信订单号'],
  outTradeNo: ['商户订单号'],
  state: ['交易状态'],
  settlementFen: ['应结订单金额'],
  refundId: ['微信退款单号'],
  outRefundNo: ['商户退款单号'],
  refundFen: ['退款金额'],
};

export const WECHAT_SUMMARY_HEADER = '总交易单数';

/** One field: the leading backtick removed. */
function field(value: string | undefined): string {
  return (value ?? '').replace(/^`/, '').trim();
}

/**
 * Streams the rows of one bill. `expectedSha1` (from the tradebill answer) is checked after the last
 * line; so are the summary's row count and totals.
 */
export async function* parseWechatTradeBill(input: Readable, expectedSha1: string | undefined, totals: BillTotals = emptyTotals()): AsyncGenerator<BillRow> {
  const hash = createHash('sha1');
  const hashed = new PassThrough();
  input.on('data', (chunk: Buffer) => hash.update(chunk));
  input.on('error', (err) => hashed.destroy(err));
  input.pipe(hashed);
  const lines = createInterface({ input: hashed, crlfDelay: Infinity });

  let columns: Record<string, number> | undefined;
  let summary: string[] | undefined;
  let inSummary = false;
  let lineNo = 0;
  for await (const rawLine of lines) {
    const line = rawLine.replace(/^\uFEFF/, '');
    if (line.trim() === '') continue;
    if (!columns) {
      columns = columnIndex(line.split(','), 'wechatpay', WECHAT_BILL_COLUMNS);
      continue;
    }
    if (line.startsWith(WECHAT_SUMMARY_HEADER)) {
      inSummary = true;
      continue;
    }
    if (inSummary) {
      summary = line.split(',').map(field);
      continue;
    }
    // Every field starts with a backtick, so ",`" separates fields even if a product name has a comma.
    const cells = line.slice(1).split(',`');
    lineNo += 1;
    const state = field(cells[columns.state]);
    let row: BillRow;
    try {
      const base = { lineNo, outTradeNo: field(cells[columns.outTradeNo]), transactionId: field(cells[columns.transactionId]), bookedAt: chinaTimeToIso(field(cells[columns.time]), 'bill time') };
      if (state === 'REFUND') {
        row = { ...base, kind: 'REFUND', outRefundNo: field(cells[columns.outRefundNo]), providerRefundId: field(cells[columns.refundId]), amountFen: Math.abs(signedYuanToFen(field(cells[columns.refundFen]))) };
      } else {
        row = { ...base, kind: 'PAYMENT', amountFen: signedYuanToFen(field(cells[columns.settlementFen])) };
      }
    } catch (err) {
      throw new BillIntegrityError('wechatpay', `line ${lineNo + 1}: ${(err as Error).message}`);
    }
    if (!row.outTradeNo) throw new BillIntegrityError('wechatpay', `line ${lineNo + 1} has no 商户订单号`);
    addToTotals(totals, row);
    yield row;
  }
  if (!columns) throw new BillIntegrityError('wechatpay', 'empty file');
  const digest = hash.digest('hex');
  if (expectedSha1 !== undefined && digest.toLowerCase() !== expectedSha1.toLowerCase()) {
    throw new BillIntegrityError('wechatpay', `SHA1 ${digest} does not match hash_value ${expectedSha1}`);
  }
  if (!summary) throw new BillIntegrityError('wechatpay', 'no summary line: the file is truncated');
  const [count, settlement, refunded] = summary;
  if (Number(count) !== totals.payments + totals.refunds) throw new BillIntegrityError('wechatpay', `summary says ${count} rows, file has ${totals.payments + totals.refunds}`);
  if (signedYuanToFen(settlement) !== totals.paymentFen || signedYuanToFen(refunded) !== totals.refundFen) {
    throw new BillIntegrityError('wechatpay', `summary totals ${settlement}/${refunded} do not match the rows`);
  }
}
