import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { BillIntegrityError, BillRow, ProviderName } from '../../payments';
import { ensureDevKeys } from '../../payments/dev-keys';
import { formatAuthorization, newNonce, requestMessage, signRsaSha256, unixSeconds } from '../../payments/wechatpay/signing';
import { createPrivateKey } from 'node:crypto';
import { TestSim, startTestSim, uniqueNo } from './helpers';

/** The bill clients against the simulator's bills: fetch, verify, stream typed rows in fen and China time. */
describe('daily trade bills', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startTestSim();
  });
  afterAll(async () => {
    await t?.close();
  });

  const read = async (provider: ProviderName, billDate: string) => {
    const bill = await t.providers[provider].fetchTradeBill(billDate);
    const rows: BillRow[] = [];
    for await (const row of bill.rows) rows.push(row);
    return { bill, rows };
  };

  it.each(['wechatpay', 'alipay'] as const)('%s: payments and refunds of one China day, with the summary checked', async (provider) => {
    const a = uniqueNo('BA');
    const b = uniqueNo('BB');
    const other = uniqueNo('BC');
    await t.control.seedBill({
      provider,
      payments: [
        // 2026-11-03 00:00:00 China time is 2026-11-02T16:00:00Z: the first second of the day.
        { outTradeNo: a, amountFen: 12900, paidAt: '2026-11-02T16:00:00.000Z', refunds: [{ outRefundNo: `${a}R1`, amountFen: 900, at: '2026-11-03T15:59:59.000Z' }] },
        { outTradeNo: b, amountFen: 1, paidAt: '2026-11-03T03:00:00.000Z' },
        // 23:59:59 on the 2nd, China time: yesterday's bill.
        { outTradeNo: other, amountFen: 500, paidAt: '2026-11-02T15:59:59.000Z' },
      ],
    });
    const { bill, rows } = await read(provider, '2026-11-03');
    expect(rows.map((r) => ({ kind: r.kind, outTradeNo: r.outTradeNo, outRefundNo: r.outRefundNo, amountFen: r.amountFen, bookedAt: r.bookedAt }))).toEqual([
      { kind: 'PAYMENT', outTradeNo: a, outRefundNo: undefined, amountFen: 12900, bookedAt: '2026-11-02T16:00:00.000Z' },
      { kind: 'PAYMENT', outTradeNo: b, outRefundNo: undefined, amountFen: 1, bookedAt: '2026-11-03T03:00:00.000Z' },
      { kind: 'REFUND', outTradeNo: a, outRefundNo: `${a}R1`, amountFen: 900, bookedAt: '2026-11-03T15:59:59.000Z' },
    ]);
    expect(rows.every((r) => r.transactionId.length > 10)).toBe(true);
    expect(bill.totals).toEqual({ payments: 2, paymentFen: 12901, refunds: 1, refundFen: 900 });
    const yesterday = await read(provider, '2026-11-02');
    expect(yesterday.rows.map((r) => r.outTradeNo)).toEqual([other]);
  });

  it.each(['wechatpay', 'alipay'] as const)('%s: a day without business is an empty bill; a future day is refused', async (provider) => {
    const { rows, bill } = await read(provider, '2026-01-05');
    expect(rows).toEqual([]);
    expect(bill.totals).toEqual({ payments: 0, paymentFen: 0, refunds: 0, refundFen: 0 });
    await expect(t.providers[provider].fetchTradeBill('2099-01-01')).rejects.toThrow(provider === 'wechatpay' ? /NO_STATEMENT_EXIST/ : /isp.bill_not_exist/);
  });

  it('WeChat Pay: the SHA1 in the signed answer is the SHA1 of the downloaded file; the download needs our signature', async () => {
    await t.control.seedBill({ provider: 'wechatpay', payments: [{ outTradeNo: uniqueNo('BH'), amountFen: 4200, paidAt: '2026-11-04T02:00:00.000Z' }] });
    const keys = ensureDevKeys(t.keysDir);
    const signed = (path: string) => {
      const timestamp = String(unixSeconds());
      const nonce = newNonce();
      const signature = signRsaSha256(requestMessage('GET', path, timestamp, nonce, ''), createPrivateKey(keys.wechatpay.merchantPrivateKeyPem));
      return { Authorization: formatAuthorization({ mchid: keys.wechatpay.mchid, serial_no: keys.wechatpay.merchantSerial, timestamp, nonce_str: nonce, signature }), Accept: 'application/json' };
    };
    const answer = (await (await fetch(`${t.sim.url}/v3/bill/tradebill?bill_date=2026-11-04&bill_type=ALL&tar_type=GZIP`, { headers: signed('/v3/bill/tradebill?bill_date=2026-11-04&bill_type=ALL&tar_type=GZIP') })).json()) as { hash_type: string; hash_value: string; download_url: string };
    expect(answer.hash_type).toBe('SHA1');
    const url = new URL(answer.download_url);
    expect((await fetch(url)).status).toBe(401);
    const file = gunzipSync(Buffer.from(await (await fetch(url, { headers: signed(`${url.pathname}${url.search}`) })).arrayBuffer()));
    expect(createHash('sha1').update(file).digest('hex')).toBe(answer.hash_value);
    const text = file.toString('utf8');
    expect(text.split('\r\n')[0]).toMatch(/^交易时间,公众账号ID,商户号/);
    expect(text).toContain('`42.00');
    expect(text).toContain('总交易单数,应结订单总金额,退款总金额');
  });

  it('injected differences show in the bill exactly as asked', async () => {
    const paid = uniqueNo('BI');
    const refunded = uniqueNo('BJ');
    await t.control.seedBill({
      provider: 'alipay',
      payments: [
        { outTradeNo: paid, amountFen: 1000, paidAt: '2026-11-05T02:00:00.000Z' },
        { outTradeNo: refunded, amountFen: 2000, paidAt: '2026-11-05T02:00:00.000Z', refunds: [{ outRefundNo: `${refunded}R`, amountFen: 2000, at: '2026-11-05T03:00:00.000Z' }] },
      ],
    });
    const base = { provider: 'alipay' as const, billDate: '2026-11-05' };
    await t.control.injectBillDifference({ ...base, kind: 'amount-off', outTradeNo: paid });
    await t.control.injectBillDifference({ ...base, kind: 'duplicate-row', outTradeNo: paid });
    await t.control.injectBillDifference({ ...base, kind: 'missing-refund', outRefundNo: `${refunded}R` });
    const stranger = await t.control.injectBillDifference({ ...base, kind: 'unknown-payment', amountFen: 777 });
    const { rows } = await read('alipay', '2026-11-05');
    expect(rows.map((r) => [r.kind, r.outTradeNo, r.amountFen])).toEqual([
      ['PAYMENT', paid, 1001],
      ['PAYMENT', paid, 1001],
      ['PAYMENT', refunded, 2000],
      ['PAYMENT', stranger.outTradeNo, 777],
    ]);
  });

  it('a truncated WeChat Pay bill fails its integrity check instead of ending quietly', async () => {
    const { parseWechatTradeBill } = await import('../../payments/wechatpay/trade-bill');
    const { Readable } = await import('node:stream');
    const file = '交易时间,微信支付订单号,商户订单号,交易状态,应结订单金额,微信退款单号,商户退款单号,退款金额\r\n`2026-11-05 10:00:00,`4200000001,`O1,`SUCCESS,`1.00,`0,`0,`0.00\r\n';
    const rows: BillRow[] = [];
    const consume = async () => {
      for await (const row of parseWechatTradeBill(Readable.from([Buffer.from(file)]), undefined)) rows.push(row);
    };
    await expect(consume()).rejects.toThrow(BillIntegrityError);
    expect(rows).toHaveLength(1);
    const wrongHash = async () => {
      for await (const _ of parseWechatTradeBill(Readable.from([Buffer.from(`${file}总交易单数,应结订单总金额,退款总金额\r\n\`1,\`1.00,\`0.00\r\n`)]), 'ffff')) void _;
    };
    await expect(wrongHash()).rejects.toThrow(/SHA1/);
  });
});
