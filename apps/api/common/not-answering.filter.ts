import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { WorkflowNotAnswering } from './refused-update';

/** A 503 because no worker answered in time says when to send the request again (Retry-After). */
@Catch(WorkflowNotAnswering)
export class WorkflowNotAnsweringFilter implements ExceptionFilter {
  catch(exception: WorkflowNotAnswering, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ setHeader(name: string, value: string): void; status(code: number): { json(body: unknown): void } }>();
    response.setHeader('Retry-After', String(WorkflowNotAnswering.RETRY_AFTER_SECONDS));
    response.status(exception.getStatus()).json(exception.getResponse());
  }
}
