/**
 * The seven time settings that move orders on without anyone acting (javashop's daily
 * OrderStatusCheckJob, reference/order-model.md §1.6). In our design they become workflow timers,
 * with the daily sweep as a safety net; both read them from here.
 *
 * javashop stores them as whole days. We accept any duration unit so a local run or a test can use
 * seconds instead of javashop's "test_mode" hack, while a bare number still means days as before.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */

const MS_PER_UNIT = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

// Whole numbers only: a fraction of a day in milliseconds is rarely what someone meant to write.
const DURATION_PATTERN = /^([0-9]+)(ms|s|m|h|d)?$/;

/** A configuration value that could not be used; `setting` names it, like config/ConfigError. */
export class OrderSettingError extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
    this.name = 'OrderSettingError';
  }
}

/**
 * A positive duration in milliseconds: "7d", "36h", "15m", "30s", "500ms", or a bare "7", which
 * means days as in javashop. Zero is refused: a zero auto-cancel or auto-receive would act the
 * moment an order is created or shipped, which is a typo, not a policy.
 */
export function parseDuration(text: string, setting = 'duration'): number {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  const match = DURATION_PATTERN.exec(trimmed);
  if (!match) {
    throw new OrderSettingError(
      setting,
      `${JSON.stringify(text)} is not a duration; use whole days like "7", or 7d, 36h, 15m, 30s, 500ms`,
    );
  }
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'd') as keyof typeof MS_PER_UNIT;
  const ms = amount * MS_PER_UNIT[unit];
  if (ms <= 0) throw new OrderSettingError(setting, `${JSON.stringify(text)} must be longer than zero`);
  if (!Number.isSafeInteger(ms)) throw new OrderSettingError(setting, `${JSON.stringify(text)} is too long`);
  return ms;
}

/** All values in milliseconds. Key names are the javashop setting names without "_day". */
export interface OrderSettings {
  /** cancel_order_day: an unpaid (non-COD) order is cancelled this long after it was created. */
  readonly cancelOrderMs: number;
  /** rog_order_day: a shipped order counts as received this long after shipping. */
  readonly rogOrderMs: number;
  /** complete_order_day: an order completes this long after receipt (ONLINE, PINTUAN) or COD payment. */
  readonly completeOrderMs: number;
  /** complete_order_pay: a received COD order counts as paid this long after receipt. */
  readonly completeOrderPayMs: number;
  /** service_expired_day: the after-sale window closes this long after completion. */
  readonly serviceExpiredMs: number;
  /** comment_order_day: an unreviewed order gets the automatic positive review this long after shipping. */
  readonly commentOrderMs: number;
  /** complain_expired_day: complaints close this long after completion. */
  readonly complainExpiredMs: number;
}

export interface OrderSettingDefinition {
  /** javashop's setting name (its admin form and OrderSettingVO). */
  readonly name: string;
  /** The environment variable the config module reads. */
  readonly env: string;
  readonly key: keyof OrderSettings;
  /** javashop's admin-form default, in days. */
  readonly defaultDays: number;
}

/** Defaults are the values javashop's admin form pre-fills (§1.6). */
export const ORDER_SETTING_DEFINITIONS: readonly OrderSettingDefinition[] = [
  { name: 'cancel_order_day', env: 'CANCEL_ORDER_DAY', key: 'cancelOrderMs', defaultDays: 1 },
  { name: 'rog_order_day', env: 'ROG_ORDER_DAY', key: 'rogOrderMs', defaultDays: 10 },
  { name: 'complete_order_day', env: 'COMPLETE_ORDER_DAY', key: 'completeOrderMs', defaultDays: 7 },
  { name: 'complete_order_pay', env: 'COMPLETE_ORDER_PAY', key: 'completeOrderPayMs', defaultDays: 3 },
  { name: 'service_expired_day', env: 'SERVICE_EXPIRED_DAY', key: 'serviceExpiredMs', defaultDays: 30 },
  { name: 'comment_order_day', env: 'COMMENT_ORDER_DAY', key: 'commentOrderMs', defaultDays: 15 },
  { name: 'complain_expired_day', env: 'COMPLAIN_EXPIRED_DAY', key: 'complainExpiredMs', defaultDays: 30 },
];

export const DEFAULT_ORDER_SETTINGS: OrderSettings = readOrderSettings(() => undefined);

/**
 * Reads every setting through `get(ENV_NAME)` (the config module passes an env lookup). Unset or
 * blank values take the default, because compose files often declare a variable empty; anything
 * else must parse, and the error names both the variable and the javashop setting.
 */
export function readOrderSettings(get: (name: string) => string | undefined): OrderSettings {
  const settings: Record<keyof OrderSettings, number> = {
    cancelOrderMs: 0,
    rogOrderMs: 0,
    completeOrderMs: 0,
    completeOrderPayMs: 0,
    serviceExpiredMs: 0,
    commentOrderMs: 0,
    complainExpiredMs: 0,
  };
  for (const definition of ORDER_SETTING_DEFINITIONS) {
    const raw = get(definition.env);
    settings[definition.key] =
      raw === undefined || raw.trim() === ''
        ? definition.defaultDays * MS_PER_UNIT.d
        : parseDuration(raw, `${definition.env} (${definition.name})`);
  }
  return settings;
}
