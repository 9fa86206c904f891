import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { pathAsCalled } from '../common/api-version';
import { StepPending } from '../common/refused-update';
import { principalKey, signStepToken } from './step-token';

/** The stable code of "your step is accepted and still running". */
export const STEP_PENDING = 'STEP_PENDING';

/** The 202 answer for a step that is accepted but not finished yet, and for its outcome while it runs. */
export function pendingAnswer(step: { workflowId: string; step: string }, stepUrl: string) {
  return {
    status: 'PENDING',
    code: STEP_PENDING,
    step: step.step,
    workflowId: step.workflowId,
    stepUrl,
    message: `${step.step} on ${step.workflowId} is accepted and will be applied; it is still running. Do not send it again: GET ${stepUrl} answers its outcome (200 done, 409 refused, 202 still running)`,
  };
}

/**
 * A person's step the workflow accepted but did not finish within the API's wait (under a worker
 * outage): 202 with Location, where the sender reads the outcome (steps.controller.ts).
 */
@Catch(StepPending)
export class StepPendingFilter implements ExceptionFilter {
  constructor(private readonly secret: string) {}

  catch(pending: StepPending, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<{ principal: Principal; originalUrl: string }>();
    const token = signStepToken({ workflowId: pending.workflowId, updateId: pending.updateId, step: pending.step, sentBy: principalKey(request.principal) }, this.secret);
    const stepUrl = pathAsCalled(request.originalUrl, `/steps/${token}`);
    const response = http.getResponse<{ setHeader(name: string, value: string): void; status(code: number): { json(body: unknown): void } }>();
    response.setHeader('Location', stepUrl);
    response.status(202).json(pendingAnswer(pending, stepUrl));
  }
}
