export const ROLES = ['buyer', 'seller', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the role and the subject's id, as carried by the bearer token. */
export interface Principal {
  role: Role;
  id: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
