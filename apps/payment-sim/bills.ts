/**
 * The simulator's daily bills, built from its ledger of money actually moved (what a provider's
 * bill is): WeChat Pay's v3 trade bill (tradebill answer with download URL + SHA1, CSV with
 * backtick-prefixed fields and a summary) and Alipay's trade bill (downloadurl answer, a zip of GBK
 * CSVs). One day = 00:00–24:00 China time of the ledger entry. Injections put the differences a
 * finance team meets into a day's bill; seeds book volume directly into the ledger.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import * as iconv from 'iconv-lite';
import { fenToYuanString } from '../../domain/money';
import { chinaDateOf, isBillDate } from '../../domain/reconciliation';
import type { DevKeys } from '../../payments/dev-keys';
import { rfc3339China } from '../../payments/wechatpay/signing';
import { alipayDateTime } from './alipay-signing';
import { refundOf } from './ledger';
import type { BillInjection, BillSeed, LedgerEntry, SimProvider, SimRefund, SimTrade } from './types';
import { writeZip } from './zip-writer';

/** What the bill desk needs from the simulator: its books, by reference. */
export interface SimBooks {
  keys: DevKeys;
  url: () => string;
  now: () => number;
  ledger: () => LedgerEntry[];
  nextSeq: () => number;
  trades: Map<string, SimTrade>;
  refunds: Map<string, SimRefund>;
  refundKey: (provider: SimProvider, outTradeNo: string, outRefundNo: string) => string;
}

export class BillRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A download link lives 5 minutes (WeChat: "该地址5min内有效"; Alipay: 30 s, generous here). */
const LINK_TTL_MS = 5 * 60_000;
const DOWNLOAD_IDLE_MS = 2 * 60_000;

export const WECHAT_HEADER = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信支付订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
export const WECHAT_SUMMARY = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const ALIPAY_HEADER = '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';
const ALIPAY_PID = '2088000000000999';

interface BillLine {
  kind: 'payment' | 'refund';
  trade: SimTrade;
  refund?: SimRefund;
  amountFen: number;
  at: number;
}

const chinaLocal = (ms: number) => alipayDateTime(ms);
const digits = (n: number) => Array.from({ length: n }, () => randomInt(0, 10)).join('');

export class BillDesk {
  private injections: BillInjection[] = [];
  private links = new Map<string, { body: Buffer; contentType: string; filename: string; expiresAt: number }>();

  constructor(private readonly books: SimBooks) {}

  reset(): void {
    this.injections = [];
    this.links.clear();
  }

  // ------------------------------------------------------------------ wire

  /** GET /v3/bill/tradebill (the caller has verified the request signature and signs this answer). */
  wechatTradeBill(url: URL): { status: number; json: unknown } {
    const billDate = url.searchParams.get('bill_date') ?? '';
    if (!isBillDate(billDate)) return { status: 400, json: { code: 'PARAM_ERROR', message: 'bill_date 格式错误，应为 yyyy-MM-dd' } };
    const billType = url.searchParams.get('bill_type') ?? 'ALL';
    if (!['ALL', 'SUCCESS', 'REFUND'].includes(billType)) return { status: 400, json: { code: 'PARAM_ERROR', message: 'bill_type 不支持' } };
    if (billDate > chinaDateOf(this.books.now())) return { status: 400, json: { code: 'NO_STATEMENT_EXIST', message: '账单不存在' } };
    const file = this.wechatFile(billDate, billType);
    const gzip = url.searchParams.get('tar_type') === 'GZIP';
    const token = this.link(gzip ? gzipSync(file, { level: 1 }) : file, gzip ? 'application/x-gzip' : 'text/plain; charset=utf-8', `${billDate}.csv${gzip ? '.gz' : ''}`);
    return { status: 200, json: { hash_type: 'SHA1', hash_value: createHash('sha1').update(file).digest('hex'), download_url: `${this.books.url()}/v3/billdownload/file?token=${token}` } };
  }

