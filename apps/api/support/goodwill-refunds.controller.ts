import { Answers, integer, nullable, object, oneOf, string } from '../common/answer-schemas';
import { Body, Controller, Get, Headers, NotFoundException, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { readIdempotencyKey } from '../common/idempotency';
import { ParseIdPipe } from '../common/query-params';
import { RateLimitedWrite } from '../common/rate-limits';
import { answerOf } from '../common/stored-answer';
import { ApiProblems } from '../common/api-problems';
import { GoodwillRefundDto } from './goodwill-refund.dto';
import { GoodwillRefundsService } from './goodwill-refunds.service';

const GOODWILL_ACCEPTED = object({
  goodwillRefundId: integer(),
  orderSn: string(),
  refundSn: string(),
  refundFen: integer(),
  reason: string(),
  status: oneOf(['REFUNDING']),
  workflowId: string(),
  temporalUiUrl: string(),
  refundWorkflowId: string(),
  refundTemporalUiUrl: string(),
});
const GOODWILL_REFUND = object({
  goodwillRefundId: integer(),
  orderSn: string(),
  refundFen: integer(),
  reason: string(),
  status: string(),
  refusal: nullable(string()),
  refund: nullable(object({ refundSn: string(), status: string(), refundFen: integer(), provider: string(), workflowId: string() })),
  workflowId: string(),
  temporalUiUrl: string(),
});

/** Support refunds an amount of any paid order as a gesture, through the ordinary refund path. */
@ApiTags('support')
@ApiBearerAuth()
@Controller('support/orders/:orderSn/goodwill-refunds')
export class GoodwillRefundsController {
  constructor(private readonly goodwill: GoodwillRefundsService) {}

  @Post()
  @Roles('support', 'admin')
  @RateLimitedWrite()
  @ApiOperation({
    summary: 'Goodwill refund: support refunds an amount (≤ what remains refundable) of a paid order, with a reason',
    description:
      'The refund is recorded with its number before any provider call (cause goodwill:{id}:1) and paid by its refund workflow ' +
      '(paced like every refund of the payment: WeChat Pay one per minute, Alipay one per 3 s). Audited in the order log; the order\'s statuses are not changed. ' +
      'In the Temporal UI: OrderSn="…" shows the goodwill-refund workflow and its refund.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Retrying with the same key replays the first answer; the same key with another body is a 422' })
  @Answers(202, GOODWILL_ACCEPTED, { description: 'Recorded: refundSn, the goodwill-refund and refund workflow ids and their Temporal UI links' })
  @ApiResponse({ status: 404, description: 'No such order' })
  @ApiResponse({ status: 409, description: 'Refused with the reason: more than remains refundable (paid − Σ refunds not CLOSED), or the order has no captured payment' })
  @ApiResponse({ status: 422, description: 'Idempotency-Key already used with a different request' })
  @ApiProblems('NothingToRefund', 'RefundExceedsRemaining', 'RefundLinesMismatch', 'CONFLICT')
  async create(
    @CurrentPrincipal() staff: Principal,
    @Param('orderSn') orderSn: string,
    @Body() dto: GoodwillRefundDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const answer = await this.goodwill.request(staff, orderSn, dto.refundFen, dto.reason.trim(), readIdempotencyKey(key, true)!);
    return answerOf(answer, response);
  }

  @Get(':id')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'One goodwill refund: the request, its refund and the Temporal UI link' })
  @Answers(200, GOODWILL_REFUND)
  async get(@Param('orderSn') orderSn: string, @Param('id', new ParseIdPipe('id')) id: string) {
    const found = await this.goodwill.get(orderSn, id);
    if (!found) throw new NotFoundException(`goodwill refund ${id} of order ${orderSn} not found`);
    return found;
  }
}
