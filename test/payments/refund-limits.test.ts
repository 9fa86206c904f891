import { rejectionOf, startNotifyReceiver, startTestSim, TestSim, uniqueNo } from './helpers';

jest.setTimeout(60000);

/**
 * The simulator enforces the providers' refund rules (domain/refund-provider-rules.ts), with a short
 * spacing setting: WeChat Pay's 429 FREQUENCY_LIMITED inside the spacing and INVALID_REQUEST for the
 * 51st refund of a payment; Alipay's spacing, and its out_request_no rules.
 */
const SPACING_MS = 400;
let t: TestSim;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;

beforeAll(async () => {
  t = await startTestSim({ refundProcessingMs: 0, refundSpacing: { wechatpay: SPACING_MS, alipay: SPACING_MS } });
  receiver = await startNotifyReceiver(t.providers);
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function paidTrade(provider: 'wechatpay' | 'alipay', totalFen: number): Promise<string> {
  const outTradeNo = uniqueNo(provider === 'wechatpay' ? 'WL' : 'AL');
  await t.providers[provider].createPayment({ outTradeNo, amountFen: totalFen, description: 'Order', notifyUrl: provider === 'wechatpay' ? receiver.wechatUrl : receiver.alipayUrl });
  await t.control.payTrade(outTradeNo, provider);
  return outTradeNo;
}

describe('WeChat Pay refund limits at the simulator', () => {
  const refund = (outTradeNo: string, outRefundNo: string, refundFen: number, totalFen: number) =>
    t.providers.wechatpay.submitRefund({ outTradeNo, outRefundNo, refundFen, totalFen, reason: 'partial', notifyUrl: receiver.wechatUrl });

  it('refuses a second refund of a payment inside the spacing with 429 FREQUENCY_LIMITED, takes it after, and a repeat of a known number is not a new refund', async () => {
    const outTradeNo = await paidTrade('wechatpay', 1000);
    const [r1, r2] = [uniqueNo('R'), uniqueNo('R')];
    expect((await refund(outTradeNo, r1, 100, 1000)).status).toBe('SUCCESS');
    const early = await rejectionOf(refund(outTradeNo, r2, 100, 1000));
    expect(early).toMatchObject({ code: 'FREQUENCY_LIMITED', httpStatus: 429, errorClass: 'retryable' });
    // The same number again (a retry of r1) is the same refund, not a new one: no spacing applies.
    expect((await refund(outTradeNo, r1, 100, 1000)).status).toBe('SUCCESS');
    await sleep(SPACING_MS + 50);
    expect((await refund(outTradeNo, r2, 100, 1000)).status).toBe('SUCCESS');
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 1000, refundedFen: 200, refunds: 2 });
    const log = await t.control.requests({ provider: 'wechatpay', operation: 'submitRefund', key: r2 });
    expect(log.map((e) => [e.status, e.outcome])).toEqual([[429, 'FREQUENCY_LIMITED'], [200, 'ok']]);
    const [a, b] = [await t.control.getRefund(r1, 'wechatpay'), await t.control.getRefund(r2, 'wechatpay')];
    expect(b.createdAtMs - a.createdAtMs).toBeGreaterThanOrEqual(SPACING_MS);
  });

  it('refuses the 51st refund of a payment with INVALID_REQUEST, whatever the amount left', async () => {
    const outTradeNo = await paidTrade('wechatpay', 10_000);
    for (let i = 0; i < 50; i += 1) {
      if (i > 0) await sleep(SPACING_MS + 20);
      expect((await refund(outTradeNo, uniqueNo('R'), 10, 10_000)).status).toBe('SUCCESS');
    }
    await sleep(SPACING_MS + 20);
    const r51 = uniqueNo('R');
    const refused = await rejectionOf(refund(outTradeNo, r51, 10, 10_000));
    expect(refused).toMatchObject({ code: 'INVALID_REQUEST', httpStatus: 400, errorClass: 'final' });
    expect(refused.message).toMatch(/at most 50 refunds per payment/);
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 10_000, refundedFen: 500, refunds: 50 });
    expect((await t.control.requests({ provider: 'wechatpay', operation: 'submitRefund', key: r51 })).map((e) => e.outcome)).toEqual(['TOO_MANY_REFUNDS']);
  });
});

describe('Alipay refund limits at the simulator', () => {
  const refund = (outTradeNo: string, outRefundNo: string, refundFen: number, totalFen: number) =>
    t.providers.alipay.submitRefund({ outTradeNo, outRefundNo, refundFen, totalFen, reason: 'partial', notifyUrl: receiver.alipayUrl });

  it('sends the refund number as out_request_no, refuses a refund inside the spacing (ACQ.SYSTEM_ERROR: retry the same), then takes it', async () => {
    const outTradeNo = await paidTrade('alipay', 1000);
    const [r1, r2] = [uniqueNo('R'), uniqueNo('R')];
    expect((await refund(outTradeNo, r1, 300, 1000)).status).toBe('SUCCESS');
    const early = await rejectionOf(refund(outTradeNo, r2, 300, 1000));
    expect(early).toMatchObject({ code: 'ACQ.SYSTEM_ERROR', errorClass: 'retryable' });
    await sleep(SPACING_MS + 50);
    expect((await refund(outTradeNo, r2, 300, 1000)).status).toBe('SUCCESS');
    const sent = await t.control.requests({ provider: 'alipay', operation: 'submitRefund' });
    const mine = sent.filter((e) => JSON.parse(e.business).out_trade_no === outTradeNo);
    expect(mine.map((e) => [JSON.parse(e.business).out_request_no, e.outcome])).toEqual([[r1, 'ok'], [r2, 'FREQUENCY_LIMITED'], [r2, 'ok']]);
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 1000, refundedFen: 600, refunds: 2 });
  });

  it('a reused out_request_no with a different amount is ACQ.DISCORDANT_REPEAT_REQUEST and moves nothing', async () => {
    const outTradeNo = await paidTrade('alipay', 1000);
    const r1 = uniqueNo('R');
    expect((await refund(outTradeNo, r1, 300, 1000)).status).toBe('SUCCESS');
    await sleep(SPACING_MS + 50);
    expect(await rejectionOf(refund(outTradeNo, r1, 400, 1000))).toMatchObject({ code: 'ACQ.DISCORDANT_REPEAT_REQUEST', errorClass: 'final' });
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 1000, refundedFen: 300, refunds: 1 });
  });
});
