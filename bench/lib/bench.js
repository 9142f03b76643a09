'use strict';
// Tern end-to-end benchmark. Run through bench/run (which sets NODE_PATH to the SDK's
// node_modules); `bench/run --help` lists the options, bench/README.md explains the figures.
//
// Phases: start PostgreSQL + tern-server + an SDK worker process (and, with --history-bytes, a
// counting gRPC proxy in front of the server for the worker); warm up; let the database
// statistics settle and measure the idle background; run the measured workflows of the chosen
// scenario (lib/scenarios.js, driven by lib/workload.js); let the statistics settle again;
// report; stop everything (unless --keep). With --address (lib/external.js) only the worker is
// started, against a running frontend, and only what a client observes is reported.

const { execFile, fork, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { promisify } = require('node:util');

const { sdkConnectionOptions } = require('./connection');
const external = require('./external');
const { parseOptions } = require('./options');
const proc = require('./proc');
const {
  cpuFigures, drive, errorLines, log, machineLines, round, summarizeRun, warmUp, workloadConfig, workloadRows,
} = require('./workload');

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
// PostgreSQL 15 backends flush their statistics at most once a second while busy and within
// PGSTAT_IDLE_INTERVAL (10 s) once idle; reading pg_stat_* sooner would miss transactions.
const STATS_SETTLE_MS = 11_000;
const IDLE_WINDOW_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Small helpers.

const SCRAPE_INTERVAL_MS = 15_000; // Prometheus's default scrape interval

// Fetches `url` at once, then every `intervalMs` until stop(), then once more. The first and the
// last exposition bracket the phase: their counter deltas are the RPC figures. stop() resolves to
// {scrapes, first, last}; a failed scrape fails the run.
async function scrapeEvery(url, intervalMs) {
  let scrapes = 0;
  let failure;
  const scrape = async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    const text = await response.text();
    scrapes++;
    return text;
  };
  const first = await scrape();
  let pending = Promise.resolve();
  const timer = setInterval(() => {
    pending = pending.then(scrape).catch((err) => { failure = failure || err; });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      if (failure) throw failure;
      const last = await scrape();
      return { scrapes, first, last };
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

// Which tern-server was measured: the repository's HEAD need not be what BIN_DIR holds.
function binaryInfo() {
  const file = path.join(BIN_DIR, 'tern-server');
  const st = fs.statSync(file);
  const sha256 = require('node:crypto').createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  return { path: file, mtime: st.mtime.toISOString(), sha256: sha256.slice(0, 16) };
}

function gitInfo() {
  const git = (...args) => spawnSync('git', ['-C', REPO, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD').stdout.trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return head ? `${head}${dirty ? ' (+ uncommitted changes)' : ''}` : 'unknown';
}

// ---------------------------------------------------------------------------------------------
// The processes. Everything started is recorded here so cleanup() (and, as a last resort, the
// synchronous exit hook) can stop it by PID.

const state = {
  dir: undefined,
  pgDir: undefined,
  pgStarted: false,
  pgFast: false,
  server: undefined, // ChildProcess of tern-server
  worker: undefined, // ChildProcess of the SDK worker
  proxy: undefined, // ChildProcess of the history-counting proxy (--history-bytes)
  connection: undefined, // client Connection
  keep: false,
  cleaned: false,
  failed: false,
};

function pgShell(fn, args, env = {}) {
  return new Promise((resolve, reject) => {
    // Own session (detached): a Ctrl-C in the terminal reaches the bench, which stops PostgreSQL
    // in order, instead of reaching the postmaster directly.
    const child = spawn('bash', ['-c', `source "$0" && ${fn} "$@"`, PG_SH, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
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

async function startPostgres(opts) {
  state.pgDir = path.join(state.dir, 'pg');
  const env = { PG_FAST: opts.pgFast ? '1' : '0', PG_EXTRA_CONF: PG_STATEMENTS_CONF };
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1);
    try {
      state.pgStarted = true; // a failed start may still leave a postmaster: pg_stop is a no-op if not
      await pgShell('pg_start', [state.pgDir, String(port)], env);
      return port;
    } catch (err) {
      if (attempt >= 3) throw new Error(`PostgreSQL did not start: ${err.message}`);
    }
  }
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

function configYaml(opts, pgPort, ports) {
  return [
    'global:',
    `  log: {level: ${opts.logLevel}, format: json}`,
    '  membership: {heartbeatInterval: 1s, maxHeartbeatAge: 10s}',
    'persistence:',
    `  numHistoryShards: ${opts.shards}`,
    '  defaultStore: default',
    '  datastores:',
    '    default:',
    `      sql: {pluginName: postgres, databaseName: ${DATABASE}, connectAddr: "127.0.0.1:${pgPort}", user: ${TERN_DB_USER}, password: "", maxConns: ${opts.maxConns}}`,
    'services:',
    // One metrics address serves every metric of the process.
    ...SERVICES.map((s) => `  ${s}: {rpc: {grpcPort: ${ports[s]}, bindOnIP: 127.0.0.1}` +
      `${ports.metrics && s === 'frontend' ? `, metrics: {listenAddress: "127.0.0.1:${ports.metrics}"}` : ''}}`),
    'dynamicConfig:',
    `  matching.numTaskqueuePartitions: ${opts.partitions}`,
    '',
  ].join('\n');
}

async function tern(args, timeoutMs = 20_000) {
  return execFileP(path.join(BIN_DIR, 'tern'), args, { timeout: timeoutMs });
}
const cliOutput = (err) => `${err.stdout || ''}${err.stderr || ''}`.trim() || err.message;

async function startServer(opts, pgPort) {
  const portList = await freePorts(SERVICES.length + 1);
  const ports = Object.fromEntries(SERVICES.map((s, i) => [s, portList[i]]));
  if (opts.metrics) ports.metrics = portList[SERVICES.length];
  const address = `127.0.0.1:${ports.frontend}`;
  const config = path.join(state.dir, 'config.yaml');
  fs.writeFileSync(config, configYaml(opts, pgPort, ports));
  try {
    await tern(['schema', 'setup', '--config', config], 120_000);
  } catch (err) {
    throw new Error(`tern schema setup failed: ${cliOutput(err)}`);
  }
  const logFile = path.join(state.dir, 'tern-server.log');
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(path.join(BIN_DIR, 'tern-server'), ['--config', config], {
    stdio: ['ignore', fd, fd],
    detached: true, // own session: see pgShell
  });
  fs.closeSync(fd);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve((child.exitInfo = { code, signal })));
    child.once('error', (err) => resolve((child.exitInfo = { error: err.message })));
  });
  state.server = child;

  const deadline = Date.now() + 90_000;
  const step = (what, fn) =>
    waitFor(
      what,
      async () => {
        if (child.exitInfo) {
          const err = new Error(`tern-server exited during start-up (${JSON.stringify(child.exitInfo)})`);
          err.fatal = true;
          throw err;
        }
        return fn();
      },
      { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 200 },
    );
  try {
    await step('`tern cluster health`', async () => {
      await tern(['--address', address, 'cluster', 'health'], 5_000);
      return true;
    });
    await step('namespace create', async () => {
      try {
        await tern(['--address', address, 'operator', 'namespace', 'create', '-n', opts.namespace, '--retention', '1d']);
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
        await connection.workflowService.describeNamespace({ namespace: opts.namespace });
        return true;
      });
    } finally {
      await connection?.close();
    }
  } catch (err) {
    err.message = `tern-server did not become ready: ${err.message}\n${tail(logFile, 30)}`;
    throw err;
  }
  return { address, config, logFile, ports };
}

// Forks one of the bench's Node helpers (lib/<name>.js) in its own session with an IPC channel,
// records it in state[key] and waits for its {type: 'ready'} message, which it returns.
async function forkHelper(key, name, what, env, readyTimeoutMs) {
  const logFile = path.join(state.dir, `${name}.log`);
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
  child.logFile = logFile;
  state[key] = child;
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
    if (!state.cleaned) console.error(`bench: the ${what} exited unexpectedly:\n${tail(logFile, 30)}`);
  });
  return ready;
}

async function startWorker(opts, address, taskQueue) {
  log(opts, `starting the SDK worker (${opts.slots} slots${opts.noSticky ? ', no cache: not sticky' : ''})`);
  await forkHelper('worker', 'worker', 'SDK worker', {
    BENCH_ADDRESS: address,
    BENCH_CONNECTION: JSON.stringify(opts.connection), // TLS and API key (lib/connection.js)
    BENCH_NAMESPACE: opts.namespace,
    BENCH_TASK_QUEUE: taskQueue,
    BENCH_SLOTS: String(opts.slots),
    BENCH_POLLERS: String(opts.pollers),
    BENCH_NON_STICKY_RATIO: opts.nonStickyRatio,
    BENCH_MAX_CACHED_WORKFLOWS: opts.noSticky ? '0' : '',
    BENCH_SDK_MODULES: SDK_MODULES,
  }, 180_000); // bundling the workflow code the first time takes a while
  return { logFile: state.worker.logFile };
}

// Starts the counting proxy in front of tern-server; returns the address the worker should use.
async function startProxy(serverAddress) {
  const { port } = await forkHelper('proxy', 'history-proxy', 'history proxy',
    { BENCH_UPSTREAM: serverAddress }, 30_000);
  return `127.0.0.1:${port}`;
}

let statsRequests = 0;
async function proxyStats() {
  const id = ++statsRequests;
  const reply = new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg?.type !== 'stats' || msg.id !== id) return;
      state.proxy.off('message', onMessage);
      resolve(msg.stats);
    };
    state.proxy.on('message', onMessage);
  });
  state.proxy.send({ type: 'stats', id });
  return withTimeout(reply, 10_000, 'history proxy stats');
}

