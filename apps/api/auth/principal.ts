import type { ApiKeyScope } from '../../../domain/api-key-scopes';

export const ROLES = ['buyer', 'seller', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is calling: the role and the subject's id, as carried by the bearer token. A seller's machine
 * calling with an API key is the seller (`id` is the seller's id, so ownership checks stay as they
 * are), with `apiKey` naming the key and what it may do.
 */
export interface Principal {
  role: Role;
  id: string;
  apiKey?: { id: string; scopes: readonly ApiKeyScope[] };
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * The actor id written where a change is recorded (order log, cancellation request, after-sale log,
 * business events): the person's id, or `key:{id}` for an API key — its role stays SELLER, and the key
 * row says whose it is. The order log's actor_id column is a string already, so no column changes.
 */
export function actorIdOf(principal: Principal): string {
  return principal.apiKey ? `key:${principal.apiKey.id}` : principal.id;
}
