/**
 * `work`, or an error after `ms`. The timeout gives up one turn of the event loop later (setImmediate
 * runs after the I/O poll): on a busy process the timer and the answer can be due together, and the
 * timers phase comes first — without it, load alone would count a dependency that answered as down.
 */
export function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new Error(`no answer within ${ms} ms`))), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
