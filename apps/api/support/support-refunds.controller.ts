import { StepAnswers, entitySchema, object, oneOf, string } from '../common/answer-schemas';
import { PageParams, Paginated, afterId, pageOf, type PageRequest } from '../common/pagination';
import { listRefundsByStatus } from '../../../db/refunds';
import { BadRequestException, Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Refund } from '../../../db/entities';
import { RefundStatus } from '../../../domain';
import { refundWorkflowId, resolveRefundUpdate } from '../../../workflows/refund.contract';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { sendStep } from '../common/refused-update';
import { OrderWorkflows } from '../orders/order-workflows';
import { TEMPORAL_CLIENT } from '../tokens';
import { ResolveRefundDto } from './resolve-refund.dto';
import { ApiProblems } from '../common/api-problems';

/** A refund row with its workflow (support's list). */
const SUPPORT_REFUND = entitySchema(Refund, { workflowId: string(), temporalUiUrl: string() });
const REFUND_RESOLVED = object({ refundSn: string(), action: oneOf(['MARK_REFUNDED_OFFLINE', 'REISSUE_WITH_NEW_NUMBER', 'RETRY']), status: string('the refund\'s status after the resolution'), workflowId: string() });

/** Support staff's handle on stuck refunds (ABNORMAL, CLOSED, refused by the provider). Every action is audited in the order log. */
@ApiTags('support')
@ApiBearerAuth()
@Controller('support/refunds')
export class SupportRefundsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly workflows: OrderWorkflows,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  @Get()
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Refunds by status (default: those waiting for support). In the Temporal UI: RefundStatus="ABNORMAL"' })
  @ApiQuery({ name: 'status', required: false, enum: Object.values(RefundStatus) })
  @Paginated(SUPPORT_REFUND, { description: 'Newest first' })
  async list(@PageParams() page: PageRequest, @Query('status') status?: string) {
    const statuses = status ? [status] : [RefundStatus.ABNORMAL, RefundStatus.CLOSED];
    if (statuses.some((s) => !(Object.values(RefundStatus) as string[]).includes(s))) {
      throw new BadRequestException(`status must be one of ${Object.values(RefundStatus).join(', ')}`);
    }
    const refunds = await listRefundsByStatus(this.dataSource, statuses, { beforeId: afterId(page), take: page.limit + 1 });
    return pageOf(refunds, page, (r) => [Number(r.id)], (r) => ({ ...r, workflowId: refundWorkflowId(r.refundSn), temporalUiUrl: this.workflows.uiLink(refundWorkflowId(r.refundSn)) }));
  }

  @Post(':refundSn/resolution')
  @ApiProblems('REFUND_RESOLUTION_NOT_ALLOWED', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Resolve a parked refund: mark refunded offline, re-issue under a new number, or retry' })
  @StepAnswers(REFUND_RESOLVED)
  async resolve(@CurrentPrincipal() staff: Principal, @Param('refundSn') refundSn: string, @Body() dto: ResolveRefundDto) {
    const refund = await this.dataSource.getRepository(Refund).findOneBy({ refundSn });
    if (!refund) throw new NotFoundException(`refund ${refundSn} not found`);
    const supportId = `${staff.role}:${staff.id}`;
    const resolution =
      dto.action === 'MARK_REFUNDED_OFFLINE'
        ? { action: dto.action, reference: dto.reference!.trim(), supportId, note: dto.note }
        : { action: dto.action, supportId, note: dto.note };
    const status = await sendStep(this.temporal.workflow.getHandle(refundWorkflowId(refundSn)), resolveRefundUpdate, [resolution], `refund ${refundSn} is ${refund.status} and its workflow has finished`);
    return { refundSn, action: dto.action, status, workflowId: refundWorkflowId(refundSn) };
  }
}
