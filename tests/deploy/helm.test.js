'use strict';
// The Helm chart (helm/tern), rendered offline with the helm binary of a pinned npm package:
// `helm lint --strict` and `helm template` over the default values and every helm/tern/ci file;
// every rendered object validates against the Kubernetes and prometheus-operator schemas; the
// pods are locked down (non-root, read-only root, no capabilities, resources, probes); the
// hooks run in the right phases with what they need at hook time; no password reaches a
// ConfigMap; each TLS group's Secret is mounted where the rendered global.tls names its files,
// and TLS ports are probed over TLS; the rendered server config passes
// `tern-server --check-config` (with real certificate files for TLS); and bad values fail with
// a message naming the value.
//
// The default values need a database host (the chart has no default for it), so the "defaults"
// render passes only --set database.host=....
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const YAML = require('yaml');
const { loadRuleFiles, rulesOf } = require('./lib/metric-names');
const {
  CHART, REPO, ensureHelm, exec, helm, setArgs, template, validateObject, valuesArgs,
} = require('./lib/helm');

const BIN_DIR = process.env.TERN_BIN_DIR || path.join(REPO, 'build', 'bin');
const SERVICES = ['frontend', 'history', 'matching', 'worker'];
const GRPC_PORTS = { frontend: 7233, history: 7234, matching: 7235, worker: 7239 };
const RELEASE = 'tern';
const FULLNAME = 'tern'; // the release name contains the chart name
const TLS_GROUPS = ['frontend', 'internode'];
// The TLS group of each service's port.
const PORT_GROUP = {
  frontend: 'frontend', history: 'internode', matching: 'internode', worker: 'internode',
};
const DB_PASSWORD = 'Db-pw-7f3a9c-helm-test';
const ES_PASSWORD = 'Es-pw-2b81de-helm-test';

// The Secrets the TLS cases name, and which deploy/gen-certs file stands in for each key.
const TLS_SECRETS = { frontend: 'tern-frontend-tls', internode: 'tern-internode-tls' };
const GEN_CERTS_FILES = {
  frontend: { 'tls.crt': 'server.pem', 'tls.key': 'server.key', 'ca.crt': 'ca.pem' },
  internode: { 'tls.crt': 'internode.pem', 'tls.key': 'internode.key', 'ca.crt': 'internode-ca.pem' },
};

// Each render: its value files and what the test expects of it (`tls`: the groups turned on).
const CASES = {
  defaults: {
    valuesFiles: [],
    sets: { 'database.host': 'postgresql', 'database.password': DB_PASSWORD },
    expect: { serviceMonitor: false, prometheusRule: false, hpa: [], tls: [], elasticsearch: false },
  },
  minimal: {
    valuesFiles: ['ci/minimal-values.yaml'],
    sets: { 'database.password': DB_PASSWORD },
    expect: { serviceMonitor: false, prometheusRule: false, hpa: [], tls: [], elasticsearch: false },
  },
  production: {
    valuesFiles: ['ci/production-values.yaml'],
    // The password is set too although existingSecret wins: it must then appear nowhere.
    sets: { 'database.password': DB_PASSWORD },
    expect: {
      serviceMonitor: true,
      prometheusRule: true,
      hpa: ['frontend', 'history', 'matching'],
      tls: ['frontend', 'internode'],
      tlsServerNames: { frontend: 'tern.example.com', internode: 'tern-internode.example.com' },
      tlsRefreshInterval: '5m',
      elasticsearch: false,
      databaseSecret: 'tern-postgres-credentials',
      image: 'registry.example.com/platform/tern:0.1.0',
      replicas: { worker: 2 },
      namespaces: ['default', 'orders'],
      extraAlerts: ['TernShardsUnowned'],
    },
  },
  elasticsearch: {
    valuesFiles: ['ci/elasticsearch-values.yaml'],
    sets: { 'database.password': DB_PASSWORD, 'elasticsearch.password': ES_PASSWORD },
    expect: { serviceMonitor: false, prometheusRule: false, hpa: [], tls: [], elasticsearch: true },
  },
  // Internode TLS alone, with the default server name and client authentication.
  internode: {
    valuesFiles: ['ci/minimal-values.yaml'],
    sets: {
      'database.password': DB_PASSWORD,
      'tls.internode.enabled': true,
      'tls.internode.secretName': 'tern-internode-tls',
    },
    expect: { serviceMonitor: false, prometheusRule: false, hpa: [], tls: ['internode'], elasticsearch: false },
  },
};

