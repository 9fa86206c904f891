import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDateString, IsInt, IsOptional, Max, Min } from 'class-validator';
import { GROUP_SIZE_MAX, GROUP_SIZE_MIN, GroupBuyActivityStatus } from '../../../domain';

/** What a seller sets up; fixed once created (the seller may only end it early). */
export class CreateGroupBuyActivityDto {
  @ApiProperty({ example: 1, description: "The SKU (one of the seller's goods)" })
  @IsInt({ message: 'skuId must be an integer' })
  @Min(1)
  skuId!: number;

  @ApiProperty({ example: 9900, description: 'The group price in fen, at most the SKU\'s normal price' })
  @IsInt({ message: 'groupPriceFen must be an integer number of fen' })
  @Min(1)
  @Max(100_000_000)
  groupPriceFen!: number;

  @ApiProperty({ example: 3, minimum: GROUP_SIZE_MIN, maximum: GROUP_SIZE_MAX, description: 'Paid members that make a group' })
  @IsInt()
  @Min(GROUP_SIZE_MIN)
  @Max(GROUP_SIZE_MAX)
  groupSize!: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'When buyers may start opening groups (default: now)' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'startsAt must be an ISO 8601 date-time' })
  startsAt?: string;

  @ApiProperty({ format: 'date-time', description: 'After this no group opens and no member joins (open groups run to their own deadline)' })
  @IsDateString({ strict: true }, { message: 'endsAt must be an ISO 8601 date-time' })
  endsAt!: string;

  @ApiPropertyOptional({ example: 86400, minimum: 1, maximum: 2_000_000, description: 'Seconds a group has to fill from when it is opened (default: GROUP_BUY_DEADLINE)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_000_000)
  formWithinSeconds?: number;

  @ApiProperty({ example: 100, description: 'Units the activity may sell in all (its own stock quota: the GROUPBUY_GOODS out type)' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  quotaUnits!: number;

  @ApiProperty({ example: 2, description: 'Units one buyer may hold in the activity' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  limitPerBuyer!: number;

  @ApiProperty({ example: true, description: 'A group short of members at its deadline forms anyway with its paid members (true) or fails and refunds them (false)' })
  @IsBoolean({ message: 'autoForm must be true or false' })
  autoForm!: boolean;
}

export class GroupBuyActivityView {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: 1 }) skuId!: number;
  @ApiProperty({ example: 9900 }) groupPriceFen!: number;
  @ApiProperty({ example: 3 }) groupSize!: number;
  @ApiProperty({ format: 'date-time' }) startsAt!: string;
  @ApiProperty({ format: 'date-time' }) endsAt!: string;
  @ApiProperty({ example: 86400 }) formWithinSeconds!: number;
  @ApiProperty({ example: 100 }) quotaUnits!: number;
  @ApiProperty({ example: 37, description: 'Units taken by joins and not given back' }) takenUnits!: number;
  @ApiProperty({ example: 2 }) limitPerBuyer!: number;
  @ApiProperty() autoForm!: boolean;
  @ApiProperty({ enum: Object.values(GroupBuyActivityStatus) }) status!: string;
  @ApiProperty({ description: 'ACTIVE and between startsAt and endsAt now' }) open!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