const STOP_TIMEOUT_MS = Number(process.env.BENCH_STOP_TIMEOUT_MS || 30_000);

async function stopChild(child, what) {
  if (!child || child.exitInfo) return;
  const t0 = performance.now();
  child.kill('SIGTERM');
  try {
    await withTimeout(child.exited, STOP_TIMEOUT_MS, `${what} exit`);
    if (process.env.BENCH_VERBOSE) {
      console.error(`bench: ${what} stopped ${Math.round(performance.now() - t0)} ms after SIGTERM`);
    }
  } catch {
    console.error(`bench: ${what} (pid ${child.pid}) ignored SIGTERM; sending SIGKILL`);
    child.kill('SIGKILL');
    await child.exited;
  }
}

async function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  if (state.worker && !state.worker.exitInfo) {
    if (state.worker.connected) state.worker.send({ type: 'stop' });
    await withTimeout(state.worker.exited, 20_000, 'worker shutdown').catch(() => {});
    await stopChild(state.worker, 'SDK worker');
  }
  await stopChild(state.proxy, 'history proxy');
  // Closing the client cancels its pending result() long polls (after a failure or Ctrl-C), so
  // tern-server has no call in flight when it is asked to stop. The SDK's retry timers of those
  // calls then throw "Channel has been shut down" (see the uncaughtException handler).
  await state.connection?.close().catch(() => {});
  if (state.keep) {
    state.cleanupDone = true;
    return;
  }
  await stopChild(state.server, 'tern-server');
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
  for (const child of [state.worker, state.proxy, state.server]) {
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

// ---------------------------------------------------------------------------------------------
// Measurement.

async function dbSnapshot(pgPort) {
  const [row] = await psql(
    pgPort,
    'postgres',
    `SELECT d.xact_commit, d.xact_rollback, d.tup_inserted, d.tup_updated, d.tup_deleted,
            d.tup_returned, d.tup_fetched, w.wal_records, w.wal_bytes, w.wal_write, w.wal_sync,
            pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')
       FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = '${DATABASE}'`,
  );
  const keys = ['xactCommit', 'xactRollback', 'tupInserted', 'tupUpdated', 'tupDeleted',
    'tupReturned', 'tupFetched', 'walRecords', 'walBytes', 'walWrite', 'walSync', 'walLsn'];
  return { at: performance.now(), ...Object.fromEntries(keys.map((k, i) => [k, Number(row[i])])) };
}

async function tableSnapshot(pgPort) {
  const rows = await psql(pgPort, DATABASE, 'SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables');
  return Object.fromEntries(rows.map(([t, i, u, d]) => [t, { ins: Number(i), upd: Number(u), del: Number(d) }]));
}

// The bench's own role, and pg_stat_statements in the `postgres` database, where the bench reads
// its statistics: the tern database stays exactly what `tern schema setup` makes (and does not
// exist yet). The view shows the statements of every database; statementSnapshot filters.
async function setupStatements(pgPort) {
  await psql(pgPort, 'postgres', `CREATE ROLE ${BENCH_DB_USER} LOGIN SUPERUSER`, TERN_DB_USER);
  await psql(pgPort, 'postgres', 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
}

// Resets pg_stat_statements; returns when, for the rate of the window it starts.
async function resetStatements(pgPort) {
  await psql(pgPort, 'postgres', 'SELECT pg_stat_statements_reset()');
  return performance.now();
}

// The statements tern-server ran in its database since the last reset: its user in its database,
// which leaves out the bench's reads (another role). Whitespace is collapsed so that a statement
// is one line of psql's output.
async function statementSnapshot(pgPort) {
  const rows = await psql(
    pgPort,
    'postgres',
    `SELECT queryid, calls, rows, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g')
       FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '${DATABASE}')
        AND userid = '${TERN_DB_USER}'::regrole`,
  );
  const statements = rows.map(([id, calls, rowCount, totalMs, query]) =>
    ({ id, query, calls: Number(calls), rows: Number(rowCount), totalMs: Number(totalMs) }));
  return { at: performance.now(), statements };
}

// Utility statements that open or end a transaction, under the name they are reported as.
const TRANSACTION_CONTROL = { BEGIN: 'BEGIN', START: 'BEGIN', COMMIT: 'COMMIT', END: 'COMMIT', ROLLBACK: 'ROLLBACK', ABORT: 'ROLLBACK' };
const transactionControl = (query) => TRANSACTION_CONTROL[query.trim().split(/[\s;]/, 1)[0].toUpperCase()];
const TOP_STATEMENTS = 15;
const STATEMENT_CHARS = 100;
const shorten = (text, chars) => (text.length > chars ? `${text.slice(0, chars - 3)}...` : text);

// Statements per workflow over the window from `from` (the reset before the phase) to `after`,
// and the same minus the idle background: each statement's rate in the idle window (`idle`, read
// `idleSeconds` after its reset) times the window, as for commits.
function statementSummary(idle, idleSeconds, after, from, n) {
  const windowSeconds = (after.at - from) / 1000;
  const calls = (snapshot, filter = () => true) => snapshot.statements.filter(filter).reduce((t, s) => t + s.calls, 0);
  const background = (filter) => (calls(idle, filter) / idleSeconds) * windowSeconds;
  const perWf = (x) => round(x / n, 2);
  const isControl = (s) => transactionControl(s.query) !== undefined;
  const top = after.statements
    .map((s) => ({ ...s, net: s.calls - background((x) => x.id === s.id) }))
    .sort((a, b) => b.net - a.net)
    .slice(0, TOP_STATEMENTS)
    .map((s) => ({
      queryid: s.id,
      query: shorten(s.query, STATEMENT_CHARS),
      callsPerWorkflow: perWf(s.calls),
      callsPerWorkflowIdleCorrected: perWf(s.net),
      rowsPerCall: round(s.rows / s.calls, 2),
      meanMs: round(s.totalMs / s.calls, 3),
    }));
  return {
    windowSeconds: round(windowSeconds, 1),
    callsInWindow: calls(after),
    distinct: after.statements.length,
    perWorkflow: perWf(calls(after)),
    perWorkflowIdleCorrected: perWf(calls(after) - background()),
    // BEGIN / COMMIT / ROLLBACK: round trips that carry no work of their own.
    transactionControlPerWorkflow: perWf(calls(after, isControl)),
    transactionControlPerWorkflowIdleCorrected: perWf(calls(after, isControl) - background(isControl)),
    // Idle-corrected: most rollbacks in the window are the idle background's.
    transactionControlIdleCorrected: Object.fromEntries(['BEGIN', 'COMMIT', 'ROLLBACK'].map((k) => {
      const isKind = (s) => transactionControl(s.query) === k;
      return [k, perWf(calls(after, isKind) - background(isKind))];
    })),
    top,
  };
}

// The samples of counter `name` in a Prometheus text exposition (also under `name_total`, in
// case the exporter adds the suffix), as [{labels, value}].
function counterSamples(text, name) {
  const samples = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m || (m[1] !== name && m[1] !== `${name}_total`)) continue;
    const labels = {};
    for (const [, k, v] of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ labels, value: Number(m[3]) });
  }
  return samples;
}

