/**
 * Static checks of the docker packaging (docker-compose.yml, Dockerfile, Temporal dynamic config).
 * No Docker engine is needed (none runs here, so the stack itself has not been started): the files
 * are parsed and their wiring is checked — pinned current images (temporalio/server with an
 * admin-tools schema one-shot, UI 2.4x, MySQL 8.4), a health check on every long-running service and
 * a waiter for every one-shot, every host named in an environment variable is a service listening on
 * that port, the least-privilege MySQL users and their TLS files, mounts, dependencies, the search
 * attributes, Prometheus' targets. The same setting names as the Helm chart: test/deploy/helm-chart.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { TEMPORAL_DEV_SERVER_PRIORITY_CONFIG } from '../support/temporal-dev-server';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const SEARCH_ATTRIBUTES_FILE = path.join(ROOT, 'temporal-config', 'search-attributes.txt');
const USERS_SCRIPT = path.join(ROOT, 'deploy', 'mysql', 'initdb', '10-users.sh');
const MAKE_TLS_SCRIPT = path.join(ROOT, 'deploy', 'mysql', 'make-tls.sh');
/**
 * Prometheus' and Grafana's configuration is written on another branch (issue 24, part 3): until it is
 * merged these bind sources may be missing here; once present they are checked like every other mount.
 */
