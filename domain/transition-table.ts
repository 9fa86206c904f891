import type { Actor } from './enums';
import type { ErrorCode } from './error-codes';

/**
 * The one check behind every entity's flow table (order, after-sale, complaint): may `actor` take
 * `action` on an entity in `state`, and to which state does it lead? Each table is data — rows of
 * (from states, action, to, actors) — and says in its own words why a step is refused; the lookup
 * and the three ways a step can be wrong are here once. Pure: imported by workflow code.
 */
export interface TransitionRule<S extends string, A extends string> {
  readonly from: readonly S[];
  readonly action: A;
  /** `SAME` keeps the state (a message, a review): the step is logged but moves nothing. */
  readonly to: S | 'SAME';
  readonly actors: readonly Actor[];
}

export type TransitionCheck<S extends string, C extends ErrorCode = ErrorCode> = { allowed: true; to: S } | { allowed: false; reason: string; code: C };

export interface TransitionRequest<S extends string, A extends string> {
  state: S;
  action: A;
  actor: Actor;
}

/**
 * Why a step is refused: the table has no such step at all, has it only from other states, or has it
 * from this state for other actors. `rules` are the table's rows for the action (all states).
 */
export type TransitionRefusal<S extends string, A extends string> =
  | { kind: 'NO_SUCH_STEP' }
  | { kind: 'NOT_FROM_STATE'; rules: readonly TransitionRule<S, A>[] }
  | { kind: 'NOT_FOR_ACTOR'; rules: readonly TransitionRule<S, A>[] };

export interface TransitionTable<S extends string, A extends string, C extends ErrorCode = ErrorCode> {
  readonly rules: readonly TransitionRule<S, A>[];
  /** The table's own words and code for a refusal. */
  refuse(request: TransitionRequest<S, A>, why: TransitionRefusal<S, A>): { reason: string; code: C };
}

export function checkTransition<S extends string, A extends string, C extends ErrorCode>(table: TransitionTable<S, A, C>, request: TransitionRequest<S, A>): TransitionCheck<S, C> {
  const forAction = table.rules.filter((rule) => rule.action === request.action);
  const fromState = forAction.filter((rule) => rule.from.includes(request.state));
  const rule = fromState.find((r) => r.actors.includes(request.actor));
  if (rule) return { allowed: true, to: rule.to === 'SAME' ? request.state : rule.to };
  const why: TransitionRefusal<S, A> = !forAction.length
    ? { kind: 'NO_SUCH_STEP' }
    : !fromState.length
      ? { kind: 'NOT_FROM_STATE', rules: forAction }
      : { kind: 'NOT_FOR_ACTOR', rules: fromState };
  return { allowed: false, ...table.refuse(request, why) };
}
