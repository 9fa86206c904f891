import type { DataSource } from 'typeorm';
import { OrderTransitions } from './order-transitions';

export interface ActivityDependencies {
  dataSource: DataSource;
}

/**
 * Every activity the worker registers, bound from services built on injected dependencies
 * (so tests can build them on a throwaway database). Workflows import only the type.
 */
export function createActivities(deps: ActivityDependencies) {
  const orders = new OrderTransitions(deps.dataSource);
  return {
    applyTransition: orders.applyTransition.bind(orders),
  };
}

export type Activities = ReturnType<typeof createActivities>;
