import { Answers } from '../common/answer-schemas';
import { ALREADY_CANCELLED, CANCELLATION, CANCELLATION_ACCEPTED } from './cancellation-answers';
import { Body, Controller, Get, Headers, Param, Post, Res } from '@nestjs/common';
import { ParseIdPipe } from '../common/query-params';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { readIdempotencyKey } from '../common/idempotency';
import { RateLimitedWrite } from '../common/rate-limits';
import { answerOf } from '../common/stored-answer';
import { ApiProblems } from '../common/api-problems';
import { CancelOrderDto } from './cancel-order.dto';
import { CancellationsService } from './cancellations.service';

@ApiTags('cancellations')
@ApiBearerAuth()
@Controller('orders/:orderSn/cancellations')
export class CancellationsController {
  constructor(private readonly cancellations: CancellationsService) {}

  @Post()
  @Roles('seller', 'buyer', 'support')
  @Scopes('orders:write')
  @RateLimitedWrite()
  @ApiProblems('ORDER_NOT_CANCELLABLE_IN_STATE', 'AFTER_SALE_OPEN', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @ApiOperation({
    summary: 'Cancel an order: its own durable workflow (cancel-{orderSn}) asks the order, then refunds (if paid), restores stock, takes back sales',
    description:
      '202 accepted: the request is recorded and cancel-{orderSn} started, without waiting for a worker; GET …/cancellations/{id} reads how it ends ' +
      '(COMPLETED, or REFUSED with `refusal.code` when the order refused it meanwhile). 200 already cancelled; 409 refused at once by the order state ' +
      '(code ORDER_NOT_CANCELLABLE_IN_STATE) or another cancellation of the order running (CANCELLATION_IN_PROGRESS); 422 key reused with another body.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Retrying with the same key replays the first answer' })
  @Answers(202, CANCELLATION_ACCEPTED, { description: 'Recorded and handed to cancel-{orderSn}' })
  @Answers(200, ALREADY_CANCELLED, { description: 'The order is cancelled already' })
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('orderSn') orderSn: string,
    @Body() dto: CancelOrderDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const answer = await this.cancellations.request(principal, orderSn, dto.reason.trim(), readIdempotencyKey(key, true)!);
    return answerOf(answer, response);
  }

  @Get(':id')
  @Roles('seller', 'buyer', 'support', 'admin')
  @Scopes('orders:read')
  @ApiOperation({ summary: 'Progress of a cancellation: its steps, refunds and Temporal UI links' })
  @Answers(200, CANCELLATION)
  get(@CurrentPrincipal() principal: Principal, @Param('orderSn') orderSn: string, @Param('id', new ParseIdPipe('id')) id: string) {
    return this.cancellations.get(principal, orderSn, id);
  }
}
