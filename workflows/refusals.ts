import { ApplicationFailure } from '@temporalio/workflow';
import type { ErrorCode } from '../domain/error-codes';

/**
 * A workflow's "no" with its catalogue code: the ApplicationFailure a validator or an Update handler
 * throws, whose type is the code (the API answers that code's status), never retried. Workflow code:
 * imports only @temporalio/workflow and pure modules.
 */
export function refusalFailure(code: ErrorCode, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true, details: details ? [details] : undefined });
}
