import { Answers, anyObject, arrayOf, boolean, dateTime, integer, nullable, object, string } from '../common/answer-schemas';
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { SWEEP_NAMES } from '../../../workflows/sweep.contract';
import { Roles } from '../auth/roles.decorator';
import { RunSweepDto } from './run-sweep.dto';
import { SweepsService } from './sweeps.service';
import { ApiProblems } from '../common/api-problems';

const SWEEP_STARTED = object({ sweep: string(), dryRun: boolean(), workflowId: string(), temporalUiUrl: string() });
/** The schedule and the last runs: a status page of a fixed, small number of recent runs, not a list to page through. */
const SWEEP_STATUS = object({
  sweep: string(),
  schedule: nullable(anyObject('the Temporal schedule: spec, overlap, catch-up window, paused, note, next run times, running workflows (null: no schedule)')),
  lastRuns: arrayOf(
    object({ sweepRunId: integer(), workflowId: string(), dryRun: boolean(), sweepDay: string(), asOf: dateTime(), status: string(), startedAt: dateTime(), finishedAt: nullable(dateTime()), tasks: anyObject('per task: scanned, advanced, skipped, failed'), temporalUiUrl: string() }),
    'newest first, at most 20',
  ),
});

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
  @Answers(202, SWEEP_STARTED)
  run(@Param('name') name: string, @Body() dto: RunSweepDto) {
    return this.sweeps.run(this.sweeps.sweepNamed(name), dto.dryRun === true);
  }

  @Get(':name')
  @Roles('admin')
  @ApiParam({ name: 'name', enum: SWEEP_NAMES })
  @ApiOperation({ summary: 'The schedule (next runs, paused, running) and the last 20 runs with scanned / advanced / skipped / failed per task' })
  @Answers(200, SWEEP_STATUS)
  describe(@Param('name') name: string) {
    return this.sweeps.describe(this.sweeps.sweepNamed(name));
  }
}
