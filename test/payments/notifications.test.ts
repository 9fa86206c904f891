import { AlipaySdk } from 'alipay-sdk';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { NotificationRejectedError } from '../../payments/provider';
import { encryptResource, newNonce, responseMessage, signRsaSha256, unixSeconds } from '../../payments/wechatpay/signing';
import { startNotifyReceiver, startTestSim, TestSim, uniqueNo, waitFor } from './helpers';

jest.setTimeout(30000);

let t: TestSim;
let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;

beforeAll(async () => {
  t = await startTestSim({ refundProcessingMs: 0 });
  receiver = await startNotifyReceiver(t.providers);
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});
beforeEach(() => {
  receiver.received.length = 0;
});

const forTrade = (outTradeNo: string) => receiver.received.filter((r) => r.result?.outTradeNo === outTradeNo || r.rawBody.toString().includes(outTradeNo));

async function wechatPaid(amountFen = 1000): Promise<string> {
  const outTradeNo = uniqueNo('WN');
  await t.providers.wechatpay.createPayment({ outTradeNo, amountFen, description: 'n', notifyUrl: receiver.wechatUrl });
  await t.control.payTrade(outTradeNo, 'wechatpay');
  return outTradeNo;
}

async function alipayPaid(amountFen = 1000): Promise<string> {
  const outTradeNo = uniqueNo('AN');
  await t.providers.alipay.createPayment({ outTradeNo, amountFen, description: '50% off', notifyUrl: receiver.alipayUrl });
  await t.control.payTrade(outTradeNo, 'alipay');
  return outTradeNo;
}

