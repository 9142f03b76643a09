'use strict';
// The processes bench/run and bench/rss start on this machine: a private PostgreSQL, Tern's
// server processes (tern-server, or one process per service), and the bench's Node helpers (the
// SDK worker, the history proxy). Each is recorded in `state`, so that cleanup() stops it by PID
// in reverse order: on success, on an error, and on Ctrl-C / SIGTERM (prepare() installs the
// handlers); a synchronous exit hook kills what is left if the bench dies before cleanup()
// finished. Every child runs in its own session, so a Ctrl-C reaches only the bench.

const { execFile, fork, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { promisify } = require('node:util');

const { log } = require('./workload');

const execFileP = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');
const { freePorts, waitFor, withTimeout } = require(path.join(REPO, 'tests', 'sdk', 'lib', 'harness.js'));

const BIN_DIR = process.env.TERN_BIN_DIR || path.join(REPO, 'build', 'bin');
const PG_SH = path.join(REPO, 'scripts', 'lib', 'pg.sh');
const SDK_MODULES = process.env.BENCH_SDK_MODULES || path.join(REPO, 'tests', 'sdk', 'node_modules');
const SERVICES = ['frontend', 'history', 'matching', 'worker'];
const DATABASE = 'tern_bench';
// tern-server connects as TERN_DB_USER; the bench's own queries run as BENCH_DB_USER, so that
// pg_stat_statements can tell the server's statements from the bench's reads.
const TERN_DB_USER = 'postgres';
const BENCH_DB_USER = 'bench';
const STOP_TIMEOUT_MS = Number(process.env.BENCH_STOP_TIMEOUT_MS || 30_000);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const state = {
  dir: undefined,
  pgDir: undefined,
  pgStarted: false,
  servers: [], // ChildProcess of every Tern server process, in start order
  server: undefined, // bench/run's tern-server (one of `servers`)
  worker: undefined, // ChildProcess of the SDK worker
  proxy: undefined, // ChildProcess of the history-counting proxy (--history-bytes)
  helpers: [], // ChildProcess of every Node helper (the worker, the proxy, bench/open-workflows' clients)
  connection: undefined, // client Connection (a NativeConnection with --eager-start)
  localWorker: undefined, // {worker, running}: the bench process's own worker (--eager-start)
  json: false,
  keep: false,
  cleaned: false, // cleanup() began
  cleaning: undefined, // its promise
  cleanupDone: false,
  interrupted: false, // by a signal
  failed: false,
};

function pgBinDir() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(a) - Number(b)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL under /usr/lib/postgresql (scripts/install-deps)');
  return path.join(root, versions[versions.length - 1], 'bin');
}

function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${err.message})`;
  }
}

// Which binary was measured: the repository's HEAD need not be what BIN_DIR holds.
function binaryInfo(bin = 'tern-server') {
  const file = path.join(BIN_DIR, bin);
  const st = fs.statSync(file);
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  return { path: file, mtime: st.mtime.toISOString(), sha256: sha256.slice(0, 16) };
}

function gitInfo() {
  const git = (...args) => spawnSync('git', ['-C', REPO, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD').stdout.trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return head ? `${head}${dirty ? ' (+ uncommitted changes)' : ''}` : 'unknown';
}

// Checks the binaries and the SDK packages, makes the temp dir (state.dir) and installs the exit
// and signal handlers. `bins`: the files of BIN_DIR the run needs.
function prepare(opts, bins) {
  state.keep = Boolean(opts.keep);
  state.json = opts.json;
  for (const bin of bins) {
    if (!fs.existsSync(path.join(BIN_DIR, bin))) throw new Error(`${path.join(BIN_DIR, bin)} is missing: run scripts/build first`);
  }
  if (!fs.existsSync(path.join(SDK_MODULES, '@temporalio', 'worker'))) {
    throw new Error(`${SDK_MODULES} has no @temporalio/worker: run (cd tests/sdk && npm ci) first`);
  }
  process.on('exit', exitHook);
  process.on('uncaughtException', (err) => {
    if (state.cleaned && /Channel has been shut down/.test(String(err?.message))) return;
    console.error(`bench: uncaught exception: ${err?.stack || err}`);
    process.exit(1); // the exit hook stops what is left
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(signal, () => {
      if (state.cleaned) process.exit(code); // second signal: the exit hook kills what is left
      console.error(`bench: ${signal}: stopping everything`);
      state.interrupted = true; // main() may still be running: finish() leaves the exit to this
      state.failed = true;
      state.keep = false;
      cleanup().finally(() => process.exit(code));
    });
  }
  state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-bench-'));
  fs.chmodSync(state.dir, 0o755); // the postgres user must reach its data dir inside
}

function pgShell(fn, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `source "$0" && ${fn} "$@"`, PG_SH, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own session: a Ctrl-C reaches the bench, which stops PostgreSQL in order
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${fn}: ${out.trim()}`))));
  });
}

