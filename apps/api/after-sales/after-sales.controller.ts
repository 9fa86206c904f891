import { Answers, StepAnswers } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { AFTER_SALE } from './after-sale-answers';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { readIdempotencyKey } from '../common/idempotency';
import { RateLimitedWrite } from '../common/rate-limits';
import { answerOf } from '../common/stored-answer';
import { ApiProblems } from '../common/api-problems';
import { OrderAccess } from '../orders/order-access';
import { AfterSaleReasonDto, ApplyAfterSaleDto, AuditAfterSaleDto, ReceiptDto, ReturnShipmentDto } from './after-sale.dto';
import { AfterSalesService } from './after-sales.service';

/** Buyers and sellers in an after-sale: apply, audit, ship back, record receipt, withdraw. */
@ApiTags('after-sales')
@ApiBearerAuth()
@Controller()
export class AfterSalesController {
  constructor(
    private readonly afterSales: AfterSalesService,
    private readonly access: OrderAccess,
  ) {}

  @Post('orders/:orderSn/after-sales')
  @Roles('buyer')
  @RateLimitedWrite()
  @ApiProblems('AFTER_SALE_NOT_ALLOWED', 'LINE_NOT_YOURS', 'AFTER_SALE_LINES_INVALID', 'NOT_PAID', 'NothingToRefund', 'CANCELLATION_IN_PROGRESS', 'WORKFLOW_FINISHED', 'CONFLICT')
  @ApiOperation({
    summary: 'Buyer applies for an after-sale (return, refund only, exchange, re-ship) on lines of a shipped order',
    description: '201 with the after-sale and its workflow; 409 refused with the reason (not shipped, window closed, quantity above what remains for the line, order refused it); 404 not your order; 422 key reused with another body.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Retrying with the same key replays the first answer' })
  @Answers(201, AFTER_SALE, { description: 'Opened: the order took it on' })
  @Answers(202, AFTER_SALE, { description: 'Recorded; the order has not answered yet (opening PENDING): read it again' })
  async apply(
    @CurrentPrincipal() buyer: Principal,
    @Param('orderSn') orderSn: string,
    @Body() dto: ApplyAfterSaleDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const answer = await this.afterSales.apply(buyer, orderSn, dto, readIdempotencyKey(key, true)!);
    return answerOf(answer, response);
  }

  @Get('orders/:orderSn/after-sales')
  @Roles('buyer', 'seller', 'support', 'admin')
  @Scopes('orders:read')
  @ApiOperation({ summary: 'The after-sales of an order (its buyer, its seller, support)' })
  @Paginated(AFTER_SALE, { description: 'Oldest first' })
  async list(@CurrentPrincipal() principal: Principal, @Param('orderSn') orderSn: string, @PageParams() page: PageRequest) {
    await this.access.load(principal, orderSn);
    return this.afterSales.listForOrder(orderSn, page);
  }

  @Get('after-sales/:serviceSn')
  @Roles('buyer', 'seller', 'support', 'admin')
  @Scopes('orders:read')
  @ApiOperation({ summary: 'One after-sale: row, lines, log, refunds, live workflow state and Temporal UI link' })
  @Answers(200, AFTER_SALE)
  get(@CurrentPrincipal() principal: Principal, @Param('serviceSn') serviceSn: string) {
    return this.afterSales.get(principal, serviceSn);
  }

  @Post('after-sales/:serviceSn/audit')
  @ApiProblems('AfterSaleStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('seller')
  @Scopes('after-sales:write')
  @ApiOperation({ summary: 'Seller audits: PASS (with the agreed refund ≤ the lines’ amount) or REFUSE (with a reason)' })
  @StepAnswers(AFTER_SALE)
  audit(@CurrentPrincipal() seller: Principal, @Param('serviceSn') serviceSn: string, @Body() dto: AuditAfterSaleDto) {
    return this.afterSales.audit(seller, serviceSn, dto);
  }

  @Post('after-sales/:serviceSn/return-shipment')
  @ApiProblems('AfterSaleStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer enters the return logistics (returns and exchanges): PASS → FULL_COURIER' })
  @StepAnswers(AFTER_SALE)
  shipReturn(@CurrentPrincipal() buyer: Principal, @Param('serviceSn') serviceSn: string, @Body() dto: ReturnShipmentDto) {
    return this.afterSales.shipReturn(buyer, serviceSn, dto.carrier, dto.trackingNo);
  }

  @Post('after-sales/:serviceSn/receipt')
  @ApiProblems('AfterSaleStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('seller')
  @Scopes('after-sales:write')
  @ApiOperation({ summary: 'Seller records what came back per line (good and damaged units): STOCK_IN, or WAIT_FOR_MANUAL when units are missing' })
  @StepAnswers(AFTER_SALE)
  receipt(@CurrentPrincipal() seller: Principal, @Param('serviceSn') serviceSn: string, @Body() dto: ReceiptDto) {
    return this.afterSales.recordReceipt(seller, serviceSn, dto);
  }

  @Post('after-sales/:serviceSn/withdrawal')
  @ApiProblems('AfterSaleStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer withdraws the after-sale (before the goods are shipped back): CLOSED' })
  @StepAnswers(AFTER_SALE)
  withdraw(@CurrentPrincipal() buyer: Principal, @Param('serviceSn') serviceSn: string, @Body() dto: AfterSaleReasonDto) {
    return this.afterSales.withdraw(buyer, serviceSn, dto.reason);
  }
}
