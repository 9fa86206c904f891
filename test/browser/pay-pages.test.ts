import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { OrderStatus } from '../../domain';
import { ADDRESS, buyerCall, claimCoupon, newBuyerId, seedShop, waitConfirmed } from '../support/checkout';
import { waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

/**
 * The buyer's journey in a real Chromium (Debian's, driven by playwright-core): cart across two shops,
 * a coupon, checkout, then one order paid on the WeChat QR page (the simulator plays the scan) and the
 * other through the Alipay form, the simulator's cashier and our return page.
 */
describe('pay pages in a real browser', () => {
  let system: TestSystem;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    system = await startTestSystem();
    browser = await launchChromium({ width: 800, height: 760 });
    context = browser.context;
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('checks out two shops with a coupon, pays one by WeChat QR (payComplete fires) and one through Alipay', async () => {
    const shopA = await seedShop(system, { goods: [{ priceFen: 12900, stock: 5, name: 'Longjing tea 250g' }], shippingFen: 800, coupon: { thresholdFen: 10000, valueFen: 1500 } });
    const shopB = await seedShop(system, { goods: [{ priceFen: 4550, stock: 5, name: 'Celadon cup' }, { priceFen: 999, stock: 5, name: 'Tea towel' }], fullReduction: { thresholdFen: 10000, discountFen: 1000 } });
    const buyerId = newBuyerId();
    const memberCouponId = await claimCoupon(system, buyerId, shopA.couponId!);
    const token = system.token('buyer', buyerId);

    // The buyer adds both shops' goods to the cart on the goods pages (the token arrives in the fragment once).
    const shop = await context.newPage();
    for (const [index, [skuId, quantity]] of ([[shopA.skuIds[0], 1], [shopB.skuIds[0], 2], [shopB.skuIds[1], 1]] as const).entries()) {
      await shop.goto(`${system.apiUrl}/shop/goods/${skuId}${index === 0 ? `#token=${token}` : ''}`);
      await shop.locator('#buy').waitFor({ state: 'visible' });
      expect(shop.url()).not.toContain('token='); // the token left the address bar
      await shop.fill('#quantity', String(quantity));
      await shop.click('#add');
      await shop.locator('body[data-state="added"]').waitFor();
      if (index === 1) await shot(shop, '0-goods');
    }
    // Checkout page: picks shop A's coupon, shows the totals, takes the address, places the order.
    await shop.goto(`${system.apiUrl}/shop/checkout`);
    await shop.locator('#place').waitFor({ state: 'visible' });
    expect(await shop.locator('#grand-total').textContent()).toBe('¥227.99'); // 229.99 goods − 10.00 full reduction + 8.00 shipping
    await shop.selectOption(`section[data-seller="${shopA.sellerId}"] select.coupon`, String(memberCouponId));
    await shop.locator('#grand-total', { hasText: '¥212.99' }).waitFor();
    await shop.fill('input[name=name]', ADDRESS.name);
    await shop.fill('input[name=mobile]', ADDRESS.mobile);
    await shop.fill('input[name=detail]', ADDRESS.detail);
    await shot(shop, '0-checkout');
    await shop.click('#submit');
    await shop.locator('body[data-state="placed"]').waitFor({ timeout: 30_000 });
    await shot(shop, '0-placed');
    const [orderA, orderB] = await shop.locator('#orders a').evaluateAll((links) => links.map((a) => a.getAttribute('data-order')!));
    const [trade] = await system.dataSource.query('SELECT trade_sn, total_fen FROM trade WHERE buyer_id = ?', [buyerId]);
    expect(trade.total_fen).toBe(12900 + 9100 + 999 - 2500 + 800);
    const orders = await system.dataSource.query('SELECT order_sn, order_fen FROM orders WHERE trade_sn = ? ORDER BY seller_id', [trade.trade_sn]);
    expect(orders).toEqual([{ order_sn: orderA, order_fen: 12900 - 1500 + 800 }, { order_sn: orderB, order_fen: 9100 + 999 - 1000 }]);
    await waitConfirmed(system, { orders: orders.map((o: { order_sn: string }) => ({ orderSn: o.order_sn })) });
    // The checked lines left the cart.
    expect(await buyerCall(system, buyerId, 'GET', '/cart')).toEqual({ shops: [] });

    // WeChat Pay: the cashier opens the QR page in a frame; the QR page polls and calls parent.payComplete().
    // The order list links to the cashier; the token stays in this tab's sessionStorage.
    await shop.click(`#orders a[data-order="${orderA}"]`);
    const cashier = shop;
    await cashier.locator('#methods').waitFor({ state: 'visible' });
    expect(await cashier.locator('#amount').textContent()).toBe('¥122.00');
    await shot(cashier, '1-cashier');
    await cashier.evaluate(() => {
      const w = globalThis as unknown as { payComplete: () => void; payCompleteCalls: number };
      const original = w.payComplete;
      w.payCompleteCalls = 0;
      w.payComplete = () => {
        w.payCompleteCalls += 1;
        original();
      };
    });
    // WeChat Pay takes the first payment start but its answer is lost: the API answers 503 with
    // Retry-After, and the QR page says so, waits and sends the same start again.
    const expectedNo = `P${orderA.slice(1)}W`;
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'createPayment', key: expectedNo, outcomes: ['commit-then-timeout'] });
    await cashier.click('#pay-wechat');
    const qrFrame = cashier.frameLocator('#wechat-frame');
    await qrFrame.locator('body[data-state="retrying"]').waitFor({ timeout: 30_000 });
    await qrFrame.locator('#qr').waitFor({ state: 'visible', timeout: 30_000 });
    // Read once the page has set it (a CI run once read the body before the attribute was there).
    await qrFrame.locator('body[data-out-trade-no]').waitFor({ state: 'attached', timeout: 30_000 });
    const outTradeNo = await qrFrame.locator('body').getAttribute('data-out-trade-no');
    expect(outTradeNo).toBe(expectedNo);
    expect((await system.sim.requests({ provider: 'wechatpay', operation: 'createPayment', key: expectedNo })).map((r) => r.outcome)).toEqual(['commit-then-timeout', 'ok']);
    // Visible is not loaded: wait for the PNG itself (a run on a loaded box read naturalWidth 0).
    const qrSize = await eventually(async () => {
      const width = await qrFrame.locator('#qr').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
      return width > 0 ? width : undefined;
    }, 30_000, 'the QR image loaded');
    expect(qrSize).toBe(320);
    await shot(cashier, '2-wechat-qr');
    await system.sim.payTrade(outTradeNo!, 'wechatpay'); // the buyer scans and pays in WeChat
    await cashier.locator('body[data-state="paid"]').waitFor({ timeout: 60_000 });
    expect(await cashier.locator('#status').textContent()).toBe('Payment complete');
    expect(await cashier.evaluate(() => (globalThis as unknown as { payCompleteCalls: number }).payCompleteCalls)).toBe(1);
    await waitForStatus(system, orderA, OrderStatus.PAID_OFF);
    await cashier.locator('#order-status', { hasText: 'PAID_OFF' }).waitFor({ timeout: 30_000 });
    await shot(cashier, '3-cashier-paid');

    // Alipay: the cashier posts the signed form to the gateway (the simulator's cashier), which returns to our page.
    const alipay = await context.newPage();
    await alipay.goto(`${system.apiUrl}/pay/orders/${orderB}#token=${token}`);
    await alipay.locator('#methods').waitFor({ state: 'visible' });
    await alipay.click('#pay-alipay');
    await alipay.waitForURL((url) => url.pathname === '/gateway.do', { timeout: 30_000 });
    expect(await alipay.locator('h1').textContent()).toBe('Alipay cashier (simulator)');
    expect(await alipay.locator('body').textContent()).toContain('90.99');
    await shot(alipay, '4-alipay-cashier');
    await alipay.click('button:has-text("Pay")');
    await alipay.waitForURL((url) => url.pathname === `/pay/orders/${orderB}/alipay-return`, { timeout: 30_000 });
    await alipay.locator('body[data-state="paid"]').waitFor({ timeout: 60_000 });
    expect(await alipay.locator('#status').textContent()).toBe('Payment complete');
    await waitForStatus(system, orderB, OrderStatus.PAID_OFF);
    await shot(alipay, '5-alipay-return');
    expect(await system.sim.moneyMoved(outTradeNo!, 'wechatpay')).toMatchObject({ capturedFen: 12200 });

    // Without a token the page says how to get in instead of failing.
    const anonymous = await context.newPage();
    await anonymous.goto(`${system.apiUrl}/pay/orders/${orderA}`);
    await anonymous.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
    await anonymous.reload();
    await anonymous.locator('body[data-state="no-token"]').waitFor();
    await shot(anonymous, '6-no-token');
    expect((await fetch(`${system.apiUrl}/pay/orders/not-an-order`)).status).toBe(404);
  });
});
