/**
 * Support's order timeline and console, on a Temporal dev server with its Web UI, MariaDB and the
 * payment simulator: an order paid, partly refunded by an after-sale, complained about and then
 * (vainly) cancelled shows each of those steps once, in order, each linked to the history event that
 * made it — every link opened in Chromium on the dev server's UI. The console page is screenshot to
 * test-output/screenshots/support-console.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { afterSaleApi, receivedTwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { waitForComplaint } from '../support/complaints';
import { TemporalUiServer, startTemporalUiServer } from '../support/temporal-ui-server';
import { TestSystem, startTestSystem } from '../support/system';

const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

interface Entry {
  at: string;
  kind: string;
  key: string;
  entity: { type: string; id: string } | null;
  actor: { role: string; id: string | null };
  what: string;
  moneyFen: number | null;
  stock: { skuId: number; kind: string; quantity: number } | null;
  history: { workflowId: string; runId: string; eventId: number; event: string; url: string } | null;
}

describe('support order timeline', () => {
  let scratch: string;
  let ui: TemporalUiServer;
  let system: TestSystem;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    scratch = mkdtempSync(join(tmpdir(), 'orders-support-timeline-'));
    ui = await startTemporalUiServer(scratch);
    system = await startTestSystem({ TEMPORAL_ADDRESS: ui.address, TEMPORAL_UI_URL: ui.uiUrl });
    browser = await launchChromium({ width: 1500, height: 1100 });
    context = browser.context;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await ui?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('shows payment, a partial after-sale refund, a complaint and a refused cancellation once each, in order, linked to their history events', async () => {
    const order = await receivedTwoLineOrder(system, 'wechatpay');
    const [lineA, lineB] = order.lines;
    const support = system.token('support', 7);

    // A partial after-sale refund: one cup of line A, money only.
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: lineA.orderItemId, num: 1 }], reason: 'Cracked cup' }, `tl-${order.orderSn}`);
    expect(applied.status).toBe(201);
    const serviceSn: string = applied.body.serviceSn;
    expect((await api.audit(serviceSn, { decision: 'PASS' })).status).toBe(200);
    await waitForAfterSale(system, serviceSn, 'COMPLETED');

    // A complaint about line B, reviewed by support.
    const filed = await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: api.buyer, body: { skuId: lineB.skuId, topic: 'Chipped lid', content: 'The teapot lid is chipped.' } });
    expect(filed.status).toBe(201);
    const complaintId: number = filed.body.id;
    expect((await system.http('POST', `/support/complaints/${complaintId}/review`, { token: support, body: { content: 'accepted' } })).status).toBe(200);
    await waitForComplaint(system, complaintId, 'WAIT_APPEAL');

    // A cancellation attempt on the received order: refused.
    const cancel = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: api.seller, headers: { 'idempotency-key': `tl-cancel-${order.orderSn}` }, body: { reason: 'out of stock' } });
    expect(cancel.status).toBe(409);

    const answer = await system.http('GET', `/support/orders/${order.orderSn}/timeline`, { token: support });
    expect(answer.status).toBe(200);
    const entries: Entry[] = answer.body.entries;
    if (process.env.SHOW_TIMELINE === '1') for (const e of entries) console.log(e.at, e.kind, e.entity?.id, e.moneyFen, e.history?.workflowId, e.history?.eventId, e.history?.event, '|', e.what.slice(0, 80));

    // Only support reads it.
    expect((await system.http('GET', `/support/orders/${order.orderSn}/timeline`, { token: api.buyer })).status).toBe(403);

    // In time order, keys unique.
    const times = entries.filter((e) => e.kind !== 'timer.pending').map((e) => e.at);
    expect([...times].sort()).toEqual(times);
    expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length);

    const refund = entries.find((e) => e.kind === 'refund.created')!;
    const refundSn = refund.entity!.id;
    /** The steps the scenario took, each expected exactly once, in this order. */
    const steps: { kind: string; entity?: string; money?: number; workflow: string }[] = [
      { kind: 'order.created', workflow: `order-${order.orderSn}` },
      { kind: 'order.paid', money: order.orderFen, workflow: `order-${order.orderSn}` },
      { kind: 'payment.paid', money: order.orderFen, workflow: `order-${order.orderSn}` },
      { kind: 'order.shipped', workflow: `order-${order.orderSn}` },
      { kind: 'order.received', workflow: `order-${order.orderSn}` },
      { kind: 'after_sale.applied', entity: serviceSn, money: undefined, workflow: `after-sale-${serviceSn}` },
      { kind: 'after_sale.passed', entity: serviceSn, workflow: `after-sale-${serviceSn}` },
      { kind: 'refund.created', entity: refundSn, money: lineA.paidFen / lineA.num, workflow: `after-sale-${serviceSn}` },
      { kind: 'refund.succeeded', entity: refundSn, money: lineA.paidFen / lineA.num, workflow: `refund-${refundSn}` },
      { kind: 'after_sale.completed', entity: serviceSn, workflow: `after-sale-${serviceSn}` },
      { kind: 'complaint.filed', entity: String(complaintId), workflow: `complaint-${complaintId}` },
      { kind: 'complaint.reviewed', entity: String(complaintId), workflow: `complaint-${complaintId}` },
      { kind: 'cancellation.refused', workflow: `order-${order.orderSn}` },
    ];
    let last = -1;
    for (const step of steps) {
      const found = entries.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === step.kind && (!step.entity || e.entity?.id === step.entity));
      expect({ step: step.kind, count: found.length }).toEqual({ step: step.kind, count: 1 });
      const { e, i } = found[0];
      expect({ step: step.kind, after: i > last }).toEqual({ step: step.kind, after: true });
      last = i;
      if (step.money !== undefined) expect({ step: step.kind, money: e.moneyFen }).toEqual({ step: step.kind, money: step.money });
      expect({ step: step.kind, workflow: e.history?.workflowId }).toEqual({ step: step.kind, workflow: step.workflow });
      expect(e.history!.url).toBe(`${ui.uiUrl}/namespaces/default/workflows/${encodeURIComponent(e.history!.workflowId)}/${e.history!.runId}/history/events/${e.history!.eventId}`);
    }
    // Stock the after-sale did not move (money only), the sale's reservation did; payment and refund provider answers are in the inbox.
    expect(entries.some((e) => e.kind.startsWith('provider.') && e.kind.endsWith('_notification'))).toBe(true);

    // Every linked step opens its own event in the Temporal UI.
    const page = await context.newPage();
    for (const step of steps) {
      const e = entries.find((x) => x.kind === step.kind && (!step.entity || x.entity?.id === step.entity))!;
      await page.goto(e.history!.url, { waitUntil: 'domcontentloaded' });
      // The UI lists the event as "{id} {date} UTC {time} {Event Type In Words}", with the activity type among its details.
      const [type, name] = e.history!.event.split(' ');
      const expected = type === 'MarkerRecorded' ? 'Local Activity' : type.replace(/([a-z])([A-Z])/g, '$1 $2');
      const shown = new RegExp(`(^|\\n)${e.history!.eventId}\\s+\\d{4}-\\d{2}-\\d{2} UTC [\\d:.]+\\s+${expected}${name ? `[\\s\\S]*${name}` : ''}`);
      const deadline = Date.now() + 30_000;
      let text = '';
      while (!shown.test((text = await page.locator('body').innerText()))) {
        if (Date.now() > deadline) await page.screenshot({ path: join(SHOTS, 'support-timeline-failed-link.png') });
        if (Date.now() > deadline) throw new Error(`${step.kind}: ${e.history!.url} never showed event ${e.history!.eventId} ${expected}; it shows: ${text.slice(0, 1500)}`);
        await page.waitForTimeout(300);
      }
      if (step.kind === 'refund.created') await page.screenshot({ path: join(SHOTS, 'support-timeline-temporal-event.png') });
    }

    // The console: search by order number, see the timeline with its links, and the work queue.
    const consolePage = await context.newPage();
    await consolePage.goto(`${system.apiUrl}/support/console#token=${support}`);
    await consolePage.locator('body[data-state="ready"]').waitFor();
    expect(consolePage.url()).not.toContain('token=');
    await consolePage.fill('#q', order.orderSn);
    await consolePage.click('button[type=submit]');
    await consolePage.locator('body[data-state="timeline"]').waitFor({ timeout: 30_000 });
    expect(await consolePage.locator('#timeline-rows tr').count()).toBe(entries.length);
    expect(await consolePage.locator('#timeline-rows tr[data-kind="refund.succeeded"] a.temporal').getAttribute('href')).toBe(steps.map((s) => entries.find((x) => x.kind === s.kind && (!s.entity || x.entity?.id === s.entity))!).find((x) => x.kind === 'refund.succeeded')!.history!.url);
    await consolePage.screenshot({ path: join(SHOTS, 'support-console.png'), fullPage: true });

    // Search by buyer finds the order too.
    await consolePage.selectOption('#field', 'buyerId');
    await consolePage.fill('#q', String(order.buyerId));
    await consolePage.click('button[type=submit]');
    await consolePage.locator(`#orders a[data-order="${order.orderSn}"]`).waitFor();
  });
});
