import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { EVENT_TYPES } from '../../../domain/events';

const TYPES_MESSAGE = `each event type must be one of the catalogue's (docs/events.md), e.g. order.paid`;

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://erp.example.com/hooks/orders', maxLength: 2048, description: 'https:// (http:// only with WEBHOOK_ALLOW_HTTP in development); must resolve to public addresses' })
  @IsString({ message: 'url must be a string' })
  @MinLength(1)
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({ example: 'ERP order sync', maxLength: 500 })
  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: [String], example: ['order.paid', 'order.cancelled', 'refund.succeeded'], description: 'Only these event types (absent or null: every type)' })
  @IsOptional()
  @IsArray({ message: 'eventTypes must be an array of event types' })
  @ArrayMinSize(1, { message: 'eventTypes must name at least one type (leave it out for every type)' })
  @ArrayMaxSize(200)
  @IsIn(EVENT_TYPES, { each: true, message: TYPES_MESSAGE })
  eventTypes?: string[] | null;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ example: 'https://erp.example.com/hooks/orders-v2', maxLength: 2048 })
  @IsOptional()
  @IsString({ message: 'url must be a string' })
  @MinLength(1)
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: [String], nullable: true, description: 'Only these event types; null: every type' })
  @IsOptional()
  @IsArray({ message: 'eventTypes must be an array of event types, or null for every type' })
  @ArrayMinSize(1, { message: 'eventTypes must name at least one type (null for every type)' })
  @ArrayMaxSize(200)
  @IsIn(EVENT_TYPES, { each: true, message: TYPES_MESSAGE })
  eventTypes?: string[] | null;

  @ApiPropertyOptional({ description: 'false: disabled (deliveries stop, the cursor stays); true: enabled again (a paused endpoint resumes from its cursor)' })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}
