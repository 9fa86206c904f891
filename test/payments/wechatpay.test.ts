import { createPublicKey } from 'node:crypto';
import { Formatter, Rsa } from 'wechatpay-axios-plugin';
import { ProviderError } from '../../payments/provider';
import { parseAuthorization } from '../../payments/wechatpay/signing';
import { rejectionOf, startNotifyReceiver, startTestSim, TestSim, uniqueNo } from './helpers';

jest.setTimeout(30000);

let t: TestSim;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;

beforeAll(async () => {
  t = await startTestSim({ refundProcessingMs: 5000 });
  receiver = await startNotifyReceiver(t.providers);
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const wechat = () => t.providers.wechatpay;

async function paidTrade(totalFen = 1000): Promise<string> {
  const outTradeNo = uniqueNo('WX');
  await wechat().createPayment({ outTradeNo, amountFen: totalFen, description: 'Order', notifyUrl: receiver.wechatUrl });
  await t.control.payTrade(outTradeNo, 'wechatpay');
  return outTradeNo;
}

describe('WeChat Pay client <-> simulator round trip', () => {
  it('Native order, query before and after payment, close of a paid order', async () => {
    const outTradeNo = uniqueNo('WX');
    expect(await wechat().queryPayment(outTradeNo)).toEqual({ state: 'NOTPAY', outTradeNo });

    const created = await wechat().createPayment({ outTradeNo, amountFen: 1999, description: 'Desk lamp', notifyUrl: receiver.wechatUrl, expiresAt: new Date(Date.now() + 3600_000) });
    expect(created.kind).toBe('qr');
    expect(created.kind === 'qr' && created.codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    // Dropping time_expire changes the request: WeChat refuses a re-create with different parameters.
    expect(await wechat().createPayment({ outTradeNo, amountFen: 1999, description: 'Desk lamp', notifyUrl: receiver.wechatUrl, expiresAt: undefined }).catch((e) => e)).toBeInstanceOf(ProviderError);

    expect((await wechat().queryPayment(outTradeNo)).state).toBe('NOTPAY');
    await t.control.payTrade(outTradeNo, 'wechatpay');
    const paid = await wechat().queryPayment(outTradeNo);
    expect(paid).toMatchObject({ state: 'PAID', outTradeNo, amountFen: 1999 });
    expect(paid.transactionId).toMatch(/^4200\d{24}$/);
    // success_time is RFC 3339 in +08:00 on the wire; the provider interface answers with the instant.
    expect(paid.paidAt).toMatch(/Z$/);
    expect(Math.abs(Date.parse(paid.paidAt!) - Date.now())).toBeLessThan(60_000);

    expect(await wechat().closePayment(outTradeNo)).toEqual({ alreadyPaid: true });
    expect((await t.control.moneyMoved(outTradeNo, 'wechatpay')).capturedFen).toBe(1999);
  });

  it('identical re-create returns the same code_url; changed parameters are INVALID_REQUEST (final)', async () => {
    const outTradeNo = uniqueNo('WX');
    const input = { outTradeNo, amountFen: 500, description: 'Cup', notifyUrl: receiver.wechatUrl };
    const a = await wechat().createPayment(input);
    const b = await wechat().createPayment(input);
    expect(b).toEqual(a);
    const err = await rejectionOf(wechat().createPayment({ ...input, amountFen: 501 }));
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', errorClass: 'final', httpStatus: 400 });
  });

  it('close is re-entrant; an unknown order closes as "nothing to pay"', async () => {
    const outTradeNo = uniqueNo('WX');
    await wechat().createPayment({ outTradeNo, amountFen: 300, description: 'Pen', notifyUrl: receiver.wechatUrl });
    expect(await wechat().closePayment(outTradeNo)).toEqual({ alreadyPaid: false });
    expect(await wechat().closePayment(outTradeNo)).toEqual({ alreadyPaid: false });
    expect((await wechat().queryPayment(outTradeNo)).state).toBe('CLOSED');
    expect(await wechat().closePayment(uniqueNo('NONE'))).toEqual({ alreadyPaid: false });
    await expect(t.control.payTrade(outTradeNo, 'wechatpay')).rejects.toThrow(/409/);
  });

  it('refund: PROCESSING, then SUCCESS when the refund clock passes; full refund makes the trade REFUNDED', async () => {
    const outTradeNo = await paidTrade(1000);
    const outRefundNo = uniqueNo('RF');
    const submitted = await wechat().submitRefund({ outTradeNo, outRefundNo, refundFen: 1000, totalFen: 1000, reason: 'buyer cancelled', notifyUrl: receiver.wechatUrl });
    expect(submitted).toMatchObject({ status: 'PROCESSING', outRefundNo, refundFen: 1000 });
    expect(submitted.providerRefundId).toMatch(/^50\d{28}$/);
    expect(await wechat().queryRefund(outTradeNo, outRefundNo)).toMatchObject({ status: 'PROCESSING' });
    expect((await t.control.moneyMoved(outTradeNo)).refunds).toBe(0);

    await t.control.advanceClock(5000);
    const done = await wechat().queryRefund(outTradeNo, outRefundNo);
    expect(done).toMatchObject({ status: 'SUCCESS', outRefundNo, providerRefundId: submitted.providerRefundId, refundFen: 1000 });
    expect(done.status === 'SUCCESS' && done.succeededAt).toMatch(/Z$/);
    expect(Math.abs(Date.parse((done as { succeededAt: string }).succeededAt) - Date.now())).toBeLessThan(60_000);
    expect((await wechat().queryPayment(outTradeNo)).state).toBe('REFUNDED');
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 1000, refundedFen: 1000, refunds: 1 });
  });

  it('scripted ABNORMAL and CLOSED refunds; immediate SUCCESS; unknown refund is NOT_FOUND', async () => {
    const outTradeNo = await paidTrade(900);
    const abnormal = uniqueNo('RA');
    const closed = uniqueNo('RC');
    const instant = uniqueNo('RI');
    await t.control.scriptRefund(abnormal, { processingMs: 0, then: 'ABNORMAL' });
    await t.control.scriptRefund(closed, { processingMs: 0, then: 'CLOSED' });
    await t.control.scriptRefund(instant, { processingMs: 0, then: 'SUCCESS' });
    const base = { outTradeNo, totalFen: 900, reason: 'r', notifyUrl: receiver.wechatUrl };
    expect((await wechat().submitRefund({ ...base, outRefundNo: abnormal, refundFen: 100 })).status).toBe('ABNORMAL');
    expect((await wechat().submitRefund({ ...base, outRefundNo: closed, refundFen: 100 })).status).toBe('CLOSED');
    expect((await wechat().submitRefund({ ...base, outRefundNo: instant, refundFen: 100 })).status).toBe('SUCCESS');
    expect(await wechat().queryRefund(outTradeNo, uniqueNo('RX'))).toEqual({ status: 'NOT_FOUND', outRefundNo: expect.any(String) });
    // Only the SUCCESS one moved money; a partial refund leaves the trade PAID.
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 900, refundedFen: 100, refunds: 1 });
    expect((await wechat().queryPayment(outTradeNo)).state).toBe('PAID');
  });

  it('refunds cannot exceed the total; refunding an unpaid order is RESOURCE_NOT_EXISTS (final)', async () => {
    const outTradeNo = await paidTrade(500);
    const base = { outTradeNo, totalFen: 500, reason: 'r', notifyUrl: receiver.wechatUrl };
    await wechat().submitRefund({ ...base, outRefundNo: uniqueNo('R1'), refundFen: 400 });
    const over = await rejectionOf(wechat().submitRefund({ ...base, outRefundNo: uniqueNo('R2'), refundFen: 101 }));
    expect(over).toMatchObject({ code: 'INVALID_REQUEST', errorClass: 'final' });

    const unpaid = uniqueNo('WX');
    await wechat().createPayment({ outTradeNo: unpaid, amountFen: 500, description: 'x', notifyUrl: receiver.wechatUrl });
    const notPaid = await rejectionOf(wechat().submitRefund({ ...base, outTradeNo: unpaid, outRefundNo: uniqueNo('R3'), refundFen: 100 }));
    expect(notPaid).toMatchObject({ code: 'RESOURCE_NOT_EXISTS', errorClass: 'final', httpStatus: 404, outcomeUnknown: false });
  });
});

