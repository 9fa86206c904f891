import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export class RunSweepDto {
  @ApiPropertyOptional({ default: false, description: 'Report what the run would hand over, change nothing (no signals, no workflows started)' })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}