  /** GET /v3/billdownload/file?token= (signed request, unsigned answer: the file itself). */
  wechatDownload(url: URL, res: http.ServerResponse): void {
    const link = this.takeLink(url.searchParams.get('token'));
    if (!link) {
      const body = JSON.stringify({ code: 'INVALID_REQUEST', message: '下载地址已过期或不存在' });
      res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    this.send(res, link);
  }

  /** alipay.data.dataservice.bill.downloadurl.query: the inner answer (the gateway signs it). */
  alipayBillUrl(biz: Record<string, unknown>): Record<string, unknown> {
    const billDate = String(biz.bill_date ?? '');
    if (biz.bill_type !== 'trade') return { code: '40004', msg: 'Business Failed', sub_code: 'isv.invalid-arguments', sub_msg: 'bill_type 只支持 trade' };
    if (!isBillDate(billDate)) return { code: '40004', msg: 'Business Failed', sub_code: 'isv.invalid-arguments', sub_msg: 'bill_date 格式错误' };
    if (billDate > chinaDateOf(this.books.now())) return { code: '40004', msg: 'Business Failed', sub_code: 'isp.bill_not_exist', sub_msg: '账单不存在' };
    const day = billDate.replace(/-/g, '');
    const zip = writeZip([
      { name: `${ALIPAY_PID}0156_${day}_业务明细.csv`, data: this.alipayDetail(billDate) },
      { name: `${ALIPAY_PID}0156_${day}_业务明细(汇总).csv`, data: this.alipaySummary(billDate) },
    ]);
    const token = this.link(zip, 'application/zip', `${ALIPAY_PID}0156_${day}.csv.zip`);
    return { code: '10000', msg: 'Success', bill_download_url: `${this.books.url()}/alipay/bills/download?token=${token}` };
  }

  /** GET /alipay/bills/download?token= (Alipay's dwbillcenter host: a plain, unsigned download). */
  alipayDownload(url: URL, res: http.ServerResponse): void {
    const link = this.takeLink(url.searchParams.get('token'));
    if (!link) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return void res.end('file not found');
    }
    this.send(res, link);
  }

  // ------------------------------------------------------------------ control

  /** POST /__sim/bills/seed and /__sim/bills/injections; undefined = not a bill route. */
  control(method: string, path: string, body: Record<string, unknown>): unknown {
    if (method === 'POST' && path === '/bills/seed') return { booked: this.seed(body as unknown as BillSeed) };
    if (method === 'POST' && path === '/bills/injections') return this.inject(body as unknown as BillInjection);
    if (method === 'GET' && path === '/bills/injections') return this.injections;
    return undefined;
  }

  private seed(seed: BillSeed): number {
    if (seed.provider !== 'wechatpay' && seed.provider !== 'alipay') throw new BillRequestError(400, 'provider must be wechatpay or alipay');
    if (!Array.isArray(seed.payments)) throw new BillRequestError(400, 'payments must be an array');
    let booked = 0;
    for (const p of seed.payments) {
      const paidAt = Date.parse(p.paidAt);
      if (!p.outTradeNo || !Number.isSafeInteger(p.amountFen) || p.amountFen <= 0 || Number.isNaN(paidAt)) throw new BillRequestError(400, `bad seed payment ${JSON.stringify(p)}`);
      if (this.books.trades.has(`${seed.provider}:${p.outTradeNo}`)) throw new BillRequestError(409, `trade ${p.outTradeNo} exists`);
      const trade = this.book(seed.provider, p.outTradeNo, p.amountFen, paidAt);
      booked += 1;
      for (const r of p.refunds ?? []) {
        const at = Date.parse(r.at);
        if (!r.outRefundNo || !Number.isSafeInteger(r.amountFen) || r.amountFen <= 0 || Number.isNaN(at)) throw new BillRequestError(400, `bad seed refund ${JSON.stringify(r)}`);
        if (trade.refundedFen + r.amountFen > trade.totalFen) throw new BillRequestError(400, `refunds of ${p.outTradeNo} exceed its amount`);
        this.bookRefund(trade, r.outRefundNo, r.amountFen, at);
        booked += 1;
      }
    }
    return booked;
  }

