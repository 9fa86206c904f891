/** Nest injection tokens for the values the API is built from. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');
export const PAYMENT_PROVIDERS = Symbol('PAYMENT_PROVIDERS');
