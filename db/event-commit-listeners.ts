import type { DataSource } from 'typeorm';
import type { BusinessEvent } from '../domain/events';

/**
 * Who hears that a step's events committed, per DataSource (so two systems in one test process, or the
 * API's and the worker's pools, never hear each other's). The webhook notifier listens to wake the
 * endpoint workflows of the events' sellers at once instead of waiting for their poll
 * (apps/shared/webhook-notifier.ts). A listener must not throw or block: it is told after the commit,
 * and the step's caller does not wait for it.
 */
export type EventsCommittedListener = (events: readonly BusinessEvent[]) => void;

const listeners = new WeakMap<DataSource, Set<EventsCommittedListener>>();

/** Listens to the commits of steps run on `dataSource`; returns the function that stops listening. */
export function onEventsCommitted(dataSource: DataSource, listener: EventsCommittedListener): () => void {
  const set = listeners.get(dataSource) ?? new Set<EventsCommittedListener>();
  set.add(listener);
  listeners.set(dataSource, set);
  return () => set.delete(listener);
}

/** Called by runStep once its transaction committed with these events. */
export function eventsCommitted(dataSource: DataSource, events: readonly BusinessEvent[]): void {
  for (const listener of listeners.get(dataSource) ?? []) {
    try {
      listener(events);
    } catch {
      // A listener's failure must never look like the step's: the events are committed.
    }
  }
}