describe('WeChat Pay idempotency and faults', () => {
  it('commit-then-timeout, retried with the same out_refund_no and body, moves money exactly once', async () => {
    const outTradeNo = await paidTrade(800);
    const outRefundNo = uniqueNo('RT');
    await t.control.scriptRefund(outRefundNo, { processingMs: 0, then: 'SUCCESS' });
    await t.control.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', key: outRefundNo, outcomes: ['commit-then-timeout'] });
    const input = { outTradeNo, outRefundNo, refundFen: 300, totalFen: 800, reason: 'damaged', notifyUrl: receiver.wechatUrl };

    const first = await rejectionOf(wechat().submitRefund(input));
    expect(first).toMatchObject({ code: 'TIMEOUT', errorClass: 'retryable', outcomeUnknown: true });
    const retry = await wechat().submitRefund(input);
    expect(retry).toMatchObject({ status: 'SUCCESS', outRefundNo, refundFen: 300 });

    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 800, refundedFen: 300, refunds: 1 });
    const requests = await t.control.requests({ provider: 'wechatpay', operation: 'submitRefund', key: outRefundNo });
    expect(requests.map((r) => r.outcome)).toEqual(['commit-then-timeout', 'ok']);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
  });

  it('slow: applied and answered as usual, only after the rule\'s delay; a delay past the client\'s timeout is a TIMEOUT whose refund landed', async () => {
    const outTradeNo = await paidTrade(800);
    const inTime = uniqueNo('RS');
    await t.control.scriptRefund(inTime, { processingMs: 0, then: 'SUCCESS' });
    await t.control.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', key: inTime, outcomes: ['slow'], delayMs: 600 });
    const began = Date.now();
    const answered = await wechat().submitRefund({ outTradeNo, outRefundNo: inTime, refundFen: 100, totalFen: 800, reason: 'slow', notifyUrl: receiver.wechatUrl });
    expect(Date.now() - began).toBeGreaterThanOrEqual(600);
    expect(answered).toMatchObject({ status: 'SUCCESS', outRefundNo: inTime, refundFen: 100 });

    // Slower than the client waits (1.5 s here): the client times out, the refund was applied all the same.
    const late = uniqueNo('RL');
    await t.control.scriptRefund(late, { processingMs: 0, then: 'SUCCESS' });
    await t.control.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', key: late, outcomes: ['slow'], delayMs: 2500 });
    expect(await rejectionOf(wechat().submitRefund({ outTradeNo, outRefundNo: late, refundFen: 200, totalFen: 800, reason: 'slow', notifyUrl: receiver.wechatUrl }))).toMatchObject({ code: 'TIMEOUT', outcomeUnknown: true });
    for (let waited = 0; (await t.control.moneyMoved(outTradeNo)).refunds < 2 && waited < 5000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 800, refundedFen: 300, refunds: 2 });
    await expect(t.control.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', outcomes: ['slow'], delayMs: 0 })).rejects.toThrow(/delayMs/);
  });

  it('same out_refund_no with a different body is INVALID_REQUEST and moves nothing', async () => {
    const outTradeNo = await paidTrade(800);
    const outRefundNo = uniqueNo('RD');
    await t.control.scriptRefund(outRefundNo, { processingMs: 0, then: 'SUCCESS' });
    const input = { outTradeNo, outRefundNo, refundFen: 200, totalFen: 800, reason: 'r', notifyUrl: receiver.wechatUrl };
    await wechat().submitRefund(input);
    const err = await rejectionOf(wechat().submitRefund({ ...input, refundFen: 250 }));
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', errorClass: 'final', httpStatus: 400 });
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 800, refundedFen: 200, refunds: 1 });
  });

  it('timeout-before-commit, commit-then-500 and 500: retryable, and the retry creates one refund', async () => {
    const outTradeNo = await paidTrade(800);
    const outRefundNo = uniqueNo('RB');
    await t.control.scriptRefund(outRefundNo, { processingMs: 0, then: 'SUCCESS' });
    await t.control.scriptFaults({ operation: 'submitRefund', key: outRefundNo, outcomes: ['timeout-before-commit', '500', 'commit-then-500'] });
    const input = { outTradeNo, outRefundNo, refundFen: 100, totalFen: 800, reason: 'r', notifyUrl: receiver.wechatUrl };
    expect(await rejectionOf(wechat().submitRefund(input))).toMatchObject({ code: 'TIMEOUT', errorClass: 'retryable', outcomeUnknown: true });
    expect(await t.control.moneyMoved(outTradeNo)).toMatchObject({ refunds: 0 });
    expect(await rejectionOf(wechat().submitRefund(input))).toMatchObject({ code: 'SYSTEM_ERROR', httpStatus: 500, errorClass: 'retryable', outcomeUnknown: true });
    expect(await rejectionOf(wechat().submitRefund(input))).toMatchObject({ code: 'SYSTEM_ERROR', errorClass: 'retryable' });
    expect(await t.control.moneyMoved(outTradeNo)).toMatchObject({ refunds: 1 });
    expect(await wechat().submitRefund(input)).toMatchObject({ status: 'SUCCESS' });
    expect(await t.control.moneyMoved(outTradeNo)).toEqual({ capturedFen: 800, refundedFen: 100, refunds: 1 });
  });

  it.each([
    ['rate-limit', 'FREQUENCY_LIMITED', 'retryable'],
    ['NOT_ENOUGH', 'NOT_ENOUGH', 'needs-operator'],
    ['USER_ACCOUNT_ABNORMAL', 'USER_ACCOUNT_ABNORMAL', 'needs-operator'],
    ['PARAM_ERROR', 'PARAM_ERROR', 'final'],
    ['NO_AUTH', 'NO_AUTH', 'final'],
    ['SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'retryable'],
  ])('scripted %s is reported as %s / %s, then the same refund number succeeds', async (outcome, code, errorClass) => {
    const outTradeNo = await paidTrade(600);
    const outRefundNo = uniqueNo('RE');
    await t.control.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', key: outRefundNo, outcomes: [outcome] });
    const input = { outTradeNo, outRefundNo, refundFen: 100, totalFen: 600, reason: 'r', notifyUrl: receiver.wechatUrl };
    expect(await rejectionOf(wechat().submitRefund(input))).toMatchObject({ code, errorClass });
    expect((await wechat().submitRefund(input)).status).toBe('PROCESSING');
  });

  it.each([
    ['bad-signature', /bad Wechatpay-Signature/],
    ['stale-timestamp', /outside the 300s window/],
    ['unknown-serial', /unknown Wechatpay-Serial/],
  ])('a 200 with %s is never taken as success', async (fault, message) => {
    const outTradeNo = await paidTrade(700);
    await t.control.scriptFaults({ provider: 'wechatpay', operation: 'queryPayment', key: outTradeNo, outcomes: [fault] });
    const err = await rejectionOf(wechat().queryPayment(outTradeNo));
    expect(err).toMatchObject({ code: 'INVALID_RESPONSE_SIGNATURE', errorClass: 'retryable', outcomeUnknown: true, httpStatus: 200 });
    expect(err.message).toMatch(message);
    expect((await wechat().queryPayment(outTradeNo)).state).toBe('PAID');
  });

  it('the simulator rejects a tampered request signature, a stale timestamp and a replayed nonce with 401 SIGN_ERROR', async () => {
    const w = t.keys.wechatpay;
    const key = w.merchantPrivateKeyPem;
    const send = async (opts: { ts?: number; nonce?: string; tamper?: boolean; serial?: string }) => {
      const url = `/v3/pay/transactions/out-trade-no/NOPE123?mchid=${w.mchid}`;
      const ts = opts.ts ?? Formatter.timestamp();
      const nonce = opts.nonce ?? Formatter.nonce();
      let signature = Rsa.sign(Formatter.request('GET', url, ts, nonce, ''), Rsa.from(key, 'private'));
      if (opts.tamper) signature = Rsa.sign(Formatter.request('GET', `${url}&x=1`, ts, nonce, ''), Rsa.from(key, 'private'));
      const res = await fetch(`${t.sim.url}${url}`, {
        headers: { Accept: 'application/json', Authorization: Formatter.authorization(w.mchid, nonce, signature, ts, opts.serial ?? w.merchantSerial) },
      });
      return { status: res.status, body: (await res.json()) as { code: string } };
    };
    // A correctly signed request by an independent signer gets through signature checks.
    expect(await send({})).toEqual({ status: 404, body: expect.objectContaining({ code: 'ORDER_NOT_EXIST' }) });
    expect(await send({ tamper: true })).toEqual({ status: 401, body: expect.objectContaining({ code: 'SIGN_ERROR' }) });
    expect(await send({ ts: Formatter.timestamp() - 301 })).toEqual({ status: 401, body: expect.objectContaining({ code: 'SIGN_ERROR' }) });
    expect(await send({ serial: 'ABCDEF0123456789' })).toEqual({ status: 401, body: expect.objectContaining({ code: 'SIGN_ERROR' }) });
    const nonce = Formatter.nonce();
    expect((await send({ nonce })).status).toBe(404);
    expect(await send({ nonce })).toEqual({ status: 401, body: expect.objectContaining({ code: 'SIGN_ERROR' }) });
  });

  it('a client with the wrong merchant key gets SIGN_ERROR, classified final', async () => {
    const other = await startTestSim();
    try {
      const foreign = { ...t.config.wechatpay, merchantPrivateKeyPem: other.keys.wechatpay.merchantPrivateKeyPem };
      const { WechatPayProvider } = await import('../../payments/wechatpay/client');
      const client = new WechatPayProvider({ config: foreign, timeoutMs: 1500 });
      const err = await rejectionOf(client.queryPayment(uniqueNo('WX')));
      expect(err).toMatchObject({ code: 'SIGN_ERROR', errorClass: 'final', httpStatus: 401 });
    } finally {
      await other.close();
    }
  });
});

