import { Body, Controller, Get, NotFoundException, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Goods } from '../../../db/entities';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { CreateGoodsDto } from './create-goods.dto';

/** Sellers list goods for sale; stock and sales then change only through the order workflows' ledger. */
@ApiTags('goods')
@ApiBearerAuth()
@Controller('goods')
export class GoodsController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Roles('seller')
  @ApiOperation({ summary: 'List a new SKU for sale (price in fen, stock on hand)' })
  async create(@CurrentPrincipal() seller: Principal, @Body() dto: CreateGoodsDto) {
    const repo = this.dataSource.getRepository(Goods);
    const saved = await repo.save(repo.create({ sellerId: Number(seller.id), name: dto.name.trim(), priceFen: dto.priceFen, quantity: dto.stock, availableQuantity: dto.stock, salesCount: 0 }));
    return repo.findOneByOrFail({ id: Number(saved.id) });
  }

  @Get(':id')
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'One SKU: price, stock on hand, available stock, sales count' })
  async get(@Param('id', ParseIntPipe) id: number) {
    const goods = await this.dataSource.getRepository(Goods).findOneBy({ id });
    if (!goods) throw new NotFoundException(`goods ${id} not found`);
    return goods;
  }
}