// pg_stat_statements counts every statement tern-server runs; track_utility (the default, set
// anyway) makes it count BEGIN/COMMIT/ROLLBACK too.
const PG_STATEMENTS_CONF = [
  "shared_preload_libraries = 'pg_stat_statements'",
  'pg_stat_statements.track_utility = on',
].join('\n');

// Starts PostgreSQL in state.dir/pg (durable unless opts.pgFast) and creates the bench's role and
// pg_stat_statements in the `postgres` database, where the bench reads its statistics: the tern
// database stays exactly what `tern schema setup` makes. Returns the port.
async function startPostgres(opts) {
  state.pgDir = path.join(state.dir, 'pg');
  const env = { PG_FAST: opts.pgFast ? '1' : '0', PG_EXTRA_CONF: PG_STATEMENTS_CONF };
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1);
    try {
      state.pgStarted = true; // a failed start may still leave a postmaster: pg_stop is a no-op if not
      await pgShell('pg_start', [state.pgDir, String(port)], env);
      await psql(port, 'postgres', `CREATE ROLE ${BENCH_DB_USER} LOGIN SUPERUSER`, TERN_DB_USER);
      await psql(port, 'postgres', 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      return port;
    } catch (err) {
      if (attempt >= 3) throw new Error(`PostgreSQL did not start: ${err.message}`);
    }
  }
}