// Calls per workflow of counter `name` between two expositions, per `operation` label (summed
// over the other labels of the series `keep` accepts); operations without calls are left out.
function callsPerWorkflow(before, after, name, n, keep = () => true) {
  const byOperation = (text) => {
    const ops = {};
    for (const { labels, value } of counterSamples(text, name)) {
      if (keep(labels)) ops[labels.operation] = (ops[labels.operation] || 0) + value;
    }
    return ops;
  };
  const b = byOperation(before);
  const a = byOperation(after);
  if (Object.keys(a).length === 0) return { missing: `no ${name} series in /metrics` };
  const deltas = Object.entries(a).map(([op, v]) => [op, v - (b[op] || 0)]).filter(([, d]) => d > 0);
  deltas.sort((x, y) => y[1] - x[1]);
  const calls = deltas.reduce((total, [, d]) => total + d, 0);
  return {
    calls,
    perWorkflow: round(calls / n, 2),
    byOperation: Object.fromEntries(deltas.map(([op, d]) => [op, round(d / n, 2)])),
  };
}

// Internal RPCs (client_requests: every call a Tern service makes to history or matching) and
// external ones (service_requests of the frontend) per workflow over the phase.
function rpcSummary(scrapes, n) {
  if (!scrapes) return { skipped: '--metrics off: tern-server records no metrics' };
  return {
    internal: callsPerWorkflow(scrapes.first, scrapes.last, 'client_requests', n),
    external: callsPerWorkflow(scrapes.first, scrapes.last, 'service_requests', n, (l) => l.service_name === 'frontend'),
  };
}

