import { BadRequestException, Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { boundedIntParam, singleParam } from '../common/query-params';
import { RateLimitedPoll } from '../common/rate-limits';
import { EventFeedPage } from './event-feed.dto';
import { EventFeedService } from './event-feed.service';

const MAX_LIMIT = 500;
const MAX_WAIT_SECONDS = 30;

@ApiTags('seller')
@ApiBearerAuth()
@Controller('seller/events')
export class EventFeedController {
  constructor(private readonly feed: EventFeedService) {}

  @Get()
  @Roles('seller')
  @Scopes('events:read')
  @RateLimitedPoll()
  @ApiOperation({
    summary: "The seller's business events after a cursor, in sequence order (docs/events.md#feed)",
    description:
      'Start with after=0; pass each answer\'s `next` as the next `after`. Numbers have no gaps and come in commit order, so an empty answer means ' +
      'you are up to date. With `wait` (seconds, at most 30) an empty answer is held until an event arrives or the time is up (long poll). ' +
      'Deduplicate by eventId: after a crash you may read an event again.',
  })
  @ApiQuery({ name: 'after', required: false, description: 'The cursor: the last sellerSeq you processed (default 0, the start)' })
  @ApiQuery({ name: 'limit', required: false, description: `1-${MAX_LIMIT}, default 100` })
  @ApiQuery({ name: 'wait', required: false, description: `0-${MAX_WAIT_SECONDS} seconds to wait when nothing follows the cursor (default 0)` })
  @ApiOkResponse({ type: EventFeedPage })
  async read(
    @CurrentPrincipal() seller: Principal,
    @Res({ passthrough: true }) response: { on(event: 'close', listener: () => void): unknown },
    @Query('after') after?: unknown,
    @Query('limit') limit?: unknown,
    @Query('wait') wait?: unknown,
  ): Promise<EventFeedPage> {
    const cursor = cursorParam(after);
    const size = boundedIntParam('limit', limit, { fallback: 100, min: 1, max: MAX_LIMIT });
    const waitSeconds = boundedIntParam('wait', wait, { fallback: 0, min: 0, max: MAX_WAIT_SECONDS });
    // A caller that hangs up stops the wait: the response closes before it was sent (the request's own
    // 'close' fires once its body is read, so it says nothing about the caller).
    let gone = false;
    response.on('close', () => (gone = true));
    return this.feed.read(seller.id, cursor, size, waitSeconds * 1000, () => gone);
  }
}

function cursorParam(value: unknown): number {
  const text = singleParam('after', value);
  if (text === undefined) return 0;
  if (!/^[0-9]{1,15}$/.test(text)) throw new BadRequestException('after must be a cursor: the `next` of an earlier answer (a whole number, 0 for the start)');
  return Number(text);
}
