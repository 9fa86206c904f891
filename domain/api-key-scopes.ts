/**
 * What a seller's API key may do (docs/seller-integration.md). A route open to keys names the one
 * scope it needs (`@Scopes` in apps/api/auth); a route that names none is closed to every key — key
 * management itself, and every buyer, support and admin route.
 */
export const API_KEY_SCOPES = ['orders:read', 'orders:write', 'after-sales:write', 'events:read', 'webhooks:manage', 'group-buys:manage'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return typeof value === 'string' && (API_KEY_SCOPES as readonly string[]).includes(value);
}
