import { ProviderTimeError, alipayTimeToIso, isoToAlipayTime, rfc3339ToIso } from '../../../payments/provider-time';

describe('provider times are read in the provider zone', () => {
  it('reads Alipay times as China Standard Time (UTC+8), whatever the server zone', () => {
    expect(alipayTimeToIso('2026-12-01 15:48:39', 'gmt_payment')).toBe('2026-12-01T07:48:39.000Z');
    // Before 08:00 China time it is still the previous day in UTC.
    expect(alipayTimeToIso('2026-01-01 07:59:59', 'send_pay_date')).toBe('2025-12-31T23:59:59.000Z');
    expect(alipayTimeToIso('2024-02-29 00:00:00', 'gmt_refund')).toBe('2024-02-28T16:00:00.000Z');
    // No daylight saving in China: mid-summer is +8 as well.
    expect(alipayTimeToIso('2026-07-15 12:00:00', 'gmt_refund_pay')).toBe('2026-07-15T04:00:00.000Z');
  });

  it('does not depend on the process time zone', () => {
    const saved = process.env.TZ;
    try {
      for (const tz of ['UTC', 'America/New_York', 'Asia/Shanghai']) {
        process.env.TZ = tz;
        expect(alipayTimeToIso('2026-12-01 15:48:39', 'gmt_payment')).toBe('2026-12-01T07:48:39.000Z');
      }
    } finally {
      process.env.TZ = saved;
    }
  });

  it('round-trips with the format Alipay expects for time_expire', () => {
    const instant = new Date('2026-12-01T07:48:39.000Z');
    expect(isoToAlipayTime(instant)).toBe('2026-12-01 15:48:39');
    expect(alipayTimeToIso(isoToAlipayTime(instant), 'x')).toBe(instant.toISOString());
  });

  it.each(['2026-12-01T15:48:39', '2026-12-01 15:48', '2026-02-30 10:00:00', '2026-12-01 24:00:00', '2026-12-01 12:60:00', '', '1733039319'])(
    'refuses the Alipay time %j with the field named',
    (text) => {
      expect(() => alipayTimeToIso(text, 'gmt_payment')).toThrow(ProviderTimeError);
      expect(() => alipayTimeToIso(text, 'gmt_payment')).toThrow(/gmt_payment/);
    },
  );

  it('reads WeChat Pay RFC 3339 times by their offset', () => {
    expect(rfc3339ToIso('2026-12-01T15:48:39+08:00', 'success_time')).toBe('2026-12-01T07:48:39.000Z');
    expect(rfc3339ToIso('2026-12-01T07:48:39Z', 'success_time')).toBe('2026-12-01T07:48:39.000Z');
    expect(rfc3339ToIso('2026-12-01T15:48:39.250+08:00', 'success_time')).toBe('2026-12-01T07:48:39.250Z');
  });

  it.each(['2026-12-01T15:48:39', '2026-12-01 15:48:39', 'yesterday', '2026-13-01T00:00:00+08:00'])('refuses the WeChat Pay time %j (no zone, or not a time)', (text) => {
    expect(() => rfc3339ToIso(text, 'success_time')).toThrow(ProviderTimeError);
  });
});
