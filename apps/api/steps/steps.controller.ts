import { Answers, STEP_PENDING_ANSWER, object, oneOf, string } from '../common/answer-schemas';
import { Controller, Get, Inject, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/api-problems';
import { pathAsCalled } from '../common/api-version';
import { Client, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { AppConfig } from '../../../config/app-config';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { Scopes } from '../auth/scopes.decorator';
import { refusalOfType, workflowRefusal } from '../common/problem-details';
import { stepOutcomeQuery } from '../../../workflows/durable-steps.contract';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { pendingAnswer } from './step-pending.filter';
import { principalKey, verifyStepToken } from './step-token';

/** How long asking the workflow for a Signal-sent step's outcome may take (a query needs a worker). */
const QUERY_WAIT_MS = 5_000;
/** How long one read waits for a running step before answering 202 again. */
const OUTCOME_WAIT_MS = 20_000;

const STEP_DONE = object({ status: oneOf(['DONE']), step: string(), workflowId: string(), result: { description: 'what the step answers when it is done (the route\'s own answer)' } });

/** The outcome of a step answered 202 (accepted, still running), read by the principal that sent it. */
@ApiTags('steps')
@ApiBearerAuth()
@Controller('steps')
export class StepsController {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(':token')
  @Roles('buyer', 'seller', 'support', 'admin')
  @Scopes('orders:read')
  @ApiOperation({ summary: "A pending step's outcome: 200 done (with the workflow's answer), 409 refused (with the reason), 202 still running (waits up to 20 s)" })
  @Answers(202, STEP_PENDING_ANSWER, { description: 'still running: { status: PENDING, code: STEP_PENDING, stepUrl }' })
  @Answers(200, STEP_DONE, { description: 'done, with the workflow\'s answer' })
  @ApiProblems('CONFLICT', 'WORKFLOW_FINISHED')
  async outcome(@CurrentPrincipal() principal: Principal, @Param('token') token: string, @Req() req: { originalUrl: string }, @Res({ passthrough: true }) res: { status(code: number): void }) {
    const stepUrl = pathAsCalled(req.originalUrl, `/steps/${token}`);
    const ref = verifyStepToken(token, this.config.api.jwtSecret);
    // Not this API's token, or another principal's step: as if it did not exist.
    if (!ref || ref.sentBy !== principalKey(principal)) throw new NotFoundException('no such step');
    const workflow = this.temporal.workflow.getHandle(ref.workflowId);
    // A step sent again as a Signal (no worker accepted its Update in time): the workflow keeps its outcome.
    const durable = await this.temporal
      .withDeadline(Date.now() + QUERY_WAIT_MS, () => workflow.query(stepOutcomeQuery, ref.updateId))
      .catch(() => undefined);
    if (durable?.status === 'DONE') return { status: 'DONE', step: ref.step, workflowId: ref.workflowId, result: durable.result };
    if (durable?.status === 'REFUSED') throw refusalOfType(durable.code, durable.message);
    if (durable?.status === 'RUNNING') {
      res.status(202);
      return pendingAnswer(ref, stepUrl);
    }
    const handle = workflow.getUpdateHandle(ref.updateId);
    try {
      const result = await this.temporal.withDeadline(Date.now() + OUTCOME_WAIT_MS, () => handle.result());
      return { status: 'DONE', step: ref.step, workflowId: ref.workflowId, result };
    } catch (err) {
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        res.status(202);
        return pendingAnswer(ref, stepUrl);
      }
      // Refused by the workflow: the same problem answer (code and reason) the call would have had.
      throw workflowRefusal(err, `${ref.workflowId} has finished`) ?? err;
    }
  }
}
