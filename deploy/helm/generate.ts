// Generates the chart files derived from other sources of truth (run by `npm run docs`; a test fails when the
// committed files differ):
//   - values.yaml: the `collector.alternateConfig` block is otel-collector-config.yaml, verbatim (comments too);
//   - values.schema.json: the chart's schema, whose `config` part is derived from config/spec.ts, so a wrong
//     agent config key or value fails `helm install` with the key's name instead of crash-looping the agents.
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_SPEC, type Leaf, type Section } from '../../config/spec.ts';

const ROOT = new URL('../../', import.meta.url);
export const CHART_DIR = new URL('jcode-watcher/', import.meta.url);
export const VALUES_FILE = new URL('values.yaml', CHART_DIR);
export const SCHEMA_FILE = new URL('values.schema.json', CHART_DIR);
export const COLLECTOR_CONFIG_FILE = new URL('otel-collector-config.yaml', ROOT);

const BEGIN = '  # BEGIN otel-collector-config.yaml';
const END = '  # END otel-collector-config.yaml';

/** values.yaml with the alternateConfig block replaced by the Collector config (indented under `collector:`). */
export function renderValues(values: string, collectorConfig: string): string {
  const start = values.indexOf(BEGIN);
  const end = values.indexOf(END);
  if (start < 0 || end < start) throw new Error(`values.yaml: markers "${BEGIN.trim()}" / "${END.trim()}" not found`);
  const body = collectorConfig.replace(/\s+$/, '').split('\n').map((l) => (l.trim() ? `    ${l}` : '')).join('\n');
  return `${values.slice(0, start)}${BEGIN}\n  alternateConfig:\n${body}\n${values.slice(end)}`;
}

/** Keys the chart sets itself (mount paths, the HTTP endpoint the probes use): not settable in `config`. */
export const CHART_OWNED: Readonly<Record<string, readonly string[]>> = {
  workspaces: ['root'],
  output: ['dir'],
  http: ['host', 'port'],
  exec: ['pod_logs_dir'],
};

type Json = Record<string, unknown>;

function leafSchema(leaf: Leaf): Json {
  const description = leaf.doc;
  switch (leaf.kind) {
    case 'int': return { type: 'integer', minimum: leaf.min, maximum: leaf.max, description };
    case 'bool': return { type: 'boolean', description };
    case 'enum': return { type: 'string', enum: [...leaf.values], description };
    case 'strings': return { type: 'array', items: { type: 'string', minLength: 1 }, description };
    case 'string': return leaf.nullable ? { type: ['string', 'null'], minLength: 1, description } : { type: 'string', minLength: 1, description };
  }
}

function configSchema(): Json {
  const properties: Json = {};
  for (const [name, section] of Object.entries(CONFIG_SPEC as Record<string, Section>)) {
    const keys: Json = {};
    for (const [key, leaf] of Object.entries(section.keys)) {
      if (!CHART_OWNED[name]?.includes(key)) keys[key] = leafSchema(leaf);
    }
    if (Object.keys(keys).length === 0) continue;
    properties[name] = { type: 'object', description: section.doc, additionalProperties: false, properties: keys };
  }
  return {
    type: 'object',
    description: 'The agent config file (docs/config.md), without the keys the chart sets: ' +
      Object.entries(CHART_OWNED).flatMap(([s, ks]) => ks.map((k) => `${s}.${k}`)).join(', ') + '.',
    additionalProperties: false,
    properties,
  };
}

const str = (description: string, extra: Json = {}): Json => ({ type: 'string', description, ...extra });
const bool = (description: string): Json => ({ type: 'boolean', description });
const obj = (description: string, properties?: Json, extra: Json = {}): Json =>
  properties ? { type: 'object', description, additionalProperties: false, properties, ...extra } : { type: 'object', description, ...extra };
