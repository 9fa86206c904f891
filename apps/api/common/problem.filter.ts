import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { ProblemRequest, ProblemResponse, problemOf, sendProblem } from './problem-details';

/**
 * The one exception filter (global): every 4xx and 5xx the API answers is an RFC 9457 problem
 * document with a catalogue code — HttpExceptions (a bare one takes its status's code), DomainErrors
 * (their own code), the validation pipe's VALIDATION_FAILED, the throttler's RATE_LIMITED
 * (Retry-After kept), a workflow's refusal of an Update (its ApplicationFailure type when that is a
 * code), a finished workflow (WORKFLOW_FINISHED), and anything else as INTERNAL without its message
 * or stack (those are logged, with the request id).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<ProblemRequest>();
    const response = http.getResponse<ProblemResponse & { err?: unknown }>();
    const problem = problemOf(exception);
    const document = sendProblem(request, response, problem);
    if (document.status >= 500) {
      // The request line (pino-http) carries the error too.
      response.err = exception;
      this.logger.error(`${document.code} on ${document.instance} (request ${document.requestId}): ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    }
  }
}