const PROVIDED_BY_MONITORING = ['deploy/prometheus/prometheus.yml', 'deploy/prometheus/rules', 'deploy/grafana/provisioning', 'deploy/grafana/dashboards'];

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
  user?: string;
  stop_grace_period?: string;
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
    if (runs(name, 'dist/apps/codec-server/main.js')) return Number(env.CODEC_SERVER_PORT || 8234);
    return undefined;
  }
  if (service.restart === 'no') return undefined; // one-shots (mysql-tls runs the mysql image) listen on nothing
  if (/^(mysql|mariadb):/.test(image)) return 3306;
  if (/^temporalio\/(auto-setup|server):/.test(image)) return 7233;
  if (/^temporalio\/ui:/.test(image)) return Number(env.TEMPORAL_UI_PORT || 8080);
  if (/^redis:/.test(image)) return 6379;
  if (/^prom\/prometheus:/.test(image)) return 9090;
  if (/^grafana\/grafana:/.test(image)) return 3000;
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
    expect([...serviceNames].sort()).toEqual(
      ['mysql-tls', 'mysql', 'redis', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui', 'migrate', 'payment-sim', 'codec-server', 'worker', 'api', 'prometheus', 'grafana'].sort(),
    );
    expect(servicesRunning('dist/apps/api/main.js')).toEqual(['api']);
    expect(servicesRunning('dist/apps/worker/main.js')).toEqual(['worker']);
    expect(servicesRunning('dist/apps/payment-sim/main.js')).toEqual(['payment-sim']);
    expect(servicesRunning('dist/apps/codec-server/main.js')).toEqual(['codec-server']);
    expect(servicesRunning('dist/db/migrate.js')).toEqual(['migrate']);
  });

  it("pins Temporal's current self-hosting images: server and admin-tools of one release, no auto-setup, a UI with Worker Versioning", () => {
    const imageOf = (name: string) => services[name].image ?? '';
    const version = (image: string) => /:(\d+)\.(\d+)\.(\d+)$/.exec(image)?.slice(1).map(Number);
    for (const name of serviceNames) expect({ service: name, image: imageOf(name) }).not.toEqual({ service: name, image: expect.stringMatching(/auto-setup/) });

    const server = version(imageOf('temporal'));
    expect(imageOf('temporal')).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    // 1.30+: the server image with its configuration template built in, schema set up beside it.
    expect(server![0] === 1 && server![1] >= 30).toBe(true);
    for (const name of ['temporal-schema', 'temporal-namespace']) expect(imageOf(name)).toBe(`temporalio/admin-tools:${server!.join('.')}`);
    const ui = version(imageOf('temporal-ui'));
    expect(imageOf('temporal-ui')).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(ui![0] === 2 && ui![1] >= 40).toBe(true);

    // MySQL 8.4 LTS (8.0 is past its end of life), for the server and the certificate one-shot alike.
    expect(imageOf('mysql')).toMatch(/^mysql:8\.4\.\d+$/);
    expect(imageOf('mysql-tls')).toBe(imageOf('mysql'));
    expect(imageOf('redis')).toMatch(/^redis:7\.\d+\.\d+-alpine$/);
    expect(imageOf('prometheus')).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
    expect(imageOf('grafana')).toMatch(/^grafana\/grafana:12\.\d+\.\d+$/);
  });

  it('gives every long-running service a health check, and every one-shot restart "no" and a service that waits for it', () => {
    const waitedFor = new Set(serviceNames.flatMap((n) => Object.entries(dependsOn(services[n])).filter(([, c]) => c === 'service_completed_successfully').map(([d]) => d)));
    for (const name of serviceNames) {
      const service = services[name];
      if (service.restart === 'no') {
        expect({ oneShot: name, healthcheck: service.healthcheck }).toEqual({ oneShot: name, healthcheck: undefined });
        expect({ oneShot: name, waitedFor: waitedFor.has(name) }).toEqual({ oneShot: name, waitedFor: true });
      } else {
        expect({ service: name, restart: service.restart }).toEqual({ service: name, restart: 'unless-stopped' });
        const test = service.healthcheck?.test;
        expect({ service: name, healthcheck: Array.isArray(test) && test.length > 1 && !service.healthcheck?.disable }).toEqual({ service: name, healthcheck: true });
      }
    }
    expect(serviceNames.filter((n) => services[n].restart === 'no').sort()).toEqual(['migrate', 'mysql-tls', 'temporal-namespace', 'temporal-schema']);
  });

  it('checks the app services through their own health endpoints: readiness for api and worker', () => {
    const checkOf = (name: string) => (services[name].healthcheck!.test as string[]).join(' ');
    expect(checkOf('api')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:' \+ process\.env\.API_PORT \+ '\/health\/ready'/);
    expect(checkOf('worker')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:' \+ process\.env\.WORKER_METRICS_PORT \+ '\/health\/ready'/);
    expect(checkOf('codec-server')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:' \+ process\.env\.CODEC_SERVER_PORT \+ '\/health'/);
    // ...and they answer only when they listen beyond loopback.
    expect(envOf('worker').WORKER_METRICS_HOST).toBe('0.0.0.0');
    expect(envOf('codec-server').CODEC_SERVER_HOST).toBe('0.0.0.0');
    expect(checkOf('temporal-ui')).toMatch(/http:\/\/127\.0\.0\.1:8080\/healthz/);
    expect(checkOf('prometheus')).toMatch(/:9090\/-\/ready/);
    expect(checkOf('grafana')).toMatch(/:3000\/api\/health/);
    expect(checkOf('temporal')).toMatch(/nc -z 127\.0\.0\.1 7233/);
  });

  it("creates Temporal's schema with temporal-sql-tool on MySQL 8, both databases, before the server starts", () => {
    const schema = services['temporal-schema'];
    expect(schema.restart).toBe('no');
    expect(dependsOn(schema).mysql).toBe('service_healthy');
    expect(dependsOn(services.temporal)['temporal-schema']).toBe('service_completed_successfully');
    const script = commandText(schema);
    expect(script).toMatch(/temporal-sql-tool --plugin mysql8 /);
    const server = envOf('temporal');
    expect(server.DB).toBe('mysql8');
    for (const [database, dir] of [[server.DBNAME, 'temporal'], [server.VISIBILITY_DBNAME, 'visibility']]) {
      expect(script).toContain(`sql --db ${database} create`);
      expect(script).toContain(`sql --db ${database} setup-schema -v 0.0`);
      expect(script).toContain(`sql --db ${database} update-schema -d /etc/temporal/schema/mysql/v8/${dir}/versioned`);
    }
    // The tool and the server log in as the same (non-root) user, with the same password.
    expect(envOf('temporal-schema').MYSQL_USER).toBe(server.MYSQL_USER);
    expect(envOf('temporal-schema').SQL_PASSWORD).toBe(server.MYSQL_PWD);
    expect(server.MYSQL_USER).not.toBe('root');
    // The server listens beyond loopback and exports metrics for Prometheus.
    expect(server.BIND_ON_IP).toBe('0.0.0.0');
    expect(server.PROMETHEUS_ENDPOINT).toMatch(/^0\.0\.0\.0:\d+$/);
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
    // The temporal server's and the schema tool's MySQL, the UI's and the namespace one-shot's Temporal address are among them.
    expect(envOf('temporal').MYSQL_SEEDS).toBeDefined();
    expect(envOf('temporal-schema').MYSQL_SEEDS).toBeDefined();
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBeDefined();
    expect(envOf('temporal-namespace').TEMPORAL_ADDRESS).toBeDefined();
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

  it('has every client log in as its own least-privilege user that the mysql service creates (never root)', () => {
    const mysql = envOf('mysql');
    const script = fs.readFileSync(USERS_SCRIPT, 'utf8');
    // user → [password variable, grants, REQUIRE clause] as 10-users.sh creates them.
    const users = new Map(
      [...script.matchAll(/CREATE USER IF NOT EXISTS '(\w+)'@'%' IDENTIFIED BY '\$\{(\w+)\}'( REQUIRE X509)?;/g)].map((m) => [m[1], { passwordVariable: m[2], x509: Boolean(m[3]) }]),
    );
    // Backticks are escaped (\`) in the script's heredoc.
    const sql = script.replace(/\\`/g, '`');
    const grants = (user: string) => [...sql.matchAll(/GRANT ([A-Z, ]+) ON `(\w+)`\.\* TO '(\w+)'@'%';/g)].filter((m) => m[3] === user).map((m) => ({ privileges: m[1].split(', ').sort(), database: m[2] }));
    expect([...users.keys()].sort()).toEqual(['orders', 'orders_migrate', 'temporal']);
    const accepts = (user: string, password: string) => users.has(user) && mysql[users.get(user)!.passwordVariable] === password;

    // The app's processes: rows only. The migrations: rows and the DDL they need, nothing else (no GRANT OPTION, no FILE, no *.*).
    expect(grants('orders')).toEqual([{ privileges: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'], database: 'orders' }]);
    expect(grants('orders_migrate')).toEqual([{ privileges: ['ALTER', 'CREATE', 'DELETE', 'DROP', 'INDEX', 'INSERT', 'REFERENCES', 'SELECT', 'UPDATE'], database: 'orders' }]);
    expect(grants('temporal')).toEqual([
      { privileges: ['ALL PRIVILEGES'], database: 'temporal' },
      { privileges: ['ALL PRIVILEGES'], database: 'temporal_visibility' },
    ]);
    expect(script).not.toMatch(/ON \*\.\*|WITH GRANT OPTION|\bFILE\b|SUPER/);
    // The image's MYSQL_USER would get ALL on MYSQL_DATABASE: not used.
    expect(mysql.MYSQL_USER).toBeUndefined();
    expect(mountsOf(services.mysql).find((m) => m.target === '/docker-entrypoint-initdb.d')?.source).toBe('./deploy/mysql/initdb');
    // Sourced by the entrypoint (docker_process_sql is only defined then), so it must not be executable.
    expect(fs.statSync(USERS_SCRIPT).mode & 0o111).toBe(0);

    const temporal = envOf('temporal');
    expect(accepts(temporal.MYSQL_USER, temporal.MYSQL_PWD)).toBe(true);
    const temporalDatabases = [temporal.DBNAME, temporal.VISIBILITY_DBNAME];
    expect(temporalDatabases.sort()).toEqual(['temporal', 'temporal_visibility']);

    const usedBy: Record<string, string> = {};
    for (const name of appServices) {
      const url = new URL(envOf(name).DATABASE_URL);
      const user = decodeURIComponent(url.username);
      expect({ service: name, credentialsAccepted: accepts(user, decodeURIComponent(url.password)) }).toEqual({ service: name, credentialsAccepted: true });
      expect(url.pathname).toBe('/orders');
      usedBy[name] = user;
    }
    expect(usedBy.migrate).toBe('orders_migrate');
    for (const name of appServices.filter((n) => n !== 'migrate')) expect({ service: name, user: usedBy[name] }).toEqual({ service: name, user: 'orders' });
  });

  it('connects the app to MySQL over verified TLS with the client certificate its users require', () => {
    const script = fs.readFileSync(USERS_SCRIPT, 'utf8');
    expect(script).toMatch(/'orders'@'%' IDENTIFIED BY '\$\{ORDERS_DB_PASSWORD\}' REQUIRE X509/);
    expect(script).toMatch(/'orders_migrate'@'%' IDENTIFIED BY '\$\{ORDERS_MIGRATE_DB_PASSWORD\}' REQUIRE X509/);
    // The files make-tls.sh writes...
    const makeTls = fs.readFileSync(MAKE_TLS_SCRIPT, 'utf8');
    for (const file of ['ca.pem', 'server-cert.pem', 'server-key.pem', 'client-cert.pem', 'client-key.pem']) expect(makeTls).toContain(file);
    const oneShot = services['mysql-tls'];
    const volume = mountsOf(oneShot).find((m) => !m.bind)!;
    const outDir = /make-tls\.sh (\S+)/.exec(commandText(oneShot))![1];
    expect(volume.target).toBe(outDir);
    expect(commandText(oneShot)).toContain('/usr/local/bin/make-tls.sh');
    expect(mountsOf(oneShot).find((m) => m.target === '/usr/local/bin/make-tls.sh')?.source).toBe('./deploy/mysql/make-tls.sh');
    // ...are what mysqld is started with...
    const mysqlTls = mountsOf(services.mysql).find((m) => m.source === volume.source)!;
    const command = commandText(services.mysql);
    for (const [flag, file] of [['ssl-ca', 'ca.pem'], ['ssl-cert', 'server-cert.pem'], ['ssl-key', 'server-key.pem']]) expect(command).toContain(`--${flag}=${mysqlTls.target}/${file}`);
    expect(dependsOn(services.mysql)['mysql-tls']).toBe('service_completed_successfully');
    // ...and what every app process verifies the server with and presents (the host name, mysql, is in the certificate).
    expect(makeTls).toMatch(/MYSQL_TLS_SERVER_NAMES:-mysql,/);
    for (const name of appServices) {
      const env = envOf(name);
      const mount = mountsOf(services[name]).find((m) => m.source === volume.source);
      expect({ service: name, mounted: mount?.target }).toEqual({ service: name, mounted: expect.stringMatching(/^\//) });
      expect({ service: name, mode: env.DATABASE_TLS }).toEqual({ service: name, mode: 'verify-full' });
      expect({ service: name, ca: env.DATABASE_TLS_CA, cert: env.DATABASE_TLS_CERT, key: env.DATABASE_TLS_KEY }).toEqual({
        service: name,
        ca: `${mount!.target}/ca.pem`,
        cert: `${mount!.target}/client-cert.pem`,
        key: `${mount!.target}/client-key.pem`,
      });
      expect(new URL(env.DATABASE_URL).hostname).toBe('mysql');
    }
  });

  it('stops the worker more slowly than it lets running activities finish (WORKER_SHUTDOWN_GRACE)', () => {
    const seconds = (text: string) => {
      const m = /^(\d+)(ms|s|m|h)$/.exec(text);
      if (!m) throw new Error(`not a duration: ${text}`);
      return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    };
    const grace = seconds(envOf('worker').WORKER_SHUTDOWN_GRACE);
    expect(grace).toBeGreaterThan(0);
    expect(seconds(services.worker.stop_grace_period!)).toBeGreaterThanOrEqual(grace + 10);
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
    expect(publishedPorts(services['codec-server']).map((p) => p.hostPort)).toContain(8234);
    expect(publishedPorts(services.prometheus).map((p) => p.hostPort)).toContain(9090);
    expect(publishedPorts(services.grafana).map((p) => p.hostPort)).toContain(3001);
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

  it('starts api and worker only after migrations, the namespace with its search attributes, and a healthy MySQL', () => {
    for (const name of ['api', 'worker']) {
      const deps = dependsOn(services[name]);
      expect({ service: name, migrate: deps.migrate }).toEqual({ service: name, migrate: 'service_completed_successfully' });
      expect({ service: name, namespace: deps['temporal-namespace'] }).toEqual({ service: name, namespace: 'service_completed_successfully' });
      expect({ service: name, mysql: deps.mysql }).toEqual({ service: name, mysql: 'service_healthy' });
    }
    for (const name of appServices) expect({ service: name, certificates: dependsOn(services[name])['mysql-tls'] }).toEqual({ service: name, certificates: 'service_completed_successfully' });
    expect(dependsOn(services.migrate).mysql).toBe('service_healthy');
    expect(dependsOn(services['temporal-namespace']).temporal).toBe('service_healthy');
    expect(dependsOn(services['temporal-ui'])['temporal-namespace']).toBe('service_completed_successfully');
    const namespaceScript = commandText(services['temporal-namespace']);
    expect(namespaceScript).toMatch(/temporal operator cluster health/);
    expect(namespaceScript).toMatch(/temporal operator namespace create --namespace default --retention \d+h/);
  });

  it('mounts only repo paths that exist and volumes that are declared', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const name of serviceNames) {
      for (const m of mountsOf(services[name])) {
        if (m.source === '') continue;
        if (m.bind) {
          const hostPath = path.resolve(ROOT, m.source);
          if (PROVIDED_BY_MONITORING.includes(path.relative(ROOT, hostPath)) && !fs.existsSync(hostPath)) continue;
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
    const inContainer = path.posix.resolve('/etc/temporal', configured); // the server image's working directory
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
    // Task priority (domain/work-priority.ts) takes effect: the new matcher, one partition — the dev servers' flags too.
    const priority = { 'matching.useNewMatcher': true, 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 };
    const devScript = fs.readFileSync(path.join(ROOT, 'scripts', 'dev.sh'), 'utf8');
    for (const [key, value] of Object.entries(priority)) {
      expect({ key, value: valueOf(key) }).toEqual({ key, value });
      expect(devScript).toContain(`--dynamic-config-value ${key}=${value}`);
      expect(TEMPORAL_DEV_SERVER_PRIORITY_CONFIG).toContain(`${key}=${value}`);
    }
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

    const oneShot = services['temporal-namespace'];
    expect(oneShot.image).toMatch(/^temporalio\/admin-tools:/);
    expect(oneShot.restart).toBe('no');
    const script = commandText(oneShot);
    expect(script).toMatch(/temporal operator search-attribute create/);
    const namespace = /--namespace[=\s]+(\S+)/.exec(script.slice(script.indexOf('search-attribute create')))?.[1];
    expect(namespace).toBe(envOf('api').TEMPORAL_NAMESPACE ?? 'default');

    const registered = [...script.matchAll(/--name[=\s]+["']?(\w+)["']?\s+(?:\\\s*)?--type[=\s]+["']?(\w+)["']?/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(registered.sort()).toEqual([...wanted].sort());
  });

  it('has Prometheus scrape the api, the worker and the Temporal server, and Grafana read the provisioned dashboards', () => {
    const prometheus = services.prometheus;
    const configMount = mountsOf(prometheus).find((m) => m.target === '/etc/prometheus/prometheus.yml');
    expect(configMount?.source).toBe('./deploy/prometheus/prometheus.yml');
    expect(commandText(prometheus)).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(mountsOf(prometheus).find((m) => m.target === '/etc/prometheus/rules')?.source).toBe('./deploy/prometheus/rules');
    const grafanaMounts = Object.fromEntries(mountsOf(services.grafana).map((m) => [m.target, m.source]));
    expect(grafanaMounts['/etc/grafana/provisioning']).toBe('./deploy/grafana/provisioning');
    // The dashboards go where the provisioning's dashboard provider reads them.
    const provider = parse(fs.readFileSync(path.join(__dirname, '../../deploy/grafana/provisioning/dashboards/orders.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(grafanaMounts[provider.providers[0].options.path]).toBe('./deploy/grafana/dashboards');

    // The targets Prometheus must reach inside the compose network.
    const wanted = [`api:${listenPort('api')}`, `worker:${listenPort('worker')}`, `temporal:${envOf('temporal').PROMETHEUS_ENDPOINT.split(':')[1]}`];
    const configFile = path.join(ROOT, 'deploy/prometheus/prometheus.yml');
    if (!fs.existsSync(configFile)) return; // written on the monitoring branch (PROVIDED_BY_MONITORING)
    const config = parse(fs.readFileSync(configFile, 'utf8')) as { scrape_configs?: { static_configs?: { targets?: string[] }[] }[]; rule_files?: string[] };
    const targets = (config.scrape_configs ?? []).flatMap((job) => (job.static_configs ?? []).flatMap((c) => c.targets ?? []));
    for (const target of wanted) expect({ target, scraped: targets.includes(target) }).toEqual({ target, scraped: true });
    for (const ruleFile of config.rule_files ?? []) expect({ ruleFile, inRulesMount: ruleFile.startsWith('/etc/prometheus/rules/') || !ruleFile.startsWith('/') }).toEqual({ ruleFile, inRulesMount: true });
    const providers = path.join(ROOT, 'deploy/grafana/provisioning/dashboards');
    if (!fs.existsSync(providers)) return;
    for (const file of fs.readdirSync(providers).filter((f) => /\.ya?ml$/.test(f))) {
      const provisioning = parse(fs.readFileSync(path.join(providers, file), 'utf8')) as { providers?: { options?: { path?: string } }[] };
      for (const provider of provisioning.providers ?? []) expect({ file, path: provider.options?.path }).toEqual({ file, path: expect.stringMatching(/^\/var\/lib\/grafana\/dashboards/) });
    }
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
