import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * prom-client's process metrics for the API and the worker alike. The event-loop lag histogram
 * samples with a native timer; prom-client's default 10 ms tick cost the idle API ~8 ms of CPU a
 * second (node on this box: 0.5 without it, 1.5 at 100 ms). A 100 ms tick still records every stall,
 * as the lateness of the tick after it (nodejs_eventloop_lag_*).
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
}
