'use strict';
// Tern end-to-end benchmark. Run through bench/run (which sets NODE_PATH to the SDK's
// node_modules); `bench/run --help` lists the options, bench/README.md explains the figures.
//
// Phases: start PostgreSQL + tern-server + an SDK worker process (and, with --history-bytes, a
// counting gRPC proxy in front of the server for the worker); warm up; let the database
// statistics settle and measure the idle background; run the measured workflows of the chosen
// scenario (lib/scenarios.js, driven by lib/workload.js); let the statistics settle again;
// report; stop everything (unless --keep). With --address (lib/external.js) only the worker is
// started, against a running frontend, and only what a client observes is reported. With
// --callgrind (lib/callgrind.js) tern-server runs under valgrind, which counts its instructions.
// lib/stack.js starts and stops the processes.

const fs = require('node:fs');
const os = require('node:os');
const { performance } = require('node:perf_hooks');

const callgrind = require('./callgrind');
const { sdkConnectionOptions } = require('./connection');
const external = require('./external');
const { parseOptions } = require('./options');
const proc = require('./proc');
const {
  DATABASE, PG_SH, TERN_DB_USER, binaryInfo, finish, forkHelper, gitInfo, launchServer, postmasterPid, prepare,
  psql, setupServer, sleep, startPostgres, startWorker, state, waitReady, withTimeout, workerSettings,
} = require('./stack');
const {
  cpuFigures, drive, errorLines, log, machineLines, round, shorten, summarizeRun, warmUp, workerTitle, workloadConfig,
  workloadRows,
} = require('./workload');

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

// ---------------------------------------------------------------------------------------------
// The server and the helpers.

const READY_TIMEOUT_MS = 90_000;

