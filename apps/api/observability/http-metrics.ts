import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiMetrics } from './business-metrics';

type RoutedRequest = IncomingMessage & { route?: { path?: string }; baseUrl?: string };

/**
 * Express middleware: times every request until its answer is sent and records it by route pattern
 * (`/orders/:orderSn`), so 401s from the guard and 404s are counted too (the latter as route "unmatched").
 */
export function httpMetricsMiddleware(metrics: ApiMetrics) {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const stop = metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      stop({ method: req.method ?? 'GET', route, status: String(res.statusCode) });
    });
    next();
  };
}
