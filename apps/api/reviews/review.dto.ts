import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Matches, MaxLength, Min } from 'class-validator';
import { ReviewGrade } from '../../../domain';

export class WriteReviewDto {
  @ApiProperty({ example: 1, description: 'the order line (SKU) reviewed' })
  @IsInt({ message: 'skuId must be an integer' })
  @Min(1)
  skuId!: number;

  @ApiProperty({ enum: Object.values(ReviewGrade), example: 'GOOD' })
  @IsIn(Object.values(ReviewGrade), { message: `grade must be one of ${Object.values(ReviewGrade).join(', ')}` })
  grade!: ReviewGrade;

  @ApiProperty({ example: 'Fresh and fragrant, well packed.', maxLength: 2000 })
  @IsString()
  @Matches(/\S/, { message: 'content must not be empty' })
  @MaxLength(2000)
  content!: string;
}

export class FollowUpReviewDto {
  @ApiProperty({ example: 1 })
  @IsInt({ message: 'skuId must be an integer' })
  @Min(1)
  skuId!: number;

  @ApiProperty({ example: 'Two weeks later: still good, will buy again.', maxLength: 2000 })
  @IsString()
  @Matches(/\S/, { message: 'content must not be empty' })
  @MaxLength(2000)
  content!: string;
}
