import {
  ActivityFailure,
  ActivityOptions,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { DurableSteps } from './durable-steps';
import type { Activities } from '../activities';
import { CancellationStatus, RefundStatus, describeRefund } from '../domain';
import {
  REFUND_TOO_FREQUENT,
  RefundOutcome,
  RefundResolution,
  RefundState,
  RefundWorkflowInput,
  refundNotifiedSignal,
  refundStateQuery,
  resolveRefundUpdate,
} from './refund.contract';
import { LOCAL_DATABASE_RETRY, PROVIDER_CALL_RETRY, REFUND_RECORD_RETRY } from './retry-policies';
import { ErrorCode } from '../domain/error-codes';
import { refusalFailure } from './refusals';
import { acceptAttentionMarks } from './support-overdue.contract';
import { PROVIDER_GATE_OPEN, gateReleasedSignal, gateWaitSignal } from './provider-gate.contract';

/** A waiting refund registers with the gate again after this long without a release (a gate that ended must not strand it). */
const GATE_RECHECK = '10m';

/** "Too frequent" answers in a row before the refund is parked for support (each one waits a full spacing). */
const MAX_TOO_FREQUENT_ANSWERS = 10;

const remote = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: REFUND_RECORD_RETRY });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });
const providerCallOptions: ActivityOptions = {
  // Above the provider HTTP timeout (PAYMENT_HTTP_TIMEOUT_MS, 5 s by default), and short enough that a
  // worker killed mid-call is noticed quickly: the retry then asks the provider before resubmitting.
  startToCloseTimeout: '15s',
  retry: PROVIDER_CALL_RETRY,
};

const FINAL: readonly string[] = [RefundStatus.SUCCESS, RefundStatus.REFUNDED_OFFLINE];
const PARKED: readonly string[] = [RefundStatus.ABNORMAL, RefundStatus.CLOSED];

