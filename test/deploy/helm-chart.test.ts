/**
 * The Helm chart (deploy/helm/durable-orders), linted and rendered with a real helm (scripts/helm.sh
 * finds one or builds the pinned v3.21.4 with Go, about 5 minutes once) over values.yaml,
 * values-production.yaml and values-minimal.yaml, with assertions on the rendered objects: probes on
 * the health endpoints, the worker's grace period from WORKER_SHUTDOWN_GRACE, security contexts, the
 * migration hook, secret references, MySQL TLS mounts, HPA and ServiceMonitors only when enabled, and
 * the same setting names as docker-compose.yml. The settings the chart renders are read back through
 * the app's own config readers. No Kubernetes cluster runs here: nothing is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { readAppConfig } from '../../config/app-config';
import { ConfigError } from '../../config/config-error';
import { BATCH_WORKER_DEFAULTS, readBatchWorkerTuning, readOrderRequestSlots, readWorkerTuning } from '../../config/worker-tuning';

const ROOT = path.resolve(__dirname, '..', '..');
const CHART = path.join(ROOT, 'deploy', 'helm', 'durable-orders');
const KUBE_VERSION = '1.30.0';
const RELEASE = 'orders';
const FULLNAME = 'orders-durable-orders';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };
type Container = { name: string; command?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[]; envFrom?: { configMapRef?: { name: string } }[]; ports?: { name: string; containerPort: number }[]; livenessProbe?: any; readinessProbe?: any; startupProbe?: any; securityContext?: any; resources?: any; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] };

let helm: string;

function runHelm(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(helm, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `set` entries are --set; strings, also numbers-looking ones like worker.shutdownGrace=0, with --set-string via "name:=value". */
function render(valuesFile?: string, set: string[] = []): Obj[] {
  const flags = set.flatMap((s) => (s.includes(':=') ? ['--set-string', s.replace(':=', '=')] : ['--set', s]));
  const args = ['template', RELEASE, CHART, '--namespace', 'orders', '--kube-version', KUBE_VERSION, ...(valuesFile ? ['-f', path.join(CHART, valuesFile)] : []), ...flags];
  const result = runHelm(args);
  if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: Obj[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
const deployment = (objects: Obj[], component: string) => named(objects, 'Deployment', `${FULLNAME}-${component}`);
const podSpec = (o: Obj) => o.spec.template.spec;
const containerOf = (o: Obj): Container => podSpec(o).containers[0];
const configMap = (objects: Obj[]) => named(objects, 'ConfigMap', `${FULLNAME}-config`).data!;
const workloads = (objects: Obj[]) => [...byKind(objects, 'Deployment'), ...byKind(objects, 'Job')];
const envValue = (c: Container, name: string) => c.env?.find((e) => e.name === name);

/** What the app processes see: the ConfigMap plus the secret keys their env names (values as the Secret would give them). */
function processEnv(objects: Obj[], secretValues: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...configMap(objects) };
  for (const e of containerOf(deployment(objects, 'api')).env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && secretValues[ref.key] !== undefined) env[e.name] = secretValues[ref.key];
  }
  return env;
}

const VALUES = ['values.yaml', 'values-production.yaml', 'values-minimal.yaml'];
let rendered: Record<string, Obj[]>;

