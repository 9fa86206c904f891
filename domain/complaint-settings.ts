import { parseDuration } from './order-settings';

/**
 * The complaint deadlines, each a validated setting with a default. Pure: the API reads them at
 * start-up and hands them to each complaint workflow in its input.
 */
export interface ComplaintSettings {
  /** A seller who does not answer within this goes to arbitration (the answer, or a reply in the dialogue). */
  readonly sellerReplyMs: number;
  /** A complaint waiting on the buyer, untouched by them for this long, closes. */
  readonly buyerIdleMs: number;
}

export const COMPLAINT_SETTING_DEFINITIONS = [
  { env: 'COMPLAINT_SELLER_REPLY_DEADLINE', key: 'sellerReplyMs', fallback: '3d' },
  { env: 'COMPLAINT_BUYER_IDLE_DEADLINE', key: 'buyerIdleMs', fallback: '7d' },
] as const;

/** Unset or blank takes the default; anything else must be a duration (7d, 36h, 15m, 30s, bare = days). */
export function readComplaintSettings(get: (name: string) => string | undefined): ComplaintSettings {
  const settings = { sellerReplyMs: 0, buyerIdleMs: 0 };
  for (const definition of COMPLAINT_SETTING_DEFINITIONS) {
    const raw = get(definition.env);
    settings[definition.key] = parseDuration(raw === undefined || raw.trim() === '' ? definition.fallback : raw, definition.env);
  }
  return settings;
}
