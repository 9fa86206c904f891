import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { ApiKeyScope } from '../../../domain/api-key-scopes';

export const SCOPE_KEY = 'apiKeyScope';

/**
 * The scope a seller's API key needs on this route (the guard checks it; a key without it is a 403
 * INSUFFICIENT_SCOPE). A route without @Scopes is closed to API keys: keys are opt-in per route, as
 * roles are. Tokens (development or the identity provider's) are not scoped: their role decides.
 */
export const Scopes = (scope: ApiKeyScope) =>
  applyDecorators(SetMetadata(SCOPE_KEY, scope), ApiExtension('x-api-key-scope', scope));
