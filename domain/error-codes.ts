/**
 * The one catalogue of error codes: every refusal and failure the API answers (its problem document's
 * `code`, RFC 9457) and every failure type an activity or workflow raises (the Temporal
 * `ApplicationFailure` type, which retry lists name). A code has one HTTP status and one title; the
 * `detail` of an answer says what happened this time. docs/errors.md is the table for readers.
 *
 * Codes clients and running workflows already saw keep their spelling (RATE_LIMITED,
 * RefundExceedsRemaining, OrderNotFound…); new ones are UPPER_SNAKE_CASE.
 *
 * Imported by workflow code: pure, deterministic, relative imports only.
 */

/** What the catalogue says about a code; `when` is the sentence docs/errors.md shows. */
export interface ErrorCodeEntry {
  status: number;
  title: string;
  when: string;
}

const entry = (status: number, title: string, when: string): ErrorCodeEntry => ({ status, title, when });

/** Refusals and failures a caller of the HTTP API can see. */
const API_CODES = {
  VALIDATION_FAILED: entry(400, 'The request is not valid', 'a body, path, query or header fails validation (field errors in `errors`), the body is not JSON or nests too deep'),
  UNAUTHENTICATED: entry(401, 'Authentication is required', 'no bearer token, or one that is expired, malformed or badly signed'),
  FORBIDDEN: entry(403, 'Not allowed for this role', 'the caller\'s role may not call this route at all (another party\'s resource is NOT_FOUND instead)'),
  API_KEY_INVALID: entry(401, 'The API key is not valid', 'an `sk_…` key that is malformed, unknown or revoked (docs/seller-integration.md)'),
  INSUFFICIENT_SCOPE: entry(403, 'The API key lacks the scope', 'an API key without the scope the route needs, or a route no API key may call (key management, buyer and support routes)'),
  NOT_FOUND: entry(404, 'Not found', 'the resource does not exist, or belongs to another party (never 403: a 404 tells nothing about it)'),
  PAYLOAD_TOO_LARGE: entry(413, 'The request body is too large', 'the body is above the 64 kB cap'),
  IDEMPOTENCY_KEY_REUSED: entry(422, 'Idempotency-Key reused with another request', 'the Idempotency-Key was already used with a different request body'),
  REQUEST_UNPROCESSABLE: entry(422, 'The request cannot be carried out as asked', 'a well-formed request that cannot work: unknown SKU, empty checkout, a group-buy rule, a total above what an order holds'),
  WEBHOOK_URL_REFUSED: entry(422, 'The webhook URL is not allowed', 'a webhook endpoint URL that is not https (outside development), carries credentials, does not resolve, or resolves to a loopback, private, link-local, CGNAT, metadata or other non-public address'),
  RATE_LIMITED: entry(429, 'Too many requests', 'the caller sent more than its kind may on this route in a minute (Retry-After says when to come back)'),
  CONFLICT: entry(409, 'The resource\'s state refuses the request', 'a state conflict with no more specific code (a sweep already running, a difference no longer OPEN…)'),
  WORKFLOW_FINISHED: entry(409, 'The entity\'s workflow has finished', 'a step sent to an order, after-sale, complaint or refund whose workflow has ended'),
  ORDER_OPERATION_NOT_ALLOWED: entry(409, 'The order\'s status does not allow this operation', 'the order flow table refuses the operation in the order\'s status, or for this actor'),
  ORDER_NOT_CANCELLABLE_IN_STATE: entry(409, 'The order cannot be cancelled in its status', 'a cancel of an order that is shipped, received, completed or already cancelled'),
  CANCELLATION_IN_PROGRESS: entry(409, 'A cancellation of the order is in progress', 'a step or an after-sale on an order whose cancellation is running'),
  AFTER_SALE_OPEN: entry(409, 'An after-sale is open on the order', 'a whole-order cancel while an after-sale is open'),
  AFTER_SALE_NOT_ALLOWED: entry(409, 'The order takes no after-sale now', 'an after-sale on an order not shipped, cancelled, a replacement, or past its after-sale window'),
  LINE_NOT_YOURS: entry(409, 'The line is not on this order', 'an after-sale names a line the order does not have'),
  AFTER_SALE_LINES_INVALID: entry(409, 'The after-sale\'s lines do not fit the order', 'no line, a line twice, a quantity below 1 or above what remains'),
  NOT_PAID: entry(409, 'The order was not paid', 'a money after-sale on an order that captured nothing'),
  PAYMENT_NOT_ALLOWED: entry(409, 'The order cannot be paid now', 'paying an order that is paid, cancelled, cash-on-delivery or a free replacement'),
  OUT_OF_STOCK: entry(409, 'Not enough stock', 'a checkout asks for more units than the SKU has'),
  COUPON_UNAVAILABLE: entry(409, 'The coupon cannot be used', 'a coupon already used, already claimed, expired or all claimed'),
  GROUP_BUY_CLOSED: entry(409, 'The group buy is closed', 'joining a group that formed, failed or passed its deadline'),
  GROUP_BUY_ACTIVITY_INACTIVE: entry(409, 'The group-buy activity is not running', 'opening or joining a group of an activity that has not started, is over, or was ended by its seller'),
  GROUP_BUY_LIMIT_REACHED: entry(409, 'The buyer\'s limit for the group-buy activity is reached', 'a buyer asks for more units of a group-buy activity than its limit per buyer allows'),
  GROUP_BUY_QUOTA_EXHAUSTED: entry(409, 'The group-buy activity\'s quota is exhausted', 'the activity\'s stock quota has fewer units left than the join asks for; the order is kept with its GROUPBUY_GOODS out-status FAIL (`orderSn` in the answer)'),
  COMPLAINT_NOT_ALLOWED: entry(409, 'The line cannot take a complaint now', 'a complaint before the goods were received, or after the complaint window closed'),
  COMPLAINT_ALREADY_OPEN: entry(409, 'The line already has an open complaint', 'a second complaint on a line whose complaint is not complete'),
  REVIEW_NOT_ALLOWED: entry(409, 'The line cannot be reviewed now', 'a review before receipt, after the window, twice, or a follow-up before the review'),
  REFUND_RESOLUTION_NOT_ALLOWED: entry(409, 'The refund does not take this resolution', 'support resolves a refund that is not waiting for support, or in a way its status does not allow'),
  OperationRefused: entry(409, 'The order refused the step', 'the order workflow refused a step when it ran it (the state moved since the request was checked)'),
  AfterSaleStepRefused: entry(409, 'The after-sale refused the step', 'the after-sale flow table refuses the step in its status or for this actor'),
  ComplaintStepRefused: entry(409, 'The complaint refused the step', 'the complaint flow table refuses the step in its status or for this actor'),
  NothingToRefund: entry(409, 'Nothing remains refundable', 'a refund on a payment or lines already fully refunded'),
  RefundExceedsRemaining: entry(409, 'The amount exceeds what remains refundable', 'a refund above what remains refundable on the payment or line'),
  RefundLinesMismatch: entry(409, 'The refund\'s lines do not add up', 'a refund that is not whole fen from 1, names a line twice, or whose lines do not add up'),
  RefundLineUnknown: entry(409, 'The refund names an unknown line', 'a refund line that is not on the order'),
  INTERNAL: entry(500, 'Internal error', 'an unexpected failure; the request id finds it in the logs (no stack is sent)'),
  PROVIDER_FAILED: entry(502, 'The payment provider refused or failed', 'WeChat Pay or Alipay refused a call made for this request (an error it does not ask to be sent again)'),
  SERVICE_UNAVAILABLE: entry(503, 'A dependency is unavailable', 'the database, Temporal or Redis did not answer'),
  WORKFLOW_NOT_ANSWERING: entry(503, 'No worker answered in time', 'no worker answered the workflow step within its wait; nothing was refused (Retry-After)'),
  PROVIDER_UNAVAILABLE: entry(503, 'The payment provider did not answer', 'WeChat Pay or Alipay did not answer in time, could not be reached, answered unreadably or asked to be called again; nothing was refused: send the same request again (Retry-After), it reuses the same payment number'),
} as const;

