import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../../domain/api-key-scopes';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ERP cancellations', maxLength: 100, description: 'What the key is for, to tell keys apart' })
  @IsString({ message: 'name must be a string' })
  @Matches(/\S/, { message: 'name must not be empty' })
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['orders:read', 'orders:write'], description: 'What the key may do; each route open to keys needs one (docs/seller-integration.md)' })
  @IsArray({ message: 'scopes must be a list' })
  @ArrayMinSize(1, { message: 'scopes must name at least one scope' })
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique({ message: 'scopes must not repeat a scope' })
  @IsIn(API_KEY_SCOPES, { each: true, message: `each scope must be one of ${API_KEY_SCOPES.join(', ')}` })
  scopes!: ApiKeyScope[];
}

/** A key as listed: never its secret. */
export class ApiKeyView {
  @ApiProperty({ example: '17', description: 'The key id (the order log names uses of it as actor id `key:{id}`)' })
  id!: string;

  @ApiProperty({ example: 'ERP cancellations' })
  name!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true })
  scopes!: ApiKeyScope[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Recorded at most once a minute: a use within the last minute may not show yet' })
  lastUsedAt!: string | null;

  @ApiProperty({ description: 'A revoked key is refused (401 API_KEY_INVALID) and stays listed' })
  revoked!: boolean;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt!: string | null;
}

export class CreatedApiKey extends ApiKeyView {
  @ApiProperty({ example: 'sk_live_17_Jx3…', description: 'The key itself, shown this once (only its SHA-256 is kept). Send it as `Authorization: Bearer sk_live_…`.' })
  key!: string;
}
