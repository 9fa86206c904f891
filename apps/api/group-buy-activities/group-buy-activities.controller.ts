import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { activityOpenAt, activityTermsRefusal } from '../../../domain';
import { DomainError } from '../../../domain/error-codes';
import { runStep } from '../../../db/business-events';
import { createActivity, endActivity, findActivity, listActivities, type GroupBuyActivity } from '../../../db/group-buy-activities';
import { findGoodsForActivity } from '../../../db/goods';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { ApiProblems } from '../common/api-problems';
import { Page, PageParams, PageRequest, Paginated, afterId, pageOf } from '../common/pagination';
import { ParseIdPipe } from '../common/query-params';
import { RateLimitedWrite } from '../common/rate-limits';
import { APP_CONFIG } from '../tokens';
import { CreateGroupBuyActivityDto, GroupBuyActivityView } from './group-buy-activity.dto';

/**
 * A seller's group-buy activities (docs/group-buy-activities.md): the only way a group buy opens.
 * The seller's token, or an API key with the group-buys:manage scope.
 */
@ApiTags('group buys')
@ApiBearerAuth()
@Roles('seller')
@Scopes('group-buys:manage')
@Controller('seller/group-buy-activities')
export class GroupBuyActivitiesController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @RateLimitedWrite()
  @ApiProblems('REQUEST_UNPROCESSABLE')
  @ApiOperation({ summary: 'Set up a group-buy activity for one of your SKUs: group price, group size, start and end, time to form a group, quota, limit per buyer, auto-form' })
  @ApiCreatedResponse({ type: GroupBuyActivityView })
  async create(@CurrentPrincipal() seller: Principal, @Body() dto: CreateGroupBuyActivityDto): Promise<GroupBuyActivityView> {
    const goods = await findGoodsForActivity(this.dataSource, dto.skuId, seller.id);
    // Another seller's SKU is as unknown as a missing one.
    if (!goods) throw new NotFoundException(`goods ${dto.skuId} not found`);
    const now = Date.now();
    const terms = {
      skuId: dto.skuId,
      groupPriceFen: dto.groupPriceFen,
      groupSize: dto.groupSize,
      startsAtMs: dto.startsAt ? Date.parse(dto.startsAt) : now,
      endsAtMs: Date.parse(dto.endsAt),
      formWithinMs: dto.formWithinSeconds !== undefined ? dto.formWithinSeconds * 1000 : this.config.groupBuyDeadlineMs,
      quotaUnits: dto.quotaUnits,
      limitPerBuyer: dto.limitPerBuyer,
      autoForm: dto.autoForm,
    };
    const refusal = activityTermsRefusal(terms, goods.priceFen);
    if (refusal) throw DomainError.of(refusal);
    return viewOf(await runStep(this.dataSource, (manager) => createActivity(manager, seller.id, terms)), now);
  }

  @Get()
  @ApiOperation({ summary: 'Your group-buy activities, newest first, with the units taken' })
  @Paginated(GroupBuyActivityView, { description: 'Newest first' })
  async list(@CurrentPrincipal() seller: Principal, @PageParams() page: PageRequest): Promise<Page<GroupBuyActivityView>> {
    const activities = await listActivities(this.dataSource, seller.id, page.limit + 1, afterId(page));
    const now = Date.now();
    return pageOf(activities, page, (a) => [a.id], (a) => viewOf(a, now));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your group-buy activities' })
  @ApiOkResponse({ type: GroupBuyActivityView })
  async get(@CurrentPrincipal() seller: Principal, @Param('id', new ParseIdPipe('id')) id: string): Promise<GroupBuyActivityView> {
    return viewOf(await this.own(seller, id), Date.now());
  }

  @Post(':id/end')
  @HttpCode(200)
  @RateLimitedWrite()
  @ApiOperation({ summary: 'End the activity now: no new group or member (groups already open run to their deadline). Ending an ended activity changes nothing' })
  @ApiOkResponse({ type: GroupBuyActivityView })
  async end(@CurrentPrincipal() seller: Principal, @Param('id', new ParseIdPipe('id')) id: string): Promise<GroupBuyActivityView> {
    const activity = await this.own(seller, id);
    await runStep(this.dataSource, (manager) => endActivity(manager, activity.id, seller.id));
    return viewOf((await findActivity(this.dataSource, id))!, Date.now());
  }

  private async own(seller: Principal, id: string): Promise<GroupBuyActivity> {
    const activity = await findActivity(this.dataSource, id);
    if (!activity || activity.sellerId !== String(seller.id)) throw new NotFoundException(`group-buy activity ${id} not found`);
    return activity;
  }
}

function viewOf(activity: GroupBuyActivity, nowMs: number): GroupBuyActivityView {
  return {
    id: activity.id,
    skuId: activity.skuId,
    groupPriceFen: activity.groupPriceFen,
    groupSize: activity.groupSize,
    startsAt: new Date(activity.startsAtMs).toISOString(),
    endsAt: new Date(activity.endsAtMs).toISOString(),
    formWithinSeconds: Math.round(activity.formWithinMs / 1000),
    quotaUnits: activity.quotaUnits,
    takenUnits: activity.takenUnits,
    limitPerBuyer: activity.limitPerBuyer,
    autoForm: activity.autoForm,
    status: activity.status,
    open: activityOpenAt(activity, nowMs),
    createdAt: activity.createdAt.toISOString(),
  };
}