// tern-server (under callgrind with `recorder`) with the config and schema setupServer makes; only
// the frontend serves /metrics, and every metric of the process is there.
async function startServer(opts, pgPort, recorder) {
  // Under callgrind a thread may wait long for its turn: a longer heartbeat age keeps the
  // membership from dropping the process meanwhile.
  const { config, ports, address } = await setupServer(opts, pgPort, opts.metrics ? ['frontend'] : [],
    recorder ? '60s' : undefined);
  state.server = launchServer('tern-server', 'tern-server', ['--config', config], recorder
    ? { prefix: recorder.prefix(), stopTimeoutMs: callgrind.STOP_TIMEOUT_MS } : {});
  recorder?.started(state.server.pid);
  await waitReady([state.server], ports, opts.namespace, recorder ? callgrind.READY_TIMEOUT_MS : READY_TIMEOUT_MS);
  return { address, config, logFile: state.server.logFile, ports };
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

// CPU of every process the bench started, its own and the machine's (proc.cpuUsage), and
// tern-server's context switches and time in the kernel.
function cpuSnapshot(pgPid) {
  const pids = { server: state.server.pid, worker: state.worker.pid, client: process.pid };
  if (state.proxy) pids.proxy = state.proxy.pid;
  return {
    ...proc.cpuSample(pids),
    postgres: proc.treeCpu(pgPid),
    serverThreads: proc.threadGroups(state.server.pid),
    serverKernelSeconds: proc.procStat(state.server.pid).stime / proc.clockTicks(),
  };
}

function cpuDelta(a, b) {
  const postgres = proc.treeCpuDelta(a.postgres, b.postgres);
  return {
    ...proc.cpuUsage(a, b, { postgres }),
    serverThreads: proc.threadGroupsDelta(a.serverThreads, b.serverThreads),
    serverKernelSeconds: b.serverKernelSeconds - a.serverKernelSeconds,
  };
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

// The client that drives the workflows. With --eager-start it shares a NativeConnection with a
// worker of its own process, as eager start requires: the server hands each start's first
// workflow task to that worker in the start's response, and the workflow's later tasks follow it
// (sticky queue, eager activities), so the client process then does the worker's work too.
async function connectClient(opts, address, taskQueue) {
  const { Client, Connection } = require('@temporalio/client');
  if (!opts.eagerStart) {
    state.connection = await Connection.connect(sdkConnectionOptions(address));
    return new Client({ connection: state.connection, namespace: opts.namespace });
  }
  log(opts, 'starting an SDK worker in the client process (eager start)');
  const { DefaultLogger, NativeConnection, Runtime } = require('@temporalio/worker');
  const { createBenchWorker } = require('./worker');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  state.connection = await NativeConnection.connect(sdkConnectionOptions(address));
  const local = await createBenchWorker(state.connection, workerSettings(opts, taskQueue));
  state.localWorker = { worker: local, running: local.run() };
  return new Client({ connection: state.connection, namespace: opts.namespace });
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  prepare(opts, opts.address ? [] : ['tern', 'tern-server']);
  const machine = proc.machine();
  const taskQueue = `bench-${process.pid}-${Date.now().toString(36)}`;
  if (opts.address) return runExternal(opts, taskQueue, machine);

  const valgrind = opts.callgrind ? await callgrind.check() : undefined;
  log(opts, `starting PostgreSQL (${opts.pgFast ? 'fsync OFF' : 'durable'}) in ${state.dir}`);
  const pgPort = await startPostgres(opts);
  const pgPid = postmasterPid();
  const settings = Object.fromEntries(
    await psql(pgPort, 'postgres', `SELECT name, setting FROM pg_settings WHERE name IN
      ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_sync_method',
       'max_connections', 'server_version')`),
  );
  const recorder = opts.callgrind ? new callgrind.Recorder(state.dir) : undefined;
  log(opts, `starting tern-server${recorder ? ' under callgrind (slow)' : ''}`);
  const server = await startServer(opts, pgPort, recorder);
  let workerAddress = server.address;
  if (opts.historyBytes) {
    log(opts, 'starting the history-counting proxy for the worker');
    workerAddress = await startProxy(server.address);
  }
  const worker = await startWorker(opts, workerAddress, taskQueue);
  const client = await connectClient(opts, server.address, taskQueue);
  await warmUp(client, taskQueue, opts);
  await recorder?.dump('startup');

  log(opts, `letting statistics settle, then measuring the idle background for ${IDLE_WINDOW_MS / 1000}s`);
  await sleep(STATS_SETTLE_MS);
  await recorder?.dump('settle');
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
  const metricsPort = server.ports.metrics.frontend;
  const scraper = metricsPort && (await scrapeEvery(`http://127.0.0.1:${metricsPort}/metrics`, SCRAPE_INTERVAL_MS));
  await recorder?.dump('idle');
  const run = await drive(client, taskQueue, `${taskQueue}-run`, opts.workflows, opts);
  await recorder?.dump('phase');
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
      frontendTransport: opts.frontendTransport ?? 'default',
      serverLogLevel: opts.logLevel,
      callgrind: opts.callgrind,
      durability: opts.pgFast ? 'NOT DURABLE (fsync=off, synchronous_commit=off, full_page_writes=off)' : 'durable (PostgreSQL defaults: fsync=on, synchronous_commit=on)',
      postgres: settings,
    },
    ...summary,
    ...(recorder ? {
      callgrind: await callgrind.summary(recorder, n, units, valgrind, opts.keep),
      notComparable: callgrind.NOT_COMPARABLE,
    } : {}),
    cpu: {
      ...cpuFigures(cpu, processes, n, units),
      // Thread hand-offs inside tern-server: a count that drifts far less than CPU time.
      serverContextSwitchesPerWorkflow: round(cpu.serverThreads.switches / n, 1),
      // The same and tern-server's CPU by thread group (blocking, nexting_thread, timers, ...),
      // the busiest first: where the hand-offs and the time are.
      serverThreadGroupsPerWorkflow: Object.entries(cpu.serverThreads.groups)
        .map(([group, g]) => ({ group, cpuMs: round((1000 * g.seconds) / n, 2), switches: round(g.switches / n, 1) }))
        .sort((x, y) => y.cpuMs - x.cpuMs || y.switches - x.switches),
      // Of tern-server's CPU, the share spent in the kernel (system calls, scheduling).
      serverKernelPercent: round((100 * cpu.serverKernelSeconds) / cpu.server, 1),
    },
    memory: {
      serverPeakRssMiB: round(proc.statusKb(state.server.pid, 'VmHWM') / 1024, 1),
      serverRssMiB: round(proc.statusKb(state.server.pid, 'VmRSS') / 1024, 1),
      serverThreads: proc.threads(state.server.pid),
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
    `${c.historyProxy ? ', worker behind the history proxy' : ''}${workerTitle(c)}`);
  L.push(`  tern-server ${r.tern.server.path} (built ${r.tern.server.mtime}, sha256 ${r.tern.server.sha256}); repo HEAD ${r.tern.repoHead}`);
  L.push(`  PostgreSQL ${c.postgres.server_version}: ${c.durability}`);
  machineLines(r, L);
  L.push('');
  if (r.callgrind) {
    callgrind.rows(r.callgrind, r.unit, row, L);
    L.push(`  NOT COMPARABLE with runs without --callgrind: ${r.notComparable.figures.join(', ')} (${r.notComparable.reason})`);
  }
  workloadRows(r, row);
  row('tern-server memory', `peak RSS ${r.memory.serverPeakRssMiB} MiB (VmHWM), ${r.memory.serverThreads} threads; worker peak RSS ${r.memory.workerPeakRssMiB} MiB`);
  row('tern-server context switches / wf', `${r.cpu.serverContextSwitchesPerWorkflow} (voluntary + involuntary, all threads, over the phase)`);
  const busiest = r.cpu.serverThreadGroupsPerWorkflow.filter((g) => g.cpuMs > 0 || g.switches > 0).slice(0, 6);
  row('  by thread group (CPU-ms, sw)', busiest.map((g) => `${g.group} ${g.cpuMs}, ${g.switches}`).join('; '));
  row('tern-server CPU in the kernel', `${r.cpu.serverKernelPercent}% (system time: system calls, scheduling)`);
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

finish('bench/run', main(), (result) => (result.mode === 'external' ? external.printTable(result) : printTable(result)), () => {
  if (state.keep && state.server && !state.server.exitInfo) {
    console.error(`bench: --keep: tern-server (pid ${state.server.pid}) and PostgreSQL stay up; ` +
      `config and logs in ${state.dir}; stop with: kill ${state.server.pid}; ` +
      `bash -c 'source ${PG_SH} && pg_stop ${state.pgDir}'`);
  } else {
    state.keep = false;
  }
});
