import { Answers } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { DIFFERENCE, DIFFERENCE_CASE, RECONCILIATION_RUN, RECONCILIATION_STARTED } from './reconciliation-answers';
import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DifferenceKind, DifferenceStatus } from '../../../domain';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { ResolveDifferenceDto, StartReconciliationDto } from './reconciliation.dto';
import { ReconciliationService } from './reconciliation.service';
import { ApiProblems } from '../common/api-problems';

/** Daily reconciliation with the providers' bills, for support and finance. Resolutions are audited in the case log. */
@ApiTags('reconciliation')
@ApiBearerAuth()
@Controller('reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Get('runs')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Reconciliation runs: day, provider, what the bill held, matched count and sum, differences' })
  @ApiQuery({ name: 'provider', required: false, enum: ['wechatpay', 'alipay'] })
  @ApiQuery({ name: 'from', required: false, description: 'yyyy-MM-dd' })
  @ApiQuery({ name: 'to', required: false, description: 'yyyy-MM-dd' })
  @Paginated(RECONCILIATION_RUN, { description: 'Newest day first, then by provider' })
  runs(@PageParams() page: PageRequest, @Query('provider') provider?: string, @Query('from') from?: string, @Query('to') to?: string) {
    return this.reconciliation.runs(page, provider, from, to);
  }

  @Post('runs')
  @HttpCode(202)
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Reconcile one provider and day now (the schedule does yesterday each morning); a re-run reports the same' })
  @Answers(202, RECONCILIATION_STARTED)
  start(@Body() dto: StartReconciliationDto) {
    return this.reconciliation.start(dto.provider, dto.billDate);
  }

  @Get('differences')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Differences between the bills and our books (support cases); default: the open ones' })
  @ApiQuery({ name: 'status', required: false, enum: Object.values(DifferenceStatus) })
  @ApiQuery({ name: 'provider', required: false, enum: ['wechatpay', 'alipay'] })
  @ApiQuery({ name: 'billDate', required: false })
  @ApiQuery({ name: 'kind', required: false, enum: Object.values(DifferenceKind) })
  @Paginated(DIFFERENCE, { description: 'Oldest first' })
  differences(@PageParams() page: PageRequest, @Query('status') status?: string, @Query('provider') provider?: string, @Query('billDate') billDate?: string, @Query('kind') kind?: string) {
    return this.reconciliation.differences({ status, provider, billDate, kind }, page);
  }

  @Get('differences/:id')
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'One difference with its case log' })
  @Answers(200, DIFFERENCE_CASE)
  difference(@Param('id', ParseIntPipe) id: number) {
    return this.reconciliation.difference(id);
  }

  @Post('differences/:id/resolution')
  @ApiProblems('CONFLICT')
  @HttpCode(200)
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Resolve an open difference with a note (who and what are kept in the case log)' })
  @Answers(200, DIFFERENCE_CASE)
  resolve(@CurrentPrincipal() staff: Principal, @Param('id', ParseIntPipe) id: number, @Body() dto: ResolveDifferenceDto) {
    return this.reconciliation.resolve(staff, id, dto.note);
  }
}
