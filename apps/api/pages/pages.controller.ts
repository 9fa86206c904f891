import { Controller, Get, Header, Inject, NotFoundException, Param, ParseIntPipe, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { AppConfig } from '../../../config/app-config';
import { Public } from '../auth/roles.decorator';
import { APP_CONFIG } from '../tokens';
import { PAY_SCRIPT } from './pay-script';

const ORDER_SN = /^O\d{20}$/;
const TRADE_SN = /^T\d{20}$/;

/** The part of Express's response the pages use (headers only; Nest still sends the returned body). */
interface Response {
  setHeader(name: string, value: string): unknown;
}

const STYLE = `body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#222}
main{max-width:520px;margin:32px auto;background:#fff;border-radius:10px;box-shadow:0 1px 4px #0002;padding:24px 28px}
h1{font-size:20px;margin:0 0 12px}dl{display:grid;grid-template-columns:auto 1fr;gap:6px 16px;margin:0 0 16px}dt{color:#666}dd{margin:0;font-weight:600}
#status{font-size:18px;margin:12px 0;padding:10px 12px;border-radius:6px;background:#eef3ff}
body[data-state=paid] #status{background:#e3f7e8;color:#17692f}body[data-state=error] #status,body[data-state=no-token] #status{background:#fdecec;color:#a11}
button{font-size:16px;padding:10px 18px;margin-right:12px;border:0;border-radius:6px;color:#fff;cursor:pointer}
#pay-wechat{background:#07c160}#pay-alipay{background:#1677ff}iframe{width:100%;height:540px;border:1px solid #ddd;border-radius:6px;margin-top:16px}
body[data-page=wechat]{background:#fff}body[data-page=wechat] main{margin:0;box-shadow:none;padding:12px 16px}
section.shop{border-top:1px solid #eee;padding:8px 0}h2{font-size:16px;margin:8px 0}table{width:100%;border-collapse:collapse}td{padding:3px 0}td.num{text-align:right}
.discount,.promo{color:#c2410c}.problem{color:#a11}.totals{color:#444}.grand{font-size:18px}form label{display:block;margin:6px 0}form input{width:60%}#submit,#add{background:#e4393c}
#qr{display:block;width:240px;height:240px;margin:12px auto}#error{color:#a11}small{color:#888}`;

/**
 * The buyer's pay pages (javashop's cashier, weixin_qr and Alipay return pages), served by the API.
 * They hold no secrets and no order data in the HTML: the script fetches everything with the buyer's
 * token (see pay-script.ts for how the token travels).
 */
@ApiExcludeController()
@Public()
@Controller()
export class PagesController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('pay/assets/pay.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return PAY_SCRIPT;
  }

  @Get('pay/orders/:orderSn')
  cashier(@Param('orderSn') orderSn: string, @Res({ passthrough: true }) res: Response): string {
    return this.page(res, orderSn, 'cashier', 'Pay your order', `
<dl><dt>Order</dt><dd>${orderSn}</dd><dt>Amount</dt><dd id="amount">…</dd><dt>Status</dt><dd id="order-status">…</dd></dl>
<p id="status">Loading…</p>
<div id="methods" hidden><button id="pay-wechat" type="button">WeChat Pay</button><button id="pay-alipay" type="button">Alipay</button></div>
<div id="wechat" hidden><iframe id="wechat-frame" title="WeChat Pay QR code"></iframe></div>
<p id="error"></p>`);
  }

  @Get('pay/orders/:orderSn/wechat')
  wechat(@Param('orderSn') orderSn: string, @Res({ passthrough: true }) res: Response): string {
    return this.page(res, orderSn, 'wechat', 'WeChat Pay', `
<dl><dt>Order</dt><dd>${orderSn}</dd><dt>Amount</dt><dd id="amount">…</dd><dt>Status</dt><dd id="order-status">waiting</dd></dl>
<img id="qr" alt="WeChat Pay QR code" hidden>
<p id="status">Creating the QR code…</p>
<p><small>Payment number <span id="out-trade-no"></span>. Open WeChat, scan, and pay; this page notices by itself.</small></p>
<p id="error"></p>`);
  }

  @Get('pay/orders/:orderSn/alipay-return')
  alipayReturn(@Param('orderSn') orderSn: string, @Res({ passthrough: true }) res: Response): string {
    return this.page(res, orderSn, 'alipay-return', 'Alipay', `
<dl><dt>Order</dt><dd>${orderSn}</dd><dt>Amount</dt><dd id="amount">…</dd><dt>Status</dt><dd id="order-status">…</dd></dl>
<p id="status">Back from Alipay…</p>
<p><a href="/pay/orders/${orderSn}">Back to the cashier</a></p>
<p id="error"></p>`);
  }

  /** The original's result page per trade_type (payment/{trade_type}/{sn}/result): where Alipay returns a trade's buyer and payComplete() leads. */
  @Get('pay/order/:orderSn/result')
  orderResult(@Param('orderSn') orderSn: string, @Res({ passthrough: true }) res: Response): string {
    return this.page(res, orderSn, 'result', 'Payment result', this.resultContent(orderSn, `/pay/orders/${orderSn}`));
  }

  @Get('pay/trade/:tradeSn')
  tradeCashier(@Param('tradeSn') tradeSn: string, @Res({ passthrough: true }) res: Response): string {
    return this.tradePage(res, tradeSn, 'cashier', 'Pay your orders', `
<dl><dt>Trade</dt><dd>${tradeSn}</dd><dt>Amount</dt><dd id="amount">…</dd><dt>Status</dt><dd id="order-status">…</dd></dl>
<ul id="trade-orders"></ul>
<p id="status">Loading…</p>
<div id="methods" hidden><button id="pay-wechat" type="button">WeChat Pay</button><button id="pay-alipay" type="button">Alipay</button></div>
<div id="wechat" hidden><iframe id="wechat-frame" title="WeChat Pay QR code"></iframe></div>
<p id="error"></p>`);
  }

  @Get('pay/trade/:tradeSn/wechat')
  tradeWechat(@Param('tradeSn') tradeSn: string, @Res({ passthrough: true }) res: Response): string {
    return this.tradePage(res, tradeSn, 'wechat', 'WeChat Pay', `
<dl><dt>Trade</dt><dd>${tradeSn}</dd><dt>Amount</dt><dd id="amount">…</dd><dt>Status</dt><dd id="order-status">waiting</dd></dl>
<img id="qr" alt="WeChat Pay QR code" hidden>
<p id="status">Creating the QR code…</p>
<p><small>Payment number <span id="out-trade-no"></span>: one payment for every order of the trade still to pay.</small></p>
<p id="error"></p>`);
  }

  @Get('pay/trade/:tradeSn/result')
  tradeResult(@Param('tradeSn') tradeSn: string, @Res({ passthrough: true }) res: Response): string {
    return this.tradePage(res, tradeSn, 'result', 'Payment result', `${this.resultContent(tradeSn, `/pay/trade/${tradeSn}`)}
<ul id="trade-orders"></ul>`);
  }

  @Get('shop/goods/:skuId')
  goods(@Param('skuId', ParseIntPipe) skuId: number, @Res({ passthrough: true }) res: Response): string {
    return this.html(res, 'goods', 'Goods', `
<dl><dt>Goods</dt><dd id="name">…</dd><dt>Price</dt><dd id="price">…</dd><dt>In stock</dt><dd id="stock">…</dd></dl>
<p id="status">Loading…</p>
<div id="buy" hidden><label>Quantity <input id="quantity" type="number" min="1" max="999" value="1"></label>
<button id="add" type="button">Add to cart</button> <a href="/shop/checkout">Go to checkout</a></div>`, { sku: String(skuId) });
  }

  @Get('shop/checkout')
  checkoutPage(@Res({ passthrough: true }) res: Response): string {
    return this.html(res, 'checkout', 'Checkout', `
<p id="status">Loading…</p>
<div id="shops"></div>
<p class="grand">Total payable <strong id="grand-total">…</strong></p>
<form id="place" hidden>
<label>Name <input name="name" required maxlength="50"></label>
<label>Mobile <input name="mobile" required pattern="1[0-9]{10}"></label>
<label>Address <input name="detail" required maxlength="200"></label>
<label>Invoice title <input name="invoiceTitle" maxlength="100" placeholder="none"></label>
<label>Delivery <select name="deliveryTime"><option value="ANY">any time</option><option value="WORKDAYS">workdays</option><option value="WEEKENDS">weekends</option></select></label>
<label>Payment <select name="paymentType"><option value="ONLINE">online</option><option value="COD">cash on delivery</option></select></label>
<button id="submit" type="submit">Place order</button>
</form>`, {});
  }

  private page(res: Response, orderSn: string, page: string, title: string, content: string): string {
    // The order number is the only value put into the HTML, and only in this exact shape.
    if (!ORDER_SN.test(orderSn)) throw new NotFoundException(`no order ${orderSn.slice(0, 40)}`);
    return this.html(res, page, `${title} · ${orderSn}`, content, { order: orderSn });
  }

  private tradePage(res: Response, tradeSn: string, page: string, title: string, content: string): string {
    // The trade number is the only value put into the HTML, and only in this exact shape.
    if (!TRADE_SN.test(tradeSn)) throw new NotFoundException(`no trade ${tradeSn.slice(0, 40)}`);
    return this.html(res, page, `${title} · ${tradeSn}`, content, { kind: 'trade', trade: tradeSn });
  }

  private resultContent(sn: string, cashier: string): string {
    return `
<dl><dt>Number</dt><dd>${sn}</dd><dt>Amount</dt><dd id="amount">…</dd><dt>Status</dt><dd id="order-status">…</dd></dl>
<p id="status">Confirming the payment…</p>
<p><a href="${cashier}">Back to the cashier</a></p>
<p id="error"></p>`;
  }

  private html(res: Response, page: string, title: string, content: string, data: Record<string, string>): string {
    const gateway = new URL(this.config.payments.alipay.gatewayUrl).origin;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Security-Policy', `default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' blob:; form-action 'self' ${gateway}; frame-ancestors 'self'; base-uri 'none'`);
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${STYLE}</style></head>
<body data-page="${page}"${Object.entries(data).map(([k, v]) => ` data-${k}="${v}"`).join('')}><main><h1>${title.split(' · ')[0]}</h1>${content}</main>
<script src="/pay/assets/pay.js"></script></body></html>`;
  }
}
