'use strict';
// Test harness: starts a private PostgreSQL and a real Tern (one tern-server, or the four service
// binaries in cluster mode) on free loopback ports, and hands the SDK tests an address to use.
// Every process it starts is tracked by PID and stopped by stop(), or killed when the test
// process exits. Nothing here sleeps for a fixed time: it polls a condition until a deadline.

const { execFile, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');

const { IsolatedNetwork } = require('./netns');

const execFileP = promisify(execFile);

const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN_DIR = process.env.TERN_BIN_DIR || path.join(REPO, 'build', 'bin');
const PG_SH = path.join(REPO, 'scripts', 'lib', 'pg.sh');
const START_TIMEOUT_MS = Number(process.env.TERN_START_TIMEOUT_MS || 90_000);
const STOP_TIMEOUT_MS = 10_000;
const SERVICES = ['frontend', 'history', 'matching', 'worker'];

// ---------------------------------------------------------------------------------------------
// Small utilities shared by the tests.

// Polls `probe` until it returns a truthy value (which is returned) or the deadline passes.
// `probe` may throw; the last error is reported on timeout, an error with `fatal` set at once.
async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      if (err.fatal) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      // An SDK error wraps the server's answer (gRPC code and message) in its cause.
      const inner = lastError?.cause?.message ? ` (${lastError.cause.message})` : '';
      const cause = lastError ? `: ${lastError.message || lastError}${inner}` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// Rejects with a clear message if `promise` does not settle within `ms`.
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function uniqueName(prefix) {
  return `${prefix}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

// Distinct free TCP ports: all listeners stay open until every port is chosen.
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function tail(file, lines = 60) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${err.message})`;
  }
}

// ---------------------------------------------------------------------------------------------
// gRPC error details. google.rpc.Status travels in the `grpc-status-details-bin` trailer; this is
// a minimal protobuf reader for it (and for string fields of the errordetails messages), so the
// tests need no extra dependency.

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

// Returns [{field, wireType, value}] for one message; length-delimited values are Buffers.
function decodeFields(buf) {
  const fields = [];
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    let value;
    if (wireType === 0) {
      [value, pos] = readVarint(buf, pos);
    } else if (wireType === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wireType === 1) {
      value = buf.subarray(pos, pos + 8);
      pos += 8;
    } else if (wireType === 5) {
      value = buf.subarray(pos, pos + 4);
      pos += 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
    fields.push({ field, wireType, value });
  }
  return fields;
}

