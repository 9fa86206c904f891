/**
 * Static checks of the docker packaging (docker-compose.yml, Dockerfile, Temporal dynamic config).
 * No Docker engine is needed: the files are parsed and their wiring is checked — every host named
 * in an environment variable is a service listening on that port, mounts exist, dependencies exist,
 * the search attributes match temporal-config/search-attributes.txt, and so on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const SEARCH_ATTRIBUTES_FILE = path.join(ROOT, 'temporal-config', 'search-attributes.txt');

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Env | string[];
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// ---------- loading (with compose's own ${VAR:-default} / $$ interpolation) ----------

const RAW = fs.readFileSync(COMPOSE_FILE, 'utf8');

/** Compose interpolation as `docker compose` does it with an empty shell environment. */
function interpolate(text: string): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, _name, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    if (op === ':-' || op === '-') return arg ?? '';
    if (op === ':?' || op === '?') throw new Error(`compose would require a variable: ${match}`);
    return '';
  });
}

const compose = parse(interpolate(RAW), { merge: true }) as Compose;
const services = compose.services;
const serviceNames = Object.keys(services);

function envOf(name: string): Env {
  const env = services[name].environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

function commandText(service: Service): string {
  const parts = [service.entrypoint, service.command].flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p]));
  return parts.join(' ');
}

function dependsOn(service: Service): Record<string, string> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([d, spec]) => [d, spec?.condition ?? 'service_started']));
}

interface Published {
  hostIp: string;
  hostPort: number;
  containerPort: number;
}
function publishedPorts(service: Service): Published[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object') return { hostIp: p.host_ip ?? '', hostPort: Number(p.published), containerPort: Number(p.target) };
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length === 1) throw new Error(`port "${p}" publishes a random host port; give host:container`);
    const containerPort = Number(parts.pop());
    const hostPort = Number(parts.pop());
    return { hostIp: parts.join(':'), hostPort, containerPort };
  });
}

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}
function mountsOf(service: Service): Mount[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v === 'object') {
      const source = v.source ?? '';
      return { source, target: v.target, bind: v.type === 'bind' || /^[./~]/.test(source) };
    }
    const [source, target] = v.split(':');
    if (target === undefined) return { source: '', target: source, bind: false }; // anonymous volume
    return { source, target, bind: /^[./~]/.test(source) };
  });
}

/** App services: built from this repo's Dockerfile. */
const appServices = serviceNames.filter((n) => services[n].build !== undefined);
const runs = (name: string, script: string): boolean => commandText(services[name]).includes(script);
const servicesRunning = (script: string): string[] => appServices.filter((n) => runs(n, script));

/** The TCP port a service listens on inside the compose network, or undefined if it listens on none. */
function listenPort(name: string): number | undefined {
  const service = services[name];
  const env = envOf(name);
  const image = service.image ?? '';
  if (service.build !== undefined) {
    if (runs(name, 'dist/apps/api/main.js')) return Number(env.API_PORT || 3000);
    if (runs(name, 'dist/apps/payment-sim/main.js')) return Number(env.PAYMENT_SIM_PORT || 4010);
    if (runs(name, 'dist/apps/worker/main.js')) return Number(env.WORKER_METRICS_PORT || 9464);
    return undefined;
  }
  if (/^(mysql|mariadb):/.test(image)) return 3306;
  if (/^temporalio\/(auto-setup|server):/.test(image)) return 7233;
  if (/^temporalio\/ui:/.test(image)) return Number(env.TEMPORAL_UI_PORT || 8080);
  if (/^redis:/.test(image)) return 6379;
  return undefined;
}

/** host + port named by an environment variable, by the variable's format. */
function target(variable: string, value: string, env: Env): { host: string; port: number }[] {
  if (variable === 'TEMPORAL_ADDRESS') {
    const m = /^([^:/\s]+):(\d+)$/.exec(value);
    if (!m) throw new Error(`${variable}="${value}" is not host:port`);
    return [{ host: m[1], port: Number(m[2]) }];
  }
  if (variable === 'MYSQL_SEEDS') {
    return value.split(',').map((host) => ({ host: host.trim(), port: Number(env.DB_PORT || 3306) }));
  }
  const url = new URL(value);
  const defaults: Record<string, number> = { 'http:': 80, 'https:': 443, 'mysql:': 3306, 'redis:': 6379 };
  return [{ host: url.hostname, port: url.port ? Number(url.port) : defaults[url.protocol] }];
}

const HOST_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'TEMPORAL_ADDRESS', 'WECHATPAY_BASE_URL', 'ALIPAY_GATEWAY_URL', 'PUBLIC_BASE_URL', 'MYSQL_SEEDS'];