/**
 * Failure types of activities and workflows: they end or stop retrying a step, and never reach an
 * HTTP caller as such (were one to, it is a 500).
 */
const WORKER_CODES = {
  OrderNotFound: entry(500, 'Order row missing', 'an activity found no order row for its order'),
  BadTransition: entry(500, 'Malformed order transition', 'an order transition without the details it needs'),
  CancellationNotFound: entry(500, 'Cancellation row missing', 'an activity found no cancellation request row'),
  CancellationFailed: entry(500, 'The cancellation failed', 'the order\'s cancellation workflow failed'),
  RefundNotFound: entry(500, 'Refund row missing', 'an activity found no refund row'),
  RefundNotSettled: entry(500, 'The refund did not settle', 'a refund workflow ended without reaching a final status'),
  RefundTooFrequent: entry(500, 'The provider asks for refunds further apart', 'the provider refused a refund sent too soon after another'),
  ComplaintNotFound: entry(500, 'Complaint row missing', 'an activity found no complaint row'),
  ComplaintMoved: entry(500, 'Complaint row moved', 'the complaint row is not in the status its workflow expected'),
  AfterSaleNotFound: entry(500, 'After-sale row missing', 'an activity found no after-sale row'),
  AfterSaleMoved: entry(500, 'After-sale row moved', 'the after-sale row is not in the status its workflow expected'),
  AfterSaleLineNotFound: entry(500, 'After-sale line missing', 'an after-sale step names a line the after-sale does not have'),
  PaymentNotFound: entry(500, 'Payment row missing', 'an activity found no payment row'),
  IncompleteProviderAnswer: entry(500, 'Incomplete provider answer', 'the provider said PAID without a transaction id or amount (retried)'),
  ProviderRetryable: entry(500, 'Provider error, retried', 'a transient provider error (5xx, rate limit, timeout)'),
  ProviderNeedsOperator: entry(500, 'Provider error, needs an operator', 'a provider error only a person can fix (the case is parked for support)'),
  ProviderFinal: entry(500, 'Provider refused for good', 'a provider error that no retry changes'),
  ProviderGateOpen: entry(500, 'Provider gate open', 'the provider gate is open: the call was not sent (or not retried) and the workflow waits for the gate to release it'),
  ProviderCallPaced: entry(500, 'Provider call paced', 'released work has no provider call slot within 5 s (PROVIDER_GATE_RELEASE_PER_SECOND): the call was not sent and is retried when a slot is near'),
  BadLinkedOrder: entry(500, 'Malformed linked order', 'a replacement order that is not CHANGE / SUPPLY_AGAIN, has no lines, or names another seller\'s SKU'),
  LinkedOrderMissing: entry(500, 'Linked order missing', 'a linked order not found right after creating it (retried)'),
  LinkedOrderOutOfStock: entry(500, 'No stock for the linked order', 'not enough stock to send a replacement'),
  UnknownSweepRule: entry(500, 'Unknown sweep rule', 'a sweep page names a rule or window that does not exist'),
  SweepNotConfigured: entry(500, 'Sweep not configured', 'a worker built without what the sweeps need'),
  BadReconciliationRequest: entry(500, 'Malformed reconciliation request', 'an unknown provider or a bill date not yyyy-MM-dd'),
  ReconciliationNotConfigured: entry(500, 'Reconciliation not configured', 'a worker built without a Temporal client for reconciliation'),
  BillIntegrity: entry(500, 'Bill failed its integrity check', 'a downloaded bill does not match its digest (retried)'),
  NoTemporalClient: entry(500, 'Worker has no Temporal client', 'a worker built without the Temporal client an activity needs'),
} as const;

