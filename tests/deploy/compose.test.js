'use strict';
// docker-compose.yml, started for real on a Docker engine this test starts: the multi-role
// cluster with two history and two matching containers runs SDK workflows (activity, timer,
// signal) from the host across a SIGKILL of one history container, every workflow completes
// exactly once, and `down -v` leaves nothing behind. The all-in-one file serves a workflow too;
// so does the TLS file, whose internal ports accept only the internode certificate (plaintext
// and the SDK client's certificate are refused). The image's entrypoint renders and checks
// configs, and every compose file and profile passes `docker-compose config -q`.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, afterEach, before, describe, it } = require('node:test');
const YAML = require('yaml');
const {
  connectClient,
  freePorts,
  startWorker,
  uniqueName,
  waitFor,
} = require('../sdk/lib/harness');
const { DOCKER, POSTGRES_IMAGE, TERN_IMAGE, docker, prepareImages, run } = require('./lib/docker');

const REPO = path.resolve(__dirname, '..', '..');
const COMPOSE_FILES = {
  cluster: ['docker-compose.yml'],
  allInOne: ['deploy/compose/all-in-one.yml'],
  elasticsearch: ['docker-compose.yml', 'deploy/compose/elasticsearch.yml'],
  tls: ['docker-compose.yml', 'deploy/compose/tls.yml'],
};

// One compose project: `docker-compose -p NAME -f FILE...` with the test's images and port.
class ComposeProject {
  constructor(files, frontendPort, extraEnv = {}) {
    this.name = uniqueName('tern').replace(/[^a-z0-9]/g, '');
    this.files = files;
    this.env = {
      TERN_IMAGE,
      POSTGRES_IMAGE,
      TERN_FRONTEND_PORT: String(frontendPort),
      COMPOSE_PROJECT_NAME: this.name,
      ...extraEnv,
    };
    this.address = `127.0.0.1:${frontendPort}`;
  }

  compose(args, options = {}) {
    const fileArgs = this.files.flatMap((f) => ['-f', path.join(REPO, f)]);
    return run('docker-compose', [...fileArgs, '--ansi', 'never', ...args], { env: this.env, ...options });
  }

  async containers(service) {
    const out = await docker(['ps', '-a', '--format', '{{.Names}}',
      '--filter', `label=com.docker.compose.project=${this.name}`,
      ...(service ? ['--filter', `label=com.docker.compose.service=${service}`] : [])]);
    return out.split('\n').filter(Boolean).sort();
  }

  // What the container wrote to stdout and stderr (Tern logs to stderr).
  async logs(container) {
    return run('bash', ['-c', '"$0" logs "$1" 2>&1', DOCKER, container], { timeoutMs: 30_000 });
  }

  async down() {
    await this.compose(['down', '-v', '--remove-orphans', '--timeout', '20']);
    assert.deepEqual(await this.containers(), [], `containers left by project ${this.name}`);
  }

  // Connects an SDK client once the namespaces job has registered `default`.
  async connect(tls) {
    const tern = { address: this.address, namespace: 'default', tls };
    const { client, connection } = await waitFor('the frontend on ' + this.address,
      () => connectClient(tern), { timeoutMs: 120_000, intervalMs: 1000 });
    await waitFor('namespace default', () =>
      client.workflowService.describeNamespace({ namespace: 'default' }),
    { timeoutMs: 120_000, intervalMs: 500 });
    return { tern, client, connection };
  }
}

// Runs activityThenTimer once through the connected cluster, with a worker on the host.
async function runOneWorkflow({ tern, client, connection }) {
  const taskQueue = uniqueName('compose');
  const worker = await startWorker(tern, {
    taskQueue,
    activities: { async greet(name) { return `Hello, ${name}`; } },
  });
  try {
    const result = await client.workflow.execute('activityThenTimer', {
      taskQueue, workflowId: uniqueName('compose'), args: ['compose', 100],
    });
    assert.equal(result, 'Hello, compose after 100ms');
  } finally {
    await worker.stop();
    await connection.close();
  }
}

