import { StepAnswers } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { AFTER_SALE } from './after-sale-answers';
import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AfterSaleStatus } from '../../../domain';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { SupportDecisionDto } from './after-sale.dto';
import { AfterSalesService } from './after-sales.service';
import { ApiProblems } from '../common/api-problems';

/** Support staff's side of after-sales. In the Temporal UI: AfterSaleStatus="WAIT_FOR_MANUAL". */
@ApiTags('support')
@ApiBearerAuth()
@Controller('support/after-sales')
export class SupportAfterSalesController {
  constructor(
    private readonly afterSales: AfterSalesService,
    private readonly dataSource: DataSource,
  ) {}

  @Get()
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'After-sales by status (default WAIT_FOR_MANUAL), newest first' })
  @ApiQuery({ name: 'status', required: false, enum: Object.values(AfterSaleStatus) })
  @Paginated(AFTER_SALE, { description: 'Newest first' })
  async list(@PageParams() page: PageRequest, @Query('status') status?: unknown) {
    const wanted = status ?? AfterSaleStatus.WAIT_FOR_MANUAL;
    if (typeof wanted !== 'string' || !(Object.values(AfterSaleStatus) as string[]).includes(wanted)) {
      throw new BadRequestException(`status must be one of ${Object.values(AfterSaleStatus).join(', ')}`);
    }
    return this.afterSales.listByStatus(wanted, page);
  }

  @Post(':serviceSn/decision')
  @ApiProblems('AfterSaleStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Support decides a WAIT_FOR_MANUAL after-sale: REFUND an amount (→ REFUNDING → COMPLETED) or CLOSE it' })
  @StepAnswers(AFTER_SALE)
  decide(@CurrentPrincipal() staff: Principal, @Param('serviceSn') serviceSn: string, @Body() dto: SupportDecisionDto) {
    return this.afterSales.decide(staff, serviceSn, dto);
  }
}
