import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

export class ShipOrderDto {
  @ApiProperty({ example: 'SF Express' })
  @IsString()
  @IsNotEmpty({ message: 'carrier is required' })
  @MaxLength(64)
  carrier!: string;

  @ApiProperty({ example: 'SF1234567890' })
  @IsString()
  @Matches(/^[A-Za-z0-9-]{4,64}$/, { message: 'trackingNo must be 4-64 letters, digits or dashes' })
  trackingNo!: string;
}