  private inject(injection: BillInjection): unknown {
    if (injection.provider !== 'wechatpay' && injection.provider !== 'alipay') throw new BillRequestError(400, 'provider must be wechatpay or alipay');
    if (!isBillDate(injection.billDate)) throw new BillRequestError(400, 'billDate must be yyyy-MM-dd');
    const noonOfDay = Date.parse(`${injection.billDate}T12:00:00+08:00`);
    switch (injection.kind) {
      case 'unknown-payment': {
        const outTradeNo = injection.outTradeNo ?? `SIMX${digits(16)}`;
        const trade = this.book(injection.provider, outTradeNo, injection.amountFen ?? 100, noonOfDay);
        return { kind: injection.kind, outTradeNo: trade.outTradeNo, transactionId: trade.transactionId, amountFen: trade.totalFen };
      }
      case 'unknown-refund': {
        const trade = this.books.trades.get(`${injection.provider}:${injection.outTradeNo ?? ''}`);
        if (!trade || trade.status !== 'PAID') throw new BillRequestError(400, 'unknown-refund needs the outTradeNo of a paid trade');
        const amountFen = injection.amountFen ?? trade.totalFen - trade.refundedFen;
        const refund = this.bookRefund(trade, injection.outRefundNo ?? `SIMR${digits(16)}`, amountFen, noonOfDay);
        return { kind: injection.kind, outTradeNo: trade.outTradeNo, outRefundNo: refund.outRefundNo, amountFen };
      }
      case 'missing-refund':
        if (!injection.outRefundNo) throw new BillRequestError(400, 'missing-refund needs outRefundNo');
        break;
      case 'amount-off':
      case 'duplicate-row':
        if (!injection.outTradeNo) throw new BillRequestError(400, `${injection.kind} needs outTradeNo`);
        break;
      default:
        throw new BillRequestError(400, `unknown injection kind ${String((injection as { kind: unknown }).kind)}`);
    }
    this.injections.push({ ...injection });
    return { kind: injection.kind, ok: true };
  }

  /** A paid trade and its ledger entry, as the buyer's payment would have made them (no notification). */
  private book(provider: SimProvider, outTradeNo: string, amountFen: number, paidAtMs: number): SimTrade {
    const trade: SimTrade = {
      provider,
      outTradeNo,
      transactionId: provider === 'wechatpay' ? `4200${digits(24)}` : `${chinaDateOf(paidAtMs).replace(/-/g, '')}22001${digits(15)}`,
      totalFen: amountFen,
      description: 'seeded payment',
      notifyUrl: '',
      status: 'PAID',
      visible: true,
      createdAt: provider === 'wechatpay' ? rfc3339China(new Date(paidAtMs)) : alipayDateTime(paidAtMs),
      paidAt: provider === 'wechatpay' ? rfc3339China(new Date(paidAtMs)) : alipayDateTime(paidAtMs),
      refundedFen: 0,
    };
    this.books.trades.set(`${provider}:${outTradeNo}`, trade);
    this.books.ledger().push({ seq: this.books.nextSeq(), provider, kind: 'payment', outTradeNo, amountFen, at: new Date(paidAtMs).toISOString() });
    return trade;
  }

  private bookRefund(trade: SimTrade, outRefundNo: string, amountFen: number, atMs: number): SimRefund {
    const when = trade.provider === 'wechatpay' ? rfc3339China(new Date(atMs)) : alipayDateTime(atMs);
    const refund: SimRefund = {
      ...refundOf(trade, outRefundNo, amountFen),
      reason: 'seeded refund',
      status: 'SUCCESS',
      createdAt: when,
      createdAtMs: atMs,
      dueAt: atMs,
      then: 'SUCCESS',
      successTime: when,
    };
    this.books.refunds.set(this.books.refundKey(trade.provider, trade.outTradeNo, outRefundNo), refund);
    trade.refundedFen += amountFen;
    if (trade.refundedFen === trade.totalFen) trade.status = 'REFUNDED';
    this.books.ledger().push({ seq: this.books.nextSeq(), provider: trade.provider, kind: 'refund', outTradeNo: trade.outTradeNo, outRefundNo, amountFen, at: new Date(atMs).toISOString() });
    return refund;
  }

