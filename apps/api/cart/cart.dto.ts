import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_LINE_QUANTITY } from './cart-store';

export class AddCartItemDto {
  @ApiProperty({ example: 1, description: 'SKU id (goods.id)' })
  @IsInt({ message: 'skuId must be an integer' })
  @Min(1)
  skuId!: number;

  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_LINE_QUANTITY })
  @IsInt({ message: 'quantity must be an integer' })
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

export class UpdateCartItemDto {
  @ApiPropertyOptional({ example: 3, minimum: 1, maximum: MAX_LINE_QUANTITY })
  @IsOptional()
  @IsInt({ message: 'quantity must be an integer' })
  @Min(1, { message: 'quantity must be at least 1 (remove the line instead)' })
  @Max(MAX_LINE_QUANTITY)
  quantity?: number;

  @ApiPropertyOptional({ example: true, description: 'checked lines are the ones a cart checkout takes' })
  @IsOptional()
  @IsBoolean({ message: 'checked must be true or false' })
  checked?: boolean;
}

export class CheckAllDto {
  @ApiProperty({ example: true })
  @IsBoolean({ message: 'checked must be true or false' })
  checked!: boolean;
}