describe('WeChat Pay notifications', () => {
  it('payment and refund notifications verify, decrypt and normalise; the simulator logs the ack', async () => {
    const outTradeNo = await wechatPaid(1500);
    const pay = await waitFor(() => receiver.received.find((r) => r.result?.kind === 'payment' && r.result.outTradeNo === outTradeNo));
    expect(pay.result).toMatchObject({ provider: 'wechatpay', kind: 'payment', state: 'PAID', amountFen: 1500, outTradeNo });
    expect(pay.result!.kind === 'payment' && pay.result!.transactionId).toMatch(/^4200/);
    expect(pay.ackStatus).toBe(200);

    const outRefundNo = uniqueNo('WR');
    await t.providers.wechatpay.submitRefund({ outTradeNo, outRefundNo, refundFen: 500, totalFen: 1500, reason: 'r', notifyUrl: receiver.wechatUrl });
    const refund = await waitFor(() => receiver.received.find((r) => r.result?.kind === 'refund' && r.result.outRefundNo === outRefundNo));
    expect(refund.result).toMatchObject({ kind: 'refund', status: 'SUCCESS', refundFen: 500, outTradeNo, outRefundNo });

    const log = await t.control.waitForNotifications((l) => l.filter((e) => e.outTradeNo === outTradeNo && e.acked).length === 2);
    expect(log.filter((e) => e.outTradeNo === outTradeNo).map((e) => e.event)).toEqual(['TRANSACTION.SUCCESS', 'REFUND.SUCCESS']);
  });

  it('wechatpay-axios-plugin verifies the notification signature and decrypts the resource independently', async () => {
    const outTradeNo = await wechatPaid(700);
    const n = await waitFor(() => receiver.received.find((r) => r.result?.outTradeNo === outTradeNo));
    const h = n.headers as Record<string, string>;
    const body = n.rawBody.toString('utf8');
    const ok = Rsa.verify(Formatter.response(h['wechatpay-timestamp'], h['wechatpay-nonce'], body), h['wechatpay-signature'], Rsa.from(t.keys.wechatpay.platformPublicKeyPem, 'public'));
    expect(ok).toBe(true);
    expect(h['wechatpay-serial']).toBe(t.keys.wechatpay.platformPublicKeyId);
    const { resource } = JSON.parse(body);
    expect(resource.associated_data).toBe('transaction');
    const plain = JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, t.keys.wechatpay.apiV3Key, resource.nonce, resource.associated_data));
    expect(plain).toMatchObject({ out_trade_no: outTradeNo, trade_state: 'SUCCESS', mchid: t.keys.wechatpay.mchid, amount: { total: 700 } });
  });

  it.each([
    ['bad-signature', /bad Wechatpay-Signature/],
    ['unknown-key', /bad Wechatpay-Signature/],
    ['unknown-serial', /unknown Wechatpay-Serial/],
    ['tampered-ciphertext', /does not decrypt/],
    ['stale-timestamp', /outside the 300s window/],
    ['signature-probe', /WECHATPAY\/SIGNTEST/],
  ] as const)('a forged notification (%s) is rejected with a non-2xx; the genuine one after it is accepted once', async (forge, reason) => {
    await t.control.controlNotifications({ mode: 'forge', forge, provider: 'wechatpay' });
    const outTradeNo = await wechatPaid(100);
    // The forged body is encrypted, so it cannot be matched by trade number; this test's trade is the only one in flight.
    await waitFor(() => receiver.received.length >= 2);
    const [forged, genuine] = receiver.received;
    expect(forged.result).toBeUndefined();
    expect(forged.rejection).toMatch(reason);
    expect(forged.ackStatus).toBeGreaterThanOrEqual(400);
    expect(genuine.result).toMatchObject({ kind: 'payment', outTradeNo, amountFen: 100 });
    const log = await t.control.notifications();
    expect(log.find((e) => e.outTradeNo === outTradeNo && e.forged === forge)).toMatchObject({ acked: false, status: 500 });
  });

  it('a GCM tag check is what catches a tampered ciphertext even when the signature is valid', async () => {
    const w = t.keys.wechatpay;
    const nonce = newNonce(12);
    const ct = Buffer.from(encryptResource('{"out_trade_no":"X"}', w.apiV3Key, nonce, 'transaction'), 'base64');
    ct[ct.length - 1] ^= 0x80; // flip a tag bit
    const body = JSON.stringify({ id: 'EV-1', create_time: '', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct.toString('base64'), associated_data: 'transaction', nonce } });
    const ts = String(unixSeconds());
    const sigNonce = newNonce();
    const headers = {
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': sigNonce,
      'wechatpay-serial': w.platformPublicKeyId,
      'wechatpay-signature': signRsaSha256(responseMessage(ts, sigNonce, body), w.platformPrivateKeyPem),
    };
    expect(() => t.providers.wechatpay.verifyNotification(headers, Buffer.from(body))).toThrow(NotificationRejectedError);
    expect(() => t.providers.wechatpay.verifyNotification(headers, Buffer.from(body))).toThrow(/does not decrypt/);
    // The plugin agrees the ciphertext is not authentic.
    expect(() => Aes.AesGcm.decrypt(ct.toString('base64'), w.apiV3Key, nonce, 'transaction')).toThrow();
  });

  it('duplicates: every copy is verified and acked, with the same notification id for dedupe', async () => {
    await t.control.controlNotifications({ mode: 'duplicate', times: 3, provider: 'wechatpay' });
    const outTradeNo = await wechatPaid(100);
    await waitFor(() => forTrade(outTradeNo).length === 3);
    const ids = new Set(forTrade(outTradeNo).map((r) => r.result?.notificationId));
    expect(ids.size).toBe(1);
    expect(forTrade(outTradeNo).every((r) => r.ackStatus === 200)).toBe(true);
  });

  it('a non-acked notification is retried per the schedule until acked', async () => {
    const stubborn = await startNotifyReceiver(t.providers, { refuseAcks: 2 });
    try {
      const outTradeNo = uniqueNo('WN');
      await t.providers.wechatpay.createPayment({ outTradeNo, amountFen: 100, description: 'n', notifyUrl: stubborn.wechatUrl });
      await t.control.payTrade(outTradeNo, 'wechatpay');
      const log = await t.control.waitForNotifications((l) => l.some((e) => e.outTradeNo === outTradeNo && e.acked));
      expect(log.filter((e) => e.outTradeNo === outTradeNo).map((e) => [e.attempt, e.acked])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
    } finally {
      await stubborn.close();
    }
  });

  it('drop, delay and reorder', async () => {
    await t.control.controlNotifications({ mode: 'drop', provider: 'wechatpay' });
    const dropped = await wechatPaid(100);
    const log = await t.control.waitForNotifications((l) => l.some((e) => e.outTradeNo === dropped));
    expect(log.find((e) => e.outTradeNo === dropped)).toMatchObject({ dropped: true, attempt: 0 });
    expect(forTrade(dropped)).toHaveLength(0);

    await t.control.controlNotifications({ mode: 'delay', delayMs: 400, provider: 'wechatpay' });
    const paidAt = Date.now();
    const delayed = await wechatPaid(100);
    await waitFor(() => forTrade(delayed).length === 1);
    expect(Date.now() - paidAt).toBeGreaterThanOrEqual(350);

    await t.control.controlNotifications({ mode: 'reorder', provider: 'wechatpay' });
    const first = await wechatPaid(100);
    const second = await wechatPaid(100);
    await waitFor(() => forTrade(first).length === 1 && forTrade(second).length === 1);
    const order = receiver.received.map((r) => r.result?.outTradeNo);
    expect(order.indexOf(second)).toBeLessThan(order.indexOf(first));
  });

  it('the simulator notifies an ABNORMAL refund after its processing time', async () => {
    const outTradeNo = await wechatPaid(300);
    const abnormal = uniqueNo('WA');
    await t.control.scriptRefund(abnormal, { processingMs: 100, then: 'ABNORMAL' });
    const r = await t.providers.wechatpay.submitRefund({ outTradeNo, outRefundNo: abnormal, refundFen: 100, totalFen: 300, reason: 'r', notifyUrl: receiver.wechatUrl });
    expect(r.status).toBe('PROCESSING');
    const n = await waitFor(() => receiver.received.find((x) => x.result?.kind === 'refund' && x.result.outRefundNo === abnormal));
    expect(n.result).toMatchObject({ status: 'ABNORMAL', refundFen: 100 });
  });
});