  // ------------------------------------------------------------------ the day's lines

  /** The ledger entries of one China day, with the day's injections applied. */
  private lines(provider: SimProvider, billDate: string): BillLine[] {
    const injections = this.injections.filter((i) => i.provider === provider && i.billDate === billDate);
    const lines: BillLine[] = [];
    for (const entry of this.books.ledger()) {
      if (entry.provider !== provider) continue;
      const at = Date.parse(entry.at);
      if (chinaDateOf(at) !== billDate) continue;
      const trade = this.books.trades.get(`${provider}:${entry.outTradeNo}`);
      if (!trade) continue;
      if (entry.kind === 'refund') {
        if (injections.some((i) => i.kind === 'missing-refund' && i.outRefundNo === entry.outRefundNo)) continue;
        const refund = this.books.refunds.get(this.books.refundKey(provider, entry.outTradeNo, entry.outRefundNo ?? ''));
        lines.push({ kind: 'refund', trade, refund, amountFen: entry.amountFen, at });
        continue;
      }
      const off = injections.filter((i) => i.kind === 'amount-off' && i.outTradeNo === entry.outTradeNo).reduce((sum, i) => sum + (i.deltaFen ?? 1), 0);
      const line: BillLine = { kind: 'payment', trade, amountFen: entry.amountFen + off, at };
      lines.push(line);
      if (injections.some((i) => i.kind === 'duplicate-row' && i.outTradeNo === entry.outTradeNo)) lines.push({ ...line });
    }
    // Bills list the day in time order (a stable sort keeps a duplicate next to its original).
    return lines.sort((x, y) => x.at - y.at);
  }

