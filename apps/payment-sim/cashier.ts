/** The Alipay cashier pages the buyer's browser sees: page.pay's page, and its Pay and Cancel buttons. */
import type * as http from 'node:http';
import { fenToYuanString } from '../../domain/money';
import { alipayDateTime, signAlipayParams } from './alipay-signing';
import type { SimLedger } from './ledger';
import type { SimKeys } from './sim-keys';
import type { SimTrade } from './types';
import { HttpError } from './wire';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** page.pay's answer: the cashier page for a trade, or the error page. */
export function renderCashier(res: http.ServerResponse, result: { trade: SimTrade } | Record<string, unknown>): void {
  let html: string;
  if ('trade' in result) {
    const trade = result.trade as SimTrade;
    const no = escapeHtml(trade.outTradeNo);
    html = `<!doctype html><html><head><meta charset="utf-8"><title>Alipay cashier (simulator)</title></head><body>
<h1>Alipay cashier (simulator)</h1><p>${escapeHtml(trade.description)}</p><p>¥ ${fenToYuanString(trade.totalFen)}</p>
<form method="post" action="/cashier/pay"><input type="hidden" name="out_trade_no" value="${no}"><button type="submit">Pay</button></form>
<form method="post" action="/cashier/cancel"><input type="hidden" name="out_trade_no" value="${no}"><button type="submit">Cancel</button></form>
</body></html>`;
  } else {
    html = `<!doctype html><html><head><meta charset="utf-8"><title>Alipay error</title></head><body><h1>${escapeHtml(String(result.sub_code))}</h1><p>${escapeHtml(String(result.sub_msg))}</p></body></html>`;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
  res.end(html);
}

export class Cashier {
  constructor(
    private readonly keys: SimKeys,
    private readonly ledger: SimLedger,
  ) {}

  /** The buyer's side of page.pay: Pay settles and redirects to return_url with signed parameters. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): void {
    if (req.method !== 'POST') throw new HttpError(405, 'POST only');
    const form = new URLSearchParams(raw.toString('utf8'));
    const trade = this.ledger.trades.get(`alipay:${form.get('out_trade_no') ?? ''}`);
    if (!trade) throw new HttpError(404, 'unknown trade');
    if (url.pathname === '/cashier/cancel') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><p>Payment cancelled.</p>');
    }
    if (url.pathname !== '/cashier/pay') throw new HttpError(404, 'no such cashier action');
    this.ledger.pay(trade);
    if (!trade.returnUrl) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><p>Paid.</p>');
    }
    const a = this.keys.dev.alipay;
    const back = signAlipayParams(
      {
        charset: 'utf-8',
        out_trade_no: trade.outTradeNo,
        method: 'alipay.trade.page.pay.return',
        total_amount: fenToYuanString(trade.totalFen),
        sign_type: 'RSA2',
        trade_no: trade.transactionId,
        auth_app_id: a.appId,
        version: '1.0',
        app_id: a.appId,
        seller_id: '2088000000000999',
        timestamp: alipayDateTime(this.ledger.now()),
      },
      this.keys.alipayKey,
    );
    const target = new URL(trade.returnUrl);
    for (const [k, v] of Object.entries(back)) target.searchParams.set(k, v);
    res.writeHead(302, { Location: target.toString() });
    res.end();
  }
}
