/**
 * The simulated WeChat Pay + Alipay provider: one HTTP server that wires the books (ledger.ts), the two
 * gateways, the cashier pages, the bills and the control API, and routes each request to its job.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RefundSpacing } from '../../domain/refund-provider-rules';
import { AlipayGateway } from './alipay-gateway';
import { AlipayNotices } from './alipay-notices';
import { BillDesk, BillRequestError } from './bills';
import { Cashier } from './cashier';
import { ControlApi } from './control';
import { SimClock, SimLedger } from './ledger';
import { DEFAULT_RETRY_SCHEDULE_MS, Notifier } from './notifier';
import { loadSimKeys } from './sim-keys';
import { WechatPayGateway } from './wechatpay-gateway';
import { WechatPayNotices } from './wechatpay-notices';
import { HttpError, sendJson, Wire } from './wire';

export interface PaymentSimOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  keysDir: string;
  /** How long a WeChat refund stays PROCESSING unless scripted (default 5000). Alipay refunds are synchronous unless scripted. */
  refundProcessingMs?: number;
  /** Delays between notification attempts; replaces both providers' compressed default schedules. */
  notifyRetryScheduleMs?: number[];
  /** How long a scripted timeout holds the connection before dropping it (default 30000). */
  hangMs?: number;
  /** Time between refunds of one payment it insists on, per provider (default the real 1 min / 3 s; WECHATPAY_REFUND_SPACING, ALIPAY_REFUND_SPACING). */
  refundSpacing?: RefundSpacing;
}

export interface PaymentSim {
  url: string;
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One instance per server. */
class Simulator {
  readonly notifier: Notifier;
  private readonly ledger: SimLedger;
  private readonly wire: Wire;
  /** Daily bills built from the ledger (bills.ts). */
  private readonly bills: BillDesk;
  private readonly wechatpay: WechatPayGateway;
  private readonly alipay: AlipayGateway;
  private readonly cashier: Cashier;
  private readonly control: ControlApi;
  url = '';

  constructor(opts: PaymentSimOptions) {
    const keys = loadSimKeys(opts.keysDir);
    const schedule = opts.notifyRetryScheduleMs
      ? { wechatpay: opts.notifyRetryScheduleMs, alipay: opts.notifyRetryScheduleMs }
      : DEFAULT_RETRY_SCHEDULE_MS;
    this.notifier = new Notifier(schedule);
    const clock = new SimClock();
    const notices = { wechatpay: new WechatPayNotices(keys, this.notifier), alipay: new AlipayNotices(keys, this.notifier, clock) };
    const ledger = new SimLedger(clock, notices, opts.refundSpacing);
    this.ledger = ledger;
    this.wire = new Wire(opts.hangMs ?? 30000, () => ledger.nextSeq());
    this.bills = new BillDesk({
      keys: keys.dev,
      url: () => this.url,
      now: () => ledger.now(),
      ledger: () => ledger.entries,
      nextSeq: () => ledger.nextSeq(),
      trades: ledger.trades,
      refunds: ledger.refunds,
      refundKey: (provider, outTradeNo, outRefundNo) => ledger.refundKey(provider, outTradeNo, outRefundNo),
    });
    this.wechatpay = new WechatPayGateway(keys, ledger, this.wire, this.bills, opts.refundProcessingMs ?? 5000);
    this.alipay = new AlipayGateway(keys, ledger, this.wire, this.bills);
    this.cashier = new Cashier(keys, ledger);
    this.control = new ControlApi(keys, ledger, this.wire, this.notifier, this.bills, () => this.url);
  }

  shutdown(): void {
    this.ledger.shutdown();
    this.notifier.close();
    this.wire.shutdown();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const raw = await readBody(req);
    try {
      if (url.pathname.startsWith('/__sim/')) return await this.control.handle(req, res, url, raw);
      if (url.pathname === '/v3/billdownload/file') return this.wechatpay.billDownload(req, res, url, raw);
      if (url.pathname === '/alipay/bills/download') return this.bills.alipayDownload(url, res);
      if (url.pathname.startsWith('/v3/')) return this.wechatpay.handle(req, res, url, raw);
      if (url.pathname === '/gateway.do') return this.alipay.handle(req, res, url, raw);
      if (url.pathname.startsWith('/cashier/')) return this.cashier.handle(req, res, url, raw);
      sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (err) {
      const status = err instanceof HttpError || err instanceof BillRequestError ? err.status : 500;
      if (!res.headersSent) sendJson(res, status, { error: (err as Error).message });
      else res.destroy();
    }
  }
}

export async function startPaymentSim(opts: PaymentSimOptions): Promise<PaymentSim> {
  const sim = new Simulator(opts);
  const server = http.createServer((req, res) => {
    sim.handle(req, res).catch((err: Error) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: err.message }));
      } else res.destroy();
    });
  });
  // Timeouts are scripted by holding responses; node's own idle timeouts must not interfere.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  sim.url = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: sim.url,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        sim.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