// ---------- tests ----------

describe('docker-compose.yml', () => {
  it('has the expected services', () => {
    for (const name of ['mysql', 'redis', 'temporal', 'temporal-ui', 'temporal-search-attributes', 'migrate', 'payment-sim', 'worker', 'api']) {
      expect(serviceNames).toContain(name);
    }
    expect(servicesRunning('dist/apps/api/main.js')).toEqual(['api']);
    expect(servicesRunning('dist/apps/worker/main.js')).toEqual(['worker']);
    expect(servicesRunning('dist/apps/payment-sim/main.js')).toEqual(['payment-sim']);
    expect(servicesRunning('dist/db/migrate.js')).toEqual(['migrate']);
  });

  it('uses only $$ or ${VAR} in the raw file (a bare $ would be eaten by compose interpolation)', () => {
    const bare = RAW.replace(/\$\$/g, '').match(/\$(?!\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?][^}]*)?\})\S*/g);
    expect(bare).toBeNull();
  });

  it('pins every image to a version (no latest, no untagged image)', () => {
    for (const name of serviceNames) {
      const image = services[name].image;
      if (image === undefined) continue;
      const tag = /:([^/:]+)$/.exec(image)?.[1];
      expect({ service: name, tag }).not.toEqual({ service: name, tag: 'latest' });
      // Pulled images need a version tag; the app image is built here, so its local tag is free.
      if (services[name].build === undefined) expect({ service: name, tag }).toEqual({ service: name, tag: expect.stringMatching(/\d/) });
    }
    for (const name of serviceNames) {
      if (services[name].image === undefined) expect({ service: name, build: services[name].build }).toEqual({ service: name, build: expect.anything() });
    }
  });

  it('points every host-naming variable at an existing service, on the port it listens on', () => {
    const checked: string[] = [];
    for (const name of serviceNames) {
      const env = envOf(name);
      for (const variable of HOST_VARIABLES) {
        if (env[variable] === undefined) continue;
        for (const { host, port } of target(variable, env[variable], env)) {
          const where = `${name}.${variable}=${env[variable]}`;
          expect({ where, hostIsService: serviceNames.includes(host) }).toEqual({ where, hostIsService: true });
          expect({ where, port }).toEqual({ where, port: listenPort(host) });
          checked.push(where);
        }
      }
    }
    // The temporal server's MySQL, the UI's and the one-shot's Temporal address are among them.
    expect(envOf('temporal').MYSQL_SEEDS).toBeDefined();
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBeDefined();
    expect(envOf('temporal-search-attributes').TEMPORAL_ADDRESS).toBeDefined();
    expect(checked.length).toBeGreaterThan(0);
  });

  it('gives every app process its hosts explicitly (the defaults are 127.0.0.1, wrong in a container)', () => {
    for (const name of [...servicesRunning('dist/apps/api/main.js'), ...servicesRunning('dist/apps/worker/main.js')]) {
      const env = envOf(name);
      for (const variable of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'PUBLIC_BASE_URL', 'WECHATPAY_BASE_URL', 'ALIPAY_GATEWAY_URL']) {
        expect({ service: name, variable, set: env[variable] !== undefined }).toEqual({ service: name, variable, set: true });
      }
      expect(envOf(name).JWT_SECRET?.length ?? 0).toBeGreaterThanOrEqual(32);
    }
    for (const name of servicesRunning('dist/db/migrate.js')) expect(envOf(name).DATABASE_URL).toBeDefined();
    // The simulator delivers notifications to PUBLIC_BASE_URL: it must be the api service.
    expect(new URL(envOf('api').PUBLIC_BASE_URL).hostname).toBe('api');
  });

  it('has the app and Temporal log in with credentials the mysql service creates, in separate databases', () => {
    const mysql = envOf('mysql');
    const accepts = (user: string, password: string) =>
      (user === 'root' && password === mysql.MYSQL_ROOT_PASSWORD) || (user === mysql.MYSQL_USER && password === mysql.MYSQL_PASSWORD);

    const temporal = envOf('temporal');
    expect(accepts(temporal.MYSQL_USER, temporal.MYSQL_PWD)).toBe(true);
    const temporalDatabases = [temporal.DBNAME || 'temporal', temporal.VISIBILITY_DBNAME || 'temporal_visibility'];

    for (const name of appServices) {
      const url = envOf(name).DATABASE_URL;
      if (url === undefined) continue;
      const u = new URL(url);
      const user = decodeURIComponent(u.username);
      const database = u.pathname.replace(/^\//, '');
      expect({ service: name, credentialsAccepted: accepts(user, decodeURIComponent(u.password)) }).toEqual({ service: name, credentialsAccepted: true });
      expect(temporalDatabases).not.toContain(database);
      // A non-root user only has rights on MYSQL_DATABASE.
      if (user !== 'root') expect(database).toBe(mysql.MYSQL_DATABASE);
    }
  });

  it('publishes no host port twice, and each published port is one the service listens on', () => {
    const seen = new Map<string, string>();
    for (const name of serviceNames) {
      for (const p of publishedPorts(services[name])) {
        const key = String(p.hostPort);
        expect({ port: key, alsoPublishedBy: seen.get(key) }).toEqual({ port: key, alsoPublishedBy: undefined });
        seen.set(key, name);
        expect({ service: name, containerPort: p.containerPort }).toEqual({ service: name, containerPort: listenPort(name) });
      }
    }
    expect(publishedPorts(services.api).map((p) => p.hostPort)).toContain(3000);
    expect(publishedPorts(services['temporal-ui']).map((p) => p.hostPort)).toContain(8233);
    expect(publishedPorts(services.temporal).map((p) => p.hostPort)).toContain(7233);
  });

  it('names only existing services in depends_on, with conditions those services can meet, and no cycle', () => {
    for (const name of serviceNames) {
      for (const [dep, condition] of Object.entries(dependsOn(services[name]))) {
        const where = `${name} -> ${dep}`;
        expect({ where, exists: serviceNames.includes(dep) }).toEqual({ where, exists: true });
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') expect({ where, healthcheck: services[dep]?.healthcheck?.test !== undefined }).toEqual({ where, healthcheck: true });
        if (condition === 'service_completed_successfully') expect({ where, oneShot: services[dep]?.restart }).toEqual({ where, oneShot: 'no' });
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`depends_on cycle: ${[...trail, name].join(' -> ')}`);
      visiting.add(name);
      for (const dep of Object.keys(dependsOn(services[name] ?? {}))) visit(dep, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of serviceNames) visit(name, []);
  });

  it('starts api and worker only after migrations, search attributes and a healthy Temporal', () => {
    for (const name of ['api', 'worker']) {
      const deps = dependsOn(services[name]);
      expect({ service: name, migrate: deps.migrate }).toEqual({ service: name, migrate: 'service_completed_successfully' });
      expect({ service: name, sa: deps['temporal-search-attributes'] }).toEqual({ service: name, sa: 'service_completed_successfully' });
      expect({ service: name, temporal: deps.temporal }).toEqual({ service: name, temporal: 'service_healthy' });
    }
    expect(dependsOn(services.migrate).mysql).toBe('service_healthy');
    expect(dependsOn(services.temporal).mysql).toBe('service_healthy');
    expect(dependsOn(services['temporal-search-attributes']).temporal).toBe('service_healthy');
  });

  it('mounts only repo paths that exist and volumes that are declared', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const name of serviceNames) {
      for (const m of mountsOf(services[name])) {
        if (m.source === '') continue;
        if (m.bind) {
          const hostPath = path.resolve(ROOT, m.source);
          expect({ service: name, source: m.source, exists: fs.existsSync(hostPath) }).toEqual({ service: name, source: m.source, exists: true });
        } else {
          expect({ service: name, volume: m.source, declared: declared.includes(m.source) }).toEqual({ service: name, volume: m.source, declared: true });
        }
      }
    }
  });

  it('mounts the dynamic config file that DYNAMIC_CONFIG_FILE_PATH names, and it enables Workflow Updates', () => {
    const configured = envOf('temporal').DYNAMIC_CONFIG_FILE_PATH;
    expect(configured).toBeDefined();
    const inContainer = path.posix.resolve('/etc/temporal', configured); // auto-setup's working directory
    const mount = mountsOf(services.temporal).find((m) => m.bind && (inContainer === m.target || inContainer.startsWith(`${m.target.replace(/\/$/, '')}/`)));
    expect(mount).toBeDefined();
    const hostFile = path.join(path.resolve(ROOT, mount!.source), path.posix.relative(mount!.target, inContainer));
    expect(path.relative(ROOT, hostFile)).toBe(path.join('temporal-config', 'dynamicconfig', 'development-sql.yaml'));
    expect(fs.existsSync(hostFile)).toBe(true);

    const config = parse(fs.readFileSync(hostFile, 'utf8')) as Record<string, { value: unknown; constraints?: object }[]>;
    for (const [key, entries] of Object.entries(config)) {
      expect({ key, isList: Array.isArray(entries) && entries.every((e) => 'value' in e) }).toEqual({ key, isList: true });
    }
    const valueOf = (key: string) => config[key]?.[0]?.value;
    expect(valueOf('frontend.enableUpdateWorkflowExecution')).toBe(true);
    expect(valueOf('frontend.enableUpdateWorkflowExecutionAsyncAccepted')).toBe(true);
    expect(valueOf('system.forceSearchAttributesCacheRefreshOnRead')).toBe(true);
    expect(valueOf('limit.maxIDLength')).toEqual(expect.any(Number));
  });

  it('shares one keys volume, mounted at PAYMENT_KEYS_DIR, between api, worker and payment-sim', () => {
    const keyUsers = ['dist/apps/api/main.js', 'dist/apps/worker/main.js', 'dist/apps/payment-sim/main.js'].flatMap(servicesRunning);
    expect(keyUsers.sort()).toEqual(['api', 'payment-sim', 'worker']);
    const sources = new Set<string>();
    for (const name of keyUsers) {
      const dir = envOf(name).PAYMENT_KEYS_DIR;
      expect({ service: name, PAYMENT_KEYS_DIR: dir }).toEqual({ service: name, PAYMENT_KEYS_DIR: expect.stringMatching(/^\//) });
      const mount = mountsOf(services[name]).find((m) => m.target === dir);
      expect({ service: name, namedVolumeAtKeysDir: mount !== undefined && !mount.bind && mount.source !== '' }).toEqual({ service: name, namedVolumeAtKeysDir: true });
      sources.add(mount!.source);
    }
    expect(sources.size).toBe(1);
  });

  it('registers every search attribute of temporal-config/search-attributes.txt in the one-shot service', () => {
    const wanted = fs
      .readFileSync(SEARCH_ATTRIBUTES_FILE, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const [name, type] = line.split('=').map((s) => s.trim());
        return `${name}=${type}`;
      });
    expect(wanted.length).toBeGreaterThan(0);

    const oneShot = services['temporal-search-attributes'];
    expect(oneShot.image).toMatch(/^temporalio\/admin-tools:/);
    expect(oneShot.restart).toBe('no');
    const script = commandText(oneShot);
    expect(script).toMatch(/temporal operator search-attribute create/);
    const namespace = /--namespace[=\s]+(\S+)/.exec(script.slice(script.indexOf('search-attribute create')))?.[1];
    expect(namespace).toBe(envOf('api').TEMPORAL_NAMESPACE ?? 'default');

    const registered = [...script.matchAll(/--name[=\s]+["']?(\w+)["']?\s+(?:\\\s*)?--type[=\s]+["']?(\w+)["']?/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(registered.sort()).toEqual([...wanted].sort());
  });

  it('builds every app service from the Dockerfile at the repo root, running compiled entry points', () => {
    const buildSourceDirs: string[] = parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')).include;
    expect(appServices.length).toBeGreaterThanOrEqual(4);
    for (const name of appServices) {
      const build = services[name].build!;
      const context = typeof build === 'string' ? build : build.context ?? '.';
      const dockerfile = typeof build === 'string' ? 'Dockerfile' : build.dockerfile ?? 'Dockerfile';
      expect({ service: name, context: path.resolve(ROOT, context) }).toEqual({ service: name, context: ROOT });
      expect({ service: name, dockerfile, exists: fs.existsSync(path.resolve(ROOT, context, dockerfile)) }).toEqual({ service: name, dockerfile, exists: true });
      // node dist/<dir>/... where <dir> is compiled by `npm run build`.
      const script = /\bnode\s+dist\/([^/\s]+)\/\S+\.js/.exec(commandText(services[name]));
      expect({ service: name, script: script?.[0] }).toEqual({ service: name, script: expect.any(String) });
      expect(buildSourceDirs).toContain(script![1]);
    }
  });
});

describe('Dockerfile', () => {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const args = Object.fromEntries([...text.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
  const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1].replace(/^\$\{(\w+)\}$/, (_, n: string) => args[n] ?? n));

  it('is a multi-stage build on a pinned node 24 image', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^node:24\.\d+\.\d+-(bookworm-slim|slim|bookworm)$/);
  });

  it('installs from the lockfile, builds, prunes dev dependencies, runs as non-root and defaults to the API', () => {
    expect(text).toMatch(/npm ci\b/);
    expect(text).toMatch(/npm run build/);
    expect(text).toMatch(/npm prune --omit=dev|npm ci --omit=dev/);
    const lastStage = text.slice(text.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER\s+(?!root\b)\S+/m);
    expect(lastStage).toMatch(/^CMD\s+\["node",\s*"dist\/apps\/api\/main\.js"\]/m);
  });

  it('keeps local build output and dependencies out of the context (.dockerignore)', () => {
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.data', '.git']) expect(ignored).toContain(entry);
    // ...but not what the build needs.
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'apps', 'db', 'config', 'scripts']) {
      expect(ignored).not.toContain(needed);
    }
  });
});
