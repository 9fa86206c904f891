import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { cancellationWorkflowId } from '../../workflows/cancellation.contract';
import { orderWorkflowId } from '../../workflows/order.contract';

/**
 * The processes' one logger: a JSON line per event on stdout (what log shippers read), coloured
 * human lines only when LOG_FORMAT=pretty (set by `npm run dev` when its output is a terminal).
 * LOG_LEVEL: trace, debug, info (default), warn, error, silent.
 */
export function createLogger(service: string, destination?: DestinationStream, env: NodeJS.ProcessEnv = process.env): Logger {
  const options: LoggerOptions = {
    level: env.LOG_LEVEL || 'info',
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Bearer tokens and provider signatures never reach the logs.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["wechatpay-signature"]'], censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (env.LOG_FORMAT === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(options);
}

/**
 * The order number a workflow id carries (order-{sn}, cancel-{sn}), so every workflow and activity
 * log line of an order can be found by it; other ids (refund-{refundSn}, …) carry none.
 */
export function orderSnOfWorkflowId(workflowId: unknown): string | undefined {
  if (typeof workflowId !== 'string') return undefined;
  for (const prefix of [orderWorkflowId(''), cancellationWorkflowId('')]) {
    if (workflowId.startsWith(prefix)) return workflowId.slice(prefix.length);
  }
  return undefined;
}

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal SDK's logger (worker, workflow `log`, activity `log`, Rust core) routed into pino.
 * The SDK's metadata (workflowId, workflowType, runId, activityType, taskQueue, sdkComponent) is kept
 * as fields, and orderSn is added when the workflow id names an order.
 */
export class PinoSdkLogger implements SdkLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    const pinoLevel = levels[level] ?? 'info';
    // The SDK logs every activation and activity at TRACE/DEBUG (with the whole activation as metadata):
    // below the level, nothing is copied.
    if (!this.logger.isLevelEnabled(pinoLevel)) return;
    const fields: Record<string, unknown> = {};
    // Symbol keys (the SDK's LogTimestamp) are not JSON; pino stamps its own time.
    // The activity task token is a capability (it completes the activity): never in the logs.
    for (const [key, value] of Object.entries(meta)) if (key !== 'taskToken') fields[key] = value;
    if (fields.orderSn === undefined) {
      const orderSn = orderSnOfWorkflowId(fields.workflowId);
      if (orderSn) fields.orderSn = orderSn;
    }
    this.logger[pinoLevel](fields, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
