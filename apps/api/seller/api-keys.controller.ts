import { Body, Controller, Delete, Get, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, StoredApiKey } from '../../../db/seller-api-keys';
import { formatApiKey, newKeySecret, sha256Of } from '../auth/api-keys';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { ParseIdPipe } from '../common/query-params';
import { PageParams, Paginated, afterId, pageOf, type Page, type PageRequest } from '../common/pagination';
import { RateLimitedWrite } from '../common/rate-limits';
import { ApiKeyView, CreateApiKeyDto, CreatedApiKey } from './api-keys.dto';

/**
 * A seller's API keys for its machines (docs/seller-integration.md). Only a signed-in seller (a token,
 * never a key: these routes have no scope) makes, lists and revokes them.
 */
@ApiTags('seller')
@ApiBearerAuth()
@Controller('seller/api-keys')
export class ApiKeysController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Roles('seller')
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Create an API key: the answer holds the key itself, this once' })
  @ApiCreatedResponse({ type: CreatedApiKey })
  async create(@CurrentPrincipal() seller: Principal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKey> {
    const secret = newKeySecret();
    const id = await insertApiKey(this.dataSource, { sellerId: seller.id, name: dto.name.trim(), scopes: dto.scopes }, (keyId) => sha256Of(formatApiKey(keyId, secret)));
    const stored = await findApiKey(this.dataSource, id);
    return { ...viewOf(stored!), key: formatApiKey(id, secret) };
  }

  @Get()
  @Roles('seller')
  @ApiOperation({ summary: 'The seller\'s API keys, newest first (never their secrets), with last use and revocation' })
  @Paginated(ApiKeyView, { description: 'Newest first' })
  async list(@CurrentPrincipal() seller: Principal, @PageParams() page: PageRequest): Promise<Page<ApiKeyView>> {
    const keys = await listApiKeys(this.dataSource, seller.id, page.limit + 1, afterId(page));
    return pageOf(keys, page, (key) => [Number(key.id)], viewOf);
  }

  @Delete(':id')
  @Roles('seller')
  @ApiOperation({ summary: 'Revoke an API key: refused from the next request on (401 API_KEY_INVALID); it stays listed' })
  @ApiOkResponse({ type: ApiKeyView })
  async revoke(@CurrentPrincipal() seller: Principal, @Param('id', new ParseIdPipe('id')) id: string): Promise<ApiKeyView> {
    const key = await revokeApiKey(this.dataSource, seller.id, id);
    if (!key) throw new NotFoundException(`API key ${id} not found`);
    return viewOf(key);
  }
}

function viewOf(key: StoredApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes as ApiKeyView['scopes'],
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revoked: key.revokedAt !== null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
