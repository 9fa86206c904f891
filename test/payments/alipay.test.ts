import { AlipaySdk } from 'alipay-sdk';
import { rejectionOf, startNotifyReceiver, startTestSim, TestSim, uniqueNo } from './helpers';

jest.setTimeout(30000);

let t: TestSim;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;

beforeAll(async () => {
  t = await startTestSim();
  receiver = await startNotifyReceiver(t.providers);
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const alipay = () => t.providers.alipay;

async function paidTrade(totalFen = 1000): Promise<string> {
  const outTradeNo = uniqueNo('AP');
  await alipay().createPayment({ outTradeNo, amountFen: totalFen, description: 'Order', notifyUrl: receiver.alipayUrl });
  await t.control.payTrade(outTradeNo, 'alipay');
  return outTradeNo;
}

describe('Alipay client <-> simulator round trip', () => {
  it('precreate QR; no trade before the scan; WAIT_BUYER_PAY after scan; paid after pay', async () => {
    const outTradeNo = uniqueNo('AP');
    const created = await alipay().createPayment({ outTradeNo, amountFen: 12345, description: '50% off: desk', notifyUrl: receiver.alipayUrl });
    expect(created.kind === 'qr' && created.codeUrl).toMatch(/^https:\/\/qr\.alipay\.com\/bax/);
    expect(await alipay().queryPayment(outTradeNo)).toEqual({ state: 'NOTPAY', outTradeNo });
    await t.control.scanTrade(outTradeNo, 'alipay');
    expect(await alipay().queryPayment(outTradeNo)).toMatchObject({ state: 'NOTPAY', outTradeNo, amountFen: 12345 });
    await t.control.payTrade(outTradeNo, 'alipay');
    const paid = await alipay().queryPayment(outTradeNo);
    expect(paid).toMatchObject({ state: 'PAID', outTradeNo, amountFen: 12345 });
    // send_pay_date is China time on the wire; the provider interface answers with the instant (not 8 h off).
    expect(paid.paidAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(Math.abs(Date.parse(paid.paidAt!) - Date.now())).toBeLessThan(60_000);
    expect(await alipay().closePayment(outTradeNo)).toEqual({ alreadyPaid: true });
    expect(await t.control.moneyMoved(outTradeNo, 'alipay')).toEqual({ capturedFen: 12345, refundedFen: 0, refunds: 0 });
    // The wire carried yuan, converted exactly.
    const [req] = await t.control.requests({ provider: 'alipay', operation: 'createPayment', key: outTradeNo });
    expect(JSON.parse(req.business)).toMatchObject({ out_trade_no: outTradeNo, total_amount: '123.45', subject: '50% off: desk' });
  });

  it('close: unscanned QR (TRADE_NOT_EXIST) and scanned unpaid trade both close; re-entrant', async () => {
    const unscanned = uniqueNo('AP');
    await alipay().createPayment({ outTradeNo: unscanned, amountFen: 100, description: 'x', notifyUrl: receiver.alipayUrl });
    expect(await alipay().closePayment(unscanned)).toEqual({ alreadyPaid: false });
    await expect(t.control.payTrade(unscanned, 'alipay')).rejects.toThrow(/409/);

    const scanned = uniqueNo('AP');
    await alipay().createPayment({ outTradeNo: scanned, amountFen: 100, description: 'x', notifyUrl: receiver.alipayUrl });
    await t.control.scanTrade(scanned, 'alipay');
    expect(await alipay().closePayment(scanned)).toEqual({ alreadyPaid: false });
    expect(await alipay().closePayment(scanned)).toEqual({ alreadyPaid: false });
    expect((await alipay().queryPayment(scanned)).state).toBe('CLOSED');
  });

  it('page.pay returns a signed cashier form; posting it shows the cashier; Pay redirects with signed parameters', async () => {
    const outTradeNo = uniqueNo('PG');
    const created = await alipay().createPayment({
      outTradeNo,
      amountFen: 2050,
      description: 'Web order "A&B"',
      notifyUrl: receiver.alipayUrl,
      returnUrl: 'https://shop.example.com/return',
      channel: 'page',
    });
    if (created.kind !== 'form') throw new Error('expected a form');
    const action = new URL(created.gatewayUrl);
    expect(action.origin + action.pathname).toBe(`${t.sim.url}/gateway.do`);
    expect(action.searchParams.get('method')).toBe('alipay.trade.page.pay');
    expect(action.searchParams.get('sign')).toBeTruthy();
    const biz = created.formItems.find((i) => i.name === 'biz_content');
    expect(JSON.parse(biz!.value)).toMatchObject({ out_trade_no: outTradeNo, total_amount: '20.50', product_code: 'FAST_INSTANT_TRADE_PAY' });

    // The browser posts the form exactly as given; the simulator's gateway verifies its signature.
    const page = await fetch(created.gatewayUrl, { method: 'POST', body: new URLSearchParams(created.formItems.map((i): [string, string] => [i.name, i.value])) });
    const html = await page.text();
    expect(html).toContain('<button type="submit">Pay</button>');
    expect(html).toContain('20.50');
    // A tampered form (amount changed) fails the gateway's signature check.
    const tampered = created.formItems.map((i) => (i.name === 'biz_content' ? { ...i, value: i.value.replace('20.50', '0.01') } : i));
    const bad = await fetch(created.gatewayUrl, { method: 'POST', body: new URLSearchParams(tampered.map((i): [string, string] => [i.name, i.value])) });
    expect(await bad.text()).toContain('isv.invalid-signature');

    const pay = await fetch(`${t.sim.url}/cashier/pay`, { method: 'POST', body: new URLSearchParams({ out_trade_no: outTradeNo }), redirect: 'manual' });
    expect(pay.status).toBe(302);
    const back = new URL(pay.headers.get('location')!);
    expect(back.origin).toBe('https://shop.example.com');
    const params = Object.fromEntries(back.searchParams);
    const sdk = new AlipaySdk({ appId: t.keys.alipay.appId, privateKey: t.keys.alipay.appPrivateKeyPem, keyType: 'PKCS8', alipayPublicKey: t.keys.alipay.alipayPublicKeyPem });
    expect(sdk.checkNotifySignV2(params)).toBe(true);
    expect((await alipay().queryPayment(outTradeNo)).state).toBe('PAID');
  });

  it('refund: fund_change Y is SUCCESS; the fastpay query confirms; a full refund closes the trade as REFUNDED', async () => {
    const outTradeNo = await paidTrade(1000);
    const r1 = uniqueNo('AR');
    const r2 = uniqueNo('AR');
    const base = { outTradeNo, totalFen: 1000, reason: 'changed mind', notifyUrl: receiver.alipayUrl };
    expect(await alipay().submitRefund({ ...base, outRefundNo: r1, refundFen: 333 })).toMatchObject({ status: 'SUCCESS', outRefundNo: r1, refundFen: 333 });
    expect(await alipay().queryRefund(outTradeNo, r1)).toMatchObject({ status: 'SUCCESS', outRefundNo: r1, refundFen: 333 });
    expect((await alipay().queryPayment(outTradeNo)).state).toBe('PAID');
    expect((await alipay().submitRefund({ ...base, outRefundNo: r2, refundFen: 667 })).status).toBe('SUCCESS');
    expect((await alipay().queryPayment(outTradeNo)).state).toBe('REFUNDED');
    expect(await t.control.moneyMoved(outTradeNo, 'alipay')).toEqual({ capturedFen: 1000, refundedFen: 1000, refunds: 2 });
    const reqs = await t.control.requests({ provider: 'alipay', operation: 'submitRefund', key: r1 });
    expect(JSON.parse(reqs[0].business)).toMatchObject({ out_request_no: r1, refund_amount: '3.33' });
    expect(await alipay().queryRefund(outTradeNo, uniqueNo('NONE'))).toMatchObject({ status: 'NOT_FOUND' });
  });

  it('delayed refund: fund_change N is PROCESSING; query says NOT_FOUND until it lands; a repeat never pays twice', async () => {
    const outTradeNo = await paidTrade(500);
    const outRefundNo = uniqueNo('AD');
    await t.control.scriptRefund(outRefundNo, { processingMs: 60_000, then: 'SUCCESS' }, 'alipay');
    const input = { outTradeNo, outRefundNo, refundFen: 200, totalFen: 500, reason: 'r', notifyUrl: receiver.alipayUrl };
    expect((await alipay().submitRefund(input)).status).toBe('PROCESSING');
    expect(await alipay().queryRefund(outTradeNo, outRefundNo)).toEqual({ status: 'NOT_FOUND', outRefundNo });
    expect((await alipay().submitRefund(input)).status).toBe('PROCESSING');
    await t.control.advanceClock(60_000);
    expect(await alipay().queryRefund(outTradeNo, outRefundNo)).toMatchObject({ status: 'SUCCESS', refundFen: 200 });
    // Re-submitting a finished request answers fund_change N: no second payout.
    expect((await alipay().submitRefund(input)).status).toBe('PROCESSING');
    expect(await t.control.moneyMoved(outTradeNo, 'alipay')).toEqual({ capturedFen: 500, refundedFen: 200, refunds: 1 });
  });
});

describe('Alipay idempotency and faults', () => {
  it('commit-then-timeout, retried with the same out_request_no and biz_content, moves money exactly once', async () => {
    const outTradeNo = await paidTrade(900);
    const outRefundNo = uniqueNo('AT');
    await t.control.scriptFaults({ provider: 'alipay', operation: 'submitRefund', key: outRefundNo, outcomes: ['commit-then-timeout'] });
    const input = { outTradeNo, outRefundNo, refundFen: 450, totalFen: 900, reason: 'r', notifyUrl: receiver.alipayUrl };
    expect(await rejectionOf(alipay().submitRefund(input))).toMatchObject({ code: 'TIMEOUT', errorClass: 'retryable', outcomeUnknown: true });
    // The first call already refunded; the retry is told "no fund change this time" -> go and query.
    expect((await alipay().submitRefund(input)).status).toBe('PROCESSING');
    expect(await alipay().queryRefund(outTradeNo, outRefundNo)).toMatchObject({ status: 'SUCCESS', refundFen: 450 });
    expect(await t.control.moneyMoved(outTradeNo, 'alipay')).toEqual({ capturedFen: 900, refundedFen: 450, refunds: 1 });
    const reqs = await t.control.requests({ provider: 'alipay', operation: 'submitRefund', key: outRefundNo });
    expect(reqs.map((r) => r.outcome)).toEqual(['commit-then-timeout', 'ok']);
    expect(new Set(reqs.map((r) => r.business)).size).toBe(1);
  });

  it('same out_request_no with a different amount is ACQ.DISCORDANT_REPEAT_REQUEST (final)', async () => {
    const outTradeNo = await paidTrade(900);
    const outRefundNo = uniqueNo('AX');
    const input = { outTradeNo, outRefundNo, refundFen: 100, totalFen: 900, reason: 'r', notifyUrl: receiver.alipayUrl };
    await alipay().submitRefund(input);
    const err = await rejectionOf(alipay().submitRefund({ ...input, refundFen: 101 }));
    expect(err).toMatchObject({ code: 'ACQ.DISCORDANT_REPEAT_REQUEST', errorClass: 'final', outcomeUnknown: false });
    expect(await t.control.moneyMoved(outTradeNo, 'alipay')).toMatchObject({ refunds: 1, refundedFen: 100 });
  });

  it.each([
    ['ACQ.SYSTEM_ERROR', 'ACQ.SYSTEM_ERROR', 'retryable', true],
    ['isp.unknow-error', 'isp.unknow-error', 'retryable', true],
    ['rate-limit', 'isp.unknow-error', 'retryable', true],
    ['500', 'HTTP_500', 'retryable', true],
    ['ACQ.SELLER_BALANCE_NOT_ENOUGH', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', 'needs-operator', false],
    ['ACQ.TRADE_NOT_EXIST', 'ACQ.TRADE_NOT_EXIST', 'final', false],
    ['ACQ.TRADE_HAS_FINISHED', 'ACQ.TRADE_HAS_FINISHED', 'final', false],
    ['bad-signature', 'INVALID_RESPONSE_SIGNATURE', 'retryable', true],
    ['timeout-before-commit', 'TIMEOUT', 'retryable', true],
  ])('refund answered with %s is %s / %s, and the same number then refunds once', async (outcome, code, errorClass, outcomeUnknown) => {
    const outTradeNo = await paidTrade(300);
    const outRefundNo = uniqueNo('AE');
    await t.control.scriptFaults({ provider: 'alipay', operation: 'submitRefund', key: outRefundNo, outcomes: [outcome] });
    const input = { outTradeNo, outRefundNo, refundFen: 300, totalFen: 300, reason: 'r', notifyUrl: receiver.alipayUrl };
    expect(await rejectionOf(alipay().submitRefund(input))).toMatchObject({ code, errorClass, outcomeUnknown });
    await alipay().submitRefund(input);
    expect(await t.control.moneyMoved(outTradeNo, 'alipay')).toMatchObject({ refunds: 1, refundedFen: 300 });
  });

  it('a query answer with a bad signature is never taken as a result', async () => {
    const outTradeNo = await paidTrade(300);
    await t.control.scriptFaults({ provider: 'alipay', operation: 'queryPayment', key: outTradeNo, outcomes: ['bad-signature'] });
    expect(await rejectionOf(alipay().queryPayment(outTradeNo))).toMatchObject({ code: 'INVALID_RESPONSE_SIGNATURE', errorClass: 'retryable' });
    expect((await alipay().queryPayment(outTradeNo)).state).toBe('PAID');
  });

  it('the gateway rejects a request signed with another app key (40002 isv.invalid-signature, final)', async () => {
    const other = await startTestSim();
    try {
      const { AlipayProvider } = await import('../../payments/alipay/client');
      const client = new AlipayProvider({ config: { ...t.config.alipay, appPrivateKeyPem: other.keys.alipay.appPrivateKeyPem }, timeoutMs: 1500 });
      expect(await rejectionOf(client.queryPayment(uniqueNo('AP')))).toMatchObject({ code: 'isv.invalid-signature', errorClass: 'final' });
      // And a client trusting the wrong Alipay public key refuses the simulator's genuine answer.
      const distrustful = new AlipayProvider({ config: { ...t.config.alipay, alipayPublicKeyPem: other.keys.alipay.alipayPublicKeyPem }, timeoutMs: 1500 });
      expect(await rejectionOf(distrustful.queryPayment(uniqueNo('AP')))).toMatchObject({ code: 'INVALID_RESPONSE_SIGNATURE', errorClass: 'retryable' });
    } finally {
      await other.close();
    }
  });
});

describe('independent cross-check with alipay-sdk', () => {
  it("the SDK verifies the simulator's response signatures and its requests pass the simulator's check", async () => {
    const sdk = new AlipaySdk({
      appId: t.keys.alipay.appId,
      privateKey: t.keys.alipay.appPrivateKeyPem,
      keyType: 'PKCS8',
      alipayPublicKey: t.keys.alipay.alipayPublicKeyPem,
      gateway: `${t.sim.url}/gateway.do`,
    });
    const outTradeNo = await paidTrade(250);
    const res = await sdk.exec('alipay.trade.query', { bizContent: { outTradeNo } }, { validateSign: true });
    expect(res).toMatchObject({ code: '10000', tradeStatus: 'TRADE_SUCCESS', totalAmount: '2.50' });
    await t.control.scriptFaults({ provider: 'alipay', operation: 'queryPayment', key: outTradeNo, outcomes: ['bad-signature'] });
    await expect(sdk.exec('alipay.trade.query', { bizContent: { outTradeNo } }, { validateSign: true })).rejects.toThrow(/验签失败/);
  });
});
