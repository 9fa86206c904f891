import { Answers } from '../common/answer-schemas';
import { GROUP_BUY } from './trade-answers';
import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { GroupBuys } from './group-buys';

@ApiTags('group buys')
@ApiBearerAuth()
@Controller('groups')
export class GroupBuysController {
  constructor(private readonly groupBuys: GroupBuys) {}

  @Get(':groupId')
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'A group buy: size, deadline, status, members and the group workflow (its members, its seller and support; anyone else 404)' })
  @Answers(200, GROUP_BUY)
  get(@CurrentPrincipal() principal: Principal, @Param('groupId') groupId: string) {
    return this.groupBuys.get(principal, groupId);
  }
}