  private wechatFile(billDate: string, billType: string): Buffer {
    const w = this.books.keys.wechatpay;
    const lines = this.lines('wechatpay', billDate).filter((l) => billType === 'ALL' || (billType === 'SUCCESS') === (l.kind === 'payment'));
    const out: string[] = [WECHAT_HEADER];
    let settled = 0;
    let refunded = 0;
    for (const l of lines) {
      const isRefund = l.kind === 'refund';
      const yuan = fenToYuanString(l.amountFen);
      if (isRefund) refunded += l.amountFen;
      else settled += l.amountFen;
      const cells = [
        chinaLocal(l.at), w.appid, w.mchid, '0', '', l.trade.transactionId, l.trade.outTradeNo, 'oSim0000buyer', 'NATIVE', isRefund ? 'REFUND' : 'SUCCESS', 'OTHERS', 'CNY',
        isRefund ? '0.00' : yuan, '0.00', isRefund ? (l.refund?.refundId ?? '') : '0', isRefund ? (l.refund?.outRefundNo ?? '') : '0', isRefund ? yuan : '0.00', '0.00',
        isRefund ? 'ORIGINAL' : '', isRefund ? 'SUCCESS' : '', l.trade.description.replace(/[,`\r\n]/g, ' '), '', '0.00', '0.60%', fenToYuanString(l.trade.totalFen), isRefund ? yuan : '0.00', '',
      ];
      out.push(cells.map((c) => `\`${c}`).join(','));
    }
    out.push(WECHAT_SUMMARY);
    out.push([String(lines.length), fenToYuanString(settled), fenToYuanString(refunded), '0.00', '0.00', fenToYuanString(settled), fenToYuanString(refunded)].map((c) => `\`${c}`).join(','));
    return Buffer.from(`${out.join('\r\n')}\r\n`, 'utf8');
  }

  private alipayDetail(billDate: string): Buffer {
    const lines = this.lines('alipay', billDate);
    const [y, m, d] = billDate.split('-');
    const next = chinaDateOf(Date.parse(`${billDate}T12:00:00+08:00`) + 24 * 3600_000).split('-');
    const out = [
      '#支付宝业务明细查询',
      `#账号：[${ALIPAY_PID}0156]`,
      `#起始日期：[${y}年${m}月${d}日 00:00:00]   终止日期：[${next[0]}年${next[1]}月${next[2]}日 00:00:00]`,
      '#-----------------------------------------业务明细列表----------------------------------------',
      ALIPAY_HEADER,
    ];
    const sums = { payments: 0, paymentFen: 0, refunds: 0, refundFen: 0 };
    for (const l of lines) {
      const isRefund = l.kind === 'refund';
      if (isRefund) (sums.refunds += 1), (sums.refundFen += l.amountFen);
      else (sums.payments += 1), (sums.paymentFen += l.amountFen);
      const received = isRefund ? `-${fenToYuanString(l.amountFen)}` : fenToYuanString(l.amountFen);
      const cells = [
        l.trade.transactionId, l.trade.outTradeNo, isRefund ? '退款' : '交易', l.trade.description.replace(/[,\r\n]/g, ' '), l.trade.createdAt, chinaLocal(l.at), '', '', '', '', 'sim***@example.com',
        isRefund ? fenToYuanString(l.trade.totalFen) : fenToYuanString(l.amountFen), received, '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', isRefund ? (l.refund?.outRefundNo ?? '') : '', '0.00', '0.00', '',
      ];
      // Alipay pads each cell with a tab, which spreadsheet users see as plain text.
      out.push(cells.map((c) => `${c}\t`).join(','));
    }
    out.push('#-----------------------------------------业务明细列表结束------------------------------------');
    out.push(`#交易合计：${sums.payments}笔，商家实收共${fenToYuanString(sums.paymentFen)}元，商家优惠共0.00元`);
    out.push(`#退款合计：${sums.refunds}笔，商家实收共-${fenToYuanString(sums.refundFen)}元，商家优惠共0.00元`);
    out.push(`#导出时间：[${chinaLocal(this.books.now()).replace(/^(\d{4})-(\d{2})-(\d{2})/, '$1年$2月$3日')}]`);
    return iconv.encode(`${out.join('\r\n')}\r\n`, 'gbk');
  }

  private alipaySummary(billDate: string): Buffer {
    const lines = this.lines('alipay', billDate);
    const payments = lines.filter((l) => l.kind === 'payment');
    const refunds = lines.filter((l) => l.kind === 'refund');
    const fen = (ls: BillLine[]) => fenToYuanString(ls.reduce((s, l) => s + l.amountFen, 0));
    const out = [
      '#支付宝业务汇总查询',
      `#账号：[${ALIPAY_PID}0156]`,
      '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）',
      `合计,,${payments.length},${refunds.length},${fen(payments)},${fen(payments)}`,
    ];
    return iconv.encode(`${out.join('\r\n')}\r\n`, 'gbk');
  }

  // ------------------------------------------------------------------ links

  private link(body: Buffer, contentType: string, filename: string): string {
    const now = Date.now();
    for (const [t, l] of this.links) if (l.expiresAt < now) this.links.delete(t);
    const token = randomBytes(24).toString('base64url');
    this.links.set(token, { body, contentType, filename, expiresAt: now + LINK_TTL_MS });
    return token;
  }

  private takeLink(token: string | null) {
    const link = token ? this.links.get(token) : undefined;
    return link && link.expiresAt >= Date.now() ? link : undefined;
  }

  private send(res: http.ServerResponse, link: { body: Buffer; contentType: string; filename: string }): void {
    res.writeHead(200, {
      'Content-Type': link.contentType,
      'Content-Length': link.body.length,
      'Content-Disposition': `attachment; filename="${encodeURIComponent(link.filename)}"`,
    });
    // The server's short keep-alive timeout starts when the last byte is handed to the kernel and would
    // destroy the socket while a slow reader still has megabytes in flight: give a download longer.
    const socket = res.socket;
    res.once('finish', () => socket?.setTimeout(DOWNLOAD_IDLE_MS));
    // In pieces, at the pace the client reads, as a file download is served.
    const CHUNK = 64 * 1024;
    let offset = 0;
    const pump = (): void => {
      while (offset < link.body.length) {
        const piece = link.body.subarray(offset, offset + CHUNK);
        offset += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  }
}
