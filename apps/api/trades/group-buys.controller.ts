import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.decorator';
import { GroupBuys } from './group-buys';

@ApiTags('group buys')
@ApiBearerAuth()
@Controller('groups')
export class GroupBuysController {
  constructor(private readonly groupBuys: GroupBuys) {}

  @Get(':groupId')
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'A group buy: size, deadline, status, members and the group workflow' })
  get(@Param('groupId') groupId: string) {
    return this.groupBuys.get(groupId);
  }
}
