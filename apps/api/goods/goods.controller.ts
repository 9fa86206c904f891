import { Answers, entitySchema } from '../common/answer-schemas';
import { Goods } from '../../../db/entities';
import { Body, Controller, Get, NotFoundException, Param, Post } from '@nestjs/common';
import { ParseIdPipe } from '../common/query-params';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { findGoods, insertGoods } from '../../../db/goods';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { CreateGoodsDto } from './create-goods.dto';

/** Sellers list goods for sale; stock and sales then change only through the order workflows' ledger. */
/** A SKU as stored (amounts in fen). */
const GOODS = entitySchema(Goods);

@ApiTags('goods')
@ApiBearerAuth()
@Controller('goods')
export class GoodsController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Roles('seller')
  @ApiOperation({ summary: 'List a new SKU for sale (price in fen, stock on hand)' })
  @Answers(201, GOODS)
  async create(@CurrentPrincipal() seller: Principal, @Body() dto: CreateGoodsDto) {
    // The seller id is bound as the token's string: Number() would alias ids above 2^53.
    return insertGoods(this.dataSource, { sellerId: seller.id, name: dto.name.trim(), priceFen: dto.priceFen, stock: dto.stock });
  }

  @Get(':id')
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'One SKU: price, stock on hand, available stock, sales count' })
  @Answers(200, GOODS)
  async get(@Param('id', new ParseIdPipe('id')) id: string) {
    const goods = await findGoods(this.dataSource, id); // BIGINT bound as its string
    if (!goods) throw new NotFoundException(`goods ${id} not found`);
    return goods;
  }
}