// The `details` of a gRPC error as [{typeName, value}] (typeName without the googleapis prefix).
function grpcStatusDetails(err) {
  const raw = err?.metadata?.get?.('grpc-status-details-bin')?.[0];
  if (!raw || typeof raw === 'string') return [];
  return decodeFields(Buffer.from(raw))
    .filter((f) => f.field === 3 && f.wireType === 2)
    .map((f) => {
      const any = decodeFields(f.value);
      const typeUrl = any.find((x) => x.field === 1)?.value?.toString('utf8') ?? '';
      return {
        typeName: typeUrl.replace(/^.*\//, ''),
        value: any.find((x) => x.field === 2)?.value ?? Buffer.alloc(0),
      };
    });
}

function stringField(message, fieldNumber) {
  const f = decodeFields(message).find((x) => x.field === fieldNumber && x.wireType === 2);
  return f ? f.value.toString('utf8') : undefined;
}

// ---------------------------------------------------------------------------------------------
// SDK plumbing.

// Activities that fail on purpose throw an error of this class; the SDK's warning about each
// such failure is not printed.
class ExpectedFailure extends Error {}

let runtimeInstalled = false;
function installRuntime() {
  if (runtimeInstalled) return;
  const { DefaultLogger, Runtime } = require('@temporalio/worker');
  const print = new DefaultLogger('WARN');
  const logger = new DefaultLogger('WARN', (entry) => {
    if (!(entry.meta?.error instanceof ExpectedFailure)) print.log(entry.level, entry.message, entry.meta);
  });
  Runtime.install({ logger });
  runtimeInstalled = true;
}

// The workflow bundle is the same for every test file: build it once per content and reuse it
// from the temp dir (the write is atomic, so parallel test processes can race safely).
let bundlePromise;
function workflowBundle() {
  bundlePromise ??= (async () => {
    const workflowsPath = path.join(__dirname, '..', 'workflows.js');
    const sdkVersion = require('@temporalio/workflow/package.json').version;
    const hash = crypto
      .createHash('sha256')
      .update(fs.readFileSync(workflowsPath))
      .update(sdkVersion)
      .digest('hex')
      .slice(0, 16);
    const cached = path.join(os.tmpdir(), `tern-sdk-workflows-${hash}.js`);
    if (fs.existsSync(cached)) return { code: fs.readFileSync(cached, 'utf8') };
    const { bundleWorkflowCode, DefaultLogger } = require('@temporalio/worker');
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
    return { code };
  })();
  return bundlePromise;
}

// `tern` is a started Tern or anything with `address`, `namespace` and an optional SDK `tls`
// config (tests/deploy connects to containers).
// Starts a worker for `taskQueue` that runs until stop(). If the worker fails (for example after
// the server was down for too long), `failed` is set and restartIfFailed() builds a new one.
async function startWorker(tern, { taskQueue, activities = {}, options = {} }) {
  installRuntime();
  const { NativeConnection, Worker } = require('@temporalio/worker');
  const handle = { worker: undefined, connection: undefined, running: undefined, failed: undefined };
  const create = async () => {
    handle.connection = await NativeConnection.connect({ address: tern.address, tls: tern.tls, apiKey: tern.apiKey });
    handle.worker = await Worker.create({
      connection: handle.connection,
      namespace: tern.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      ...options,
    });
    handle.failed = undefined;
    handle.running = handle.worker.run().catch((err) => {
      handle.failed = err;
    });
  };
  await create();
  handle.restartIfFailed = async () => {
    if (handle.worker.getState() === 'RUNNING' && !handle.failed) return false;
    await handle.stop();
    await create();
    return true;
  };
  handle.stop = async () => {
    if (handle.worker.getState() === 'RUNNING') handle.worker.shutdown();
    await withTimeout(handle.running, 30_000, 'worker shutdown').catch(() => {});
    await handle.connection.close().catch(() => {});
  };
  return handle;
}

// `options`: more Connection options, e.g. {interceptors: []} for no SDK retries.
async function connectClient(tern, namespace = tern.namespace, options = {}) {
  const { Client, Connection } = require('@temporalio/client');
  const connection = await Connection.connect({ address: tern.address, tls: tern.tls, apiKey: tern.apiKey, ...options });
  const client = new Client({ connection, namespace });
  return { client, connection };
}

// ---------------------------------------------------------------------------------------------
// The server.

const live = new Set(); // every Tern not yet stopped, for the exit hook and the log dumps

// The `elasticsearch` section of a datastore for the cluster at `url` (http[s]://[user:password@]
// host:port, as in TERN_TEST_ES_URL) and the visibility index `index`, as one line of JSON (which
// is YAML).
function elasticsearchDatastore(url, index) {
  const parsed = new URL(url);
  if (!['http:', 'https:'].includes(parsed.protocol) || !['', '/'].includes(parsed.pathname)) {
    throw new Error(`elasticsearchUrl ${url}: expected http[s]://[user:password@]host:port`);
  }
  return JSON.stringify({
    version: 'v7',
    url: { scheme: parsed.protocol.slice(0, -1), host: parsed.host },
    ...(parsed.username ? {
      username: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
    } : {}),
    indices: { visibility: index },
  });
}

// A command that runs every service (tern-server).
const ALL_SERVICES = 'all';

function configYaml({
  pgPort, ports, shards, partitions, database, dynamicConfig, metricsPorts, dbPassword = '""', tls,
  globalConfig = {}, bindIp = '127.0.0.1', dbHost = '127.0.0.1', elasticsearch, frontendTransport,
}) {
  const metrics = (s) => (metricsPorts
    ? `, metrics: {listenAddress: "127.0.0.1:${metricsPorts[s]}"}` : '');
  const transport = (s) => (s === 'frontend' && frontendTransport ? `, transport: ${frontendTransport}` : '');
  return [
    'global:',
    '  log: {level: info, format: json}',
    // JSON is YAML: global.tls exactly as the test wrote it.
    ...(tls ? [`  tls: ${JSON.stringify(tls)}`] : []),
    ...Object.entries(globalConfig).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    '  membership: {heartbeatInterval: 1s, maxHeartbeatAge: 10s}',
    'persistence:',
    `  numHistoryShards: ${shards}`,
    '  defaultStore: default',
    ...(elasticsearch ? ['  visibilityStore: es-visibility'] : []),
    '  datastores:',
    '    default:',
    `      sql: {pluginName: postgres, databaseName: ${database}, connectAddr: "${dbHost}:${pgPort}", user: postgres, password: ${dbPassword}, maxConns: 16}`,
    ...(elasticsearch ? [
      '    es-visibility:',
      `      elasticsearch: ${elasticsearchDatastore(elasticsearch.url, elasticsearch.index)}`,
    ] : []),
    'services:',
    ...SERVICES.map((s) => `  ${s}: {rpc: {grpcPort: ${ports[s]}, bindOnIP: ${bindIp}${transport(s)}}${metrics(s)}}`),
    'dynamicConfig:',
    `  matching.numTaskqueuePartitions: ${partitions}`,
    ...Object.entries(dynamicConfig).map(([key, value]) => `  ${key}: ${value}`),
    '',
  ].join('\n');
}

// Runs a function of scripts/lib/pg.sh (pg_start DIR PORT, pg_stop DIR).
async function pg(fn, dataDir, port = '', env = {}) {
  return execFileP('bash', ['-c', `source "$0" && ${fn} "$1" "$2"`, PG_SH, dataDir, String(port)], {
    // Throwaway cluster: no fsync, and no shutdown checkpoint (the dir is deleted afterwards).
    env: { ...process.env, PG_FAST: '1', PG_STOP_MODE: 'immediate', ...env },
    timeout: 120_000,
  });
}

async function cli(args, timeoutMs = 20_000) {
  return execFileP(path.join(BIN_DIR, 'tern'), args, { timeout: timeoutMs });
}

function cliOutput(err) {
  return `${err.stdout || ''}${err.stderr || ''}`.trim() || err.message;
}

class Tern {
  constructor({
    cluster, servers, services, shards, partitions, dynamicConfig, metrics, dbPassword, tls, clientTls, globalConfig,
    apiKey, database, setupDatabase, isolate, elasticsearchUrl, frontendTransport,
  }) {
    this.namespace = 'default';
    this.frontendTransport = frontendTransport;
    // Visibility on Elasticsearch: an index of this Tern's own, so that Terns sharing a cluster
    // never see each other's documents.
    this.elasticsearch = elasticsearchUrl
      ? { url: elasticsearchUrl, index: uniqueName('tern-visibility') } : undefined;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-sdk-'));
    fs.chmodSync(this.dir, 0o755); // the postgres user must reach its data dir inside
    this.pgDir = path.join(this.dir, 'pg');
    this.pgStarted = false;
    this.config = path.join(this.dir, 'config.yaml');
    this.procs = new Map(); // binary name -> ChildProcess
    this.failed = false;
    this.stopped = false;
    this.shards = shards;
    this.partitions = partitions;
    this.dynamicConfig = dynamicConfig;
    this.wantMetrics = metrics;
    this.cluster = cluster;
    this.dbPassword = dbPassword;
    this.tlsConfig = tls;
    this.globalConfig = globalConfig;
    this.database = database;
    this.setupDatabase = setupDatabase;
    // How clients reach the frontend: SDK connection options (this.tls, this.apiKey) and CLI
    // flags.
    this.apiKey = apiKey;
    this.cliFlags = apiKey ? ['--api-key', apiKey] : [];
    if (clientTls) {
      this.tls = {
        serverRootCACertificate: fs.readFileSync(clientTls.ca),
        ...(clientTls.cert ? { clientCertPair: { crt: fs.readFileSync(clientTls.cert), key: fs.readFileSync(clientTls.key) } } : {}),
        ...(clientTls.serverName ? { serverNameOverride: clientTls.serverName } : {}),
      };
      this.cliFlags.push('--tls-ca-path', clientTls.ca,
        ...(clientTls.cert ? ['--tls-cert-path', clientTls.cert, '--tls-key-path', clientTls.key] : []),
        ...(clientTls.serverName ? ['--tls-server-name', clientTls.serverName] : []));
    }
    // Processes in a network namespace of their own; the others bind the network's hub address.
    this.network = isolate?.length ? new IsolatedNetwork(isolate) : undefined;
    this.bindIp = this.network?.hub ?? '127.0.0.1';
    this.pgEnv = this.network ? { PG_EXTRA_LISTEN: this.network.hub, PG_TRUST_NET: this.network.trustedNet } : {};
    // One command per process: {name, bin, service, config, host}. A service with several hosts
    // runs them as tern-<service>-1, -2, ... each with a config of its own (its own port), as
    // does an isolated process (its own addresses).
    if (cluster) {
      const hosts = { ...Object.fromEntries(SERVICES.map((s) => [s, 1])), ...(cluster === true ? {} : cluster) };
      this.commands = SERVICES.flatMap((service) => Array.from({ length: hosts[service] }, (_, i) => {
        const name = hosts[service] > 1 ? `tern-${service}-${i + 1}` : `tern-${service}`;
        const host = this.network?.hosts.get(name);
        const config = i === 0 && !host ? this.config : path.join(this.dir, `${name}.yaml`);
        return { name, bin: `tern-${service}`, service, config, host, args: ['--config', config] };
      }));
    } else if (servers > 1) {
      // Whole tern-servers side by side, each with ports of its own for every service.
      this.commands = Array.from({ length: servers }, (_, i) => {
        const name = `tern-server-${i + 1}`;
        const config = i === 0 ? this.config : path.join(this.dir, `${name}.yaml`);
        return { name, bin: 'tern-server', service: ALL_SERVICES, config, args: ['--config', config] };
      });
    } else {
      this.commands = [{
        name: 'tern-server',
        bin: 'tern-server',
        config: this.config,
        args: ['--config', this.config, ...(services ? ['--services', services.join(',')] : [])],
      }];
    }
    this.logs = Object.fromEntries(
      this.commands.map(({ name }) => [name, path.join(this.dir, `${name}.log`)]),
    );
  }

  async setUp() {
    this.network?.create();
    for (let attempt = 1; ; attempt++) {
      [this.pgPort] = await freePorts(1);
      try {
        await pg('pg_start', this.pgDir, this.pgPort, this.pgEnv);
        this.pgStarted = true;
        break;
      } catch (err) {
        if (attempt >= 3) throw new Error(`PostgreSQL did not start: ${cliOutput(err)}`);
      }
    }
    // Every service has a port in the shared config; each further host of a service gets its own
    // (and, with metrics, each process its own metrics endpoint; tern-server one for all).
    const extraHosts = this.commands.filter((c) => c.config !== this.config);
    const portList = await freePorts(2 * SERVICES.length * (1 + extraHosts.length));
    this.ports = Object.fromEntries(SERVICES.map((s) => [s, portList.shift()]));
    const metricsPorts = this.wantMetrics
      ? Object.fromEntries(SERVICES.map((s) => [s, portList.shift()]))
      : undefined;
    const oneProcess = (ports) => { for (const s of SERVICES) ports[s] = ports.frontend; };
    if (metricsPorts && !this.cluster) oneProcess(metricsPorts);
    if (metricsPorts) {
      this.metricsUrls = Object.fromEntries(
        SERVICES.map((s) => [s, `http://127.0.0.1:${metricsPorts[s]}/metrics`]),
      );
      this.metricsUrl = this.metricsUrls.frontend;
    }
    this.address = `${this.bindIp}:${this.ports.frontend}`;
    const writeConfig = (file, ports, metrics, host) => fs.writeFileSync(file, configYaml({
      pgPort: this.pgPort,
      ports,
      shards: this.shards,
      partitions: this.partitions,
      database: this.database,
      dynamicConfig: this.dynamicConfig,
      metricsPorts: metrics,
      dbPassword: this.dbPassword,
      tls: this.tlsConfig,
      globalConfig: this.globalConfig,
      bindIp: host?.address ?? this.bindIp,
      dbHost: host ? this.network.hub : '127.0.0.1',
      elasticsearch: this.elasticsearch,
      frontendTransport: this.frontendTransport,
    }));
    writeConfig(this.config, this.ports, metricsPorts);
    this.addresses = { [this.commands[0].name]: this.address };
    for (const command of extraHosts) {
      const own = command.service === ALL_SERVICES ? SERVICES : [command.service];
      const ports = { ...this.ports };
      for (const s of own) ports[s] = portList.shift();
      let metrics;
      if (metricsPorts) {
        metrics = { ...metricsPorts };
        for (const s of own) metrics[s] = portList.shift();
        if (command.service === ALL_SERVICES) oneProcess(metrics);
      }
      writeConfig(command.config, ports, metrics, command.host);
      this.addresses[command.name] = `${command.host?.address ?? this.bindIp}:${ports.frontend}`;
    }
    if (this.setupDatabase) {
      await this.setupDatabase(this);
    } else {
      try {
        await cli(['schema', 'setup', '--config', this.config], 120_000);
      } catch (err) {
        throw new Error(`tern schema setup failed: ${cliOutput(err)}`);
      }
    }
    await this.boot();
  }

  launch() {
    for (const command of this.commands) this.launchOne(command);
  }

  launchOne({ name, bin, args, host }) {
    const fd = fs.openSync(this.logs[name], 'a');
    fs.writeSync(fd, `==== harness: ${bin} ${args.join(' ')} at ${new Date().toISOString()}\n`);
    const [file, argv] = host ? host.wrap(path.join(BIN_DIR, bin), args) : [path.join(BIN_DIR, bin), args];
    const child = spawn(file, argv, { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    child.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((child.exitInfo = { code, signal })));
      child.once('error', (err) => resolve((child.exitInfo = { error: err.message })));
    });
    this.procs.set(name, child);
    return child;
  }

  // Starts one process again (by name, after it exited) with its own config; returns at once.
  startProcess(name) {
    const command = this.commands.find((c) => c.name === name);
    if (!command) throw new Error(`no process ${name}`);
    if (!this.procs.get(name)?.exitInfo) throw new Error(`${name} is still running`);
    return this.launchOne(command);
  }

  // The names of the processes, e.g. ['tern-frontend', 'tern-history-1', 'tern-history-2', ...].
  processNames() {
    return this.commands.map((c) => c.name);
  }

  assertAlive() {
    for (const [name, child] of this.procs) {
      if (child.exitInfo) {
        const err = new Error(`${name} exited during start-up (${JSON.stringify(child.exitInfo)})`);
        err.fatal = true;
        throw err;
      }
    }
  }

  // Health, then namespace `default`, then the namespace visible through the SDK (workers call
  // DescribeNamespace first and give up if it fails).
  async waitReady() {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const step = (what, fn) =>
      waitFor(
        what,
        async () => {
          this.assertAlive();
          return fn();
        },
        { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 200 },
      );
    await step('`tern cluster health`', async () => {
      await cli(['--address', this.address, ...this.cliFlags, 'cluster', 'health'], 5_000);
      return true;
    });
    await step('`tern operator namespace create -n default`', async () => {
      try {
        await cli(['--address', this.address, ...this.cliFlags, 'operator', 'namespace', 'create',
          '-n', this.namespace, '--retention', '1d']);
      } catch (err) {
        if (!/already\s*exists/i.test(cliOutput(err))) throw new Error(cliOutput(err));
      }
      return true;
    });
    const { Connection } = require('@temporalio/client');
    let connection;
    try {
      await step('DescribeNamespace(default) through the SDK', async () => {
        connection ??= await Connection.connect({
          address: this.address, tls: this.tls, apiKey: this.apiKey, connectTimeout: 5_000,
        });
        await connection.workflowService.describeNamespace({ namespace: this.namespace });
        return true;
      });
    } finally {
      await connection?.close();
    }
  }

  async boot() {
    this.launch();
    try {
      await this.waitReady();
    } catch (err) {
      this.failed = true;
      err.message = `Tern did not become ready: ${err.message}\n${this.logTail(40)}`;
      throw err;
    }
  }

  // Sends `signal` to every live process; returns those still alive after `timeoutMs`.
  async signalAll(signal, timeoutMs) {
    const children = [...this.procs.values()].filter((c) => !c.exitInfo);
    for (const child of children) child.kill(signal);
    await Promise.all(
      children.map((c) => withTimeout(c.exited, timeoutMs, `exit of pid ${c.pid}`).catch(() => {})),
    );
    return children.filter((c) => !c.exitInfo);
  }

  async stopProcesses() {
    const stubborn = await this.signalAll('SIGTERM', STOP_TIMEOUT_MS);
    if (stubborn.length > 0) {
      this.failed = true;
      console.error(`harness: pids ${stubborn.map((c) => c.pid)} ignored SIGTERM; sending SIGKILL`);
      await this.signalAll('SIGKILL', STOP_TIMEOUT_MS);
    }
  }

  // Sends `signal` to one process (by binary name) and waits for it to exit; returns
  // {code, signal}. A later stop() leaves it alone.
  async signalProcess(name, signal, timeoutMs = STOP_TIMEOUT_MS) {
    const child = this.procs.get(name);
    if (!child) throw new Error(`no process ${name}`);
    if (!child.exitInfo) child.kill(signal);
    return withTimeout(child.exited, timeoutMs, `exit of ${name} (pid ${child.pid}) after ${signal}`);
  }

  pids() {
    return Object.fromEntries([...this.procs].map(([name, child]) => [name, child.pid]));
  }

  // Every line logged so far by every process.
  logLines() {
    return Object.values(this.logs).flatMap((file) => fs.readFileSync(file, 'utf8').split('\n'));
  }

  logTail(lines = 60) {
    return Object.entries(this.logs)
      .map(([name, file]) => `---- ${name} (${file}) ----\n${tail(file, lines)}`)
      .join('\n');
  }

  // One request to the Elasticsearch cluster of startTern's `elasticsearchUrl`; `target` is the
  // path after the index, e.g. '/_search'. Returns {status, body} (body parsed when JSON).
  async elasticsearchRequest(method, target, body) {
    if (!this.elasticsearch) throw new Error('this Tern has no elasticsearchUrl');
    const url = new URL(this.elasticsearch.url);
    const headers = { 'content-type': 'application/json' };
    if (url.username) {
      const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    }
    const response = await fetch(`${url.origin}/${this.elasticsearch.index}${target}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  }

  // Stops PostgreSQL (pg_ctl stop -m `mode`) under the running Tern; startDatabase() starts it
  // again on the same port and data.
  async stopDatabase(mode = 'fast') {
    await pg('pg_stop', this.pgDir, '', { PG_STOP_MODE: mode });
  }

  async startDatabase() {
    await pg('pg_start', this.pgDir, this.pgPort, this.pgEnv);
  }

  // Cuts an isolated process (startTern's `isolate`) off the network: from PostgreSQL and from
  // every peer. reconnect() restores the link.
  cutOff(name) {
    this.isolatedHost(name).cut();
  }

  reconnect(name) {
    this.isolatedHost(name).restore();
  }

  isolatedHost(name) {
    if (!this.network) throw new Error(`${name} is not isolated (startTern's isolate option)`);
    return this.network.host(name);
  }

  // Simulates a crash: SIGKILL every Tern process; PostgreSQL keeps running.
  async kill9() {
    const survivors = await this.signalAll('SIGKILL', STOP_TIMEOUT_MS);
    if (survivors.length > 0) throw new Error(`pids ${survivors.map((c) => c.pid)} survived SIGKILL`);
  }

  // Starts the same processes again: same config, database and ports.
  async restart() {
    await this.stopProcesses();
    await this.boot();
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    await this.stopProcesses();
    if (this.pgStarted) {
      await pg('pg_stop', this.pgDir).catch((err) => {
        console.error(`harness: pg_stop ${this.pgDir}: ${cliOutput(err)}`);
      });
    }
    this.network?.destroy();
    if (this.failed || process.env.TERN_KEEP_TMP) {
      console.error(`harness: logs kept in ${this.dir}`);
      if (this.elasticsearch) console.error(`harness: index ${this.elasticsearch.index} kept`);
    } else {
      if (this.elasticsearch) {
        await this.elasticsearchRequest('DELETE', '').catch((err) => {
          console.error(`harness: deleting index ${this.elasticsearch.index}: ${err.message}`);
        });
      }
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Starts PostgreSQL and Tern on free loopback ports and registers namespace `default`.
 * Options:
 *   cluster: true        tern-frontend, -history, -matching and -worker as four processes;
 *            {history: 2, matching: 2}  as many hosts of a service (tern-history-1, -2, ...),
 *                        each with a config of its own; startProcess(name) starts one again
 *   servers: N           N whole tern-servers on one database (tern-server-1, -2, ...), each
 *                        with ports of its own; tern.addresses[name] is each one's frontend
 *                        (tern.address is tern-server-1's)
 *   services: [names]    for tern-server: its --services list (default: all)
 *   shards, partitions   numHistoryShards and matching.numTaskqueuePartitions (default 4, 4)
 *   dynamicConfig        extra dynamicConfig keys, e.g. {'namespace.minRetention': '1s'}
 *   tls                  global.tls as an object (written as YAML), e.g.
 *                        {frontend: {server: {certFile, keyFile, clientCaFiles, requireClientAuth}}}
 *   clientTls            {ca, cert, key, serverName}: how clients (tern.tls for the SDK, the
 *                        harness's CLI calls) reach a TLS frontend
 *   globalConfig         more global: keys as objects, e.g. {authorization: {...}, audit: {...}}
 *   frontendTransport    services.frontend.rpc.transport: 'h2' or 'grpc' (default: the server's, h2)
 *   apiKey               the bearer token the harness's clients send (tern.apiKey, tern.cliFlags)
 *   dbPassword           the config's database password as written in YAML, e.g.
 *                        "'${SECRET}'" (PostgreSQL trusts local connections and ignores it)
 *   metrics: true        serve Prometheus metrics: tern.metricsUrls[service] (the same URL for
 *                        every service of one tern-server), tern.metricsUrl (the frontend's)
 *   database             the database name in the config (default tern_test)
 *   isolate: [names]     cluster processes that run in a network namespace of their own
 *                        (tests/sdk/lib/netns.js, root only); tern.cutOff(name) and
 *                        tern.reconnect(name) take their link down and up
 *   setupDatabase        async (tern) => {...}, run instead of `tern schema setup` once
 *                        PostgreSQL runs (tern.pgPort) and the config is written (tern.config,
 *                        tern.database), e.g. to restore a backup (tests/cluster/backup.test.js)
 *   elasticsearchUrl     http[s]://[user:password@]host:port of an Elasticsearch or OpenSearch
 *                        cluster: visibilityStore is an elasticsearch datastore (version v7) on
 *                        an index of this Tern's own, tern.elasticsearch.index, which `tern
 *                        schema setup` creates and stop() deletes (kept, like the temp dir,
 *                        after a failure); tern.elasticsearchRequest(method, target, body)
 *                        calls the cluster on that index
 * Returns a Tern: { address, namespace, dir, logs, pids(), processNames(), logTail(), kill9(),
 * signalProcess(), startProcess(), stopDatabase(), startDatabase(), cutOff(), reconnect(),
 * elasticsearchRequest(), restart(), stop() }.
 * Call stop() when done (an exit hook kills what is left if the process dies).
 */
async function startTern({
  cluster = false, servers = 1, services, shards = 4, partitions = 4, dynamicConfig = {}, metrics = false,
  dbPassword, tls, clientTls, globalConfig, apiKey, database = 'tern_test', setupDatabase, isolate,
  elasticsearchUrl, frontendTransport,
} = {}) {
  for (const bin of ['tern', cluster ? 'tern-frontend' : 'tern-server']) {
    if (!fs.existsSync(path.join(BIN_DIR, bin))) {
      throw new Error(`${path.join(BIN_DIR, bin)} is missing: run scripts/build first`);
    }
  }
  installExitHook();
  const tern = new Tern({
    cluster, servers, services, shards, partitions, dynamicConfig, metrics, dbPassword, tls, clientTls, globalConfig,
    apiKey, database, setupDatabase, isolate, elasticsearchUrl, frontendTransport,
  });
  live.add(tern);
  try {
    await tern.setUp();
  } catch (err) {
    tern.failed = true;
    await tern.stop().catch(() => {});
    throw err;
  }
  return tern;
}

// ---------------------------------------------------------------------------------------------

function printLogs(why) {
  for (const tern of live) {
    tern.failed = true; // keep the temp dir for a post-mortem
    console.error(`\nharness: ${why}; Tern logs (${tern.dir}):\n${tern.logTail()}`);
  }
}

// Call inside describe(): after every test that failed or timed out, prints the tail of the
// server logs and keeps the temp dir.
function dumpLogsOnFailure() {
  const { afterEach } = require('node:test');
  afterEach((t) => {
    if (t.passed === false) printLogs(`test "${t.name}" failed`);
  });
}

// If the test process dies without calling stop(), do not leave servers behind.
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
  }
  process.on('exit', () => {
    for (const tern of live) {
      for (const child of tern.procs.values()) {
        if (!child.exitInfo) child.kill('SIGKILL');
      }
      if (tern.pgStarted) {
        spawnSync('bash', ['-c', 'source "$0" && pg_stop "$1"', PG_SH, tern.pgDir], {
          stdio: 'ignore',
          timeout: 30_000,
        });
      }
      tern.network?.destroy();
    }
  });
}

// Loads an SDK package from tests/sdk/node_modules, for test files outside tests/sdk.
function requireSdk(name) {
  return require(name);
}

module.exports = {
  connectClient,
  decodeFields,
  dumpLogsOnFailure,
  ExpectedFailure,
  freePorts,
  grpcStatusDetails,
  installRuntime,
  requireSdk,
  startTern,
  startWorker,
  stringField,
  uniqueName,
  waitFor,
  withTimeout,
  workflowBundle,
};