// Runs `docker ARGS` whatever its exit code; resolves to {code, output} (stdout and stderr).
async function dockerOutput(args) {
  const out = await run('bash', ['-c', '"$@" 2>&1; echo "exit=$?"', 'docker', DOCKER, ...args]);
  const code = Number(out.match(/exit=(\d+)\s*$/)[1]);
  return { code, output: out.replace(/exit=\d+\s*$/, '') };
}

// Lines of `logs` matching `pattern`, captured group 1, as a set.
function matches(logs, pattern) {
  return new Set([...logs.matchAll(new RegExp(pattern, 'g'))].map((m) => m[1]));
}

describe('docker-compose config', () => {
  for (const [name, files] of Object.entries(COMPOSE_FILES)) {
    it(`validates ${files.join(' + ')}`, async () => {
      const project = new ComposeProject(files, 7233);
      await project.compose(['config', '-q']);
    });
  }
  it('validates the monitoring profile', async () => {
    const project = new ComposeProject(COMPOSE_FILES.cluster, 7233);
    const services = await project.compose(['--profile', 'monitoring', 'config', '--services']);
    assert.ok(services.includes('prometheus') && services.includes('grafana'), services);
  });
});

describe('docker-compose on a Docker engine', { timeout: 1_500_000 }, () => {
  let engine;
  before(async () => {
    engine = await prepareImages();
  });
  after(async () => {
    await engine?.stop();
  });

  describe('multi-role cluster, history and matching scaled to two', () => {
    let project;
    let client;
    let connection;
    let worker;
    const taskQueue = uniqueName('compose');
    const stepRuns = new Map(); // step argument -> how many times the activity ran

    before(async () => {
      const [port] = await freePorts(1);
      project = new ComposeProject(COMPOSE_FILES.cluster, port);
      await project.compose(['up', '-d', '--scale', 'tern-history=2', '--scale', 'tern-matching=2']);
      let tern;
      ({ tern, client, connection } = await project.connect());
      worker = await startWorker(tern, {
        taskQueue,
        activities: {
          async step(name) {
            stepRuns.set(name, (stepRuns.get(name) || 0) + 1);
            return `${name} done`;
          },
        },
      });
    });

    let failed = false;
    afterEach((t) => {
      failed ||= t.passed === false;
    });
    after(async () => {
      await worker?.stop();
      await connection?.close();
      if (project) {
        if (failed || !worker) {
          console.error(await project.compose(['logs', '--tail', '40']).catch((e) => e.message));
        }
        await project.down();
      }
    });

    it('spreads shards and task queue partitions over both containers', async () => {
      // A partition loads where its queue is first used. The worker's polls load a few; a start
      // on each of 16 more queues (nobody polls them) makes "every partition landed on one host"
      // a 1-in-30,000 chance instead of a few percent.
      const idleQueues = Array.from({ length: 16 }, (_, i) => `${taskQueue}-idle-${i}`);
      await Promise.all(idleQueues.map((queue) => client.workflow.start('timerOnly', {
        taskQueue: queue, workflowId: queue, args: [1],
      })));
      for (const [service, pattern] of [
        ['tern-history', 'shard (\\d+) acquired'],
        ['tern-matching', 'partition loaded","namespace":"[^"]+","task_queue":"([^"]+)"'],
      ]) {
        const containers = await project.containers(service);
        assert.equal(containers.length, 2, `${service}: ${containers}`);
        const owned = {};
        await waitFor(`both ${service} containers to own something`, async () => {
          for (const container of containers) {
            owned[container] = [...matches(await project.logs(container), pattern)];
          }
          return containers.every((container) => owned[container].length > 0);
        }, { timeoutMs: 60_000, intervalMs: 500 }).catch((err) => {
          throw new Error(`${err.message}; each owns ${JSON.stringify(owned)}`);
        });
      }
    });

    it('runs every workflow exactly once across a SIGKILL of a history container', async () => {
      const ids = Array.from({ length: 8 }, (_, i) => `${taskQueue}-${i}`);
      const handles = await Promise.all(ids.map((workflowId) =>
        client.workflow.start('activityTimerSignal', {
          taskQueue, workflowId, args: [workflowId, 3000],
        })));
      // Every workflow is past its first activity, waiting on its timer or the signal.
      await waitFor('first activities', () => ids.every((id) => stepRuns.has(`${id}:first`)),
        { timeoutMs: 120_000, intervalMs: 200 });

      const [victim] = await project.containers('tern-history');
      await docker(['kill', victim]);
      // Signals reach history through the frontend; the SDK retries while shards move.
      await Promise.all(handles.map((h) => waitFor(`signal ${h.workflowId}`,
        () => h.signal('release').then(() => true), { timeoutMs: 120_000, intervalMs: 500 })));
      await docker(['start', victim]);

      const results = await Promise.all(handles.map((h) => h.result()));
      assert.deepEqual(results, ids.map((id) => [`${id}:first done`, `${id}:second done`]));
      for (const id of ids) {
        for (const step of ['first', 'second']) {
          assert.equal(stepRuns.get(`${id}:${step}`), 1, `${id}:${step} ran once`);
        }
      }
      for (const handle of handles) {
        const { events } = await handle.fetchHistory();
        const count = (attr) => events.filter((e) => e[attr]).length;
        assert.equal(count('workflowExecutionCompletedEventAttributes'), 1, handle.workflowId);
        assert.equal(count('activityTaskCompletedEventAttributes'), 2, handle.workflowId);
        assert.equal(count('timerFiredEventAttributes'), 1, handle.workflowId);
      }
      await waitFor(`${victim} healthy again`, async () =>
        (await docker(['inspect', '--format', '{{.State.Health.Status}}', victim])).trim()
          === 'healthy', { timeoutMs: 120_000, intervalMs: 1000 });
    });
  });

  describe('all-in-one', () => {
    let project;
    before(async () => {
      const [port] = await freePorts(1);
      project = new ComposeProject(COMPOSE_FILES.allInOne, port);
      await project.compose(['up', '-d']);
    });
    after(async () => {
      await project?.down();
    });

    it('serves a workflow from one tern-server container', async () => {
      await runOneWorkflow(await project.connect());
    });
  });

  describe('frontend and internode mutual TLS (deploy/compose/tls.yml)', () => {
    const INTERNAL_PORTS = { 'tern-history': 7234, 'tern-matching': 7235, 'tern-worker': 7239 };
    let project;
    let certs;
    before(async () => {
      certs = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-certs-'));
      fs.chmodSync(certs, 0o755); // the containers run as uid 1000
      await run(path.join(REPO, 'deploy', 'gen-certs'), [certs, '2']);
      const [port] = await freePorts(1);
      project = new ComposeProject(COMPOSE_FILES.tls, port, { TERN_TLS_DIR: certs });
      await project.compose(['up', '-d']);
    });
    after(async () => {
      await project?.down();
      fs.rmSync(certs, { recursive: true, force: true });
    });

    // Every internal call of this workflow (frontend to history and matching, history to
    // matching) goes over internode TLS.
    it('serves SDK clients that present a certificate from the CA', async () => {
      const read = (name) => fs.readFileSync(path.join(certs, name));
      await runOneWorkflow(await project.connect({
        serverNameOverride: 'tern-frontend',
        serverRootCACertificate: read('ca.pem'),
        clientCertPair: { crt: read('client.pem'), key: read('client.key') },
      }));
    });

    it('runs every service with both TLS groups in its config', async () => {
      for (const service of ['tern-frontend', ...Object.keys(INTERNAL_PORTS)]) {
        const [container] = await project.containers(service);
        const config = await docker(['exec', container, 'cat', '/etc/tern/config.yaml']);
        const { tls } = YAML.parse(config).global;
        assert.deepEqual(tls.internode, {
          server: {
            certFile: '/etc/tern/tls/internode.pem',
            keyFile: '/etc/tern/tls/internode.key',
            clientCaFiles: ['/etc/tern/tls/internode-ca.pem'],
            requireClientAuth: true,
          },
          client: { serverName: 'tern-internode', rootCaFiles: ['/etc/tern/tls/internode-ca.pem'] },
        }, service);
        assert.deepEqual(tls.frontend.client,
          { serverName: 'tern-frontend', rootCaFiles: ['/etc/tern/tls/ca.pem'] }, service);
        assert.equal(tls.frontend.server.requireClientAuth, true, service);
      }
    });

    it('refuses plaintext and non-internode certificates on history, matching and worker', async () => {
      const [frontend] = await project.containers('tern-frontend');
      // `tern cluster health` from inside the compose network, with these TLS flags.
      const health = (address, ...flags) => dockerOutput(['exec', frontend, 'tern',
        '--address', address, '--command-timeout', '3s', ...flags, 'cluster', 'health', '--service', '']);
      const internodeCa = ['--tls-server-name', 'tern-internode',
        '--tls-ca-path', '/etc/tern/tls/internode-ca.pem'];
      const pair = (name) => ['--tls-cert-path', `/etc/tern/tls/${name}.pem`,
        '--tls-key-path', `/etc/tern/tls/${name}.key`];
      for (const [service, port] of Object.entries(INTERNAL_PORTS)) {
        const address = `${service}:${port}`;
        for (const [what, flags] of [
          ['plaintext', []],
          ['TLS without a client certificate', internodeCa],
          ['the SDK client certificate (frontend CA)', [...internodeCa, ...pair('client')]],
        ]) {
          const r = await health(address, ...flags);
          assert.notEqual(r.code, 0, `${address} accepted ${what}:\n${r.output}`);
          assert.doesNotMatch(r.output, /SERVING/, `${address} with ${what}`);
        }
        const r = await health(address, ...internodeCa, ...pair('internode'));
        assert.equal(r.code, 0, `${address} refused the internode certificate:\n${r.output}`);
        assert.match(r.output, /SERVING/);
      }
    });
  });

  describe('the image entrypoint', () => {
    // Runs `tern-entrypoint ARGS` in a throwaway container; resolves to {code, output}.
    const entrypoint = (env, ...args) => {
      const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      return dockerOutput(['run', '--rm', ...envArgs, TERN_IMAGE, ...args]);
    };

    it('runs as uid 1000', async () => {
      assert.deepEqual(await entrypoint({}, 'id', '-u'), { code: 0, output: '1000\n' });
    });

    it('renders a config for the chosen services that keeps secrets out of the file', async () => {
      const { code, output } = await entrypoint({
        DB_HOST: 'db.internal', DB_PASSWORD: 'sentinel-secret', NUM_HISTORY_SHARDS: '8',
        SERVICES: 'history,matching', ES_URL: 'https://es.internal:9243',
      }, 'render');
      assert.equal(code, 0, output);
      assert.match(output, /numHistoryShards: 8/);
      assert.match(output, /connectAddr: "db.internal:5432"/);
      assert.match(output, /url: \{scheme: https, host: "es.internal:9243"\}/);
      assert.match(output, /^ {2}history:$/m);
      assert.match(output, /^ {2}matching:$/m);
      assert.doesNotMatch(output, /^ {2}frontend:$/m);
      assert.doesNotMatch(output, /sentinel-secret/);
    });

    it('renders both TLS groups into global.tls for every service', async () => {
      const { code, output } = await entrypoint({
        DB_HOST: 'db', SERVICES: 'history',
        TLS_CERT_FILE: '/tls/server.pem', TLS_KEY_FILE: '/tls/server.key', TLS_CA_FILE: '/tls/ca.pem',
        TLS_SERVER_NAME: 'tern-frontend', TLS_REFRESH_INTERVAL: '5m',
        INTERNODE_TLS_CERT_FILE: '/tls/internode.pem', INTERNODE_TLS_KEY_FILE: '/tls/internode.key',
        INTERNODE_TLS_CA_FILE: '/tls/internode-ca.pem', INTERNODE_TLS_SERVER_NAME: 'tern-internode',
      }, 'render');
      assert.equal(code, 0, output);
      const config = YAML.parse(output);
      assert.deepEqual(config.global.tls, {
        refreshInterval: '5m',
        frontend: {
          server: {
            certFile: '/tls/server.pem', keyFile: '/tls/server.key',
            clientCaFiles: ['/tls/ca.pem'], requireClientAuth: false,
          },
          client: { serverName: 'tern-frontend', rootCaFiles: ['/tls/ca.pem'] },
        },
        internode: {
          server: {
            certFile: '/tls/internode.pem', keyFile: '/tls/internode.key',
            clientCaFiles: ['/tls/internode-ca.pem'], requireClientAuth: true,
          },
          client: { serverName: 'tern-internode', rootCaFiles: ['/tls/internode-ca.pem'] },
        },
      });
      assert.deepEqual(Object.keys(config.services), ['history']);
      assert.equal(config.services.history.tls, undefined, 'no TLS keys in the older place');
    });

    it('checks the rendered config and names what is wrong', async () => {
      const ok = await entrypoint({ DB_HOST: 'db' }, 'check');
      assert.equal(ok.code, 0, ok.output);
      assert.match(ok.output, /OK \(services frontend,history,matching,worker;/);
      for (const [env, message] of [
        [{}, /DB_HOST is not set/],
        [{ DB_HOST: 'db', NUM_HISTORY_SHARDS: '3' }, /persistence.numHistoryShards: must be a power of two/],
        [{ DB_HOST: 'db', DB_PORT: 'five' }, /DB_PORT must be a whole number/],
        [{ DB_HOST: 'db', SERVICES: 'frontend,histroy' }, /unknown service 'histroy'/],
        [{ DB_HOST: 'db', TLS_CERT_FILE: '/nope.pem', TLS_KEY_FILE: '/nope.key' },
          /global.tls.frontend.server.certFile: cannot read \/nope.pem: No such file/],
        [{ DB_HOST: 'db', TLS_CERT_FILE: '/x.pem' }, /TLS_KEY_FILE must be set with TLS_CERT_FILE/],
        [{ DB_HOST: 'db', INTERNODE_TLS_KEY_FILE: '/x.key' },
          /INTERNODE_TLS_CERT_FILE must be set with INTERNODE_TLS_KEY_FILE/],
        [{ DB_HOST: 'db', TLS_CERT_FILE: '/x.pem', TLS_KEY_FILE: '/x.key', TLS_REQUIRE_CLIENT_AUTH: 'yes' },
          /TLS_REQUIRE_CLIENT_AUTH must be true or false, got 'yes'/],
        [{ DB_HOST: 'db', INTERNODE_TLS_CERT_FILE: '/x.pem', INTERNODE_TLS_KEY_FILE: '/x.key',
          INTERNODE_TLS_CA_FILE: '/ca.pem' }, /INTERNODE_TLS_SERVER_NAME must be set/],
        [{ DB_HOST: 'db', INTERNODE_TLS_CERT_FILE: '/x.pem', INTERNODE_TLS_KEY_FILE: '/x.key',
          INTERNODE_TLS_SERVER_NAME: 'n' }, /INTERNODE_TLS_CA_FILE must be set/],
        // A history-only container reads the internode files too.
        [{ DB_HOST: 'db', SERVICES: 'history', INTERNODE_TLS_CERT_FILE: '/nope.pem',
          INTERNODE_TLS_KEY_FILE: '/nope.key', INTERNODE_TLS_SERVER_NAME: 'n',
          INTERNODE_TLS_REQUIRE_CLIENT_AUTH: 'false' },
          /global.tls.internode.server.certFile: cannot read \/nope.pem: No such file/],
        [{ DB_HOST: 'db', ES_URL: 'es:9200' }, /ES_URL must look like http:\/\/host:9200/],
      ]) {
        const { code, output } = await entrypoint(env, 'check');
        assert.equal(code, 2, output);
        assert.match(output, message);
      }
    });
  });
});
