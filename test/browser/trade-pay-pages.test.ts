import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { OrderStatus, TradeStatus } from '../../domain';
import { waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { TwoShopTrade, twoShopTrade, waitForTradeStatus } from '../support/trades';

const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

/**
 * Paying a two-shop trade at once in a real Chromium: the trade's cashier, its WeChat QR page (the
 * simulator plays the scan) whose poll calls payComplete(), which leads to the trade's result page;
 * and a second trade through the Alipay form, the simulator's cashier and the same result page.
 * One payment at the simulator per trade, both orders PAID_OFF with their shares, the trade PAID_OFF.
 */
describe('trade pay pages in a real browser', () => {
  let system: TestSystem;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    system = await startTestSystem();
    browser = await launchChromium({ width: 800, height: 860 });
    context = browser.context;
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  /** One capture of the whole trade at the simulator; each order paid with its own share by that transaction. */
  async function expectPaidOnce(trade: TwoShopTrade, outTradeNo: string) {
    for (const order of trade.orders) await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    const captures = (await system.sim.ledger()).filter((e) => e.kind === 'payment' && e.outTradeNo === outTradeNo);
    expect(captures.map((e) => e.amountFen)).toEqual([trade.totalFen]);
    const rows = await system.dataSource.query('SELECT order_sn, paid_fen FROM orders WHERE trade_sn = ? ORDER BY order_sn', [trade.tradeSn]);
    expect(rows).toEqual(trade.orders.map((o) => ({ order_sn: o.orderSn, paid_fen: o.orderFen })));
    const shares = await system.dataSource.query('SELECT order_sn, amount_fen FROM payment_share WHERE out_trade_no = ? ORDER BY order_sn', [outTradeNo]);
    expect(shares).toEqual(trade.orders.map((o) => ({ order_sn: o.orderSn, amount_fen: o.orderFen })));
  }

  it('WeChat Pay: the trade QR page, the scan, payComplete() and the result page', async () => {
    const trade = await twoShopTrade(system);
    const token = system.token('buyer', trade.buyerId);
    const cashier = await context.newPage();
    await cashier.goto(`${system.apiUrl}/pay/trade/${trade.tradeSn}#token=${token}`);
    await cashier.locator('#methods').waitFor({ state: 'visible' });
    expect(cashier.url()).not.toContain('token=');
    expect(await cashier.locator('#amount').textContent()).toBe('¥88.00');
    expect(await cashier.locator('#order-status').textContent()).toBe('NEW');
    expect(await cashier.locator('#trade-orders li').count()).toBe(2);
    await shot(cashier, 'trade-1-cashier');
    await cashier.evaluate(() => {
      const w = globalThis as unknown as { payComplete: () => void; sessionStorage: { setItem(k: string, v: string): void } };
      const original = w.payComplete;
      w.payComplete = () => {
        w.sessionStorage.setItem('payCompleteCalled', 'yes');
        original();
      };
    });
    await cashier.click('#pay-wechat');
    const qrFrame = cashier.frameLocator('#wechat-frame');
    await qrFrame.locator('#qr').waitFor({ state: 'visible', timeout: 30_000 });
    await qrFrame.locator('body[data-out-trade-no]').waitFor({ state: 'attached', timeout: 30_000 });
    const outTradeNo = (await qrFrame.locator('body').getAttribute('data-out-trade-no'))!;
    expect(outTradeNo).toBe(`Q${trade.tradeSn.slice(1)}W2`);
    const qrSize = await eventually(async () => {
      const width = await qrFrame.locator('#qr').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
      return width > 0 ? width : undefined;
    }, 30_000, 'the QR image loaded');
    expect(qrSize).toBe(320);
    expect(await qrFrame.locator('#amount').textContent()).toBe('¥88.00');
    await shot(cashier, 'trade-2-wechat-qr');

    await system.sim.payTrade(outTradeNo, 'wechatpay'); // the buyer scans and pays in WeChat
    // The QR page's poll sees the trade paid and calls payComplete(), which opens the trade's result page.
    await cashier.waitForURL((url) => url.pathname === `/pay/trade/${trade.tradeSn}/result`, { timeout: 60_000 });
    await cashier.locator('body[data-state="paid"]').waitFor({ timeout: 60_000 });
    expect(await cashier.locator('#status').textContent()).toBe('Payment complete');
    expect(await cashier.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('payCompleteCalled'))).toBe('yes');
    expect(await cashier.locator('#order-status').textContent()).toBe('PAID_OFF');
    await cashier.locator('#trade-orders li[data-status="PAID_OFF"]').nth(1).waitFor({ timeout: 30_000 });
    await shot(cashier, 'trade-3-result');
    await expectPaidOnce(trade, outTradeNo);
  });

  it('Alipay: the signed form, the simulator cashier, back on the trade result page', async () => {
    const trade = await twoShopTrade(system, { aFen: 1234, bFen: 999, cFen: 5000 });
    const token = system.token('buyer', trade.buyerId);
    const page = await context.newPage();
    await page.goto(`${system.apiUrl}/pay/trade/${trade.tradeSn}#token=${token}`);
    await page.locator('#methods').waitFor({ state: 'visible' });
    await page.click('#pay-alipay');
    await page.waitForURL((url) => url.pathname === '/gateway.do', { timeout: 30_000 });
    expect(await page.locator('h1').textContent()).toBe('Alipay cashier (simulator)');
    expect(await page.locator('body').textContent()).toContain('84.67');
    await shot(page, 'trade-4-alipay-cashier');
    await page.click('button:has-text("Pay")');
    await page.waitForURL((url) => url.pathname === `/pay/trade/${trade.tradeSn}/result`, { timeout: 30_000 });
    await page.locator('body[data-state="paid"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('#status').textContent()).toBe('Payment complete');
    await shot(page, 'trade-5-alipay-result');
    const [payment] = await system.dataSource.query('SELECT out_trade_no FROM payment WHERE trade_sn = ?', [trade.tradeSn]);
    expect(payment.out_trade_no).toBe(`Q${trade.tradeSn.slice(1)}A2`);
    await expectPaidOnce(trade, payment.out_trade_no);

    // The order's own result page (trade_type order) shows the paid order too.
    const orderPage = await context.newPage();
    await orderPage.goto(`${system.apiUrl}/pay/order/${trade.orders[0].orderSn}/result#token=${token}`);
    await orderPage.locator('body[data-state="paid"]').waitFor({ timeout: 30_000 });
    expect(await orderPage.locator('#order-status').textContent()).toBe('PAID_OFF / PAY_YES');
    expect((await fetch(`${system.apiUrl}/pay/trade/not-a-trade`)).status).toBe(404);
  });
});
