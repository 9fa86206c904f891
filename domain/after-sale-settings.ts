import { parseDuration } from './order-settings';

/**
 * The after-sale deadlines, each a validated setting with a default (docs/after-sales.md). Pure: the
 * API reads them at start-up and hands them to each after-sale workflow in its input.
 */
export interface AfterSaleSettings {
  /** A seller who has not audited within this passes the application at the requested amount. */
  readonly sellerAuditMs: number;
  /** A buyer who has not shipped the goods back within this after the pass: the after-sale closes. */
  readonly buyerReturnMs: number;
  /** A seller who has not recorded the receipt this long after the return was shipped: support decides. */
  readonly sellerReceiptMs: number;
}

export const AFTER_SALE_SETTING_DEFINITIONS = [
  { env: 'AFTER_SALE_AUDIT_DEADLINE', key: 'sellerAuditMs', fallback: '48h' },
  { env: 'AFTER_SALE_RETURN_DEADLINE', key: 'buyerReturnMs', fallback: '7d' },
  { env: 'AFTER_SALE_RECEIPT_DEADLINE', key: 'sellerReceiptMs', fallback: '10d' },
] as const;

/** Unset or blank takes the default; anything else must be a duration (7d, 36h, 15m, 30s, bare = days). */
export function readAfterSaleSettings(get: (name: string) => string | undefined): AfterSaleSettings {
  const settings = { sellerAuditMs: 0, buyerReturnMs: 0, sellerReceiptMs: 0 };
  for (const definition of AFTER_SALE_SETTING_DEFINITIONS) {
    const raw = get(definition.env);
    settings[definition.key] = parseDuration(raw === undefined || raw.trim() === '' ? definition.fallback : raw, definition.env);
  }
  return settings;
}
