import { ApiNoContentResponse } from '@nestjs/swagger';
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { WebhookMessageStatus } from '../../../domain/webhooks';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { ApiProblems } from '../common/api-problems';
import { ParseIdPipe, singleParam } from '../common/query-params';
import { RateLimitedWrite } from '../common/rate-limits';
import { Answers } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { CREATED_WEBHOOK_ENDPOINT, REPLAY_QUEUED, RESENT_MESSAGE, ROTATED_SECRET, WEBHOOK_ATTEMPT, WEBHOOK_ENDPOINT, WEBHOOK_MESSAGE } from './webhook-answers';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './webhook-endpoint.dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const MESSAGE_STATUSES: readonly WebhookMessageStatus[] = ['PENDING', 'DELIVERED', 'FAILED'];

/** A seller's webhook endpoints: Standard Webhooks deliveries of its business events (docs/webhooks.md). */
@ApiTags('webhooks')
@ApiBearerAuth()
@Roles('seller')
// A seller's API key with the webhooks:manage scope may manage them too (docs/seller-integration.md).
@Scopes('webhooks:manage')
@Controller('seller/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @RateLimitedWrite()
  @ApiProblems('WEBHOOK_URL_REFUSED')
  @Answers(201, CREATED_WEBHOOK_ENDPOINT)
  @ApiOperation({ summary: 'Register an endpoint: its URL (https, public addresses only), event types (all when absent), description. Answers its secret (whsec_…) this once' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateWebhookEndpointDto) {
    return this.endpoints.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: 'The seller\'s endpoints (not deleted), by id' })
  @Paginated(WEBHOOK_ENDPOINT, { description: 'By id' })
  list(@CurrentPrincipal() principal: Principal, @PageParams() page: PageRequest) {
    return this.endpoints.list(principal, page);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint: status (ENABLED, DISABLED, PAUSED), cursor, failing since, counters, its workflow' })
  @Answers(200, WEBHOOK_ENDPOINT)
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string) {
    return this.endpoints.get(principal, Number(id));
  }

  @Patch(':id')
  @RateLimitedWrite()
  @ApiProblems('WEBHOOK_URL_REFUSED')
  @ApiOperation({ summary: 'Change URL, event types or description; enabled false/true disables or enables it (a paused endpoint resumes from its cursor)' })
  @Answers(200, WEBHOOK_ENDPOINT)
  update(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string, @Body() dto: UpdateWebhookEndpointDto) {
    return this.endpoints.update(principal, Number(id), dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Delete an endpoint (soft: its attempts stay readable to support); deliveries stop' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string): Promise<void> {
    await this.endpoints.remove(principal, Number(id));
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @RateLimitedWrite()
  @ApiOperation({ summary: 'A new secret, shown once; the old one keeps signing beside it (two v1 signatures) until previousSecretExpiresAt' })
  @Answers(200, ROTATED_SECRET)
  rotate(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string) {
    return this.endpoints.rotateSecret(principal, Number(id));
  }

  @Post(':id/messages/:eventId/resend')
  @HttpCode(202)
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Send one event again (e.g. a FAILED message); queued for the endpoint\'s workflow, same webhook-id' })
  @Answers(202, RESENT_MESSAGE)
  resend(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string, @Param('eventId') eventId: string) {
    if (eventId.length > 255) throw new BadRequestException('eventId is at most 255 characters');
    return this.endpoints.resend(principal, Number(id), eventId);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Send every event after seller_seq `after` again (of the endpoint\'s types), in sequence order per order' })
  @ApiQuery({ name: 'after', required: true, description: 'a seller_seq; 0 replays the whole stream' })
  @Answers(202, REPLAY_QUEUED)
  replay(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string, @Query('after') after: unknown) {
    if (after === undefined) throw new BadRequestException('after is required (a seller_seq; 0 for the whole stream)');
    return this.endpoints.replay(principal, Number(id), cursorParam('after', after));
  }

  @Get(':id/attempts')
  @ApiOperation({ summary: 'Every delivery attempt (time, status code, latency, outcome, error), oldest first; `eventId` filters one message' })
  @Paginated(WEBHOOK_ATTEMPT, { description: 'Oldest first' })
  @ApiQuery({ name: 'eventId', required: false })
  attempts(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string, @PageParams() page: PageRequest, @Query('eventId') eventId: unknown) {
    return this.endpoints.attempts(principal, Number(id), page, singleParam('eventId', eventId));
  }

  @Get(':id/messages')
  @ApiOperation({ summary: 'The endpoint\'s messages (PENDING, DELIVERED, FAILED) by seller_seq; `status=FAILED` lists what to re-send' })
  @ApiQuery({ name: 'status', required: false, enum: MESSAGE_STATUSES })
  @Paginated(WEBHOOK_MESSAGE, { description: 'By seller_seq' })
  messages(@CurrentPrincipal() principal: Principal, @Param('id', new ParseIdPipe('id')) id: string, @Query('status') status: unknown, @PageParams() page: PageRequest) {
    const wanted = singleParam('status', status);
    if (wanted !== undefined && !MESSAGE_STATUSES.includes(wanted as WebhookMessageStatus)) throw new BadRequestException(`status must be one of ${MESSAGE_STATUSES.join(', ')}`);
    return this.endpoints.messages(principal, Number(id), wanted as WebhookMessageStatus | undefined, page);
  }
}

/** A cursor: a whole number from 0 (absent: 0, the start). */
function cursorParam(name: string, value: unknown): number {
  const text = singleParam(name, value);
  if (text === undefined) return 0;
  if (!/^[0-9]{1,15}$/.test(text)) throw new BadRequestException(`${name} must be a whole number from 0`);
  return Number(text);
}
