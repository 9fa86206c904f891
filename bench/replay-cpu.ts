/**
 * The workflow side of the worker's CPU per workflow task, alone and repeatable: replays the recorded
 * histories (test/fixtures/histories) `--rounds` times through one replay Worker and divides the
 * process's CPU by the workflow tasks replayed. Replay runs the same workflow code, interceptors,
 * sandbox and codec as a live worker (no activities, no server), so a change to what a workflow does
 * per activation shows here without the noise of a full bench:flow. Add `--cpu-prof` to node to see where.
 *
 *   npm run -s bench:replay-cpu -- --rounds 5 [--match order-cancelled]
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { temporalDataConverter } from '../apps/shared/temporal';
import { readPayloadEncryption } from '../config/payload-encryption';
import { writeWorkflowBundle } from '../apps/worker/workflow-bundle';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const rounds = Number(arg('--rounds') ?? 5);
  const match = arg('--match') ?? '';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = join(__dirname, '..', 'test', 'fixtures', 'histories');
  const fixtures = readdirSync(dir).filter((name) => name.endsWith('.json') && name.includes(match)).sort().map((file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    const tasks = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;
    return { file, history, tasks };
  });
  // WORKFLOW_BUNDLE: replay a bundle built elsewhere (another commit's code, to compare); else the sources now.
  const ownBundle = process.env.WORKFLOW_BUNDLE ? undefined : await writeWorkflowBundle(join(tmpdir(), `replay-cpu-bundle-${process.pid}.js`));
  const codePath = process.env.WORKFLOW_BUNDLE ?? ownBundle!;
  const options = { workflowBundle: { codePath }, replayName: 'replay-cpu', dataConverter: temporalDataConverter(readPayloadEncryption(process.env)) };
  const replayAll = async (times: number) => {
    const histories = Array.from({ length: times }, (_, round) => fixtures.map(({ file, history }) => ({ workflowId: `${file}-${round}`, history }))).flat();
    for await (const result of Worker.runReplayHistories(options, histories)) {
      if (result.error) throw new Error(`${result.workflowId}: ${result.error.message}`);
    }
  };
  await replayAll(1); // warm: the bundle loaded, the code compiled
  const before = process.cpuUsage();
  const began = Date.now();
  await replayAll(rounds);
  const cpu = process.cpuUsage(before);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const tasks = fixtures.reduce((sum, f) => sum + f.tasks, 0) * rounds;
  console.log(`${fixtures.length} histories × ${rounds} rounds: ${tasks} workflow tasks replayed, ${(cpuMs / 1000).toFixed(2)} s CPU (${((Date.now() - began) / 1000).toFixed(1)} s wall)`);
  console.log(`CPU per replayed workflow task: ${(cpuMs / tasks).toFixed(3)} ms; per history: ${(cpuMs / (fixtures.length * rounds)).toFixed(2)} ms`);
  if (ownBundle) rmSync(ownBundle, { force: true });
}

// No process.exit on success: the workflow thread must end on its own to write its --cpu-prof profile.
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
