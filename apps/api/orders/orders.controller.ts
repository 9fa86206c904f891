import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { idParam, pageParam, singleParam } from '../common/query-params';
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
  @ApiQuery({ name: 'status', required: false })
  @ApiQuery({ name: 'sellerId', required: false, description: 'support/admin only' })
  @ApiQuery({ name: 'page', required: false })
  list(@CurrentPrincipal() principal: Principal, @Query('page') page?: unknown, @Query('status') status?: unknown, @Query('sellerId') sellerId?: unknown) {
    return this.orders.list(principal, { page: pageParam(page), status: singleParam('status', status), sellerId: idParam('sellerId', sellerId) });
  }

  @Get(':orderSn')
  @Roles('buyer', 'seller', 'support', 'admin')
  @Scopes('orders:read')
  @ApiOperation({ summary: 'One order: row, items (with their ids for after-sales), log, after-sales, refunds, live workflow state and Temporal UI link' })
  get(@CurrentPrincipal() principal: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.get(principal, orderSn);
  }

  @Post(':orderSn/shipment')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('seller')
  @Scopes('orders:write')
  @ApiOperation({ summary: 'Seller ships the order (carrier and tracking number)' })
  ship(@CurrentPrincipal() seller: Principal, @Param('orderSn') orderSn: string, @Body() dto: ShipOrderDto) {
    return this.orders.ship(seller, orderSn, dto.carrier, dto.trackingNo);
  }

  @Post(':orderSn/receipt')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer confirms receipt' })
  confirmReceipt(@CurrentPrincipal() buyer: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.confirmReceipt(buyer, orderSn);
  }

  @Post(':orderSn/cash-collected')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('seller')
  @Scopes('orders:write')
  @ApiOperation({ summary: 'Cash on delivery: seller reports the cash collected at the door' })
  collectCash(@CurrentPrincipal() seller: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.collectCash(seller, orderSn);
  }

  @Post(':orderSn/completion')
  @ApiProblems('ORDER_OPERATION_NOT_ALLOWED', 'CANCELLATION_IN_PROGRESS', 'OperationRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Admin completes a received order ahead of its timer' })
  complete(@CurrentPrincipal() admin: Principal, @Param('orderSn') orderSn: string) {
    return this.orders.complete(admin, orderSn);
  }
}
