/**
 * Provider timestamps as instants. Alipay writes China Standard Time without a zone
 * ("2026-12-01 15:48:39" is 07:48:39Z); WeChat Pay v3 writes RFC 3339 with an offset. Reading
 * Alipay's form with `new Date()` would use the server's own zone — eight hours off on a UTC server.
 */

const CHINA_OFFSET_MS = 8 * 3600_000; // UTC+8 all year: China has no daylight saving time

export class ProviderTimeError extends Error {
  constructor(readonly field: string, readonly text: string, expected: string) {
    super(`${field} "${text}" is not ${expected}`);
    this.name = 'ProviderTimeError';
  }
}

/**
 * China Standard Time as `yyyy-MM-dd HH:mm:ss` as an ISO instant: Alipay's fields (gmt_payment,
 * send_pay_date, gmt_refund, gmt_refund_pay) and both providers' daily bills write times this way.
 */
export function chinaTimeToIso(text: string, field: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw new ProviderTimeError(field, text, 'yyyy-MM-dd HH:mm:ss');
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(wall);
  // Date.UTC rolls 2026-02-30 or 24:00:00 over; a real calendar time survives the round trip.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || back.getUTCHours() !== hour || back.getUTCMinutes() !== minute || back.getUTCSeconds() !== second) {
    throw new ProviderTimeError(field, text, 'a calendar date and time');
  }
  return new Date(wall - CHINA_OFFSET_MS).toISOString();
}

/** Alipay's own fields are China Standard Time. */
export const alipayTimeToIso = chinaTimeToIso;

/** An instant as Alipay writes it (time_expire and the like): China Standard Time. */
export function isoToAlipayTime(date: Date): string {
  const iso = new Date(date.getTime() + CHINA_OFFSET_MS).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** WeChat Pay's RFC 3339 time with a zone offset (success_time) as an ISO instant. */
export function rfc3339ToIso(text: string, field: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text)) throw new ProviderTimeError(field, text, 'an RFC 3339 time with a zone offset');
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new ProviderTimeError(field, text, 'a calendar date and time');
  return new Date(ms).toISOString();
}