/**
 * One refund (`refund-{refundSn}`): submit with the same refund number on every try, then wait for
 * the provider's notification or poll with backoff until SUCCESS / ABNORMAL / CLOSED. ABNORMAL and
 * CLOSED (and errors a retry cannot fix) park the refund for support, who resolve it through the API.
 */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundOutcome> {
  // Support's overdue marker may ask this workflow to show up under NeedsAttention (support-overdue.contract.ts).
  acceptAttentionMarks();
  // Provider calls stay normal activities (their own retry timeline); the database steps are local.
  const db = local;
  // Its creator passes the row it just wrote; a restarted refund (the refund check) reads it.
  const refund = input.refund ?? (await db.getRefund.executeWithOptions({ summary: `Read refund ${input.refundSn}` }, [input.refundSn]));
  const state: RefundState = { refundSn: input.refundSn, status: refund.status, polls: 0, notifications: 0 };
  let gateReleased = false;
  /** Once the gate has held this refund, each of its provider calls takes a slot from the gate (the release pace). */
  let paced = false;
  setHandler(gateReleasedSignal, () => {
    gateReleased = true;
  });
  /** True when the failure was the gate holding the call: then it has waited for the gate's release. */
  const waitedForGate = async (err: ActivityFailure): Promise<boolean> => {
    const cause = err.cause;
    if (!(cause instanceof ApplicationFailure) || cause.type !== PROVIDER_GATE_OPEN) return false;
    const gateId = (cause.details?.[0] as { gateId?: string } | undefined)?.gateId ?? '';
    gateReleased = false;
    state.waitingForGate = gateId;
    try {
      // Registering again is harmless (the gate keeps one entry per workflow): only the gate's release lets it call again.
      do {
        await getExternalWorkflowHandle(gateId).signal(gateWaitSignal, { workflowId: workflowInfo().workflowId, refundSn: input.refundSn, amountFen: refund.refundFen });
      } while (!(await condition(() => gateReleased, GATE_RECHECK)));
    } catch (signalErr) {
      // The gate is gone (it closed and ended): try again after a pause; the activity asks it again first.
      log.warn('could not register with the provider gate', { gateId, error: (signalErr as Error).message });
      await sleep('1m');
    }
    state.waitingForGate = undefined;
    paced = true;
    return true;
  };
  let refusedBeforeSubmit = false;
  let notified: RefundNotifiedStatus | undefined;
  let resolution: RefundResolution | undefined;

  setHandler(refundStateQuery, () => state);
  setHandler(refundNotifiedSignal, (notification) => {
    state.notifications += 1;
    // Out-of-order or duplicate notifications never move the refund backwards.
    if (notification.status !== 'PROCESSING' && !isSettled(state.status)) notified = notification.status;
  });
  // Support's resolution is an Update, which the API can also send durably as a Signal (durable-steps.ts).
  new DurableSteps().register(
    resolveRefundUpdate,
    async (request) => {
      resolution = request;
      await condition(() => resolution === undefined);
      return state.status as RefundStatus;
    },
    (request) => {
      if (!state.waitingForSupport) throw refusalFailure(ErrorCode.REFUND_RESOLUTION_NOT_ALLOWED, `refund ${input.refundSn} is ${state.status} and not waiting for support`);
      if (request.action === 'REISSUE_WITH_NEW_NUMBER' && state.status !== RefundStatus.CLOSED) {
        throw refusalFailure(ErrorCode.REFUND_RESOLUTION_NOT_ALLOWED, 'only a CLOSED refund can be re-issued under a new number (an ABNORMAL one may still pay out)');
      }
      if (request.action === 'RETRY' && PARKED.includes(state.status)) {
        throw refusalFailure(ErrorCode.REFUND_RESOLUTION_NOT_ALLOWED, `a ${state.status} refund cannot be retried with the same number: mark it refunded offline${state.status === RefundStatus.CLOSED ? ' or re-issue it' : ''}`);
      }
      if (request.action === 'MARK_REFUNDED_OFFLINE' && !PARKED.includes(state.status) && !refusedBeforeSubmit) {
        throw refusalFailure(ErrorCode.REFUND_RESOLUTION_NOT_ALLOWED, `refund is ${state.status}: the provider has not given up on it, so retry it instead`);
      }
      if (request.action === 'MARK_REFUNDED_OFFLINE' && !/\S/.test(request.reference ?? '')) throw refusalFailure(ErrorCode.VALIDATION_FAILED, 'reference is required');
    },
  ).open();

  // Every starter sets RefundStatus from the row; the workflow upserts only a change.
  let indexed: RefundState['status'] = refund.status;
  const setStatus = (status: RefundState['status']) => {
    state.status = status;
    if (status === indexed) return;
    indexed = status;
    upsertSearchAttributes({ RefundStatus: [status] });
  };
  setStatus(refund.status);
  const summary = `${describeRefund(refund.refundFen, refund.provider)} (${refund.refundSn})`;

  let slotClaims = 0;
  const submit = async (): Promise<void> => {
    for (let tooFrequent = 0; ; tooFrequent += 1) {
      refusedBeforeSubmit = false;
      // The payment's next submit slot, claimed under its row lock: refunds of one payment reach the provider a spacing apart.
      slotClaims += 1;
      state.slotClaims = slotClaims;
      let slot;
      try {
        slot = await db.claimRefundSlot.executeWithOptions(
          { summary: tooFrequent === 0 ? "Claim the payment's next refund slot" : `Claim a later slot: the provider said too frequent (${tooFrequent})` },
          [{ refundSn: input.refundSn, claim: slotClaims, afterTooFrequent: tooFrequent > 0 }],
        );
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // Only a missing row gets here (database errors are retried): support looks at it, nothing is sent.
        state.waitingForSupport = `no submit slot for the refund: ${err.cause?.message ?? err.message}`;
        return;
      }
      if (slot.kind === 'refused') {
        // Never sent (the provider's count limit): support may pay it offline, or retry it.
        state.waitingForSupport = slot.reason;
        refusedBeforeSubmit = true;
        return;
      }
      if (slot.waitMs > 0) {
        state.waitingForSlotUntil = slot.slotAtIso;
        await sleep(slot.waitMs, { summary: `Wait ${seconds(slot.waitMs)} for refund #${slot.paymentRefundNo} of this payment (one per ${seconds(slot.spacingMs)})` });
        state.waitingForSlotUntil = undefined;
      }
      let cause: Error;
      for (let gateWaits = 0; ; gateWaits += 1) {
        try {
          // After a wait on the gate the provider is asked first: the held call may have reached it.
          const options = { reportTooFrequent: true, queryFirst: tooFrequent > 0 || gateWaits > 0, gate: true, ...(paced ? { paced } : {}) };
          setStatus(await remote.submitRefund.executeWithOptions({ ...providerCallOptions, summary: tooFrequent === 0 && gateWaits === 0 ? summary : `Resubmit ${summary}` }, [input.refundSn, options]));
          return;
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          if (await waitedForGate(err)) continue;
          cause = err.cause ?? err;
          break;
        }
      }
      if (cause instanceof ApplicationFailure && cause.type === REFUND_TOO_FREQUENT && tooFrequent < MAX_TOO_FREQUENT_ANSWERS) {
        log.info('provider says refunds of this payment come too fast; waiting for a later slot', { refundSn: input.refundSn, answers: tooFrequent + 1 });
        continue;
      }
      state.waitingForSupport = `provider refused the refund: ${cause.message}`;
      return;
    }
  };

  for (;;) {
    if (!state.waitingForSupport && (state.status === RefundStatus.APPLY || state.status === 'NOT_FOUND')) await submit();

    let poll = 0;
    while (!state.waitingForSupport && state.status === RefundStatus.PROCESSING) {
      const delay = input.pollScheduleMs[Math.min(poll, input.pollScheduleMs.length - 1)];
      poll += 1;
      if (await condition(() => notified !== undefined, delay)) {
        const status = notified!;
        notified = undefined;
        setStatus(await db.recordRefundOutcome.executeWithOptions({ summary: `Record the provider's answer: ${status}` }, [{ refundSn: input.refundSn, status }]));
        continue;
      }
      state.polls += 1;
      let progress: RefundState['status'];
      try {
        progress = await remote.queryRefund.executeWithOptions({ ...providerCallOptions, summary: `Check ${summary}` }, [input.refundSn, { gate: true, ...(paced ? { paced } : {}) }]);
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        if (await waitedForGate(err)) continue;
        log.warn('refund query failed; polling on', { refundSn: input.refundSn, error: err.cause?.message });
        continue;
      }
      if (progress === 'NOT_FOUND') {
        // The provider never accepted it (a create lost before commit): submit again, same number.
        setStatus(RefundStatus.APPLY);
        await submit();
      } else if (progress !== RefundStatus.PROCESSING) {
        setStatus(await db.recordRefundOutcome.executeWithOptions({ summary: `Record the provider's answer: ${progress}` }, [{ refundSn: input.refundSn, status: progress as 'SUCCESS' | 'ABNORMAL' | 'CLOSED' }]));
      }
    }

    if (FINAL.includes(state.status)) break;
    if (PARKED.includes(state.status)) state.waitingForSupport = `refund ended ${state.status} at the provider`;

    // Parked: support decides (the validator already checked the action fits the status).
    if (input.cancellationId !== undefined) await db.setCancellationStatus.executeWithOptions({ summary: 'Cancellation waits for support' }, [{ cancellationId: input.cancellationId, status: CancellationStatus.NEEDS_SUPPORT }]);
    await condition(() => resolution !== undefined);
    const request = resolution!;
    state.waitingForSupport = undefined;
    if (input.cancellationId !== undefined) await db.setCancellationStatus.executeWithOptions({ summary: 'Cancellation refunding again' }, [{ cancellationId: input.cancellationId, status: CancellationStatus.REFUNDING }]);
    if (request.action === 'MARK_REFUNDED_OFFLINE') {
      setStatus(await db.markRefundedOffline.executeWithOptions({ summary: `Support refunded offline (${request.reference})` }, [{ refundSn: input.refundSn, reference: request.reference, supportId: request.supportId, note: request.note }]));
    } else if (request.action === 'REISSUE_WITH_NEW_NUMBER') {
      await db.logRefundReissue.executeWithOptions({ summary: 'Support re-issues under a new number' }, [{ refundSn: input.refundSn, supportId: request.supportId, note: request.note }]);
      resolution = undefined;
      await condition(allHandlersFinished);
      return { status: 'REISSUE', refundSn: input.refundSn };
    }
    resolution = undefined;
    if (FINAL.includes(state.status)) break;
  }

  await condition(allHandlersFinished);
  if (!FINAL.includes(state.status)) throw ApplicationFailure.nonRetryable(`refund ended ${state.status}`, ErrorCode.RefundNotSettled);
  return { status: state.status as 'SUCCESS' | 'REFUNDED_OFFLINE', refundSn: input.refundSn };
}

type RefundNotifiedStatus = 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

function seconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

function isSettled(status: RefundState['status']): boolean {
  return FINAL.includes(status) || PARKED.includes(status);
}