describe('Alipay notifications', () => {
  it('payment and refund notifications verify (alipay-sdk checkNotifySignV2 agrees) and answer exactly "success"', async () => {
    const outTradeNo = await alipayPaid(4321);
    const pay = await waitFor(() => receiver.received.find((r) => r.result?.kind === 'payment' && r.result.outTradeNo === outTradeNo));
    expect(pay.result).toMatchObject({ provider: 'alipay', kind: 'payment', state: 'PAID', amountFen: 4321 });
    const params = Object.fromEntries(new URLSearchParams(pay.rawBody.toString()));
    expect(params.subject).toBe('50% off');
    const sdk = new AlipaySdk({ appId: t.keys.alipay.appId, privateKey: t.keys.alipay.appPrivateKeyPem, keyType: 'PKCS8', alipayPublicKey: t.keys.alipay.alipayPublicKeyPem });
    expect(sdk.checkNotifySignV2(params)).toBe(true);
    expect(sdk.checkNotifySignV2({ ...params, total_amount: '0.01' })).toBe(false);

    const outRefundNo = uniqueNo('AR');
    await t.providers.alipay.submitRefund({ outTradeNo, outRefundNo, refundFen: 4321, totalFen: 4321, reason: 'r', notifyUrl: receiver.alipayUrl });
    const refund = await waitFor(() => receiver.received.find((r) => r.result?.kind === 'refund' && r.result.outTradeNo === outTradeNo));
    expect(refund.result).toMatchObject({ kind: 'refund', outRefundNo, status: 'SUCCESS', refundFen: 4321 });
    const log = await t.control.waitForNotifications((l) => l.filter((e) => e.outTradeNo === outTradeNo && e.acked).length === 2);
    expect(log.filter((e) => e.outTradeNo === outTradeNo).map((e) => [e.event, e.responseBody])).toEqual([
      ['TRADE_SUCCESS', 'success'],
      ['TRADE_CLOSED', 'success'],
    ]);
  });

  it.each([
    ['bad-signature', /bad signature/],
    ['unknown-key', /bad signature/],
    ['tampered-amount', /bad signature/],
    ['wrong-app-id', /app_id .* is not ours/],
  ] as const)('a forged notification (%s) is answered "fail"; the genuine one is accepted', async (forge, reason) => {
    await t.control.controlNotifications({ mode: 'forge', forge, provider: 'alipay' });
    const outTradeNo = await alipayPaid(100);
    await waitFor(() => forTrade(outTradeNo).length >= 2);
    const [forged, genuine] = forTrade(outTradeNo);
    expect(forged.rejection).toMatch(reason);
    expect(genuine.result).toMatchObject({ kind: 'payment', outTradeNo, amountFen: 100 });
    const log = await t.control.notifications();
    expect(log.find((e) => e.outTradeNo === outTradeNo && e.forged === forge)).toMatchObject({ acked: false, responseBody: 'fail' });
  });

  it('ack bodies are exact', () => {
    expect(t.providers.alipay.ack(true)).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' });
    expect(t.providers.alipay.ack(false).body).toBe('fail');
    expect(t.providers.wechatpay.ack(true).status).toBe(200);
    expect(t.providers.wechatpay.ack(false).status).toBe(500);
  });
});