describe('independent cross-check with wechatpay-axios-plugin', () => {
  it('verifies the Authorization signature our client put on every request, including GETs and the refund body', async () => {
    const outTradeNo = await paidTrade(400);
    await wechat().submitRefund({ outTradeNo, outRefundNo: uniqueNo('RV'), refundFen: 100, totalFen: 400, reason: '原因 with unicode ✓', notifyUrl: receiver.wechatUrl });
    await wechat().queryPayment(outTradeNo);
    await wechat().closePayment(outTradeNo);
    const requests = (await t.control.requests({ provider: 'wechatpay' })).filter((r) => r.outcome === 'ok');
    const ops = new Set(requests.map((r) => r.operation));
    expect(ops).toEqual(new Set(['createPayment', 'submitRefund', 'queryPayment', 'queryRefund', 'closePayment']));
    const merchantPublic = Rsa.from(t.keys.wechatpay.merchantPublicKeyPem, 'public');
    for (const r of requests) {
      const auth = parseAuthorization(r.authorization);
      expect(auth).toBeDefined();
      const message = Formatter.request(r.method, r.url, auth!.timestamp, auth!.nonce_str, r.body);
      expect(Rsa.verify(message, auth!.signature, merchantPublic)).toBe(true);
      expect(auth!.mchid).toBe(t.keys.wechatpay.mchid);
      expect(auth!.serial_no).toBe(t.keys.wechatpay.merchantSerial);
      expect(auth!.nonce_str).toMatch(/^[0-9A-Za-z]{32}$/);
    }
  });

  it("the plugin's own client talks to the simulator and verifies every answer (200 and 204) with the platform key", async () => {
    const { Wechatpay } = await import('wechatpay-axios-plugin');
    const w = t.keys.wechatpay;
    const wxpay = new Wechatpay({
      mchid: w.mchid,
      serial: w.merchantSerial,
      privateKey: w.merchantPrivateKeyPem,
      certs: { [w.platformPublicKeyId]: createPublicKey(w.platformPublicKeyPem).export({ type: 'spki', format: 'pem' }).toString() },
      baseURL: `${t.sim.url}/`,
    } as never) as any;
    const outTradeNo = uniqueNo('PX');
    const created = await wxpay.v3.pay.transactions.native.post({
      appid: w.appid,
      mchid: w.mchid,
      description: 'plugin',
      out_trade_no: outTradeNo,
      notify_url: receiver.wechatUrl,
      amount: { total: 100, currency: 'CNY' },
    });
    expect(created.status).toBe(200);
    expect(created.data.code_url).toMatch(/^weixin:/);
    const queried = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: w.mchid }, out_trade_no: outTradeNo });
    expect(queried.data.trade_state).toBe('NOTPAY');
    const closed = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.close.post({ mchid: w.mchid }, { out_trade_no: outTradeNo });
    expect(closed.status).toBe(204);

    // And it refuses a response our simulator signed badly, as our client does.
    await t.control.scriptFaults({ provider: 'wechatpay', operation: 'queryPayment', key: outTradeNo, outcomes: ['bad-signature'] });
    await expect(wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: w.mchid }, out_trade_no: outTradeNo })).rejects.toThrow();
  });
});
