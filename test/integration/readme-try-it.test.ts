import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * The README's "Try it" block, run as written against the test system (API, worker, simulator), so it
 * cannot rot: every command exits 0 and every answer holds what its `# →` comment says.
 *
 * A `# →` comment is an HTTP status (the `api` helper prints ` → <status>` after each answer) and/or
 * fragments of the answer separated by spaces, in which `…` stands for any text.
 */
const root = join(__dirname, '..', '..');
const MARKER = '<!-- try-it: the test runs the next bash block -->';

export interface TryItStep {
  line: number;
  command: string;
  status?: number;
  fragments: string[];
}

/** The bash block after the try-it marker, and its steps with their expectations. */
export function readTryIt(readme: string): { script: string; steps: TryItStep[] } {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no "${MARKER}"`);
  const block = /```bash\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!block) throw new Error('no ```bash block after the try-it marker');
  const lines = block[1].split('\n');
  const steps: TryItStep[] = [];
  lines.forEach((command, line) => {
    const arrow = / # → (.*)$/.exec(command);
    if (!arrow) return;
    const words = arrow[1].trim().split(/\s+/);
    const status = /^\d{3}$/.test(words[0]) ? Number(words.shift()) : undefined;
    steps.push({ line, command: command.trim(), status, fragments: words });
  });
  return { script: block[1], steps };
}

/** A fragment as a pattern: `…` matches any text (shortest), everything else literally. */
function fragmentPattern(fragment: string): RegExp {
  return new RegExp(fragment.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?'));
}

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  // Not execFileSync: the API answering the script's curl calls runs in this process.
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd: root, env, maxBuffer: 16 * 1024 * 1024, timeout: 150_000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout });
    });
  });
}

describe("the README's try-it block", () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('has steps for a seller, a buyer and support, each with an expectation', () => {
    const { steps } = readTryIt(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(steps.length).toBeGreaterThanOrEqual(6);
    for (const who of ['"$S"', '"$B"', '"$SUP"']) expect(steps.some((step) => step.command.includes(who))).toBe(true);
    for (const step of steps) expect(step.status !== undefined || step.fragments.length > 0).toBe(true);
  });

  it('runs as written against the test system, and every answer is what its # → comment says', async () => {
    const { script, steps } = readTryIt(readFileSync(join(root, 'README.md'), 'utf8'));
    // Each step announces itself, so its output can be told from the next one's; the block runs in one
    // shell (its variables carry over), stopping at the first command that fails.
    const lines = script.split('\n');
    const marked = ['set -e', 'exec 2>&1'];
    lines.forEach((command, line) => {
      const step = steps.findIndex((s) => s.line === line);
      if (step >= 0) marked.push(`printf '\\n@@step ${step}\\n'`);
      marked.push(command);
    });
    marked.push(`printf '\\n@@end\\n'`);

    // The test system's addresses instead of npm run dev's, and its JWT secret for `npm run token`.
    const env: NodeJS.ProcessEnv = { ...process.env, API: system.apiUrl, SIM: system.sim.baseUrl, JWT_SECRET: system.config.api.jwtSecret };
    const { code, output } = await runBash(marked.join('\n'), env);
    const failures: string[] = [];
    if (code !== 0) failures.push(`the block exited ${code}`);
    if (!output.includes('@@end')) failures.push('the block did not run to its end');
    const parts = output.split(/\n@@step (\d+)\n/);
    const outputs = new Map<number, string>();
    for (let i = 1; i < parts.length; i += 2) outputs.set(Number(parts[i]), parts[i + 1].split('\n@@end')[0]);
    steps.forEach((step, index) => {
      const answer = outputs.get(index);
      if (answer === undefined) return void failures.push(`not run: ${step.command}`);
      if (step.status !== undefined && !answer.includes(`→ ${step.status}`)) failures.push(`${step.command}\n  expected status ${step.status}, got: ${answer.slice(0, 400)}`);
      for (const fragment of step.fragments) {
        if (!fragmentPattern(fragment).test(answer)) failures.push(`${step.command}\n  expected ${fragment} in: ${answer.slice(0, 400)}`);
      }
    });
    if (failures.length) throw new Error(`README "Try it" is out of date:\n${failures.join('\n')}\n--- output ---\n${output}`);

    // What the block says happens next does: the seller's cancel refunds the buyer at the simulator.
    const orderSn = /"orderSn":"(O\d+)"/.exec(output)?.[1];
    expect(orderSn).toBeDefined();
    await eventually(async () => {
      const [row] = await system.dataSource.query('SELECT order_status, pay_status FROM orders WHERE order_sn = ?', [orderSn]);
      return row?.order_status === 'CANCELLED' && row?.pay_status === 'REFUNDED' ? row : undefined;
    }, 60_000, 'the cancelled order refunded');
  }, 240_000);
});
