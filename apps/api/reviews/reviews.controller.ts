import { Answers, arrayOf, boolean, dateTime, integer, nullable, object, oneOf, string } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { Body, Controller, Get, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReviewKind } from '../../../domain';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { FollowUpReviewDto, WriteReviewDto } from './review.dto';
import { ReviewsService } from './reviews.service';
import { ApiProblems } from '../common/api-problems';

const REVIEW = object({ id: integer(), orderSn: string(), kind: string(), grade: nullable(string()), content: string(), automatic: boolean('written by the system when the window closed'), createdAt: dateTime() });
/** An order's lines with their review status and reviews (what writing a review answers too). */
const ORDER_REVIEWS = object({
  orderSn: string(),
  commentWindow: oneOf(['OPEN', 'CLOSED']),
  lines: arrayOf(object({ skuId: integer(), name: string(), commentStatus: string(), reviews: arrayOf(REVIEW) })),
});

@ApiTags('reviews')
@ApiBearerAuth()
@Controller()
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Post('orders/:orderSn/reviews')
  @ApiProblems('REVIEW_NOT_ALLOWED')
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer reviews a received line (once, within comment_order_day)', description: '201; 409 not received yet, window closed, or already reviewed; 404 not your order / no such line.' })
  @Answers(201, ORDER_REVIEWS)
  write(@CurrentPrincipal() buyer: Principal, @Param('orderSn') orderSn: string, @Body() dto: WriteReviewDto) {
    return this.reviews.write(buyer, orderSn, { kind: ReviewKind.INITIAL, skuId: dto.skuId, grade: dto.grade, content: dto.content });
  }

  @Post('orders/:orderSn/reviews/follow-up')
  @ApiProblems('REVIEW_NOT_ALLOWED')
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer follows up their review of a line, once (WAIT_CHASE → FINISHED)' })
  @Answers(201, ORDER_REVIEWS)
  followUp(@CurrentPrincipal() buyer: Principal, @Param('orderSn') orderSn: string, @Body() dto: FollowUpReviewDto) {
    return this.reviews.write(buyer, orderSn, { kind: ReviewKind.FOLLOW_UP, skuId: dto.skuId, content: dto.content });
  }

  @Get('orders/:orderSn/reviews')
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'An order’s lines with their review status and reviews' })
  @Answers(200, ORDER_REVIEWS)
  forOrder(@CurrentPrincipal() principal: Principal, @Param('orderSn') orderSn: string) {
    return this.reviews.forOrder(principal, orderSn);
  }

  @Get('goods/:skuId/reviews')
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'A goods’ reviews (sellers: their own goods only)' })
  @Paginated(REVIEW, { description: 'Newest first' })
  forGoods(@CurrentPrincipal() principal: Principal, @Param('skuId', ParseIntPipe) skuId: number, @PageParams() page: PageRequest) {
    return this.reviews.forGoods(principal, skuId, page);
  }
}
