import type { RetryPolicy } from '@temporalio/workflow';
import { REFUND_REFUSAL_CODES } from '../domain/refund-balance';
import { ErrorCode } from '../domain/error-codes';

/**
 * The retry policies every workflow's activities use, by what the activity talks to. Errors a retry
 * cannot fix (a missing row, a malformed request, nothing left to refund) are named so they fail fast,
 * by their codes in domain/error-codes.ts.
 */
const NOT_RETRYABLE = [ErrorCode.OrderNotFound, ErrorCode.BadTransition, ErrorCode.CancellationNotFound, ErrorCode.RefundNotFound, ...REFUND_REFUSAL_CODES];

/**
 * MySQL effects: outages, deadlocks and lock timeouts are retried until the database is back (the
 * effects are idempotent), at most 30 s apart.
 */
export const DATABASE_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NOT_RETRYABLE };

/**
 * Local database effects: the first retries come fast (a deadlock clears in milliseconds), then the
 * same patience as DATABASE_RETRY. A local activity's retries run inside the workflow task, so they
 * cost no server round trip.
 */
export const LOCAL_DATABASE_RETRY: RetryPolicy = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NOT_RETRYABLE };

/**
 * Provider calls: transient errors back off up to 2 minutes apart for ~30 attempts, then the case is
 * parked for support instead of retrying forever against a provider that keeps failing.
 */
export const PROVIDER_CALL_RETRY: RetryPolicy = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 30, nonRetryableErrorTypes: [ErrorCode.RefundNotFound] };

/**
 * Database steps a person's request waits on (an Update answers once its step is written): a single
 * short transaction, so an attempt lost with a killed worker is noticed after 10 s instead of 30 s and
 * retried at most 5 s apart. The API's wait is bounded (60 s, refused-update.ts); with 30 s per lost
 * attempt and a growing backoff, two worker kills in a row outlasted it.
 */
export const DATABASE_STEP_TIMEOUT = '10s';
export const DATABASE_STEP_RETRY: RetryPolicy = { ...DATABASE_RETRY, maximumInterval: '5s' };

/** Refund bookkeeping between provider calls: like DATABASE_RETRY, up to a minute apart. */
export const REFUND_RECORD_RETRY: RetryPolicy = { ...DATABASE_RETRY, maximumInterval: '1m' };

/** Sweep pages: a killed worker's page is retried elsewhere; the handover rows make the retry exact. */
export const SWEEP_PAGE_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: [ErrorCode.UnknownSweepRule, ErrorCode.SweepNotConfigured] };

/** Asking a provider whether an unpaid payment was paid: a missing payment row is final, the rest is retried. */
export const PAYMENT_QUERY_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: [ErrorCode.PaymentNotFound] };
