import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class FileComplaintDto {
  @ApiProperty({ example: 1, description: 'the order line (SKU) complained about' })
  @IsInt({ message: 'skuId must be an integer' })
  @Min(1)
  skuId!: number;

  @ApiProperty({ example: 'Goods not as described', maxLength: 100 })
  @IsString()
  @Matches(/\S/, { message: 'topic must not be empty' })
  @MaxLength(100)
  topic!: string;

  @ApiProperty({ example: 'The tin holds 200 g, not 250 g.', maxLength: 2000 })
  @IsString()
  @Matches(/\S/, { message: 'content must not be empty' })
  @MaxLength(2000)
  content!: string;
}

/** A message, a seller's answer, or why arbitration is asked for / the complaint withdrawn. */
export class ComplaintTextDto {
  @ApiProperty({ example: 'We weighed it before shipping: 251 g.', maxLength: 2000 })
  @IsString()
  @Matches(/\S/, { message: 'content must not be empty' })
  @MaxLength(2000)
  content!: string;
}

export class ArbitrateComplaintDto {
  @ApiProperty({ example: 'Short weight confirmed by photo; refund part of the line.', maxLength: 2000 })
  @IsString()
  @Matches(/\S/, { message: 'result must not be empty' })
  @MaxLength(2000)
  result!: string;

  @ApiPropertyOptional({ example: 2000, description: 'refund ordered, in fen (integer, at most the line amount and what remains refundable); 0 or absent: none' })
  @IsOptional()
  @IsInt({ message: 'refundFen must be an integer number of fen' })
  @Min(0)
  @Max(100_000_000)
  refundFen?: number;
}
