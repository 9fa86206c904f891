/**
 * CPU seconds of a process's threads from /proc (Linux), grouped by thread name: which thread of the
 * worker — its main thread (activities, codec, the SDK's plumbing), a workflow thread (the sandbox),
 * the Rust core's tokio threads, libuv's pool, V8's GC helpers — spent the CPU, and how much went to
 * threads that ended inside the window (the `vm` timeout's watchdog is a thread per call into the
 * workflow sandbox). Profiles sample wall time; these are CPU time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { CLOCK_TICKS } from './measure';

export interface ThreadSnapshot {
  /** The whole process, ended threads included. */
  total: number;
  threads: Map<number, { name: string; cpu: number }>;
}

function parseStat(stat: string): { name: string; cpu: number } {
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name, cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
}

export function threadSnapshot(pid: number | undefined): ThreadSnapshot | undefined {
  if (!pid) return undefined;
  try {
    const threads = new Map<number, { name: string; cpu: number }>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        threads.set(Number(tid), parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
      } catch {
        // ended between the listing and the read
      }
    }
    return { total: parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpu, threads };
  } catch {
    return undefined;
  }
}

/** CPU seconds between two snapshots by thread name (tid order: the first thread is main), and what ended threads used. */
export function threadCpuDelta(before: ThreadSnapshot, after: ThreadSnapshot, mainTid: number): { name: string; cpu: number }[] {
  const byName = new Map<string, number>();
  let live = 0;
  for (const [tid, thread] of after.threads) {
    const cpu = thread.cpu - (before.threads.get(tid)?.cpu ?? 0);
    live += cpu;
    const name = tid === mainTid ? 'main thread' : thread.name;
    byName.set(name, (byName.get(name) ?? 0) + cpu);
  }
  // The process total keeps the CPU of threads that have ended; the per-thread view has lost them.
  byName.set('threads that ended in the window', after.total - before.total - live);
  return [...byName].map(([name, cpu]) => ({ name, cpu })).sort((a, b) => b.cpu - a.cpu);
}
