import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/principal';

/** What a step token names: the workflow, the step's Update id, and who sent it. */
export interface StepRef {
  workflowId: string;
  updateId: string;
  step: string;
  /** `role:id` of the principal that sent the step: only they may read its outcome. */
  sentBy: string;
}

export const principalKey = (principal: Principal) => `${principal.role}:${principal.id}`;

/**
 * A step's outcome address, handed out with a 202: its reference, signed with the API's secret, so a
 * client cannot ask for another workflow's Update and nothing needs storing. Not a bearer token: the
 * caller still authenticates, and must be the principal that sent the step.
 */
export function signStepToken(ref: StepRef, secret: string): string {
  const payload = Buffer.from(JSON.stringify(ref)).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

/** The reference a token names, or undefined when it was not signed by this API (tampered, truncated). */
export function verifyStepToken(token: string, secret: string): StepRef | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as StepRef;
  } catch {
    return undefined;
  }
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`step-outcome:${payload}`).digest('base64url');
}