const hookOf = (o) => (o.metadata.annotations || {})['helm.sh/hook'] || '';
const hookWeight = (o) => Number((o.metadata.annotations || {})['helm.sh/hook-weight'] || 0);
const byKind = (objects, kind) => objects.filter((o) => o.kind === kind);
const named = (objects, kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);

// Every pod spec of a render with where it came from: Deployments, Jobs and bare Pods.
function podSpecs(objects) {
  return objects.flatMap((o) => {
    if (o.kind === 'Deployment' || o.kind === 'Job') return [{ owner: o, spec: o.spec.template.spec }];
    if (o.kind === 'Pod') return [{ owner: o, spec: o.spec }];
    return [];
  });
}

const envVar = (container, name) => (container.env || []).find((e) => e.name === name);

// The server config of a ConfigMap, as text.
function configText(objects, name) {
  const cm = named(objects, 'ConfigMap', name);
  assert.ok(cm, `ConfigMap ${name} is rendered`);
  return cm.data['config.yaml'];
}

describe('helm chart helm/tern', () => {
  const renders = {};
  let tmp;

  before(async () => {
    const binary = await ensureHelm();
    const { stdout } = await exec(binary, ['version']);
    console.log(stdout.trim());
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-helm-'));
    await Promise.all(Object.entries(CASES).map(async ([name, c]) => {
      renders[name] = await template({ valuesFiles: c.valuesFiles, sets: c.sets, release: RELEASE });
    }));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const [name, c] of Object.entries(CASES)) {
    describe(`${name} values${c.valuesFiles.length ? ` (${c.valuesFiles.join(', ')})` : ''}`, () => {
      const objects = () => renders[name];

      it('passes helm lint --strict', async () => {
        const r = await helm(['lint', '--strict', CHART,
          ...valuesArgs(c.valuesFiles), ...setArgs(c.sets)]);
        assert.equal(r.code, 0, `helm lint --strict failed:\n${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      });

      it('renders only objects that validate against their schemas', () => {
        assert.ok(objects().length > 10, `only ${objects().length} objects rendered`);
        for (const o of objects()) validateObject(o);
      });

      it('renders one Deployment per service, each running only its service', () => {
        const deployments = byKind(objects(), 'Deployment');
        assert.deepEqual(deployments.map((d) => d.metadata.name).sort(),
          SERVICES.map((s) => `${FULLNAME}-${s}`).sort());
        const seen = new Set();
        for (const service of SERVICES) {
          const d = named(objects(), 'Deployment', `${FULLNAME}-${service}`);
          const [container] = d.spec.template.spec.containers;
          assert.equal(d.spec.template.spec.containers.length, 1);
          assert.deepEqual(container.args, ['server', '--services', service]);
          assert.equal(envVar(container, 'SERVICES').value, service);
          seen.add(service);
          assert.deepEqual(envVar(container, 'POD_IP').valueFrom,
            { fieldRef: { fieldPath: 'status.podIP' } });
          assert.equal(envVar(container, 'TERN_CONFIG').value, '/etc/tern/config/config.yaml');
          assert.equal(d.spec.template.metadata.labels['app.kubernetes.io/component'], service);
          assert.deepEqual(d.spec.selector.matchLabels, {
            'app.kubernetes.io/name': 'tern',
            'app.kubernetes.io/instance': RELEASE,
            'app.kubernetes.io/component': service,
          });
          assert.deepEqual(container.ports.map((p) => [p.name, p.containerPort]),
            [['grpc', GRPC_PORTS[service]], ['metrics', container.ports[1].containerPort]]);
          const annotations = d.spec.template.metadata.annotations;
          assert.equal(annotations['prometheus.io/scrape'], 'true');
          assert.equal(annotations['prometheus.io/port'], String(container.ports[1].containerPort));
          if (c.expect.hpa.includes(service)) {
            assert.equal(d.spec.replicas, undefined, `${service}: the HPA owns replicas`);
          } else {
            assert.equal(d.spec.replicas, c.expect.replicas?.[service] ?? 1);
          }
          assert.equal(container.image, c.expect.image ?? 'tern:0.1.0',
            'the image tag defaults to appVersion');
        }
        assert.equal(seen.size, 4);
      });

      it('locks down every container: resources, non-root, read-only root, no capabilities', () => {
        const specs = podSpecs(objects());
        const kinds = new Set(specs.map((s) => s.owner.kind));
        assert.deepEqual([...kinds].sort(), ['Deployment', 'Job', 'Pod']);
        for (const { owner, spec } of specs) {
          const where = `${owner.kind} ${owner.metadata.name}`;
          assert.equal(spec.automountServiceAccountToken, false, where);
          for (const container of [...(spec.initContainers || []), ...spec.containers]) {
            const at = `${where} container ${container.name}`;
            assert.equal(container.image, c.expect.image ?? 'tern:0.1.0', `${at}: image`);
            assert.deepEqual(spec.imagePullSecrets,
              c.expect.image ? [{ name: 'registry-credentials' }] : undefined, at);
            const sc = { ...spec.securityContext, ...container.securityContext };
            assert.equal(sc.runAsNonRoot, true, `${at}: runAsNonRoot`);
            assert.equal(sc.runAsUser, 1000, `${at}: runAsUser`);
            const own = container.securityContext || {};
            assert.equal(own.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation`);
            assert.equal(own.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
            assert.deepEqual(own.capabilities?.drop, ['ALL'], `${at}: capabilities`);
            const { requests, limits } = container.resources || {};
            assert.ok(requests?.cpu && requests?.memory, `${at}: requests`);
            assert.ok(limits?.memory, `${at}: memory limit`);
            const tmpMount = (container.volumeMounts || []).find((m) => m.mountPath === '/tmp');
            assert.ok(tmpMount, `${at}: a writable /tmp`);
            assert.ok(spec.volumes.find((v) => v.name === tmpMount.name).emptyDir,
              `${at}: /tmp is an emptyDir`);
          }
        }
      });

      it('probes every service on its gRPC health service', () => {
        for (const service of SERVICES) {
          const d = named(objects(), 'Deployment', `${FULLNAME}-${service}`);
          const [container] = d.spec.template.spec.containers;
          for (const kind of ['readinessProbe', 'livenessProbe']) {
            const probe = container[kind];
            assert.ok(probe, `${service}: ${kind}`);
            if (c.expect.tls.includes(PORT_GROUP[service])) {
              // Kubernetes' grpc probes cannot speak TLS: the CLI checks the same service.
              assert.deepEqual(probe.exec.command.slice(0, 3),
                ['tern', '--address', `127.0.0.1:${GRPC_PORTS[service]}`]);
              assert.ok(probe.exec.command.includes('--tls'));
              assert.deepEqual(probe.exec.command.slice(-4), ['cluster', 'health', '--service', '']);
              assert.ok(envVar(container, 'TERN_TLS_SERVER_NAME'), 'the probe verifies the server name');
            } else {
              assert.deepEqual(probe.grpc, { port: GRPC_PORTS[service] }, `${service}: ${kind}`);
            }
          }
        }
      });

      it('exposes the frontend on 7233 and history and matching on headless Services', () => {
        const frontend = named(objects(), 'Service', `${FULLNAME}-frontend`);
        assert.equal(frontend.spec.ports[0].port, 7233);
        assert.equal(frontend.spec.ports[0].targetPort, 'grpc');
        assert.equal(frontend.spec.selector['app.kubernetes.io/component'], 'frontend');
        for (const service of ['history', 'matching']) {
          const s = named(objects(), 'Service', `${FULLNAME}-${service}-headless`);
          assert.ok(s, `${service} headless Service`);
          assert.equal(s.spec.clusterIP, 'None');
          assert.equal(s.spec.ports.find((p) => p.name === 'grpc').port, GRPC_PORTS[service]);
        }
      });

      it('gives every service a PodDisruptionBudget, and an HPA where enabled', () => {
        assert.deepEqual(byKind(objects(), 'PodDisruptionBudget').map((p) => p.metadata.name).sort(),
          SERVICES.map((s) => `${FULLNAME}-${s}`).sort());
        const hpas = byKind(objects(), 'HorizontalPodAutoscaler');
        assert.deepEqual(hpas.map((h) => h.metadata.name).sort(),
          c.expect.hpa.map((s) => `${FULLNAME}-${s}`).sort());
        for (const h of hpas) {
          assert.deepEqual(h.spec.scaleTargetRef,
            { apiVersion: 'apps/v1', kind: 'Deployment', name: h.metadata.name });
        }
      });

      it('runs the schema Job before install and upgrade with hook-time config and password', () => {
        const job = named(objects(), 'Job', `${FULLNAME}-schema`);
        assert.ok(job, 'schema Job');
        const hooks = hookOf(job).split(',');
        assert.ok(hooks.includes('pre-install') && hooks.includes('pre-upgrade'), hookOf(job));
        const spec = job.spec.template.spec;
        const [container] = spec.containers;
        assert.deepEqual(container.args, ['setup'], 'the entrypoint runs schema setup then update');
        assert.equal(spec.serviceAccountName, undefined, 'the chart ServiceAccount does not exist yet');
        // Everything the Job reads must exist at pre-install: hooks with a lower weight, or
        // the user's own Secret.
        const configVolume = spec.volumes.find((v) => v.configMap);
        const cm = named(objects(), 'ConfigMap', configVolume.configMap.name);
        assert.ok(cm, `ConfigMap ${configVolume.configMap.name}`);
        assert.equal(hookOf(cm), hookOf(job));
        assert.ok(hookWeight(cm) < hookWeight(job), 'the config hook is created before the Job');
        assert.equal(cm.data['config.yaml'], configText(objects(), `${FULLNAME}-config`),
          'the hook config is the services\' config');
        for (const name of ['DB_PASSWORD', ...(c.expect.elasticsearch ? ['ES_PASSWORD'] : [])]) {
          const ref = envVar(container, name).valueFrom.secretKeyRef;
          if (name === 'DB_PASSWORD' && c.expect.databaseSecret) {
            assert.equal(ref.name, c.expect.databaseSecret);
            continue;
          }
          const secret = named(objects(), 'Secret', ref.name);
          assert.ok(secret, `Secret ${ref.name} for ${name}`);
          assert.equal(hookOf(secret), hookOf(job));
          assert.ok(hookWeight(secret) < hookWeight(job), `${ref.name} is created before the Job`);
          assert.ok(secret.data[ref.key], `${ref.name} has ${ref.key}`);
        }
        assert.ok(envVar(container, 'POD_IP'), 'the config names ${POD_IP}');
      });

      it('creates the namespaces after install and upgrade', () => {
        const job = named(objects(), 'Job', `${FULLNAME}-namespaces`);
        assert.ok(job, 'namespaces Job');
        const hooks = hookOf(job).split(',');
        assert.ok(hooks.includes('post-install') && hooks.includes('post-upgrade'), hookOf(job));
        const [container] = job.spec.template.spec.containers;
        assert.equal(envVar(container, 'FRONTEND_ADDRESS').value, `${FULLNAME}-frontend:7233`);
        const script = container.args.join('\n');
        for (const ns of c.expect.namespaces || ['default']) {
          assert.match(script,
            new RegExp(`NAMESPACES="${ns}" NAMESPACE_RETENTION="[0-9]+h" tern-entrypoint create-namespaces`));
        }
      });

      it('has a helm test Pod that checks the frontend Service', () => {
        const pods = byKind(objects(), 'Pod');
        assert.equal(pods.length, 1);
        assert.equal(hookOf(pods[0]), 'test');
        const { command } = pods[0].spec.containers[0];
        assert.deepEqual(command.slice(0, 3), ['tern', '--address', `${FULLNAME}-frontend:7233`]);
        assert.deepEqual(command.slice(-2), ['cluster', 'health']);
        assert.equal(command.includes('--tls'), c.expect.tls.includes('frontend'));
      });

      it('renders the ServiceMonitor and PrometheusRule only when enabled', () => {
        const monitors = byKind(objects(), 'ServiceMonitor');
        const rules = byKind(objects(), 'PrometheusRule');
        assert.equal(monitors.length, c.expect.serviceMonitor ? 1 : 0);
        assert.equal(rules.length, c.expect.prometheusRule ? 1 : 0);
        for (const m of monitors) {
          assert.equal(m.spec.endpoints[0].port, 'metrics');
          // The selector must match the headless Service of every service.
          const selected = byKind(objects(), 'Service').filter((s) =>
            Object.entries(m.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v));
          assert.deepEqual(selected.map((s) => s.metadata.name).sort(),
            SERVICES.map((s) => `${FULLNAME}-${s}-headless`).sort());
        }
        for (const m of monitors) {
          // Target labels the shipped alert rules expect: job="tern" and service_name.
          const relabel = m.spec.endpoints[0].relabelings;
          assert.ok(relabel.some((r) => r.targetLabel === 'job' && r.replacement === 'tern'));
          assert.ok(relabel.some((r) => r.targetLabel === 'service_name'));
          assert.equal(m.spec.endpoints[0].honorLabels, true);
        }
        // The chart's alerts are the rule files deploy/prometheus/rules ships (and promtool
        // tests), plus the value file's extra rules.
        const shipped = rulesOf(loadRuleFiles()).map(({ rule }) => rule.alert).filter(Boolean);
        const extra = c.expect.extraAlerts || [];
        for (const r of rules) {
          const alerts = r.spec.groups.flatMap((g) => g.rules).map((rule) => {
            assert.ok(rule.alert && rule.expr, JSON.stringify(rule));
            return rule.alert;
          });
          assert.deepEqual(alerts.sort(), [...shipped, ...extra].sort());
        }
      });

      it('keeps passwords out of ConfigMaps and in Secrets', () => {
        const secrets = [DB_PASSWORD, ES_PASSWORD];
        const encodings = (s) => [s, Buffer.from(s).toString('base64')];
        for (const o of objects()) {
          if (o.kind === 'Secret') continue;
          const text = JSON.stringify(o);
          for (const s of secrets) {
            for (const e of encodings(s)) {
              assert.ok(!text.includes(e), `${o.kind} ${o.metadata.name} contains a password`);
            }
          }
        }
        const inSecrets = byKind(objects(), 'Secret')
          .flatMap((s) => Object.values(s.data || {}).map((v) => Buffer.from(v, 'base64').toString()));
        assert.equal(inSecrets.includes(DB_PASSWORD), !c.expect.databaseSecret,
          'the database password is in a Secret unless existingSecret is used');
        assert.equal(inSecrets.includes(ES_PASSWORD), c.expect.elasticsearch);
        const config = configText(objects(), `${FULLNAME}-config`);
        assert.match(config, /password: '\$\{DB_PASSWORD\}'/);
        assert.equal(/password: '\$\{ES_PASSWORD\}'/.test(config), c.expect.elasticsearch);
        // Every secretKeyRef names a Secret of the release or one the values name.
        for (const { owner, spec } of podSpecs(objects())) {
          for (const container of spec.containers) {
            for (const e of container.env || []) {
              const ref = e.valueFrom?.secretKeyRef;
              if (!ref) continue;
              assert.ok(named(objects(), 'Secret', ref.name) || ref.name === c.expect.databaseSecret,
                `${owner.metadata.name}: ${e.name} refers to Secret ${ref.name}, which nothing makes`);
            }
          }
        }
      });

      it('renders global.tls and mounts each group\'s Secret where it names the files', () => {
        const on = (group) => c.expect.tls.includes(group);
        const { tls } = YAML.parse(configText(objects(), `${FULLNAME}-config`)).global;
        if (c.expect.tls.length === 0) {
          assert.equal(tls, undefined);
        } else {
          // Every TLS case requires client certificates in each group it turns on.
          const expected = { refreshInterval: c.expect.tlsRefreshInterval ?? '30s' };
          for (const group of c.expect.tls) {
            const dir = `/etc/tern/tls/${group}`;
            expected[group] = {
              server: {
                certFile: `${dir}/tls.crt`, keyFile: `${dir}/tls.key`,
                clientCaFiles: [`${dir}/ca.crt`], requireClientAuth: true,
              },
              client: {
                serverName: c.expect.tlsServerNames?.[group] ?? `${FULLNAME}-${group}`,
                rootCaFiles: [`${dir}/ca.crt`],
              },
            };
          }
          assert.deepEqual(tls, expected);
        }
        // What each pod needs of each group's Secret: every key ('all') where it serves the
        // group's port or presents its certificate, ca.crt where it only verifies the group's
        // servers (services other than the frontend, for frontend TLS).
        const wanted = (owner) => {
          const component = owner.metadata.labels['app.kubernetes.io/component'];
          const want = {};
          if (owner.kind === 'Deployment') {
            if (on('frontend')) want.frontend = component === 'frontend' ? 'all' : ['ca.crt'];
            if (on('internode')) want.internode = 'all';
          } else if (component !== 'schema' && on('frontend')) {
            want.frontend = 'all'; // the namespaces Job and the test Pod call the frontend
          }
          return want;
        };
        for (const { owner, spec } of podSpecs(objects())) {
          for (const container of spec.containers) {
            const where = `${owner.kind} ${owner.metadata.name}`;
            const mounted = {};
            for (const m of container.volumeMounts.filter((v) => v.mountPath.startsWith('/etc/tern/tls'))) {
              const group = path.basename(m.mountPath);
              assert.equal(m.mountPath, `/etc/tern/tls/${group}`, where);
              assert.equal(m.readOnly, true, `${where}: ${m.mountPath} is read-only`);
              const { secret } = spec.volumes.find((v) => v.name === m.name);
              assert.equal(secret.secretName, TLS_SECRETS[group], `${where}: ${group}`);
              mounted[group] = secret.items ? secret.items.map((i) => i.key) : 'all';
            }
            assert.deepEqual(mounted, wanted(owner), `${where}: TLS mounts`);
            // The CLI's TLS files (probes, Jobs, the test Pod) are among the mounted ones.
            for (const e of (container.env || []).filter((v) => /^TERN_TLS_.*_PATH$/.test(v.name))) {
              const [, group, key] = e.value.match(/^\/etc\/tern\/tls\/([a-z]+)\/(.+)$/) || [];
              assert.ok(mounted[group] === 'all' || mounted[group]?.includes(key),
                `${where}: ${e.name}=${e.value} is not mounted`);
            }
          }
        }
      });

      it('renders a server config that tern-server --check-config accepts', async () => {
        const server = path.join(BIN_DIR, 'tern-server');
        assert.ok(fs.existsSync(server),
          `${server} does not exist: build Tern first (cmake --build build) or set TERN_BIN_DIR`);
        let config = configText(objects(), `${FULLNAME}-config`);
        const parsed = YAML.parse(config);
        assert.deepEqual(Object.keys(parsed.services), SERVICES);
        for (const s of SERVICES) assert.equal(parsed.services[s].rpc.broadcastAddress, '${POD_IP}');
        const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
        const env = { POD_IP: '10.1.2.3', DB_PASSWORD, ES_PASSWORD };
        const check = (file) =>
          exec(server, ['--config', file, '--services', SERVICES.join(','), '--check-config'], { env });
        if (c.expect.tls.length) {
          // First as rendered: the files under the pods' mounts are not here, and the check
          // must say so, which shows it reads them.
          const asRendered = path.join(dir, 'as-rendered.yaml');
          fs.writeFileSync(asRendered, config);
          const r = await check(asRendered);
          assert.notEqual(r.code, 0, 'the check passed without the certificate files');
          assert.match(r.stderr + r.stdout, /\/etc\/tern\/tls\//);
          // Then with real certificates where each group's Secret keys would be.
          const certs = path.join(dir, 'certs');
          const gen = await exec(path.join(REPO, 'deploy', 'gen-certs'), [certs, '2']);
          assert.equal(gen.code, 0, gen.stderr);
          const tls = path.join(dir, 'tls');
          for (const group of c.expect.tls) {
            fs.mkdirSync(path.join(tls, group), { recursive: true });
            for (const [key, file] of Object.entries(GEN_CERTS_FILES[group])) {
              fs.copyFileSync(path.join(certs, file), path.join(tls, group, key));
            }
          }
          config = config.replaceAll('/etc/tern/tls/', `${tls}/`);
        }
        const file = path.join(dir, 'config.yaml');
        fs.writeFileSync(file, config);
        const r = await check(file);
        assert.equal(r.code, 0,
          `tern-server --check-config failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
        assert.match(r.stdout, /OK \(services frontend,history,matching,worker; numHistoryShards \d+/);
        assert.match(r.stdout,
          c.expect.elasticsearch ? /visibility elasticsearch/ : /visibility postgres/);

        // What each Deployment's container runs, as the image would: the entrypoint with the
        // container's args (`check` in place of `server`) and environment.
        for (const service of SERVICES) {
          const deployment = named(objects(), 'Deployment', `${FULLNAME}-${service}`);
          const [container] = deployment.spec.template.spec.containers;
          const containerEnv = Object.fromEntries((container.env || []).map((e) => {
            if (e.value !== undefined) return [e.name, e.value];
            if (e.valueFrom.fieldRef?.fieldPath === 'status.podIP') return [e.name, env.POD_IP];
            assert.ok(e.valueFrom.secretKeyRef && env[e.name], `${service}: unexpected env ${e.name}`);
            return [e.name, env[e.name]];
          }));
          assert.equal(container.args[0], 'server');
          const entrypoint = path.join(REPO, 'deploy', 'docker', 'entrypoint.sh');
          const run = await exec('bash', [entrypoint, 'check', ...container.args.slice(1)], {
            env: { ...containerEnv, TERN_CONFIG: file, PATH: `${BIN_DIR}:${process.env.PATH}` },
          });
          assert.equal(run.code, 0,
            `${service}: the entrypoint's check failed:\n${run.stderr}${run.stdout}`);
          assert.match(run.stdout, new RegExp(`OK \\(services ${service};`));
        }
      });
    });
  }

  it('has a schema check that rejects unknown kinds and invalid objects', () => {
    const object = (apiVersion, kind, spec) => ({ apiVersion, kind, metadata: { name: 'x' }, spec });
    assert.throws(() => validateObject(object('example.com/v1', 'Widget', {})),
      /unknown kind example\.com\/v1\/Widget/);
    assert.throws(() => validateObject(object('apps/v1', 'Deployment', {})), /Deployment x: .*selector/);
    assert.throws(() => validateObject(object('monitoring.coreos.com/v1', 'ServiceMonitor',
      { selector: {}, endpoints: [{ port: 9090 }] })), /ServiceMonitor x: .*port/);
  });

  it('keeps object names within 63 characters for a long release name', async () => {
    const release = 'a-release-name-long-enough-to-need-truncating-x';
    const objects = await template({ sets: { 'database.host': 'postgresql' }, release });
    assert.ok(objects.length > 10);
    for (const o of objects) {
      assert.ok(o.metadata.name.length <= 63, `${o.kind} ${o.metadata.name} is longer than 63`);
      assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${o.kind} ${o.metadata.name}`);
    }
  });

  it('documents every value of values.yaml in the README table', () => {
    const values = YAML.parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
    const documented = new Set([...fs.readFileSync(path.join(CHART, 'README.md'), 'utf8')
      .matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
    // Leaves of the values tree; maps that are whole values (resources, security contexts)
    // and empty maps count as one value. Per-service keys are documented once as <service>.
    const WHOLE = new Set(['resources', 'podSecurityContext', 'securityContext']);
    const missing = [];
    (function walk(node, prefix) {
      for (const [key, value] of Object.entries(node)) {
        const at = prefix ? `${prefix}.${key}` : key;
        const isMap = value && typeof value === 'object' && !Array.isArray(value);
        if (isMap && Object.keys(value).length && !WHOLE.has(key)) {
          walk(value, at);
          continue;
        }
        const row = at.replace(/^services\.(frontend|history|matching|worker)\.(?!service\.)/,
          'services.<service>.');
        if (!documented.has(row)) missing.push(row);
      }
    })(values, '');
    assert.deepEqual(missing, [], 'values missing from helm/tern/README.md');
  });

  describe('bad values fail helm template with a message naming the value', () => {
    const host = { 'database.host': 'postgresql' };
    const BAD = [
      { what: 'numHistoryShards: 3', sets: { ...host, numHistoryShards: 3 }, key: 'numHistoryShards' },
      { what: 'numHistoryShards: 0', sets: { ...host, numHistoryShards: 0 }, key: 'numHistoryShards' },
      { what: 'no database host', sets: {}, key: 'database.host' },
      { what: 'an empty database host', sets: { 'database.host': '' }, key: 'database.host' },
      ...TLS_GROUPS.map((group) => ({
        what: `${group} TLS enabled without a secret`,
        sets: { ...host, [`tls.${group}.enabled`]: true },
        key: `tls.${group}.secretName is required when tls.${group}.enabled is true`,
      })),
      {
        what: 'the older services.frontend.tls values',
        sets: { ...host, 'services.frontend.tls.enabled': true, 'services.frontend.tls.existingSecret': 'x' },
        key: 'services.frontend.tls has moved to tls.frontend',
      },
      {
        what: 'a TLS flag that is not a boolean',
        sets: { ...host, 'tls.internode.requireClientAuth': 'yes' },
        key: '/tls/internode/requireClientAuth',
      },
      {
        what: 'a bad TLS refresh interval',
        sets: { ...host, 'tls.refreshInterval': 'hourly' },
        key: '/tls/refreshInterval',
      },
      { what: 'an unknown TLS key', sets: { ...host, 'tls.frontend.caKey': 'ca.crt' }, key: 'caKey' },
      {
        what: 'Elasticsearch without a URL',
        sets: { ...host, 'elasticsearch.enabled': true },
        key: 'elasticsearch.url',
      },
      { what: 'a misspelt service', sets: { ...host, 'services.histroy.replicas': 2 }, key: 'histroy' },
      { what: 'a bad log level', sets: { ...host, 'log.level': 'verbose' }, key: '/log/level' },
      { what: 'a bad scheduling policy', sets: { ...host, schedulingPolicy: 'fifo' }, key: '/schedulingPolicy' },
    ];
    for (const bad of BAD) {
      it(bad.what, async () => {
        const r = await helm(['template', RELEASE, CHART, ...setArgs(bad.sets)]);
        assert.notEqual(r.code, 0, `helm template accepted ${bad.what}`);
        assert.ok(r.stderr.includes(bad.key), `stderr does not name ${bad.key}:\n${r.stderr}`);
      });
    }
  });
});