function postmasterPid() {
  return Number(fs.readFileSync(path.join(state.pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

// CPU of every process the bench started, its own and the machine's (proc.cpuUsage), and
// tern-server's context switches.
function cpuSnapshot(pgPid) {
  const pids = { server: state.server.pid, worker: state.worker.pid, client: process.pid };
  if (state.proxy) pids.proxy = state.proxy.pid;
  return { ...proc.cpuSample(pids), postgres: proc.treeCpu(pgPid), serverSwitches: proc.contextSwitches(state.server.pid) };
}

function cpuDelta(a, b) {
  const postgres = proc.treeCpuDelta(a.postgres, b.postgres);
  return { ...proc.cpuUsage(a, b, { postgres }), serverSwitches: b.serverSwitches - a.serverSwitches };
}

// Warnings and errors in the server log (JSON or text format).
function scanServerLog(file) {
  const counts = {};
  const samples = [];
  const messages = new Map(); // message -> count
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { counts, samples, topMessages: [] };
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    let level;
    let message = line;
    try {
      const obj = JSON.parse(line);
      level = String(obj.level ?? obj.lvl ?? obj.severity ?? '').toLowerCase();
      message = String(obj.msg ?? obj.message ?? line);
    } catch {
      const m = line.match(/\b(trace|debug|info|warn|warning|error|critical|fatal)\b/i);
      level = m ? m[1].toLowerCase() : '';
    }
    if (!level) continue;
    counts[level] = (counts[level] || 0) + 1;
    if (/^(warn|warning|error|err|critical|fatal)$/.test(level)) {
      if (samples.length < 8) samples.push(line.length > 400 ? `${line.slice(0, 400)}...` : line);
      messages.set(message, (messages.get(message) || 0) + 1);
    }
  }
  const topMessages = [...messages].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([msg, n]) => ({ n, msg }));
  return { counts, samples, topMessages };
}

// ---------------------------------------------------------------------------------------------

// External mode: no PostgreSQL and no tern-server; the client and the worker reach opts.address.
async function runExternal(opts, taskQueue, machine) {
  log(opts, `connecting to ${opts.address}, namespace ${opts.namespace}`);
  const target = await external.connect(opts);
  state.connection = target.connection;
  await startWorker(opts, opts.address, taskQueue);
  const result = await external.measure(opts, target, taskQueue, state.worker.pid, machine);
  if (result.completed !== opts.workflows) state.failed = true;
  return result;
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  state.keep = opts.keep;
  state.json = opts.json;
  state.pgFast = opts.pgFast;
  for (const bin of opts.address ? [] : ['tern', 'tern-server']) {
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
      state.failed = true;
      state.keep = false;
      cleanup().finally(() => process.exit(code));
    });
  }

  const machine = proc.machine();
  state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-bench-'));
  fs.chmodSync(state.dir, 0o755); // the postgres user must reach its data dir inside
  const taskQueue = `bench-${process.pid}-${Date.now().toString(36)}`;
  if (opts.address) return runExternal(opts, taskQueue, machine);

  log(opts, `starting PostgreSQL (${opts.pgFast ? 'fsync OFF' : 'durable'}) in ${state.dir}`);
  const pgPort = await startPostgres(opts);
  const pgPid = postmasterPid();
  await setupStatements(pgPort);
  const settings = Object.fromEntries(
    await psql(pgPort, 'postgres', `SELECT name, setting FROM pg_settings WHERE name IN
      ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_sync_method',
       'max_connections', 'server_version')`),
  );
  log(opts, 'starting tern-server');
  const server = await startServer(opts, pgPort);
  let workerAddress = server.address;
  if (opts.historyBytes) {
    log(opts, 'starting the history-counting proxy for the worker');
    workerAddress = await startProxy(server.address);
  }
  const worker = await startWorker(opts, workerAddress, taskQueue);

  const { Client, Connection } = require('@temporalio/client');
  state.connection = await Connection.connect(sdkConnectionOptions(server.address));
  const client = new Client({ connection: state.connection, namespace: opts.namespace });
  await warmUp(client, taskQueue, opts);

  log(opts, `letting statistics settle, then measuring the idle background for ${IDLE_WINDOW_MS / 1000}s`);
  await sleep(STATS_SETTLE_MS);
  const idleStatementsFrom = await resetStatements(pgPort);
  const idleDb0 = await dbSnapshot(pgPort);
  const idleCpu0 = cpuSnapshot(pgPid);
  await sleep(IDLE_WINDOW_MS);
  const idleStatements = await statementSnapshot(pgPort);
  const idleStatementSeconds = (idleStatements.at - idleStatementsFrom) / 1000;
  const statementsFrom = await resetStatements(pgPort); // pg_stat_statements needs no settling
  const tables0 = await tableSnapshot(pgPort);
  const db0 = await dbSnapshot(pgPort);
  const cpu0 = cpuSnapshot(pgPid);
  const idleCpu = cpuDelta(idleCpu0, cpu0);
  const idleSeconds = (db0.at - idleDb0.at) / 1000;
  const idleXactPerSec = (db0.xactCommit - idleDb0.xactCommit) / idleSeconds;
  const history0 = state.proxy && (await proxyStats());

  log(opts, `measuring: ${opts.workflows} workflows, ${opts.concurrency} in flight`);
  const loadBefore = os.loadavg();
  const scraper = server.ports.metrics && (await scrapeEvery(`http://127.0.0.1:${server.ports.metrics}/metrics`, SCRAPE_INTERVAL_MS));
  const run = await drive(client, taskQueue, `${taskQueue}-run`, opts.workflows, opts);
  const cpu1 = cpuSnapshot(pgPid);
  const expositions = scraper && (await scraper.stop()); // the last scrape, outside the CPU window
  const scrapes = expositions ? expositions.scrapes : 0;
  const history1 = state.proxy && (await proxyStats());
  const loadAfter = os.loadavg();
  const serverAlive = !state.server.exitInfo;

  log(opts, 'letting statistics settle');
  await sleep(STATS_SETTLE_MS);
  const db1 = await dbSnapshot(pgPort);
  const statements1 = await statementSnapshot(pgPort);
  const tables1 = await tableSnapshot(pgPort);

  const n = opts.workflows;
  const cpu = cpuDelta(cpu0, cpu1);
  const dbWindowSeconds = (db1.at - db0.at) / 1000;
  const dbDelta = Object.fromEntries(Object.keys(db0).filter((k) => k !== 'at').map((k) => [k, db1[k] - db0[k]]));
  const tables = {};
  for (const [t, after] of Object.entries(tables1)) {
    const before = tables0[t] ?? { ins: 0, upd: 0, del: 0 };
    const d = { ins: after.ins - before.ins, upd: after.upd - before.upd, del: after.del - before.del };
    if (d.ins || d.upd || d.del) {
      tables[t] = { insPerWf: round(d.ins / n, 2), updPerWf: round(d.upd / n, 2), delPerWf: round(d.del / n, 2) };
    }
  }
  // A state transition is one write of the execution row (insert at start, update after).
  const ex = tables.executions;
  const transitionsPerWf = ex ? ex.insPerWf + ex.updPerWf : NaN;
  const unit = opts.scenario.unit(opts);
  const units = n * unit.perWorkflow;
  // The measured processes (the proxy only when it runs).
  const processes = ['server', 'postgres', 'worker', ...(state.proxy ? ['proxy'] : []), 'client', 'other', 'machineBusy'];
  const summary = summarizeRun(run, n, unit);
  const result = {
    mode: 'local', // the bench started PostgreSQL and tern-server (external mode: lib/external.js)
    tern: { repoHead: gitInfo(), server: binaryInfo() },
    machine: { ...machine, loadavgBeforePhase: loadBefore.map((x) => round(x)), loadavgAfterPhase: loadAfter.map((x) => round(x)) },
    config: {
      ...workloadConfig(opts),
      historyProxy: opts.historyBytes,
      metrics: opts.metrics ? `on (scraped every ${SCRAPE_INTERVAL_MS / 1000} s: ${scrapes} scrapes)` : 'off',
      shards: opts.shards,
      partitions: opts.partitions,
      maxConns: opts.maxConns,
      serverLogLevel: opts.logLevel,
      durability: opts.pgFast ? 'NOT DURABLE (fsync=off, synchronous_commit=off, full_page_writes=off)' : 'durable (PostgreSQL defaults: fsync=on, synchronous_commit=on)',
      postgres: settings,
    },
    ...summary,
    cpu: {
      ...cpuFigures(cpu, processes, n, units),
      // Thread hand-offs inside tern-server: a count that drifts far less than CPU time.
      serverContextSwitchesPerWorkflow: round(cpu.serverSwitches / n, 1),
    },
    memory: {
      serverPeakRssMiB: round(proc.statusKb(state.server.pid, 'VmHWM') / 1024, 1),
      serverRssMiB: round(proc.statusKb(state.server.pid, 'VmRSS') / 1024, 1),
      serverThreads: readThreads(state.server.pid),
      workerPeakRssMiB: round(proc.statusKb(state.worker.pid, 'VmHWM') / 1024, 1),
    },
    ...(state.proxy ? { history: historySummary(history0, history1, n) } : {}),
    db: {
      windowSeconds: round(dbWindowSeconds, 1),
      xactCommitInWindow: dbDelta.xactCommit,
      xactPerWorkflow: round(dbDelta.xactCommit / n, 2),
      xactPerWorkflowIdleCorrected: round((dbDelta.xactCommit - idleXactPerSec * dbWindowSeconds) / n, 2),
      xactRollbackPerWorkflow: round(dbDelta.xactRollback / n, 3),
      rowsInsertedPerWorkflow: round(dbDelta.tupInserted / n, 2),
      rowsUpdatedPerWorkflow: round(dbDelta.tupUpdated / n, 2),
      rowsDeletedPerWorkflow: round(dbDelta.tupDeleted / n, 2),
      walBytesPerWorkflow: Math.round(dbDelta.walLsn / n),
      walSyncsPerWorkflow: round(dbDelta.walSync / n, 2),
      stateTransitionsPerWorkflow: round(transitionsPerWf, 2),
      stateTransitionsPerSecond: round((transitionsPerWf * summary.completed) / (run.wallMs / 1000), 1),
      backlogTasksPerWorkflow: tables.tasks ? tables.tasks.insPerWf : 0,
      tables,
      statements: statementSummary(idleStatements, idleStatementSeconds, statements1, statementsFrom, n),
    },
    rpcs: rpcSummary(expositions, n),
    idle: {
      seconds: round(idleSeconds, 1),
      dbXactPerSecond: round(idleXactPerSec, 1),
      dbStatementsPerSecond: round(idleStatements.statements.reduce((t, s) => t + s.calls, 0) / idleStatementSeconds, 1),
      serverCpuPercentOfOneCore: round((100 * idleCpu.server) / idleCpu.seconds, 1),
      postgresCpuPercentOfOneCore: round((100 * idleCpu.postgres) / idleCpu.seconds, 1),
      workerCpuPercentOfOneCore: round((100 * idleCpu.worker) / idleCpu.seconds, 1),
    },
    serverLog: scanServerLog(server.logFile),
    serverAlive,
  };
  if (opts.keep) {
    result.kept = {
      address: server.address,
      namespace: opts.namespace,
      taskQueue,
      serverPid: state.server.pid,
      config: server.config,
      serverLog: server.logFile,
      workerLog: worker.logFile,
      pgPort,
      pgDataDir: state.pgDir,
      stop: `kill ${state.server.pid}; bash -c 'source ${PG_SH} && pg_stop ${state.pgDir}'; rm -rf ${state.dir}`,
    };
  }
  if (run.errors.length > 0 || !serverAlive) state.failed = true;
  return result;
}

