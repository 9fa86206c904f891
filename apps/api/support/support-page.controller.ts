import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/roles.decorator';
import { SUPPORT_SCRIPT } from './support-page-script';

interface Response {
  setHeader(name: string, value: string): unknown;
}

const STYLE = `body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#222;font-size:13px}
main{max-width:1500px;margin:16px auto;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002;padding:16px 20px}
h1{font-size:20px;margin:0 0 10px}h2{font-size:16px;margin:18px 0 6px}#status{padding:6px 10px;border-radius:6px;background:#eef3ff}
body[data-state=error] #status,body[data-state=no-token] #status{background:#fdecec;color:#a11}
form{margin:10px 0}input,select,button{font-size:14px;padding:5px 8px}button{background:#444;color:#fff;border:0;border-radius:5px}
table{width:100%;border-collapse:collapse}th,td{padding:3px 6px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}th{background:#fafafa}
td.num{text-align:right;white-space:nowrap}td.kind{font-family:ui-monospace,monospace;white-space:nowrap}tr.overdue td{background:#fff1f0}tr.pending td{color:#666;font-style:italic}
a.temporal{color:#4f46e5;white-space:nowrap}#gates.open{background:#fff1f0;color:#a11;padding:6px 10px;border-radius:6px}#orders{margin:6px 0;padding-left:18px}`;

/**
 * Support's console, served by the API: find an order by number, buyer or seller; its timeline with
 * links into the Temporal UI; the work queue. The HTML holds no data; the script fetches everything
 * with the support token (see support-page-script.ts for how it travels).
 */
@ApiExcludeController()
@Public()
@Controller('support')
export class SupportPageController {
  @Get('assets/console.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return SUPPORT_SCRIPT;
  }

  @Get('console')
  console(@Res({ passthrough: true }) res: Response): string {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Support console</title><style>${STYLE}</style></head>
<body data-page="support"><main><h1>Support console</h1>
<p id="status">Loading…</p>
<p id="gates">Provider gates: …</p>
<form id="search"><select id="field"><option value="orderSn">Order number</option><option value="buyerId">Buyer id</option><option value="sellerId">Seller id</option></select>
<input id="q" placeholder="O2026… / 1001" size="28"> <button type="submit">Search</button></form>
<ul id="orders"></ul>
<section id="timeline" hidden><h2 id="timeline-title">Timeline</h2>
<table><thead><tr><th>When (UTC)</th><th>Kind</th><th>Actor</th><th>What changed</th><th>Money</th><th>Stock</th><th>Temporal history</th></tr></thead><tbody id="timeline-rows"></tbody></table></section>
<section id="queue"><h2>Work queue (<span id="queue-count">…</span>)</h2>
<table><thead><tr><th>Kind</th><th>Age / service level</th><th>Money</th><th>Order</th><th>What</th><th>Resolve with</th><th>Workflow</th></tr></thead><tbody id="queue-rows"></tbody></table></section>
</main><script src="/support/assets/console.js"></script></body></html>`;
  }
}
