import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class CreateGoodsDto {
  @ApiProperty({ example: 'Longjing green tea 250g' })
  @IsString()
  @Matches(/\S/, { message: 'name must not be empty' })
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 12900, description: 'price in fen (integer): 12900 = 129.00 CNY' })
  @IsInt({ message: 'priceFen must be an integer number of fen' })
  @Min(1)
  @Max(100_000_000)
  priceFen!: number;

  @ApiProperty({ example: 100, description: 'units on hand, all available for sale' })
  @IsInt({ message: 'stock must be an integer' })
  @Min(0)
  @Max(1_000_000)
  stock!: number;
}