// History the server sent in workflow tasks during the phase, from two proxy snapshots.
function historySummary(before, after, n) {
  const d = (f) => f(after) - f(before);
  const bucket = (kind) => {
    const field = (name) => d((s) => s.workflowTasks[kind][name]);
    const tasks = field('tasks');
    const perTask = (name, digits = 0) => (tasks ? round(field(name) / tasks, digits) : 0);
    return {
      tasks,
      historyBytes: field('historyBytes'),
      bytesPerTask: perTask('historyBytes'),
      eventsPerTask: perTask('events', 1),
      responseBytesPerTask: perTask('responseBytes'),
    };
  };
  const normal = bucket('normal');
  const sticky = bucket('sticky');
  const tasks = normal.tasks + sticky.tasks;
  const bytes = normal.historyBytes + sticky.historyBytes;
  const calls = {};
  for (const [m, c] of Object.entries(after.calls)) {
    if (c - (before.calls[m] || 0) > 0) calls[m] = c - (before.calls[m] || 0);
  }
  return {
    workflowTasks: tasks,
    workflowTasksPerWorkflow: round(tasks / n, 2),
    bytesPerTask: tasks ? Math.round(bytes / tasks) : 0,
    bytesPerWorkflow: Math.round(bytes / n),
    normal,
    sticky,
    emptyPolls: d((s) => s.emptyPolls),
    // Full histories the worker fetched itself (after a cache miss on a sticky task).
    getHistory: { calls: d((s) => s.getHistory.calls), historyBytes: d((s) => s.getHistory.historyBytes) },
    workerCalls: calls,
    decodeErrors: d((s) => s.decodeErrors), // responses the proxy could not parse (not counted)
  };
}

