import { DEFAULT_ORDER_SETTINGS, ORDER_SETTING_DEFINITIONS, OrderSettingError, parseDuration, readOrderSettings } from '../../../domain';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['7', 7 * DAY],
    ['1', DAY],
    ['7d', 7 * DAY],
    ['36h', 36 * HOUR],
    ['15m', 15 * MINUTE],
    ['30s', 30 * SECOND],
    ['500ms', 500],
    ['1ms', 1],
    [' 7d ', 7 * DAY],
    ['99', 99 * DAY],
  ])('"%s" → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', ' ', 'abc', '7 d', '7days', '1.5d', '-1', '-1d', '0', '0s', '0ms', '7D', '7w', 'd', '1e3', '0x10', '999999999999999d'])(
    'refuses %p',
    (text) => {
      expect(() => parseDuration(text, 'cancel_order_day')).toThrow(OrderSettingError);
    },
  );

  it('names the setting in the error', () => {
    expect(() => parseDuration('soon', 'rog_order_day')).toThrow(/^rog_order_day: "soon" is not a duration/);
    try {
      parseDuration('0', 'rog_order_day');
      throw new Error('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(OrderSettingError);
      expect((error as OrderSettingError).setting).toBe('rog_order_day');
    }
  });
});

describe('readOrderSettings', () => {
  it('uses javashop defaults when nothing is set', () => {
    const expected = {
      cancelOrderMs: 1 * DAY,
      rogOrderMs: 10 * DAY,
      completeOrderMs: 7 * DAY,
      completeOrderPayMs: 3 * DAY,
      serviceExpiredMs: 30 * DAY,
      commentOrderMs: 15 * DAY,
      complainExpiredMs: 30 * DAY,
    };
    expect(readOrderSettings(() => undefined)).toEqual(expected);
    expect(DEFAULT_ORDER_SETTINGS).toEqual(expected);
  });

  it('reads the upper-case env names, each in any unit, blank meaning default', () => {
    const env: Record<string, string> = {
      CANCEL_ORDER_DAY: '15m',
      ROG_ORDER_DAY: '30s',
      COMPLETE_ORDER_DAY: '2',
      COMPLETE_ORDER_PAY: '36h',
      SERVICE_EXPIRED_DAY: '',
      COMMENT_ORDER_DAY: '500ms',
      COMPLAIN_EXPIRED_DAY: '  ',
      cancel_order_day: '99', // lower-case names are not env names
    };
    const asked: string[] = [];
    const settings = readOrderSettings((name) => {
      asked.push(name);
      return env[name];
    });
    expect(asked.sort()).toEqual([
      'CANCEL_ORDER_DAY',
      'COMMENT_ORDER_DAY',
      'COMPLAIN_EXPIRED_DAY',
      'COMPLETE_ORDER_DAY',
      'COMPLETE_ORDER_PAY',
      'ROG_ORDER_DAY',
      'SERVICE_EXPIRED_DAY',
    ]);
    expect(settings).toEqual({
      cancelOrderMs: 15 * MINUTE,
      rogOrderMs: 30 * SECOND,
      completeOrderMs: 2 * DAY,
      completeOrderPayMs: 36 * HOUR,
      serviceExpiredMs: 30 * DAY,
      commentOrderMs: 500,
      complainExpiredMs: 30 * DAY,
    });
  });

  it('fails on a bad value, naming the variable and the javashop setting', () => {
    expect(() => readOrderSettings((name) => (name === 'COMPLETE_ORDER_PAY' ? 'three days' : undefined))).toThrow(
      /^COMPLETE_ORDER_PAY \(complete_order_pay\): "three days" is not a duration/,
    );
  });

  it('defines exactly the seven javashop settings', () => {
    expect(ORDER_SETTING_DEFINITIONS.map((d) => d.name).sort()).toEqual([
      'cancel_order_day',
      'comment_order_day',
      'complain_expired_day',
      'complete_order_day',
      'complete_order_pay',
      'rog_order_day',
      'service_expired_day',
    ]);
    for (const d of ORDER_SETTING_DEFINITIONS) expect(d.env).toBe(d.name.toUpperCase());
  });
});
