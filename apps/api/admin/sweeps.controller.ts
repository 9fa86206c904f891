import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { SWEEP_NAMES } from '../../../workflows/sweep.contract';
import { Roles } from '../auth/roles.decorator';
import { RunSweepDto } from './run-sweep.dto';
import { SweepsService } from './sweeps.service';
import { ApiProblems } from '../common/api-problems';

/** The scheduled reconcilers, for platform operators: run now, dry run, last runs with their counts. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/sweeps')
export class SweepsController {
  constructor(private readonly sweeps: SweepsService) {}

  @Post(':name/run')
  @ApiProblems('CONFLICT')
  @HttpCode(202)
  @Roles('admin')
  @ApiParam({ name: 'name', enum: SWEEP_NAMES })
  @ApiOperation({
    summary: 'Run a sweep now (through its schedule), or dry-run it',
    description: '202 with the run\'s workflow id; 404 unknown sweep; 409 a run is already in progress or the schedule is missing. Progress: GET /admin/sweeps/{name}.',
  })
  run(@Param('name') name: string, @Body() dto: RunSweepDto) {
    return this.sweeps.run(this.sweeps.sweepNamed(name), dto.dryRun === true);
  }

  @Get(':name')
  @Roles('admin')
  @ApiParam({ name: 'name', enum: SWEEP_NAMES })
  @ApiOperation({ summary: 'The schedule (next runs, paused, running) and the last 20 runs with scanned / advanced / skipped / failed per task' })
  describe(@Param('name') name: string) {
    return this.sweeps.describe(this.sweeps.sweepNamed(name));
  }
}
