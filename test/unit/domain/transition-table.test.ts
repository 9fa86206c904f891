import { Actor } from '../../../domain/enums';
import { ErrorCode } from '../../../domain/error-codes';
import { TransitionTable, checkTransition } from '../../../domain/transition-table';

/** The one table check every entity's flow uses (order, after-sale, complaint), on a table of its own. */
describe('checkTransition', () => {
  type Door = 'OPEN' | 'CLOSED' | 'LOCKED';
  type Step = 'CLOSE' | 'LOCK' | 'KNOCK' | 'PAINT';
  const table: TransitionTable<Door, Step> = {
    rules: [
      { from: ['OPEN'], action: 'CLOSE', to: 'CLOSED', actors: [Actor.BUYER, Actor.SYSTEM_TIMER] },
      { from: ['CLOSED'], action: 'LOCK', to: 'LOCKED', actors: [Actor.SELLER] },
      { from: ['CLOSED'], action: 'LOCK', to: 'LOCKED', actors: [Actor.SUPPORT] },
      { from: ['CLOSED', 'LOCKED'], action: 'KNOCK', to: 'SAME', actors: [Actor.BUYER] },
    ],
    refuse: (request, why) => ({ code: ErrorCode.CONFLICT, reason: `${why.kind}: ${request.actor} ${request.action} ${request.state}${'rules' in why ? ` (${why.rules.length} rows)` : ''}` }),
  };

  it('allows a row for the state and the actor, and moves to its target (SAME keeps the state)', () => {
    expect(checkTransition(table, { state: 'OPEN', action: 'CLOSE', actor: Actor.SYSTEM_TIMER })).toEqual({ allowed: true, to: 'CLOSED' });
    expect(checkTransition(table, { state: 'LOCKED', action: 'KNOCK', actor: Actor.BUYER })).toEqual({ allowed: true, to: 'LOCKED' });
  });

  it('finds the actor among several rows for the same state and step', () => {
    expect(checkTransition(table, { state: 'CLOSED', action: 'LOCK', actor: Actor.SUPPORT })).toEqual({ allowed: true, to: 'LOCKED' });
  });

  it('says which of the three ways a step is wrong, in the words and with the code of the table', () => {
    expect(checkTransition(table, { state: 'OPEN', action: 'PAINT', actor: Actor.BUYER })).toEqual({ allowed: false, code: ErrorCode.CONFLICT, reason: 'NO_SUCH_STEP: BUYER PAINT OPEN' });
    expect(checkTransition(table, { state: 'OPEN', action: 'LOCK', actor: Actor.SELLER })).toEqual({ allowed: false, code: ErrorCode.CONFLICT, reason: 'NOT_FROM_STATE: SELLER LOCK OPEN (2 rows)' });
    expect(checkTransition(table, { state: 'CLOSED', action: 'LOCK', actor: Actor.BUYER })).toEqual({ allowed: false, code: ErrorCode.CONFLICT, reason: 'NOT_FOR_ACTOR: BUYER LOCK CLOSED (2 rows)' });
  });
});
