/**
 * Worker Versioning: which workflow types stay on the worker version they started on (PINNED) and
 * which move to the current version at their next workflow task (AUTO_UPGRADE). The one rule, applied
 * to every registered workflow by workflows/index.ts; it only matters when the worker runs with a
 * deployment version (WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID, config/work-scheduling.ts).
 *
 * - PINNED: short-lived work that finishes within a deploy's drain window (minutes to hours), or work
 *   that moves money step by step where finishing on the code it started with is the simplest safety.
 *   Their histories never meet new code, so they need no patched() for a change; the old version's
 *   workers stay until its pinned workflows have drained (docs/priorities-and-versioning.md).
 * - AUTO_UPGRADE: long-lived entities (an order lives for weeks through its after-sale window; an
 *   after-sale or a complaint for days to weeks): they cannot wait for a version to drain, so they
 *   upgrade, and every change to their commands goes behind patched() (test/integration/replay.test.ts).
 *
 * Workflow code: imports only @temporalio/workflow (and a type from @temporalio/common, erased).
 */
import type { VersioningBehavior } from '@temporalio/common';

/** Every registered workflow type must be in it (a type error otherwise). */
export const WORKFLOW_VERSIONING: Record<keyof typeof import('./registered'), VersioningBehavior> = {
  // Long-lived entities: patched() for every change.
  orderWorkflow: 'AUTO_UPGRADE',
  afterSaleWorkflow: 'AUTO_UPGRADE',
  complaintWorkflow: 'AUTO_UPGRADE',
  // Collects members until its deadline (24 h by default): longer than a drain window.
  groupBuyWorkflow: 'AUTO_UPGRADE',
  // Short-lived or money-moving steps: finish on the code they started with.
  cancellationWorkflow: 'PINNED',
  refundWorkflow: 'PINNED',
  latePaymentWorkflow: 'PINNED',
  goodwillRefundWorkflow: 'PINNED',
  supportOverdueWorkflow: 'PINNED',
  // Long-lived (continues as new); its state is rebuilt from its own counts, so a new version may take it on.
  providerGateWorkflow: 'AUTO_UPGRADE',
  // Runs for as long as its endpoint is enabled (continues as new); its state is the endpoint's row and a failing mark it carries.
  webhookEndpointWorkflow: 'AUTO_UPGRADE',
  orderStatusSweepWorkflow: 'PINNED',
  refundStatusCheckWorkflow: 'PINNED',
  reconciliationWorkflow: 'PINNED',
};

/** The worker's default (the SDK requires one with versioning on); every type names its own in the table above. */
export const DEFAULT_VERSIONING_BEHAVIOR: VersioningBehavior = 'AUTO_UPGRADE';
