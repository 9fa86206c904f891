/**
 * Pure business rules shared by the API, the workflows and the activities. Everything reachable
 * from here must stay importable inside Temporal's workflow sandbox: relative imports only, no I/O,
 * no clocks, no randomness.
 */
export * from './enums';
export * from './order-flow';
export * from './money';
export * from './order-settings';
export * from './refund-summary';
export * from './complaint-flow';
export * from './complaint-settings';
export * from './review-rules';
export * from './reconciliation';
export * from './checkout-pricing';
export * from './payment-rules';
export * from './limits';
export * from './order-timers';
export * from './cancel-decision';
export * from './order-status-effects';
export * from './refund-provider-rules';
export * from './payment-status';
export * from './after-sale-flow';
export * from './after-sale-amounts';
export * from './after-sale-settings';
export * from './after-sale-window';
export * from './refund-balance';
export * from './trade-status';
export * from './error-codes';
export * from './support-work';
export * from './work-priority';
export * from './provider-gate';
export * from './api-key-scopes';
export * from './webhooks';
export * from './group-buy-activity';
export * from './task-queues';
