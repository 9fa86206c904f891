/**
 * The one rule of which work goes first (domain/work-priority.ts) and its settings
 * (config/work-scheduling.ts): interactive 1, batch 5, nothing at all when switched off.
 */
import { readAppConfig } from '../../config/app-config';
import { ConfigError } from '../../config/config-error';
import { readSweepMaxInFlight, readWorkPriorities } from '../../config/work-scheduling';
import { BATCH_PRIORITY_KEY, INTERACTIVE_PRIORITY_KEY, WORK_CLASSES, parseWorkPriorities, stepPriority, workPriority } from '../../domain';

describe('work priority', () => {
  it('puts what people wait for first and bulk work last', () => {
    for (const kind of ['checkout', 'payment', 'cancel', 'after-sale', 'complaint', 'goodwill-refund'] as const) {
      expect(workPriority(kind, true)).toEqual({ priorityKey: INTERACTIVE_PRIORITY_KEY });
    }
    for (const kind of ['order-status-sweep', 'sweep-handover', 'refund-status-check', 'reconciliation'] as const) {
      expect(workPriority(kind, true)).toEqual({ priorityKey: BATCH_PRIORITY_KEY });
    }
    expect(INTERACTIVE_PRIORITY_KEY).toBeLessThan(BATCH_PRIORITY_KEY);
    // Every kind has a class with a key the server accepts (1..5 by default).
    for (const kind of Object.keys(WORK_CLASSES) as (keyof typeof WORK_CLASSES)[]) {
      expect(workPriority(kind, true)!.priorityKey).toBeGreaterThanOrEqual(1);
      expect(workPriority(kind, true)!.priorityKey).toBeLessThanOrEqual(5);
    }
  });

  it('sets no key at all when switched off', () => {
    expect(workPriority('checkout', false)).toBeUndefined();
    expect(workPriority('order-status-sweep', false)).toBeUndefined();
  });

  it('overrides inside a workflow only when the step differs from what it inherits, and never in a workflow without a key', () => {
    expect(stepPriority('cancel', BATCH_PRIORITY_KEY)).toEqual({ priorityKey: INTERACTIVE_PRIORITY_KEY });
    expect(stepPriority('cancel', INTERACTIVE_PRIORITY_KEY)).toBeUndefined();
    expect(stepPriority('cancel', undefined)).toBeUndefined();
    expect(stepPriority('cancel', 0)).toBeUndefined();
  });

  it('reads WORK_PRIORITIES on or off, and refuses anything else', () => {
    expect(parseWorkPriorities(undefined)).toBe(true);
    expect(parseWorkPriorities(' OFF ')).toBe(false);
    expect(readWorkPriorities({ WORK_PRIORITIES: 'on' })).toBe(true);
    expect(() => readWorkPriorities({ WORK_PRIORITIES: 'maybe' })).toThrow(ConfigError);
    expect(() => readWorkPriorities({ WORK_PRIORITIES: 'maybe' })).toThrow(/WORK_PRIORITIES/);
  });

  it('reads SWEEP_MAX_IN_FLIGHT, default 50, and refuses nonsense', () => {
    expect(readSweepMaxInFlight({})).toBe(50);
    expect(readSweepMaxInFlight({ SWEEP_MAX_IN_FLIGHT: '200' })).toBe(200);
    for (const bad of ['0', '-1', '1.5', 'lots', '100001']) expect(() => readSweepMaxInFlight({ SWEEP_MAX_IN_FLIGHT: bad })).toThrow(/SWEEP_MAX_IN_FLIGHT/);
  });

  it('is part of the validated configuration every process reads', () => {
    const config = readAppConfig({ WORK_PRIORITIES: 'off', SWEEP_MAX_IN_FLIGHT: '75', WORKER_DEPLOYMENT_NAME: 'orders', WORKER_BUILD_ID: 'abc123' });
    expect(config.workPriorities).toBe(false);
    expect(config.sweeps.maxInFlight).toBe(75);
    expect(config.worker.versioning).toEqual({ deploymentName: 'orders', buildId: 'abc123' });
    expect(readAppConfig({}).worker.versioning).toBeUndefined();
  });
});
