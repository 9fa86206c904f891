import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_AMOUNT_FEN } from '../../../domain';

export class GoodwillRefundDto {
  @ApiProperty({ example: 1500, description: 'Integer fen, > 0 and at most what remains refundable on the payment (paid − Σ refunds not CLOSED)' })
  @IsInt({ message: 'refundFen must be a whole number of fen' })
  @Min(1, { message: 'refundFen must be at least 1 fen' })
  @Max(MAX_AMOUNT_FEN)
  refundFen!: number;

  @ApiProperty({ example: 'Parcel arrived two weeks late: 15.00 CNY goodwill', maxLength: 200 })
  @IsString({ message: 'reason must be a string' })
  @Matches(/\S/, { message: 'reason must not be empty' })
  @MaxLength(200)
  reason!: string;
}
