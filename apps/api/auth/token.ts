import { JwtService } from '@nestjs/jwt';
import type { Role } from './principal';

/** Mints an HS256 JWT {sub, role} for local use and tests. */
export function mintToken(secret: string, role: Role, id: string | number, ttlSeconds = 12 * 3600): string {
  return new JwtService({ secret }).sign({ sub: String(id), role }, { algorithm: 'HS256', expiresIn: ttlSeconds });
}