const list = (description: string, items: Json = { type: 'object' }): Json => ({ type: 'array', description, items });
const labels = (description: string): Json => ({ type: 'object', description, additionalProperties: { type: 'string' } });
const quantity = { anyOf: [{ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|E|Ei|P|Pi)?$' }, { type: 'number', minimum: 0 }] };
const resourceList = { type: 'object', additionalProperties: false, properties: { cpu: quantity, memory: quantity, 'ephemeral-storage': quantity } };
const absPath = (description: string): Json => str(description, { pattern: '^/' });
// Linux capability names as Kubernetes takes them (no CAP_ prefix).
const CAPABILITIES = ['AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN', 'DAC_OVERRIDE',
  'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD',
  'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT',
  'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM'];
const caps = (description: string): Json => ({ type: 'array', description, uniqueItems: true, items: { type: 'string', enum: CAPABILITIES } });

export function renderSchema(): string {
  const schema: Json = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'jcode-watcher chart values',
    type: 'object',
    additionalProperties: false,
    required: ['image', 'workspaces', 'data', 'hostPaths', 'privileged', 'capabilities', 'resources', 'httpPort', 'config', 'collector'],
    properties: {
      global: obj('Helm global values (passed to the Collector dependency).'),
      image: obj('Agent image.', {
        repository: str('Image repository.', { minLength: 1 }),
        tag: str('Image tag; empty means the chart appVersion.'),
        pullPolicy: str('imagePullPolicy.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
      }, { required: ['repository'] }),
      imagePullSecrets: list('Image pull secrets.', obj('A LocalObjectReference.', { name: str('Secret name.', { minLength: 1 }) }, { required: ['name'] })),
      nameOverride: str('Chart name override.'),
      fullnameOverride: str('Full name override.'),
      workspaces: obj('Where student workspaces are.', {
        type: str('hostPath or pvc.', { enum: ['hostPath', 'pvc'] }),
        hostPath: absPath('Node directory (type=hostPath).'),
        claimName: str('PersistentVolumeClaim name (type=pvc).'),
        subPath: str('Sub-directory of the volume to mount.', { pattern: '^([^/].*)?$' }),
      }, {
        required: ['type'],
        if: { properties: { type: { const: 'pvc' } } },
        then: { properties: { claimName: { type: 'string', minLength: 1 } }, required: ['claimName'] },
      }),
      data: obj('Writable storage for the spool and the snapshot store.', {
        type: str('hostPath or emptyDir.', { enum: ['hostPath', 'emptyDir'] }),
        hostPath: absPath('Node directory (type=hostPath).'),
        sizeLimit: { description: 'emptyDir size limit; empty means none.', anyOf: [{ type: 'string', maxLength: 0 }, quantity] },
      }, { required: ['type'] }),
      hostPaths: obj('Node paths mounted read-only.', {
        btf: absPath('Kernel BTF.'), tracing: absPath('tracefs.'), cgroup: absPath('cgroup hierarchy.'), proc: absPath('Host /proc.'), podLogs: absPath('Kubelet pod logs.'),
      }, { required: ['btf', 'tracing', 'cgroup', 'proc', 'podLogs'] }),
      privileged: bool('Run the agent container privileged (fallback for older kernels) instead of with capabilities.'),
      capabilities: caps('Capabilities added to the agent container.'),
      extraCapabilities: caps('More capabilities added.'),
      seccompProfile: str('Seccomp profile type of the agent container.', { enum: ['Unconfined', 'RuntimeDefault'] }),
      resources: obj('Requests and limits of the agent container.', { requests: resourceList, limits: resourceList }),
      tolerations: list('Pod tolerations.'),
      nodeSelector: labels('Node selector.'),
      affinity: obj('Pod affinity.'),
      maxUnavailable: { description: 'Pods replaced at once in a rolling update.', anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+%$' }] },
      terminationGracePeriodSeconds: { type: 'integer', minimum: 10, description: 'Seconds between SIGTERM and SIGKILL (the agent needs up to 10).' },
      priorityClass: obj('Priority of the agent pods.', {
        create: bool('Create a PriorityClass.'),
        name: str('Its name (or an existing one).'),
        value: { type: 'integer', minimum: -2147483648, maximum: 1000000000, description: 'Priority value (user classes go up to 1000000000).' },
      }),
      podLabels: labels('Extra pod labels.'),
      podAnnotations: labels('Extra pod annotations.'),
      extraEnv: list('Extra EnvVars of the agent container.', obj('An EnvVar.', undefined, { required: ['name'] })),
      pseudonymKey: obj('Secret holding the pseudonym key, mounted as a file (turns privacy.pseudonymize on).', {
        secretName: str('Secret name; empty means off.', { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$' }),
        key: str('Key within the Secret.', { minLength: 1 }),
      }),
      serviceAccount: obj('Service account.', { create: bool('Create it.'), name: str('Its name.'), annotations: labels('Its annotations.') }),
      httpPort: { type: 'integer', minimum: 1, maximum: 65535, description: 'Port of /healthz, /readyz, /metrics.' },
      otlpEndpoint: str('OTLP/gRPC endpoint of the agents; required when collector.enabled=false.', { pattern: '^(https?://[^\\s/]+.*)?$' }),
      config: configSchema(),
      podMonitor: obj('PodMonitor.', { enabled: bool('Create it.'), interval: str('Scrape interval.', { pattern: '^[0-9]+(ms|s|m|h)$' }), labels: labels('Extra labels.') }),
      prometheusRule: obj('PrometheusRule.', { enabled: bool('Create it.'), studentStreak: bool('Include the opt-in per-student alert.'), labels: labels('Extra labels.') }),
      dashboard: obj('Grafana dashboard ConfigMap.', {
        enabled: bool('Create it.'), sidecarLabel: str('Sidecar label name.', { minLength: 1 }), sidecarLabelValue: str('Sidecar label value.'),
        namespace: str('Namespace; empty means the release namespace.'), folder: str('Grafana folder annotation.'),
      }),
      analytics: obj('Analytics API bridge.', {
        apiUrl: str('Analytics API base URL.', { pattern: '^https?://' }),
        timeZone: str('Time zone of API timestamps.', { minLength: 1 }),
      }),
      collector: obj('The opentelemetry-collector dependency (its own schema checks the rest).', {
        enabled: bool('Install the bundled Collector.'),
      }, { required: ['enabled'] }),
    },
  };
  // `collector` passes any other key through to the dependency.
  ((schema.properties as Json).collector as Json).additionalProperties = true;
  return JSON.stringify(schema, null, 2) + '\n';
}

export function generate(): string[] {
  const changed: string[] = [];
  const values = readFileSync(VALUES_FILE, 'utf8');
  const nextValues = renderValues(values, readFileSync(COLLECTOR_CONFIG_FILE, 'utf8'));
  if (nextValues !== values) { writeFileSync(VALUES_FILE, nextValues); changed.push('values.yaml'); }
  const schema = readFileSync(SCHEMA_FILE, 'utf8').toString();
  const nextSchema = renderSchema();
  if (nextSchema !== schema) { writeFileSync(SCHEMA_FILE, nextSchema); changed.push('values.schema.json'); }
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const changed = generate();
  process.stdout.write(changed.length ? `deploy/helm/jcode-watcher: wrote ${changed.join(', ')}\n` : 'deploy/helm/jcode-watcher: up to date\n');
}