beforeAll(() => {
  // Finds helm, or builds it once (minutes): the first run on a fresh machine pays for it here.
  helm = execFileSync('bash', [path.join(ROOT, 'scripts/helm.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 }).trim();
  rendered = { 'values.yaml': render(), 'values-production.yaml': render('values-production.yaml'), 'values-minimal.yaml': render('values-minimal.yaml') };
}, 900_000);

describe('Helm chart deploy/helm/durable-orders', () => {
  it('passes helm lint --strict with each values file', () => {
    for (const file of VALUES) {
      const result = runHelm(['lint', CHART, '--strict', '--kube-version', KUBE_VERSION, ...(file === 'values.yaml' ? [] : ['-f', path.join(CHART, file)])]);
      expect({ file, status: result.status, output: result.status === 0 ? '' : result.stdout + result.stderr }).toEqual({ file, status: 0, output: '' });
      expect(result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders the API, worker and codec server Deployments, their Services, the ConfigMap and the migration Job', () => {
    const kinds = (file: string) => rendered[file].map((o) => `${o.kind}/${o.metadata.name.replace(`${FULLNAME}-`, '')}`).sort();
    expect(kinds('values.yaml')).toEqual(
      ['ConfigMap/config', 'Deployment/api', 'Deployment/codec-server', 'Deployment/worker', 'Job/migrate', 'PodDisruptionBudget/api', 'PodDisruptionBudget/worker', 'Secret/migration', 'Secret/secrets', 'Service/api', 'Service/codec-server', 'Service/worker'].sort(),
    );
    expect(kinds('values-production.yaml')).toEqual(
      ['ConfigMap/config', 'Deployment/api', 'Deployment/codec-server', 'Deployment/worker', 'HorizontalPodAutoscaler/api', 'Job/migrate', 'PodDisruptionBudget/api', 'PodDisruptionBudget/codec-server', 'PodDisruptionBudget/worker', 'Service/api', 'Service/codec-server', 'Service/worker', 'ServiceMonitor/api', 'ServiceMonitor/worker'].sort(),
    );
    expect(kinds('values-minimal.yaml')).toEqual(['ConfigMap/config', 'Deployment/api', 'Deployment/worker', 'Job/migrate', 'Secret/migration', 'Secret/secrets', 'Service/api', 'Service/worker'].sort());
    for (const file of VALUES) {
      const objects = rendered[file];
      expect(containerOf(deployment(objects, 'api')).command).toEqual(['node', 'dist/apps/api/main.js']);
      expect(containerOf(deployment(objects, 'worker')).command).toEqual(['node', 'dist/apps/worker/main.js']);
      expect(containerOf(named(objects, 'Job', `${FULLNAME}-migrate`)).command).toEqual(['node', 'dist/db/migrate.js']);
      if (file !== 'values-minimal.yaml') expect(containerOf(deployment(objects, 'codec-server')).command).toEqual(['node', 'dist/apps/codec-server/main.js']);
    }
  });

  it('probes liveness on /health/live and readiness on /health/ready, on the ports the processes listen on', () => {
    for (const file of VALUES) {
      const objects = rendered[file];
      const cm = configMap(objects);
      const probes = (component: string) => {
        const c = containerOf(deployment(objects, component));
        const port = (name: string) => c.ports!.find((p) => p.name === name)!.containerPort;
        const probe = (p: any) => p && { path: p.httpGet.path, port: port(p.httpGet.port) };
        return { liveness: probe(c.livenessProbe), readiness: probe(c.readinessProbe), startup: probe(c.startupProbe) };
      };
      const api = Number(cm.API_PORT);
      expect({ file, api: probes('api') }).toEqual({ file, api: { liveness: { path: '/health/live', port: api }, readiness: { path: '/health/ready', port: api }, startup: { path: '/health/live', port: api } } });
      const metrics = Number(cm.WORKER_METRICS_PORT);
      expect({ file, worker: probes('worker') }).toEqual({ file, worker: { liveness: { path: '/health/live', port: metrics }, readiness: { path: '/health/ready', port: metrics }, startup: { path: '/health/live', port: metrics } } });
      expect(cm.WORKER_METRICS_HOST).toBe('0.0.0.0');
      if (file !== 'values-minimal.yaml') {
        const codec = Number(cm.CODEC_SERVER_PORT);
        expect({ file, codec: probes('codec-server') }).toEqual({ file, codec: { liveness: { path: '/health', port: codec }, readiness: { path: '/health', port: codec }, startup: undefined } });
        expect(cm.CODEC_SERVER_HOST).toBe('0.0.0.0');
      }
    }
  });

  it("gives the worker terminationGracePeriodSeconds = WORKER_SHUTDOWN_GRACE (as the worker reads it) + the margin", () => {
    const expected: Record<string, { grace: string; seconds: number }> = {
      'values.yaml': { grace: '30s', seconds: 30 + 15 },
      'values-production.yaml': { grace: '2m', seconds: 120 + 30 },
      'values-minimal.yaml': { grace: '10s', seconds: 10 + 5 },
    };
    for (const file of VALUES) {
      const values = { ...parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')).worker, ...(file === 'values.yaml' ? {} : parse(fs.readFileSync(path.join(CHART, file), 'utf8')).worker) };
      const cm = configMap(rendered[file]);
      expect(cm.WORKER_SHUTDOWN_GRACE).toBe(expected[file].grace);
      const graceMs = readWorkerTuning(cm).shutdownGraceTimeMs;
      const period = podSpec(deployment(rendered[file], 'worker')).terminationGracePeriodSeconds;
      expect({ file, period }).toEqual({ file, period: Math.ceil(graceMs / 1000) + values.terminationGraceMarginSeconds });
      expect(period).toBe(expected[file].seconds);
    }
    expect(podSpec(deployment(render(undefined, ['worker.shutdownGrace=1500ms', 'worker.terminationGraceMarginSeconds=0']), 'worker')).terminationGracePeriodSeconds).toBe(2);
    expect(podSpec(deployment(render(undefined, ['worker.shutdownGrace:=0']), 'worker')).terminationGracePeriodSeconds).toBe(15);
  });

  it('refuses a grace the worker would refuse, and TLS settings that cannot work, at render time', () => {
    const fails = (set: string[], message: RegExp) => {
      const result = runHelm(['template', RELEASE, CHART, '--kube-version', KUBE_VERSION, ...set.flatMap((s) => ['--set', s])]);
      expect({ set, status: result.status }).toEqual({ set, status: 1 });
      expect(result.stderr).toMatch(message);
    };
    fails(['worker.shutdownGrace=11m'], /longer than 10m/);
    fails(['worker.shutdownGrace=30'], /got number, want string|a bare number means days/);
    fails(['worker.shutdownGrace=30x'], /does not match pattern|use 0 or a whole number/);
    fails(['database.tls.mode=required'], /value must be one of 'off', 'verify-ca', 'verify-full'/);
    fails(['database.tls.clientCertificate=true', 'database.tls.mode=verify-full'], /clientCertificate needs database\.tls\.secretName/);
    fails(['database.tls.secretName=x'], /secretName is set but database\.tls\.mode is off/);
    fails(['worker.tuning.maxConcurrentActivities=0'], /maxConcurrentActivities/);
    fails(['worker.batchTuning.maxConcurrentActivities=0'], /maxConcurrentActivities/);
  });

  it('runs every pod and container as the non-root node user, read-only, without privileges or a service account token', () => {
    for (const file of VALUES) {
      for (const workload of workloads(rendered[file])) {
        const where = `${file} ${workload.kind}/${workload.metadata.name}`;
        const pod = podSpec(workload);
        expect({ where, pod: pod.securityContext }).toEqual({ where, pod: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } } });
        expect({ where, token: pod.automountServiceAccountToken }).toEqual({ where, token: false });
        for (const c of pod.containers as Container[]) {
          expect({ where, container: c.securityContext }).toEqual({ where, container: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } } });
          // A read-only root needs somewhere to write: /tmp is an emptyDir.
          const tmp = c.volumeMounts!.find((m) => m.mountPath === '/tmp')!;
          expect(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
          expect({ where, requests: Boolean(c.resources?.requests?.cpu && c.resources?.requests?.memory), memoryLimit: Boolean(c.resources?.limits?.memory) }).toEqual({ where, requests: true, memoryLimit: true });
        }
      }
    }
    // uid 1000 is the image's `node` user (Dockerfile: USER node on a node image).
    expect(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m);
  });

  it('migrates in a pre-install/pre-upgrade hook Job that carries its own settings (the release\'s ConfigMap does not exist yet)', () => {
    for (const file of VALUES) {
      const objects = rendered[file];
      const job = named(objects, 'Job', `${FULLNAME}-migrate`);
      const annotations = job.metadata.annotations!;
      expect(annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(annotations['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded');
      expect(podSpec(job).restartPolicy).toBe('Never');
      const c = containerOf(job);
      expect(c.envFrom).toBeUndefined();
      const ref = envValue(c, 'DATABASE_URL')!.valueFrom!.secretKeyRef!;
      expect(ref.key).toBe('MIGRATION_DATABASE_URL');
      // Whatever Secret it reads exists before the Job: a hook Secret of lower weight, or the existing one.
      const hookSecret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref.name);
      if (hookSecret) {
        expect(hookSecret.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
        expect(Number(hookSecret.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(Number(annotations['helm.sh/hook-weight']));
        expect(hookSecret.stringData!.MIGRATION_DATABASE_URL).toMatch(/^mysql:\/\//);
      } else {
        expect({ file, secret: ref.name }).toEqual({ file, secret: 'durable-orders-secrets' });
      }
      // The same MySQL TLS settings as the app processes.
      const cm = configMap(objects);
      for (const name of ['DATABASE_TLS', 'DATABASE_TLS_CA', 'DATABASE_TLS_CERT', 'DATABASE_TLS_KEY']) expect({ file, name, job: envValue(c, name)?.value }).toEqual({ file, name, job: cm[name] });
    }
  });

  it('takes secrets by reference: the rendered Secret, or only the existing one in production', () => {
    const secretNames = ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'PAYLOAD_CODEC_KEYS', 'WECHATPAY_APIV3_KEY', 'TEMPORAL_API_KEY'];
    for (const [file, secret] of [['values.yaml', `${FULLNAME}-secrets`], ['values-minimal.yaml', `${FULLNAME}-secrets`], ['values-production.yaml', 'durable-orders-secrets']]) {
      const objects = rendered[file];
      for (const d of byKind(objects, 'Deployment')) {
        const c = containerOf(d);
        expect(c.envFrom).toEqual([{ configMapRef: { name: `${FULLNAME}-config` } }]);
        for (const name of secretNames) {
          const ref = envValue(c, name)?.valueFrom?.secretKeyRef;
          expect({ file, deployment: d.metadata.name, name, ref }).toEqual({ file, deployment: d.metadata.name, name, ref: { name: secret, key: name, ...(['WECHATPAY_APIV3_KEY', 'TEMPORAL_API_KEY'].includes(name) ? { optional: true } : {}) } });
          expect(configMap(objects)[name]).toBeUndefined();
        }
      }
      const secretObject = objects.find((o) => o.kind === 'Secret' && o.metadata.name === secret);
      if (file === 'values-production.yaml') {
        expect(byKind(objects, 'Secret')).toEqual([]);
      } else {
        for (const key of ['DATABASE_URL', 'MIGRATION_DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'PAYLOAD_CODEC_KEYS']) expect(Object.keys(secretObject!.stringData!)).toContain(key);
        // Pods restart when the Secret or the ConfigMap they were started with changes.
        for (const d of byKind(objects, 'Deployment')) expect(Object.keys(d.spec.template.metadata.annotations).sort()).toEqual(['checksum/config', 'checksum/secret']);
      }
    }
    for (const d of byKind(rendered['values-production.yaml'], 'Deployment')) expect(Object.keys(d.spec.template.metadata.annotations)).toEqual(['checksum/config']);
  });

  it('mounts the MySQL TLS Secret where DATABASE_TLS_CA / _CERT / _KEY point, in every app pod and the Job', () => {
    const prod = rendered['values-production.yaml'];
    const cm = configMap(prod);
    expect(cm.DATABASE_TLS).toBe('verify-full');
    expect([cm.DATABASE_TLS_CA, cm.DATABASE_TLS_CERT, cm.DATABASE_TLS_KEY]).toEqual(['/etc/orders/mysql-tls/ca.pem', '/etc/orders/mysql-tls/client-cert.pem', '/etc/orders/mysql-tls/client-key.pem']);
    for (const workload of workloads(prod)) {
      const pod = podSpec(workload);
      const volume = pod.volumes.find((v: any) => v.name === 'mysql-tls');
      expect({ workload: workload.metadata.name, secret: volume?.secret?.secretName }).toEqual({ workload: workload.metadata.name, secret: 'durable-orders-mysql-client-tls' });
      expect(volume.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.pem' }, { key: 'tls.crt', path: 'client-cert.pem' }, { key: 'tls.key', path: 'client-key.pem' }]);
      // Readable by the pod's group (fsGroup 1000), by nobody else.
      expect(volume.secret.defaultMode).toBe(0o440);
      const mount = containerOf(workload).volumeMounts!.find((m) => m.name === 'mysql-tls')!;
      expect(mount).toEqual({ name: 'mysql-tls', mountPath: '/etc/orders/mysql-tls', readOnly: true });
      for (const item of volume.secret.items) expect([cm.DATABASE_TLS_CA, cm.DATABASE_TLS_CERT, cm.DATABASE_TLS_KEY]).toContain(`${mount.mountPath}/${item.path}`);
    }
    // Without TLS: nothing mounted, DATABASE_TLS=off; verify-full against public roots: no mount, no CA file.
    for (const file of ['values.yaml', 'values-minimal.yaml']) {
      expect(configMap(rendered[file]).DATABASE_TLS).toBe('off');
      for (const workload of workloads(rendered[file])) expect(podSpec(workload).volumes.map((v: any) => v.name)).not.toContain('mysql-tls');
    }
    const publicRoots = render(undefined, ['database.tls.mode=verify-full']);
    expect(configMap(publicRoots).DATABASE_TLS).toBe('verify-full');
    expect(configMap(publicRoots).DATABASE_TLS_CA).toBeUndefined();
    // CA only (the users need no client certificate).
    const caOnly = render(undefined, ['database.tls.mode=verify-ca', 'database.tls.secretName=mysql-ca']);
    expect(configMap(caOnly).DATABASE_TLS_CA).toBe('/etc/orders/mysql-tls/ca.pem');
    expect(configMap(caOnly).DATABASE_TLS_CERT).toBeUndefined();
    expect(podSpec(deployment(caOnly, 'api')).volumes.find((v: any) => v.name === 'mysql-tls').secret.items).toEqual([{ key: 'ca.crt', path: 'ca.pem' }]);
  });

  it('renders the HorizontalPodAutoscaler only when enabled, and then leaves replicas to it', () => {
    for (const file of ['values.yaml', 'values-minimal.yaml']) {
      expect(byKind(rendered[file], 'HorizontalPodAutoscaler')).toEqual([]);
      expect(deployment(rendered[file], 'api').spec.replicas).toBe(file === 'values.yaml' ? 2 : 1);
    }
    const prod = rendered['values-production.yaml'];
    const hpa = named(prod, 'HorizontalPodAutoscaler', `${FULLNAME}-api`);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `${FULLNAME}-api` });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 12]);
    expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } });
    expect(deployment(prod, 'api').spec.replicas).toBeUndefined();
    expect(byKind(render(undefined, ['api.autoscaling.enabled=true']), 'HorizontalPodAutoscaler')).toHaveLength(1);
  });

  it('renders ServiceMonitors only when enabled, scraping /metrics on the API and worker Services', () => {
    for (const file of ['values.yaml', 'values-minimal.yaml']) expect(byKind(rendered[file], 'ServiceMonitor')).toEqual([]);
    const prod = rendered['values-production.yaml'];
    for (const [component, port] of [['api', 'http'], ['worker', 'metrics']]) {
      const monitor = named(prod, 'ServiceMonitor', `${FULLNAME}-${component}`);
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata.labels!.release).toBe('kube-prometheus-stack');
      expect(monitor.spec.endpoints).toEqual([{ port, path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
      const service = named(prod, 'Service', `${FULLNAME}-${component}`);
      expect(service.spec.ports.map((p: any) => p.name)).toContain(port);
      for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels![k]).toBe(v);
    }
  });

  it('selects exactly one component per Service and PodDisruptionBudget, on ports the pods name', () => {
    for (const file of VALUES) {
      const objects = rendered[file];
      const deployments = byKind(objects, 'Deployment');
      const matches = (selector: Record<string, string>) => deployments.filter((d) => Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
      for (const service of byKind(objects, 'Service')) {
        const [target, ...others] = matches(service.spec.selector);
        expect({ file, service: service.metadata.name, others: others.length, target: target?.metadata.name }).toEqual({ file, service: service.metadata.name, others: 0, target: service.metadata.name });
        for (const port of service.spec.ports) expect(containerOf(target).ports!.map((p) => p.name)).toContain(port.targetPort);
      }
      for (const pdb of byKind(objects, 'PodDisruptionBudget')) {
        expect(matches(pdb.spec.selector.matchLabels).map((d) => d.metadata.name)).toEqual([pdb.metadata.name]);
        // maxUnavailable, never minAvailable: a one-replica component must not block a node drain.
        expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
        expect(pdb.spec.minAvailable).toBeUndefined();
      }
      for (const d of deployments) expect(d.spec.selector.matchLabels).toEqual(Object.fromEntries(Object.entries(d.spec.template.metadata.labels).filter(([k]) => k !== 'helm.sh/chart')));
    }
    expect(byKind(rendered['values-minimal.yaml'], 'PodDisruptionBudget')).toEqual([]);
  });

  it('renders settings the app accepts: worker tuning from values, payment key files under their mount', () => {
    const prod = rendered['values-production.yaml'];
    const cm = configMap(prod);
    expect(readWorkerTuning(cm)).toEqual({
      shutdownGraceTimeMs: 120_000,
      maxConcurrentWorkflowTaskExecutions: 200,
      maxConcurrentActivityTaskExecutions: 100,
      maxConcurrentLocalActivityExecutions: 100,
      maxConcurrentWorkflowTaskPolls: 8,
      maxConcurrentActivityTaskPolls: 8,
    });
    expect(Object.keys(configMap(rendered['values.yaml'])).filter((k) => /^(BATCH_)?WORKER_(MAX|.*POLLERS)/.test(k))).toEqual([]);
    // The batch Worker's own slots and the order-requests Worker's, as the app reads them.
    expect(readBatchWorkerTuning(cm)).toEqual({
      maxConcurrentWorkflowTaskExecutions: 20,
      maxConcurrentActivityTaskExecutions: 10,
      maxConcurrentLocalActivityExecutions: 10,
      maxConcurrentWorkflowTaskPolls: 2,
      maxConcurrentActivityTaskPolls: 2,
    });
    expect(readOrderRequestSlots(cm)).toBe(200);
    expect(readBatchWorkerTuning(configMap(rendered['values.yaml']))).toEqual(BATCH_WORKER_DEFAULTS);
    const keysMount = containerOf(deployment(prod, 'worker')).volumeMounts!.find((m) => m.name === 'payment-keys')!;
    expect(podSpec(deployment(prod, 'worker')).volumes.find((v: any) => v.name === 'payment-keys').secret.secretName).toBe('durable-orders-payment-keys');
    for (const name of ['WECHATPAY_MERCHANT_PRIVATE_KEY_FILE', 'WECHATPAY_PLATFORM_PUBLIC_KEY_FILE', 'ALIPAY_APP_PRIVATE_KEY_FILE', 'ALIPAY_PUBLIC_KEY_FILE']) expect(path.dirname(cm[name])).toBe(keysMount.mountPath);
    expect(cm.WECHATPAY_MCHID).toBe('1900000109');

    // The minimal install's settings pass the app's own start-up checks as they are...
    const minimalSecret = named(rendered['values-minimal.yaml'], 'Secret', `${FULLNAME}-secrets`).stringData!;
    const config = readAppConfig(processEnv(rendered['values-minimal.yaml'], minimalSecret));
    expect(config.worker.tuning.shutdownGraceTimeMs).toBe(10_000);
    expect(config.databaseTls.mode).toBe('off');
    expect(config.temporal.address).toBe('temporal-frontend:7233');
    // ...while the defaults (NODE_ENV=production, no JWT secret yet) stop at start-up naming what is missing.
    const defaultsSecret = named(rendered['values.yaml'], 'Secret', `${FULLNAME}-secrets`).stringData!;
    expect(() => readAppConfig(processEnv(rendered['values.yaml'], defaultsSecret))).toThrow(ConfigError);
    expect(() => readAppConfig(processEnv(rendered['values.yaml'], defaultsSecret))).toThrow(/^JWT_SECRET: is not set/);
    const ownSecrets = processEnv(rendered['values.yaml'], { ...defaultsSecret, JWT_SECRET: 'x'.repeat(40), PAYLOAD_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` });
    // ...then at the identity provider, which a deployment names in config.extraEnv (values-production.yaml).
    expect(() => readAppConfig(ownSecrets)).toThrow(/^AUTH_JWKS_URL: is not set/);
    const provider = Object.fromEntries(Object.entries(configMap(rendered['values-production.yaml'])).filter(([name]) => name.startsWith('AUTH_')));
    expect(Object.keys(provider).sort()).toEqual(['AUTH_AUDIENCE', 'AUTH_ISSUER', 'AUTH_JWKS_URL']);
    expect(() => readAppConfig({ ...ownSecrets, ...provider })).not.toThrow();
  });

  it('uses the same setting names as docker-compose.yml, and only names the app reads', () => {
    const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { 'x-app-environment': Record<string, unknown> };
    const composeNames = new Set(Object.keys(compose['x-app-environment']));
    const secretEnv = new Set((containerOf(deployment(rendered['values.yaml'], 'api')).env ?? []).map((e) => e.name));
    const chartNames = new Set([...VALUES.flatMap((f) => Object.keys(configMap(rendered[f]))), ...secretEnv]);

    // Compose runs the payment simulator; the chart does not.
    expect([...composeNames].filter((n) => !chartNames.has(n)).sort()).toEqual(['PAYMENT_SIM_HOST', 'PAYMENT_SIM_HOSTNAME', 'PAYMENT_SIM_PORT']);
    // The chart's base settings are all in compose; beyond them only real-provider credentials,
    // worker tuning, extraEnv of the production example and secrets compose leaves at their development defaults.
    const baseOnly = [...Object.keys(configMap(rendered['values.yaml'])), ...secretEnv].filter((n) => !composeNames.has(n)).sort();
    expect(baseOnly).toEqual(['PAYLOAD_CODEC_KEYS', 'TEMPORAL_API_KEY', 'WECHATPAY_APIV3_KEY']);

    // Where both set a default, they agree.
    const composeEnv = compose['x-app-environment'] as Record<string, string>;
    const cm = configMap(rendered['values.yaml']);
    for (const name of ['API_PORT', 'WORKER_METRICS_HOST', 'WORKER_METRICS_PORT', 'WORKER_SHUTDOWN_GRACE', 'CODEC_SERVER_HOST', 'CODEC_SERVER_PORT', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'PAYMENT_KEYS_DIR']) {
      expect({ name, chart: cm[name] }).toEqual({ name, chart: String(composeEnv[name]) });
    }

    // Every name the chart sets is one the app reads (a typo would be silently ignored).
    const sources = ['config', 'payments', 'domain', 'apps', 'db'].flatMap((dir) => walk(path.join(ROOT, dir))).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    // As a string, env.NAME or an object key (config/worker-tuning.ts's table).
    const read = (name: string) => new RegExp(`['"\`]${name}['"\`]|env\\.${name}\\b|^\\s*${name}:`, 'm').test(sources);
    for (const name of chartNames) expect({ name, read: read(name) }).toEqual({ name, read: true });
    expect(read('WORKER_MAX_CONCURRENT_WORKFLOW_TASK')).toBe(false);
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}