export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, ErrorCodeEntry>> = { ...API_CODES, ...WORKER_CODES };

export type ApiErrorCode = keyof typeof API_CODES;
export type WorkerErrorCode = keyof typeof WORKER_CODES;
export type ErrorCode = ApiErrorCode | WorkerErrorCode;

/** Every code by its own name: `ErrorCode.NOT_FOUND === 'NOT_FOUND'`. */
export const ErrorCode = Object.freeze(Object.fromEntries(Object.keys({ ...API_CODES, ...WORKER_CODES }).map((code) => [code, code]))) as { readonly [C in ErrorCode]: C };

export const API_ERROR_CODES = Object.keys(API_CODES) as ApiErrorCode[];
export const WORKER_ERROR_CODES = Object.keys(WORKER_CODES) as WorkerErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, value);
}

/** A refusal as pure rules return it: the code and the sentence for this case. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

/**
 * An error with a catalogue code, for pure code and services: the API's exception filter answers it
 * with the code's status; `details` become extension members of the problem document (and the
 * ApplicationFailure details at a Temporal boundary, where workflows/refusals.ts turns it into an
 * ApplicationFailure whose type is the code).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = code;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  static of(refusal: Refusal, details?: Record<string, unknown>): DomainError {
    return new DomainError(refusal.code, refusal.message, details);
  }
}
