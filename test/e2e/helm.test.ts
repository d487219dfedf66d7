// The Helm chart with the real tools: helm (lint, template, the values schema), every rendered manifest
// strictly decoded into the Kubernetes API types offline (deploy/helm/kubecheck), the security context and
// mounts asserted, the rendered agent config run through the agent's own loader, and promtool on the alert
// rules with a unit test per alert. Tools come from scripts/install-helm-tools.sh (Go module proxy) and
// scripts/install-prometheus.sh (Debian); with CI=true a missing tool fails instead of skipping.
//
// The opentelemetry-collector dependency is downloaded by `helm dependency build` from its chart repository,
// which this machine cannot reach. When charts/ holds it, the chart renders as it is; otherwise the chart is
// rendered from a copy without the dependency entry (our templates only; see the README).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../config/load.ts';
import { BUILD_TIMEOUT_MS, provision, ROOT, run } from '../helpers/stack.ts';

const CHART = path.join(ROOT, 'deploy/helm/jcode-watcher');
const PROM = path.join(ROOT, 'deploy/prometheus');
const KUBE_VERSION = '1.34.0';
const NS = 'jcw';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };
// Minimal typed views of what the assertions read.
interface Container {
  name: string; image: string; args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: { privileged?: boolean; readOnlyRootFilesystem?: boolean; runAsUser?: number; allowPrivilegeEscalation?: boolean; capabilities?: { add?: string[]; drop?: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume { name: string; hostPath?: { path: string }; persistentVolumeClaim?: { claimName: string; readOnly?: boolean }; emptyDir?: object; configMap?: { name: string } }
interface PodSpec {
  hostPID?: boolean; serviceAccountName: string; automountServiceAccountToken?: boolean; priorityClassName?: string;
  tolerations?: object[]; nodeSelector?: Record<string, string>; containers: Container[]; volumes: Volume[];
}

const ci = process.env.CI === 'true';

describe('Helm chart deploy/helm/jcode-watcher', () => {
  let tools = '';
  let promDir = '';
  let unavailable = '';
  let work = '';
  let chart = '';
  let vendored = false;

  beforeAll(async () => {
    const errors: string[] = [];
    const h = await provision('install-helm-tools.sh');
    if (h.path) tools = h.path; else errors.push(h.error!);
    const p = await provision('install-prometheus.sh');
    if (p.path) promDir = p.path; else errors.push(p.error!);
    if (errors.length) {
      if (ci) throw new Error(errors.join('\n'));
      unavailable = errors.join('\n');
      return;
    }
    work = mkdtempSync(path.join(os.tmpdir(), 'jcw-helm-'));
    chart = path.join(work, 'jcode-watcher');
    cpSync(CHART, chart, { recursive: true });
    vendored = existsSync(path.join(chart, 'charts')) && readdirSync(path.join(chart, 'charts')).some((f) => f.startsWith('opentelemetry-collector-'));
    if (!vendored) {
      // No chart repository reachable: render our own templates without the dependency entry.
      const meta = readFileSync(path.join(chart, 'Chart.yaml'), 'utf8');
      const cut = meta.indexOf('\ndependencies:');
      expect(cut).toBeGreaterThan(0);
      writeFileSync(path.join(chart, 'Chart.yaml'), meta.slice(0, cut + 1));
      rmSync(path.join(chart, 'Chart.lock'));
    }
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const need = (ctx: TestContext) => {
    if (unavailable) ctx.skip(`tools unavailable: ${unavailable}`);
  };
  const helm = (args: string[]) => run(path.join(tools, 'helm'), args, { timeoutMs: 120_000 });

  async function template(sets: string[] = []): Promise<{ code: number; stdout: string; stderr: string; docs: Manifest[] }> {
    const r = await helm(['template', 't', chart, '--namespace', NS, '--kube-version', KUBE_VERSION, ...sets.flatMap((s) => ['--set', s])]);
    const docs = r.code === 0 ? parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest).filter(Boolean) : [];
    return { ...r, docs };
  }

  async function kubecheck(yamlText: string): Promise<{ code: number; out: string }> {
    const f = path.join(work, `render-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, yamlText);
    const r = await run(path.join(tools, 'kubecheck'), [f]);
    return { code: r.code, out: r.stdout + r.stderr };
  }

  const one = (docs: Manifest[], kind: string, name?: string) => {
    const found = docs.filter((d) => d.kind === kind && (!name || d.metadata.name === name));
    expect(found.map((d) => d.metadata.name), `${kind} ${name ?? ''}`).toHaveLength(1);
    return found[0]!;
  };
  const pod = (docs: Manifest[]) => (one(docs, 'DaemonSet') as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
  const agent = (docs: Manifest[]) => pod(docs).containers.find((c) => c.name === 'agent')!;
  const mount = (c: Container, name: string) => c.volumeMounts.find((m) => m.name === name);
  const volume = (p: PodSpec, name: string) => p.volumes.find((v) => v.name === name);

  it('passes helm lint --strict', async (ctx) => {
    need(ctx);
    const r = await helm(['lint', '--strict', chart, '--kube-version', KUBE_VERSION]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
  });

  it('Chart.lock pins the opentelemetry-collector dependency and is in sync with Chart.yaml', async (ctx) => {
    need(ctx);
    const meta = parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as { dependencies: { name: string; version: string; alias: string; condition: string }[] };
    expect(meta.dependencies).toEqual([expect.objectContaining({ name: 'opentelemetry-collector', alias: 'collector', condition: 'collector.enabled', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) })]);
    const lock = parse(readFileSync(path.join(CHART, 'Chart.lock'), 'utf8')) as { dependencies: { version: string }[] };
    expect(lock.dependencies[0]!.version).toBe(meta.dependencies[0]!.version);
    // `helm dependency build` checks the lock's digest before it downloads anything: out of sync fails here
    // with "out of sync"; in sync it goes on to the (unreachable) repository.
    const copy = path.join(work, 'lockcheck');
    cpSync(CHART, copy, { recursive: true });
    const r = await run(path.join(tools, 'helm'), ['dependency', 'build', copy], { timeoutMs: 60_000, env: { HELM_REPOSITORY_CONFIG: path.join(work, 'repositories.yaml'), HELM_REPOSITORY_CACHE: path.join(work, 'repo-cache') } });
    expect(r.stderr).not.toMatch(/out of sync/);
  });

  it('renders the default values into valid Kubernetes objects: a least-privilege DaemonSet with read-only mounts', async (ctx) => {
    need(ctx);
    const r = await template();
    expect(r.code, r.stderr).toBe(0);
    const check = await kubecheck(r.stdout);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toMatch(/\d+ documents, 0 invalid/);

    const p = pod(r.docs);
    expect(p.hostPID).toBe(true);
    expect(p.automountServiceAccountToken).toBe(false);
    expect(p.priorityClassName).toBe('t-jcode-watcher');
    expect(p.tolerations).toEqual([{ operator: 'Exists' }]);
    const c = agent(r.docs);
    expect(c.securityContext).toMatchObject({ privileged: false, readOnlyRootFilesystem: true, runAsUser: 0, allowPrivilegeEscalation: false });
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['BPF', 'PERFMON', 'SYS_RESOURCE', 'DAC_READ_SEARCH'] });
    expect(c.resources?.requests).toBeDefined();
    expect(c.resources?.limits?.memory).toBeDefined();

    // Host paths are mounted read-only; only the spool/snapshot volume and /tmp are writable.
    const hostRo: [string, string, string][] = [
      ['btf', '/sys/kernel/btf', '/sys/kernel/btf'], ['tracing', '/sys/kernel/tracing', '/sys/kernel/tracing'],
      ['cgroup', '/sys/fs/cgroup', '/sys/fs/cgroup'], ['proc', '/proc', '/host/proc'], ['pod-logs', '/var/log/pods', '/var/log/pods'],
      ['workspaces', '/var/lib/jcode/workspaces', '/workspaces'],
    ];
    for (const [name, hostPath, mountPath] of hostRo) {
      expect(volume(p, name)?.hostPath?.path, name).toBe(hostPath);
      expect(mount(c, name), name).toMatchObject({ mountPath, readOnly: true });
    }
    expect(mount(c, 'config')?.readOnly).toBe(true);
    const writable = c.volumeMounts.filter((m) => !m.readOnly).map((m) => m.name).sort();
    expect(writable).toEqual(['data', 'tmp']);
    expect(volume(p, 'data')?.hostPath?.path).toBe('/var/lib/jcode-watcher');

    // Node name from the downward API; OTLP to the bundled Collector's Service; probes on the agent's port.
    expect(c.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(c.env?.find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toBe(`http://t-collector.${NS}.svc:4317`);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 9464, protocol: 'TCP' }]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });

    // The agent calls no Kubernetes API: no RBAC for it.
    expect(r.docs.filter((d) => /Role/.test(d.kind)).map((d) => d.metadata.name)).toEqual([]);
    expect(one(r.docs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it('renders an agent config that the agent\'s own loader accepts, with the pod\'s paths and HTTP endpoint', async (ctx) => {
    need(ctx);
    const r = await template(['config.files.debounce_ms=250', 'config.exec.kernel_hostname_prefixes[0]=jcode-']);
    expect(r.code, r.stderr).toBe(0);
    const cm = one(r.docs, 'ConfigMap', 't-jcode-watcher') as unknown as { data: Record<string, string> };
    const file = path.join(work, 'agent-config.yaml');
    writeFileSync(file, cm.data['config.yaml']!);
    const cfg = loadConfig(file, {}, { NODE_NAME: 'node-7' });
    expect(cfg.http).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(cfg.workspaces.root).toBe('/workspaces');
    expect(cfg.output).toMatchObject({ dir: '/var/lib/jcode-watcher', files: false, console: false });
    expect(cfg.exec.pod_logs_dir).toBe('/var/log/pods');
    expect(cfg.files.debounce_ms).toBe(250);
    expect(cfg.exec.kernel_hostname_prefixes).toEqual(['jcode-']);
    expect(cfg.node.name).toBe('node-7');
    // A config change rolls the pods.
    const before = (one(r.docs, 'DaemonSet') as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations['checksum/config'];
    const r2 = await template();
    const after = (one(r2.docs, 'DaemonSet') as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations['checksum/config'];
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
  });

  it('pseudonymKey mounts the Secret read-only as a file and turns pseudonymisation on in the agent config', async (ctx) => {
    need(ctx);
    const r = await template(['pseudonymKey.secretName=jcw-pseudonym', 'pseudonymKey.key=hmac']);
    expect(r.code, r.stderr).toBe(0);
    expect((await kubecheck(r.stdout)).code).toBe(0);
    expect(volume(pod(r.docs), 'pseudonym-key')).toEqual({ name: 'pseudonym-key', secret: { secretName: 'jcw-pseudonym', defaultMode: 0o400, items: [{ key: 'hmac', path: 'key' }] } });
    expect(mount(agent(r.docs), 'pseudonym-key')).toEqual({ name: 'pseudonym-key', mountPath: '/etc/jcode-watcher-key', readOnly: true });
    const cm = one(r.docs, 'ConfigMap', 't-jcode-watcher') as unknown as { data: Record<string, string> };
    const file = path.join(work, 'agent-config-privacy.yaml');
    writeFileSync(file, cm.data['config.yaml']!);
    expect(loadConfig(file, {}, {}).privacy).toMatchObject({ pseudonymize: true, key_file: '/etc/jcode-watcher-key/key' });
    // Off by default: no volume, no privacy keys set by the chart.
    const d = await template();
    expect(volume(pod(d.docs), 'pseudonym-key')).toBeUndefined();
    expect((one(d.docs, 'ConfigMap', 't-jcode-watcher') as unknown as { data: Record<string, string> }).data['config.yaml']).not.toContain('privacy');
  });

  it('ships the alert rules and the dashboard as the files promtool and the unit tests check', async (ctx) => {
    need(ctx);
    const r = await template();
    const rule = one(r.docs, 'PrometheusRule') as unknown as { spec: { groups: unknown[] } };
    expect(rule.spec.groups).toEqual((parse(readFileSync(path.join(CHART, 'files/alerts.yaml'), 'utf8')) as { groups: unknown[] }).groups);
    const dash = one(r.docs, 'ConfigMap', 't-jcode-watcher-dashboard') as Manifest & { data: Record<string, string> };
    expect(dash.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(dash.data['jcode-watcher.json']!)).toEqual(JSON.parse(readFileSync(path.join(CHART, 'files/dashboard.json'), 'utf8')));
    const pm = one(r.docs, 'PodMonitor') as unknown as { spec: { jobLabel: string; podMetricsEndpoints: { port: string; path: string }[] } };
    expect(pm.spec.jobLabel).toBe('app.kubernetes.io/name');
    expect(pm.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    // The per-student alert is opt-in.
    expect(JSON.stringify(rule)).not.toContain('JcodeWatcherStudentFailedCompileStreak');
    const opt = await template(['prometheusRule.studentStreak=true']);
    expect(JSON.stringify(one(opt.docs, 'PrometheusRule'))).toContain('JcodeWatcherStudentFailedCompileStreak');
    const bridge = one(r.docs, 'ConfigMap', 't-jcode-watcher-bridge') as unknown as { data: Record<string, string> };
    expect(bridge.data.JCW_ANALYTICS_LISTEN).toBe('127.0.0.1:4319');
  });

  it('edge values: Collector off, PVC workspaces, emptyDir data, privileged fallback, no operator CRDs', async (ctx) => {
    need(ctx);
    const off = await template(['collector.enabled=false', 'otlpEndpoint=http://otel.obs.svc:4317']);
    expect(off.code, off.stderr).toBe(0);
    expect((await kubecheck(off.stdout)).code).toBe(0);
    expect(agent(off.docs).env?.find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toBe('http://otel.obs.svc:4317');
    expect(off.docs.some((d) => d.metadata.name === 't-jcode-watcher-bridge')).toBe(false);

    const pvc = await template(['workspaces.type=pvc', 'workspaces.claimName=student-homes', 'workspaces.subPath=courses', 'data.type=emptyDir', 'data.sizeLimit=2Gi']);
    expect(pvc.code, pvc.stderr).toBe(0);
    expect((await kubecheck(pvc.stdout)).code).toBe(0);
    const pp = pod(pvc.docs);
    expect(volume(pp, 'workspaces')).toEqual({ name: 'workspaces', persistentVolumeClaim: { claimName: 'student-homes', readOnly: true } });
    expect(mount(agent(pvc.docs), 'workspaces')).toEqual({ name: 'workspaces', mountPath: '/workspaces', readOnly: true, subPath: 'courses' });
    expect(volume(pp, 'data')).toEqual({ name: 'data', emptyDir: { sizeLimit: '2Gi' } });

    const priv = await template(['privileged=true']);
    expect(priv.code, priv.stderr).toBe(0);
    expect((await kubecheck(priv.stdout)).code).toBe(0);
    const sc = agent(priv.docs).securityContext;
    expect(sc.privileged).toBe(true);
    expect(sc.capabilities).toBeUndefined();
    expect(sc.readOnlyRootFilesystem).toBe(true);
    for (const m of agent(priv.docs).volumeMounts.filter((v) => !['data', 'tmp'].includes(v.name))) expect(m.readOnly, m.name).toBe(true);

    const bare = await template(['podMonitor.enabled=false', 'prometheusRule.enabled=false', 'dashboard.enabled=false', 'priorityClass.create=false']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'DaemonSet', 'ServiceAccount']);
    expect(pod(bare.docs).priorityClassName).toBeUndefined();
  });

  it('rejects wrong values with a message naming the value', async (ctx) => {
    need(ctx);
    const cases: [string[], RegExp][] = [
      [['workspaces.type=nfs'], /at '\/workspaces\/type': value must be one of 'hostPath', 'pvc'/],
      [['workspaces.type=pvc'], /at '\/workspaces\/claimName'/],
      [['config.files.debounce_ms=-1'], /at '\/config\/files\/debounce_ms': minimum: got -1, want 0/],
      [['config.workspaces.root=/elsewhere'], /at '\/config\/workspaces': additional properties 'root' not allowed/],
      [['config.file.max_bytes=10'], /at '\/config': additional properties 'file' not allowed/],
      [['config.files.watcher=fanotify'], /at '\/config\/files\/watcher': value must be one of 'parcel', 'chokidar'/],
      [['capabilities[0]=CAP_BPF'], /at '\/capabilities\/0': value must be one of/],
      [['privileged=yes'], /at '\/privileged': got string, want boolean/],
      [['image.repository='], /at '\/image\/repository': minLength/],
      [['seccompProfile=Localhost'], /at '\/seccompProfile'/],
      [['collector.enabled=false'], /otlpEndpoint must be set when collector.enabled=false/],
    ];
    for (const [sets, message] of cases) {
      const r = await template(sets);
      expect(r.code, sets.join(' ')).not.toBe(0);
      expect(r.stderr, sets.join(' ')).toMatch(message);
    }
  });

  it('kubecheck rejects a manifest with a field the Kubernetes API does not have', async (ctx) => {
    need(ctx);
    const r = await template();
    const bad = r.stdout.replace('hostPID: true', 'hostPid: true');
    expect(bad).not.toBe(r.stdout);
    const check = await kubecheck(bad);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(/error DaemonSet\/t-jcode-watcher .*unknown field "spec.template.spec.hostPid"/);
  });

  it('promtool: the rules files are valid and every alert fires when it should and stays quiet otherwise', async (ctx) => {
    need(ctx);
    const promtool = path.join(promDir, 'promtool');
    const check = await run(promtool, ['check', 'rules', path.join(PROM, 'alerts.yaml'), path.join(PROM, 'alerts-student.yaml')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('SUCCESS: 9 rules found');
    expect(check.stdout).toContain('SUCCESS: 1 rules found');
    const test = await run(promtool, ['test', 'rules', path.join(PROM, 'alerts.test.yaml'), path.join(PROM, 'alerts-student.test.yaml')]);
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect((test.stdout + test.stderr).match(/SUCCESS/g)).toHaveLength(2);
    // Every alert has a firing and a quiet case in the unit tests.
    const tests = readFileSync(path.join(PROM, 'alerts.test.yaml'), 'utf8') + readFileSync(path.join(PROM, 'alerts-student.test.yaml'), 'utf8');
    const rules = ['alerts.yaml', 'alerts-student.yaml'].flatMap((f) => (parse(readFileSync(path.join(PROM, f), 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((x) => x.alert)));
    for (const a of rules) {
      const evals = [...tests.matchAll(new RegExp(`alertname: ${a}\\n\\s+exp_alerts:( \\[\\])?`, 'g'))];
      expect(evals.some((m) => m[1]), `${a} quiet case`).toBe(true);
      expect(evals.some((m) => !m[1]), `${a} firing case`).toBe(true);
    }
  });
});
