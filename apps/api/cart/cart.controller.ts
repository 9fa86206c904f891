import { ApiNoContentResponse } from '@nestjs/swagger';
import { Answers, arrayOf, boolean, integer, object, string } from '../common/answer-schemas';
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, ParseIntPipe, Patch, Post, Put, UnprocessableEntityException } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { AddCartItemDto, CheckAllDto, UpdateCartItemDto } from './cart.dto';
import { CartStore } from './cart-store';
import { ApiProblems } from '../common/api-problems';
import { goodsExists, readGoodsByIds } from '../../../db/goods';

/** The cart: per shop, its lines with today's price and stock (a line whose SKU is no longer sold says so). */
const CART = object({
  shops: arrayOf(
    object({
      sellerId: integer(),
      lines: arrayOf(
        object(
          { skuId: integer(), quantity: integer(), checked: boolean(), name: string(), priceFen: integer(), goodsFen: integer(), availableQuantity: integer(), unavailable: string('set when the SKU is no longer sold (then no name or price)') },
          { optional: ['name', 'priceFen', 'goodsFen', 'availableQuantity', 'unavailable'] },
        ),
      ),
    }),
  ),
});
const CART_LINE = object({ skuId: integer(), quantity: integer(), checked: boolean() });
const CART_LINE_CHANGE = object({ skuId: integer(), quantity: integer(), checked: boolean() }, { optional: ['quantity', 'checked'] });

/**
 * The buyer's cart and buy-now item (in Redis). Lines name a SKU and a quantity only; the answer
 * shows today's name, price and stock from MySQL, which is also what checkout charges.
 */
@ApiTags('cart')
@ApiBearerAuth()
@Roles('buyer')
@Controller()
export class CartController {
  constructor(
    private readonly cart: CartStore,
    private readonly dataSource: DataSource,
  ) {}

  @Get('cart')
  @ApiOperation({ summary: 'The cart, grouped per shop, with current prices and stock' })
  @Answers(200, CART)
  async view(@CurrentPrincipal() buyer: Principal) {
    const lines = await this.cart.lines(buyer.id);
    const goods = lines.length ? await readGoodsByIds(this.dataSource, lines.map((l) => l.skuId)) : [];
    const shops = new Map<number, unknown[]>();
    for (const line of lines) {
      const row = goods.find((g: { id: number }) => g.id === line.skuId);
      const sellerId = row?.seller_id ?? 0;
      shops.set(sellerId, [
        ...(shops.get(sellerId) ?? []),
        row
          ? { ...line, name: row.name, priceFen: row.price_fen, goodsFen: row.price_fen * line.quantity, availableQuantity: row.available_quantity }
          : { ...line, unavailable: 'this SKU is no longer sold' },
      ]);
    }
    return { shops: [...shops.entries()].map(([sellerId, shopLines]) => ({ sellerId, lines: shopLines })) };
  }

  @Post('cart/items')
  @ApiProblems('REQUEST_UNPROCESSABLE')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a SKU to the cart (adds to its quantity if already there) and check it' })
  @Answers(201, CART_LINE)
  async add(@CurrentPrincipal() buyer: Principal, @Body() dto: AddCartItemDto) {
    await this.requireSku(dto.skuId);
    const quantity = await this.cart.add(buyer.id, dto.skuId, dto.quantity);
    return { skuId: dto.skuId, quantity, checked: true };
  }

  @Patch('cart/items/:skuId')
  @ApiOperation({ summary: 'Change quantity and/or check / uncheck a line' })
  @Answers(200, CART_LINE_CHANGE)
  async update(@CurrentPrincipal() buyer: Principal, @Param('skuId', ParseIntPipe) skuId: number, @Body() dto: UpdateCartItemDto) {
    if (dto.quantity === undefined && dto.checked === undefined) throw new BadRequestException('give quantity and/or checked');
    if (!(await this.cart.update(buyer.id, skuId, dto))) throw new NotFoundException(`SKU ${skuId} is not in the cart`);
    return { skuId, ...dto };
  }

  @Put('cart/checked')
  @ApiOperation({ summary: 'Check or uncheck every line' })
  @Answers(200, object({ checked: boolean() }))
  async checkAll(@CurrentPrincipal() buyer: Principal, @Body() dto: CheckAllDto) {
    await this.cart.checkAll(buyer.id, dto.checked);
    return { checked: dto.checked };
  }

  @Delete('cart/items/:skuId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a line' })
  @ApiNoContentResponse({ description: 'Removed' })
  async remove(@CurrentPrincipal() buyer: Principal, @Param('skuId', ParseIntPipe) skuId: number) {
    await this.cart.remove(buyer.id, [skuId]);
  }

  @Delete('cart')
  @HttpCode(204)
  @ApiOperation({ summary: 'Empty the cart' })
  @ApiNoContentResponse({ description: 'Emptied' })
  async clear(@CurrentPrincipal() buyer: Principal) {
    await this.cart.clear(buyer.id);
  }

  @Put('buy-now')
  @ApiProblems('REQUEST_UNPROCESSABLE')
  @ApiOperation({ summary: 'Buy now: one SKU, checked out on its own (way=BUY_NOW), the cart untouched' })
  @Answers(200, object({ skuId: integer(), quantity: integer() }))
  async buyNow(@CurrentPrincipal() buyer: Principal, @Body() dto: AddCartItemDto) {
    await this.requireSku(dto.skuId);
    await this.cart.setBuyNow(buyer.id, dto.skuId, dto.quantity);
    return { skuId: dto.skuId, quantity: dto.quantity };
  }

  private async requireSku(skuId: number): Promise<void> {
    if (!(await goodsExists(this.dataSource, skuId))) throw new UnprocessableEntityException(`unknown SKU: ${skuId}`);
  }
}
