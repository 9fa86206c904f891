import { OrderStatus } from '../../../domain';
import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { idParam, singleParam } from '../common/query-params';
import { Answers, StepAnswers } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { ORDER_DETAIL, ORDER_ROW, ORDER_STEP } from './order-answers';
import { ShipOrderDto } from './order-operation.dto';
import { OrdersService } from './orders.service';
import { ApiProblems } from '../common/api-problems';

@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @Roles('buyer', 'seller', 'support', 'admin')
  @Scopes('orders:read')
  @ApiOperation({ summary: 'List orders (sellers and buyers see their own) from MySQL' })
  @ApiQuery({ name: 'status', required: false, enum: Object.values(OrderStatus) })
  @ApiQuery({ name: 'sellerId', required: false, schema: { type: 'string', pattern: '^[0-9]+$' }, description: 'support/admin only' })
  @Paginated(ORDER_ROW, { description: 'Newest first' })
  list(@CurrentPrincipal() principal: Principal, @PageParams() page: PageRequest, @Query('status') status?: unknown, @Query('sellerId') sellerId?: unknown, @Query('page') offsetPage?: unknown) {
    // `page` (numbered pages) was replaced by the cursor: refused, so an old caller is told rather than served page 1 again.
    if (offsetPage !== undefined) throw new BadRequestException('page is replaced by cursor: pass the previous answer\'s nextCursor as cursor');
    return this.orders.list(principal, { status: singleParam('status', status), sellerId: idParam('sellerId', sellerId) }, page);
  }

  @Get(':orderSn')
  @Roles('buyer', 'seller', 'support', 'admin')
  @Scopes('orders:read')
  @ApiOperation({ summary: 'One order: row, items (with their ids for after-sales), log, after-sales, refunds, live workflow state and Temporal UI link' })
  @Answers(200, ORDER_DETAIL)
  get(@CurrentPrincipal() principal: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.get(principal, orderSn);
  }

  @Post(':orderSn/shipment')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('seller')
  @Scopes('orders:write')
  @ApiOperation({ summary: 'Seller ships the order (carrier and tracking number)' })
  @StepAnswers(ORDER_STEP)
  ship(@CurrentPrincipal() seller: Principal, @Param('orderSn') orderSn: string, @Body() dto: ShipOrderDto) {
    return this.orders.ship(seller, orderSn, dto.carrier, dto.trackingNo);
  }

  @Post(':orderSn/receipt')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer confirms receipt' })
  @StepAnswers(ORDER_STEP)
  confirmReceipt(@CurrentPrincipal() buyer: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.confirmReceipt(buyer, orderSn);
  }

  @Post(':orderSn/cash-collected')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('seller')
  @Scopes('orders:write')
  @ApiOperation({ summary: 'Cash on delivery: seller reports the cash collected at the door' })
  @StepAnswers(ORDER_STEP)
  collectCash(@CurrentPrincipal() seller: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.collectCash(seller, orderSn);
  }

  @Post(':orderSn/completion')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Admin completes a received order ahead of its timer' })
  @StepAnswers(ORDER_STEP)
  complete(@CurrentPrincipal() admin: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.complete(admin, orderSn);
  }
}