function readThreads(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Threads:\s+(\d+)/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function printHistory(h, row) {
  const kind = (b) => `${b.tasks} tasks, ${b.bytesPerTask} bytes (${b.eventsPerTask} events) / task`;
  row('history in workflow tasks', `${h.bytesPerTask} bytes / task, ${h.bytesPerWorkflow} bytes / workflow, ` +
    `${h.workflowTasksPerWorkflow} tasks / workflow`);
  row('  normal queue (full history)', kind(h.normal));
  row('  sticky queue (new events)', kind(h.sticky));
  row('  worker fetched histories', `${h.getHistory.calls} GetWorkflowExecutionHistory calls, ${h.getHistory.historyBytes} bytes; ` +
    `${h.emptyPolls} empty polls${h.decodeErrors ? `; ${h.decodeErrors} responses NOT parsed, figures incomplete` : ''}`);
}

// A right-aligned column; numbers with a fixed number of digits so that they line up.
const column = (x, width, digits) => (typeof x === 'number' ? x.toFixed(digits) : String(x)).padStart(width);

function printStatements(s, idlePerSecond, row, L) {
  const tc = s.transactionControlIdleCorrected;
  const share = Math.round((100 * s.transactionControlPerWorkflowIdleCorrected) / s.perWorkflowIdleCorrected);
  row('PostgreSQL statements / workflow', `${s.perWorkflow} (${s.callsInWindow} in ${s.windowSeconds} s, ${s.distinct} distinct); ` +
    `minus idle background (${idlePerSecond}/s): ${s.perWorkflowIdleCorrected}`);
  row('  of which BEGIN/COMMIT/ROLLBACK', `${s.transactionControlPerWorkflow}; minus idle background: ` +
    `${s.transactionControlPerWorkflowIdleCorrected} (${share}%: BEGIN ${tc.BEGIN}, COMMIT ${tc.COMMIT}, ROLLBACK ${tc.ROLLBACK})`);
  L.push(`    ${column('calls/wf', 8)}  ${column('rows/call', 9)}  ${column('mean ms', 8)}  top ${s.top.length} statements (calls minus idle background)`);
  for (const t of s.top) {
    L.push(`    ${column(t.callsPerWorkflowIdleCorrected, 8, 2)}  ${column(t.rowsPerCall, 9, 2)}  ${column(t.meanMs, 8, 3)}  ${t.query}`);
  }
}

function printRpcs(rpcs, row, L) {
  if (rpcs.skipped) {
    row('Tern RPCs / workflow', `not measured (${rpcs.skipped})`);
    return;
  }
  const calls = (label, source, x) => {
    if (x.missing) {
      row(label, `not measured (${x.missing})`);
      return;
    }
    row(label, `${x.perWorkflow} (${x.calls} calls, ${source})`);
    for (const [op, v] of Object.entries(x.byOperation)) L.push(`    ${column(v, 8, 2)}  ${op}`);
  };
  calls('internal RPCs / workflow', 'client_requests', rpcs.internal);
  calls('external RPCs / workflow', 'frontend service_requests', rpcs.external);
}

function printTable(r) {
  const c = r.config;
  const L = [];
  const row = (k, v) => L.push(`  ${k.padEnd(34)} ${v}`);
  L.push(`Tern benchmark ${c.scenario}: ${c.workflows} workflows, each ${c.workflowDoes}, ${c.concurrency} in flight, ` +
    `${c.shards} shards, ${c.partitions} partitions, ${c.workerSlots} worker slots, warm-up ${c.warmup}, metrics ${c.metrics}` +
    `${c.historyProxy ? ', worker behind the history proxy' : ''}${c.workerMaxCachedWorkflows === 0 ? ', worker NOT sticky (no cache)' : ''}`);
  L.push(`  tern-server ${r.tern.server.path} (built ${r.tern.server.mtime}, sha256 ${r.tern.server.sha256}); repo HEAD ${r.tern.repoHead}`);
  L.push(`  PostgreSQL ${c.postgres.server_version}: ${c.durability}`);
  machineLines(r, L);
  L.push('');
  workloadRows(r, row);
  row('tern-server memory', `peak RSS ${r.memory.serverPeakRssMiB} MiB (VmHWM), ${r.memory.serverThreads} threads; worker peak RSS ${r.memory.workerPeakRssMiB} MiB`);
  row('tern-server context switches / wf', `${r.cpu.serverContextSwitchesPerWorkflow} (voluntary + involuntary, all threads, over the phase)`);
  const d = r.db;
  row('PostgreSQL transactions / workflow', `${d.xactPerWorkflow} (${d.xactCommitInWindow} commits in ${d.windowSeconds} s); minus idle background: ${d.xactPerWorkflowIdleCorrected}; rollbacks ${d.xactRollbackPerWorkflow}`);
  row('rows / workflow', `inserted ${d.rowsInsertedPerWorkflow}  updated ${d.rowsUpdatedPerWorkflow}  deleted ${d.rowsDeletedPerWorkflow}`);
  row('state transitions', `${d.stateTransitionsPerWorkflow} / workflow (execution row writes), ${d.stateTransitionsPerSecond} / s`);
  row('matching tasks via backlog / wf', `${d.backlogTasksPerWorkflow}${c.matchingTasks ? ` (of ${c.matchingTasks}; the rest sync-matched)` : ''}`);
  row('WAL / workflow', `${d.walBytesPerWorkflow} bytes, ${d.walSyncsPerWorkflow} WAL syncs`);
  const tables = Object.entries(d.tables).map(([t, v]) => `${t} +${v.insPerWf}/~${v.updPerWf}/-${v.delPerWf}`);
  row('per table (ins/upd/del per wf)', tables.join(', ') || '(none)');
  printStatements(d.statements, r.idle.dbStatementsPerSecond, row, L);
  printRpcs(r.rpcs, row, L);
  if (r.history) printHistory(r.history, row);
  row('idle background', `${r.idle.dbXactPerSecond} DB xact/s; CPU % of one core: tern-server ${r.idle.serverCpuPercentOfOneCore}, postgres ${r.idle.postgresCpuPercentOfOneCore}, worker ${r.idle.workerCpuPercentOfOneCore}`);
  const lc = Object.entries(r.serverLog.counts).map(([lvl, n]) => `${lvl} ${n}`).join(', ');
  row('server log lines', lc || '(none)');
  for (const s of r.serverLog.topMessages) L.push(`    ${String(s.n).padStart(6)} x ${s.msg}`);
  errorLines(r, L);
  if (!r.serverAlive) L.push('  tern-server EXITED during the run');
  if (r.kept) {
    L.push('');
    L.push(`  kept running: frontend ${r.kept.address} (namespace ${r.kept.namespace}), tern-server pid ${r.kept.serverPid}, PostgreSQL 127.0.0.1:${r.kept.pgPort}`);
    L.push(`  config ${r.kept.config}; log ${r.kept.serverLog}`);
    L.push(`  stop with: ${r.kept.stop}`);
  }
  console.log(L.join('\n'));
}

main()
  .then(async (result) => {
    await cleanup();
    if (state.json) console.log(JSON.stringify(result, null, 2));
    else if (result.mode === 'external') external.printTable(result);
    else printTable(result);
    process.exit(state.failed ? 1 : 0);
  })
  .catch(async (err) => {
    if (err.usage || String(err.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`bench: ${err.message} (bench/run --help)`);
      process.exit(2);
    }
    // A stack adds nothing to a message about the target (an unknown namespace, no connection).
    console.error(`bench: ${err.target ? err.message : err.stack || err}`);
    state.failed = true;
    if (state.keep && state.server && !state.server.exitInfo) {
      console.error(`bench: --keep: tern-server (pid ${state.server.pid}) and PostgreSQL stay up; ` +
        `config and logs in ${state.dir}; stop with: kill ${state.server.pid}; ` +
        `bash -c 'source ${PG_SH} && pg_stop ${state.pgDir}'`);
    } else {
      state.keep = false;
    }
    await cleanup().catch((e) => console.error(`bench: cleanup: ${e.message}`));
    process.exit(1);
  });
