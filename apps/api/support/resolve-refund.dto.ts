import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

export class ResolveRefundDto {
  @ApiProperty({
    enum: ['MARK_REFUNDED_OFFLINE', 'REISSUE_WITH_NEW_NUMBER', 'RETRY'],
    description:
      'MARK_REFUNDED_OFFLINE: the buyer was paid another way (reference required; ABNORMAL or CLOSED). ' +
      'REISSUE_WITH_NEW_NUMBER: a CLOSED refund is submitted again under a new refund number. ' +
      'RETRY: a refund the provider refused for a fixable reason (e.g. merchant balance) is retried with the same number.',
  })
  @IsIn(['MARK_REFUNDED_OFFLINE', 'REISSUE_WITH_NEW_NUMBER', 'RETRY'])
  action!: 'MARK_REFUNDED_OFFLINE' | 'REISSUE_WITH_NEW_NUMBER' | 'RETRY';

  @ApiPropertyOptional({ example: 'BANK-TRANSFER-20261122-0042', description: 'required for MARK_REFUNDED_OFFLINE' })
  @ValidateIf((dto: ResolveRefundDto) => dto.action === 'MARK_REFUNDED_OFFLINE')
  @IsString({ message: 'reference is required to mark a refund as paid offline' })
  @Matches(/\S/, { message: 'reference must not be empty' })
  @MaxLength(128)
  reference?: string;

  @ApiPropertyOptional({ example: 'buyer confirmed receipt of the bank transfer by phone' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  note?: string;
}
