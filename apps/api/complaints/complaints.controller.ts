import { Answers, StepAnswers } from '../common/answer-schemas';
import { PageParams, Paginated, type PageRequest } from '../common/pagination';
import { COMPLAINT, COMPLAINT_ROW } from './complaint-answers';
import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ComplaintAction } from '../../../domain';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { ComplaintTextDto, FileComplaintDto } from './complaint.dto';
import { ComplaintsService } from './complaints.service';
import { ApiProblems } from '../common/api-problems';

/** Buyers and sellers in a complaint: file, answer, talk, ask for arbitration, withdraw. */
@ApiTags('complaints')
@ApiBearerAuth()
@Controller()
export class ComplaintsController {
  constructor(private readonly complaints: ComplaintsService) {}

  @Post('orders/:orderSn/complaints')
  @ApiProblems('COMPLAINT_NOT_ALLOWED', 'COMPLAINT_ALREADY_OPEN')
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer files a complaint about an order line', description: '201 with the complaint and its workflow; 409 window closed or the line already has an open complaint; 404 not your order / no such line.' })
  @Answers(201, COMPLAINT)
  file(@CurrentPrincipal() buyer: Principal, @Param('orderSn') orderSn: string, @Body() dto: FileComplaintDto) {
    return this.complaints.file(buyer, orderSn, dto);
  }

  @Get('complaints')
  @Roles('buyer', 'seller')
  @ApiOperation({ summary: 'My complaints (a buyer’s filed, a seller’s received)' })
  @Paginated(COMPLAINT_ROW, { description: 'Newest first' })
  mine(@CurrentPrincipal() principal: Principal, @PageParams() page: PageRequest) {
    return this.complaints.list(principal, {}, page);
  }

  @Get('complaints/:id')
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'One complaint: row, messages, line status, live workflow state and Temporal UI link' })
  @Answers(200, COMPLAINT)
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseIntPipe) id: number) {
    return this.complaints.get(principal, id);
  }

  @Post('complaints/:id/appeal')
  @ApiProblems('ComplaintStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('seller')
  @ApiOperation({ summary: 'Seller answers (appeals) a reviewed complaint: WAIT_APPEAL → COMMUNICATION' })
  @StepAnswers(COMPLAINT)
  appeal(@CurrentPrincipal() seller: Principal, @Param('id', ParseIntPipe) id: number, @Body() dto: ComplaintTextDto) {
    return this.complaints.step(seller, id, ComplaintAction.APPEAL, dto.content);
  }

  @Post('complaints/:id/messages')
  @ApiProblems('ComplaintStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('buyer', 'seller', 'support', 'admin')
  @ApiOperation({ summary: 'A message in the complaint dialogue (COMMUNICATION or WAIT_ARBITRATION)' })
  @StepAnswers(COMPLAINT)
  message(@CurrentPrincipal() principal: Principal, @Param('id', ParseIntPipe) id: number, @Body() dto: ComplaintTextDto) {
    return this.complaints.step(principal, id, ComplaintAction.MESSAGE, dto.content);
  }

  @Post('complaints/:id/arbitration-request')
  @ApiProblems('ComplaintStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('buyer', 'seller')
  @ApiOperation({ summary: 'Buyer or seller asks support to arbitrate: COMMUNICATION → WAIT_ARBITRATION' })
  @StepAnswers(COMPLAINT)
  requestArbitration(@CurrentPrincipal() principal: Principal, @Param('id', ParseIntPipe) id: number, @Body() dto: ComplaintTextDto) {
    return this.complaints.step(principal, id, ComplaintAction.REQUEST_ARBITRATION, dto.content);
  }

  @Post('complaints/:id/withdrawal')
  @ApiProblems('ComplaintStepRefused', 'WORKFLOW_FINISHED', 'CONFLICT', 'WORKFLOW_NOT_ANSWERING')
  @HttpCode(200)
  @Roles('buyer')
  @ApiOperation({ summary: 'Buyer withdraws the complaint (CANCEL); the line is free for a new one' })
  @StepAnswers(COMPLAINT)
  withdraw(@CurrentPrincipal() buyer: Principal, @Param('id', ParseIntPipe) id: number, @Body() dto: ComplaintTextDto) {
    return this.complaints.step(buyer, id, ComplaintAction.WITHDRAW, dto.content);
  }
}
