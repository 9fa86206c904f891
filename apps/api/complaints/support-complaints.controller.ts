import { StepAnswers } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { COMPLAINT, COMPLAINT_ROW } from './complaint-answers';
import { BadRequestException, Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ComplainStatus, ComplaintAction } from '../../../domain';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { ArbitrateComplaintDto, ComplaintTextDto } from './complaint.dto';
import { ComplaintsService } from './complaints.service';
import { ApiProblems } from '../common/api-problems';

/** Support staff's side of complaints. In the Temporal UI: ComplaintStatus="WAIT_ARBITRATION". */
@ApiTags('support')
@ApiBearerAuth()
@Controller('support/complaints')
export class SupportComplaintsController {
  constructor(private readonly complaints: ComplaintsService) {}

  @Get()
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Complaints by status (default: every open one) and seller' })
  @ApiQuery({ name: 'status', required: false, enum: Object.values(ComplainStatus) })
  @ApiQuery({ name: 'sellerId', required: false })
  @Paginated(COMPLAINT_ROW, { description: 'Newest first' })
  list(@CurrentPrincipal() staff: Principal, @PageParams() page: PageRequest, @Query('status') status?: string, @Query('sellerId') sellerId?: string) {
    if (status !== undefined && !(Object.values(ComplainStatus) as string[]).includes(status)) {
      throw new BadRequestException(`status must be one of ${Object.values(ComplainStatus).join(', ')}`);
    }
    if (sellerId !== undefined && !/^[0-9]+$/.test(sellerId)) throw new BadRequestException('sellerId must be a whole number');
    return this.complaints.list(staff, { status: status as ComplainStatus | undefined, sellerId: sellerId === undefined ? undefined : Number(sellerId) }, page);
  }

  @Post(':id/review')
  @ApiProblems('ComplaintStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Support accepts a new complaint for the seller’s answer: NEW → WAIT_APPEAL (the seller’s deadline starts)' })
  @StepAnswers(COMPLAINT)
  review(@CurrentPrincipal() staff: Principal, @Param('id', ParseIntPipe) id: number, @Body() dto: ComplaintTextDto) {
    return this.complaints.step(staff, id, ComplaintAction.REVIEW, dto.content);
  }

  @Post(':id/arbitration')
  @ApiProblems('ComplaintStepRefused', 'RefundExceedsRemaining', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Support decides: WAIT_ARBITRATION → COMPLETE, optionally ordering a refund (≤ the line, ≤ what remains refundable)' })
  @StepAnswers(COMPLAINT)
  arbitrate(@CurrentPrincipal() staff: Principal, @Param('id', ParseIntPipe) id: number, @Body() dto: ArbitrateComplaintDto) {
    return this.complaints.step(staff, id, ComplaintAction.ARBITRATE, dto.result, dto.refundFen);
  }
}