function postmasterPid() {
  return Number(fs.readFileSync(path.join(state.pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function psql(pgPort, db, sql, user = BENCH_DB_USER) {
  const { stdout } = await execFileP(
    path.join(pgBinDir(), 'psql'),
    ['-X', '-q', '-At', '-F', '\t', '-h', '127.0.0.1', '-p', String(pgPort), '-U', user, '-d', db, '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { timeout: 60_000 },
  );
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

// `ports`: the gRPC port of each service and, for each service in `ports.metrics` (service ->
// port), its /metrics address; a process serves every metric it has on each distinct address.
function configYaml(opts, pgPort, ports, maxHeartbeatAge = '10s') {
  const metrics = ports.metrics || {};
  const transport = (s) => (s === 'frontend' && opts.frontendTransport
    ? `, transport: ${opts.frontendTransport}` : '');
  return [
    'global:',
    `  log: {level: ${opts.logLevel}, format: json}`,
    `  membership: {heartbeatInterval: 1s, maxHeartbeatAge: ${maxHeartbeatAge}}`,
    'persistence:',
    `  numHistoryShards: ${opts.shards}`,
    '  defaultStore: default',
    '  datastores:',
    '    default:',
    `      sql: {pluginName: postgres, databaseName: ${DATABASE}, connectAddr: "127.0.0.1:${pgPort}", user: ${TERN_DB_USER}, password: "", maxConns: ${opts.maxConns}}`,
    'services:',
    ...SERVICES.map((s) => `  ${s}: {rpc: {grpcPort: ${ports[s]}, bindOnIP: 127.0.0.1${transport(s)}}` +
      `${metrics[s] ? `, metrics: {listenAddress: "127.0.0.1:${metrics[s]}"}` : ''}}`),
    'dynamicConfig:',
    `  matching.numTaskqueuePartitions: ${opts.partitions}`,
    '',
  ].join('\n');
}

async function tern(args, timeoutMs = 20_000) {
  return execFileP(path.join(BIN_DIR, 'tern'), args, { timeout: timeoutMs });
}
const cliOutput = (err) => `${err.stdout || ''}${err.stderr || ''}`.trim() || err.message;

// Writes state.dir/`name` (configYaml's arguments); returns its path.
function writeConfig(name, ...args) {
  const file = path.join(state.dir, name);
  fs.writeFileSync(file, configYaml(...args));
  return file;
}

// Free ports for every service (and a metrics port for each of `metricsServices`), the config in
// state.dir/config.yaml, and the schema. Returns {config, ports, address, pgPort}.
async function setupServer(opts, pgPort, metricsServices = [], maxHeartbeatAge = undefined) {
  const portList = await freePorts(SERVICES.length + metricsServices.length);
  const ports = Object.fromEntries(SERVICES.map((s, i) => [s, portList[i]]));
  ports.metrics = Object.fromEntries(metricsServices.map((s, i) => [s, portList[SERVICES.length + i]]));
  const config = writeConfig('config.yaml', opts, pgPort, ports, maxHeartbeatAge);
  try {
    await tern(['schema', 'setup', '--config', config], 120_000);
  } catch (err) {
    throw new Error(`tern schema setup failed: ${cliOutput(err)}`);
  }
  return { config, ports, address: `127.0.0.1:${ports.frontend}`, pgPort };
}

// Refuses to start a process once cleanup() began (after Ctrl-C main() may still be running).
function checkNotStopping(what) {
  if (state.cleaned) throw new Error(`stopping: ${what} not started`);
}

// Starts BIN_DIR/`bin` `args` (behind `prefix`, e.g. valgrind's command line) with its output in
// state.dir/`name`.log; records it in state.servers. `stopTimeoutMs`: its SIGTERM grace.
function launchServer(name, bin, args, { prefix = [], stopTimeoutMs = STOP_TIMEOUT_MS } = {}) {
  checkNotStopping(name);
  const logFile = path.join(state.dir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const argv = [...prefix, path.join(BIN_DIR, bin), ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve((child.exitInfo = { code, signal })));
    child.once('error', (err) => resolve((child.exitInfo = { error: err.message })));
  });
  Object.assign(child, { name, logFile, stopTimeoutMs });
  state.servers.push(child);
  return child;
}

// Waits until every service port of `ports` answers gRPC health (`tern cluster health`), the
// namespace exists and DescribeNamespace works through the SDK; fails at once if one of
// `children` exits, and after `timeoutMs` with the tail of their logs.
async function waitReady(children, ports, namespace, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const address = `127.0.0.1:${ports.frontend}`;
  const step = (what, fn) =>
    waitFor(
      what,
      async () => {
        const gone = children.find((c) => c.exitInfo);
        if (gone) {
          const err = new Error(`${gone.name} exited during start-up (${JSON.stringify(gone.exitInfo)})`);
          err.fatal = true;
          throw err;
        }
        return fn();
      },
      { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 200 },
    );
  try {
    for (const s of SERVICES) {
      await step(`\`tern cluster health\` of ${s} (port ${ports[s]})`, async () => {
        await tern(['--address', `127.0.0.1:${ports[s]}`, 'cluster', 'health', '--service', ''], 5_000);
        return true;
      });
    }
    await step('namespace create', async () => {
      try {
        await tern(['--address', address, 'operator', 'namespace', 'create', '-n', namespace, '--retention', '1d']);
      } catch (err) {
        if (!/already\s*exists/i.test(cliOutput(err))) throw new Error(cliOutput(err));
      }
      return true;
    });
    const { Connection } = require('@temporalio/client');
    let connection;
    try {
      await step('DescribeNamespace through the SDK', async () => {
        connection ??= await Connection.connect({ address, connectTimeout: 5_000 });
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      });
    } finally {
      await connection?.close();
    }
  } catch (err) {
    const logs = children.map((c) => `---- ${c.name} (${c.logFile})\n${tail(c.logFile, 30)}`).join('\n');
    err.message = `${children.map((c) => c.name).join(', ')} did not become ready: ${err.message}\n${logs}`;
    throw err;
  }
}

// Forks one of the bench's Node helpers (lib/<name>.js) in its own session with an IPC channel,
// records it in state.helpers and in state[key] (unless `key` is undefined), writes its output to
// state.dir/`logName`.log and waits for its {type: 'ready'} message, which it returns.
async function forkHelper(key, name, what, env, readyTimeoutMs, logName = name) {
  checkNotStopping(`the ${what}`);
  const logFile = path.join(state.dir, `${logName}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = fork(path.join(__dirname, `${name}.js`), [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd, 'ipc'],
    detached: true,
  });
  fs.closeSync(fd);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve((child.exitInfo = { code, signal })));
  });
  Object.assign(child, { logFile, what });
  state.helpers.push(child);
  if (key) state[key] = child;
  const ready = await Promise.race([
    new Promise((resolve) => {
      child.on('message', (msg) => {
        if (msg?.type === 'ready') resolve(msg);
        if (msg?.type === 'failed') resolve(undefined);
      });
    }),
    child.exited.then(() => undefined),
    sleep(readyTimeoutMs).then(() => undefined),
  ]);
  if (!ready) throw new Error(`the ${what} did not start:\n${tail(logFile, 30)}`);
  child.on('exit', () => {
    if (!state.cleaned && !child.stopping) console.error(`bench: the ${what} exited unexpectedly:\n${tail(logFile, 30)}`);
  });
  return ready;
}

// What the bench's workers run with (worker.js createBenchWorker).
function workerSettings(opts, taskQueue) {
  return {
    sdkModules: SDK_MODULES,
    namespace: opts.namespace,
    taskQueue,
    slots: opts.slots,
    pollers: opts.pollers,
    stickyRatio: opts.nonStickyRatio,
    maxCached: opts.noSticky ? '0' : '',
  };
}

async function startWorker(opts, address, taskQueue) {
  log(opts, `starting the SDK worker (${opts.slots} slots${opts.noSticky ? ', no cache: not sticky' : ''})`);
  await forkHelper('worker', 'worker', 'SDK worker', {
    BENCH_ADDRESS: address,
    BENCH_CONNECTION: JSON.stringify(opts.connection), // TLS and API key (lib/connection.js)
    BENCH_WORKER: JSON.stringify(workerSettings(opts, taskQueue)),
  }, 180_000); // bundling the workflow code the first time takes a while
  return { logFile: state.worker.logFile };
}

// SIGTERM, then SIGKILL after the child's stopTimeoutMs (default BENCH_STOP_TIMEOUT_MS).
async function stopChild(child, what) {
  if (!child || child.exitInfo) return;
  child.stopping = true;
  const t0 = performance.now();
  child.kill('SIGTERM');
  try {
    await withTimeout(child.exited, child.stopTimeoutMs ?? STOP_TIMEOUT_MS, `${what} exit`);
    if (process.env.BENCH_VERBOSE) {
      console.error(`bench: ${what} stopped ${Math.round(performance.now() - t0)} ms after SIGTERM`);
    }
  } catch {
    console.error(`bench: ${what} (pid ${child.pid}) ignored SIGTERM; sending SIGKILL`);
    child.kill('SIGKILL');
    await child.exited;
  }
}

// Asks the SDK worker to shut down gracefully (it finishes its polls), then stops it.
async function stopWorker() {
  const worker = state.worker;
  if (!worker || worker.exitInfo) return;
  worker.stopping = true;
  if (worker.connected) worker.send({ type: 'stop' });
  await withTimeout(worker.exited, 20_000, 'worker shutdown').catch(() => {});
  await stopChild(worker, 'SDK worker');
}

// Shuts down the worker bench.js runs in its own process (--eager-start) and waits for it.
async function stopLocalWorker() {
  const local = state.localWorker;
  if (!local) return;
  if (local.worker.getState() === 'RUNNING') local.worker.shutdown();
  await withTimeout(local.running, 20_000, 'in-process worker shutdown').catch(() => {});
}

// Stops the server processes, the last started first.
async function stopServers() {
  for (const child of [...state.servers].reverse()) await stopChild(child, child.name);
}

// Stops everything (but what --keep keeps); every call returns the same promise.
function cleanup() {
  state.cleaning ??= stopAll();
  return state.cleaning;
}

async function stopAll() {
  state.cleaned = true;
  await stopWorker();
  await stopLocalWorker();
  // The rest (the history proxy, bench/open-workflows' clients), the last started first.
  for (const helper of [...state.helpers].reverse()) await stopChild(helper, helper.what);
  // Closing the client cancels its pending result() long polls (after a failure or Ctrl-C), so
  // tern-server has no call in flight when it is asked to stop. The SDK's retry timers of those
  // calls then throw "Channel has been shut down" (see the uncaughtException handler).
  await state.connection?.close().catch(() => {});
  if (state.keep) {
    state.cleanupDone = true;
    return;
  }
  await stopServers();
  if (state.pgStarted) {
    await pgShell('pg_stop', [state.pgDir], { PG_STOP_MODE: 'fast' }).catch((err) =>
      console.error(`bench: pg_stop ${state.pgDir}: ${err.message}`),
    );
  }
  state.cleanupDone = true;
  if (state.dir) {
    if (state.failed && fs.readdirSync(state.dir).length > 0) console.error(`bench: logs kept in ${state.dir}`);
    else fs.rmSync(state.dir, { recursive: true, force: true });
  }
}

// Last resort when the process exits without cleanup() having finished: synchronous kills.
function exitHook() {
  if (state.cleanupDone) return;
  for (const child of [...state.helpers, ...state.servers]) {
    if (child && !child.exitInfo) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  if (state.pgStarted && !state.keep) {
    spawnSync('bash', ['-c', 'source "$0" && pg_stop "$1"', PG_SH, state.pgDir], {
      stdio: 'ignore',
      timeout: 60_000,
      env: { ...process.env, PG_STOP_MODE: 'fast' },
    });
    if (state.dir) console.error(`bench: interrupted; logs kept in ${state.dir}`);
  }
}

// The end of a bench's main(): prints the result with `print` (JSON with --json) and exits 0,
// or 1 if the run failed; a usage error exits 2, any other error 1 (after onError), after
// cleanup(). `command`: bench/run or bench/rss, for the usage hint.
function finish(command, promise, print, onError = () => {}) {
  promise
    .then(async (result) => {
      if (state.interrupted) return;
      await cleanup();
      if (state.json) console.log(JSON.stringify(result, null, 2));
      else print(result);
      process.exit(state.failed ? 1 : 0);
    })
    .catch(async (err) => {
      if (state.interrupted) return;
      if (err.usage || String(err.code).startsWith('ERR_PARSE_ARGS')) {
        console.error(`bench: ${err.message} (${command} --help)`);
        process.exit(2);
      }
      // A stack adds nothing to a message about the target (an unknown namespace, no connection).
      console.error(`bench: ${err.target ? err.message : err.stack || err}`);
      state.failed = true;
      onError(err);
      await cleanup().catch((e) => console.error(`bench: cleanup: ${e.message}`));
      process.exit(1);
    });
}

module.exports = {
  BIN_DIR, DATABASE, PG_SH, REPO, SERVICES, TERN_DB_USER,
  binaryInfo, cleanup, finish, forkHelper, gitInfo, launchServer, pgShell, postmasterPid, prepare, psql, setupServer, sleep,
  startPostgres, startWorker, state, stopServers, stopWorker, tail, waitReady, withTimeout, workerSettings,
  writeConfig,
};
