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
  async list(@Query('status') status?: string) {
    const statuses = status ? [status] : [RefundStatus.ABNORMAL, RefundStatus.CLOSED];
    if (statuses.some((s) => !(Object.values(RefundStatus) as string[]).includes(s))) {
      throw new BadRequestException(`status must be one of ${Object.values(RefundStatus).join(', ')}`);
    }
    const refunds = await this.dataSource.getRepository(Refund).createQueryBuilder('r').where('r.status IN (:...statuses)', { statuses }).orderBy('r.id', 'DESC').take(100).getMany();
    return refunds.map((r) => ({ ...r, workflowId: refundWorkflowId(r.refundSn), temporalUiUrl: this.workflows.uiLink(refundWorkflowId(r.refundSn)) }));
  }

  @Post(':refundSn/resolution')
  @ApiProblems('REFUND_RESOLUTION_NOT_ALLOWED', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Resolve a parked refund: mark refunded offline, re-issue under a new number, or retry' })
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
