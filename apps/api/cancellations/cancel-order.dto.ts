import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class CancelOrderDto {
  @ApiProperty({ example: 'Out of stock at the warehouse', maxLength: 255 })
  @IsString({ message: 'reason must be a string' })
  @Matches(/\S/, { message: 'reason must not be empty' })
  @MaxLength(255)
  reason!: string;
}
