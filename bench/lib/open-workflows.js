'use strict';
// bench/open-workflows: Tern with a huge number of open workflows, each waiting on a durable timer
// hours away. It starts a private PostgreSQL (durable unless --pg-fast) and tern-server, starts N
// workflows with a start delay (each run is then Running, with one row in timer_tasks, and needs
// no worker) from client processes (lib/starter.js), and reports the start rate, the start call
// latency, tern-server's memory and CPU and the database's size along the way. Then it restarts
// tern-server and reports how long it takes to answer and what it holds resident with all those
// timers pending; then starts K workflows due shortly, restarts tern-server before they are due
// and reports how late their first workflow task was scheduled. `bench/open-workflows --help`
// lists the options, bench/README.md explains the figures. lib/stack.js starts and stops the
// processes.

const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { parseCommandLine, usageError } = require('./options');
const proc = require('./proc');
const {
  DATABASE, binaryInfo, finish, forkHelper, gitInfo, launchServer, postmasterPid, prepare, psql, setupServer,
  sleep, startPostgres, state, stopServers, waitReady,
} = require('./stack');
const { log, machineLines, round } = require('./workload');

const USAGE = `Usage: bench/open-workflows [options]

Starts a private PostgreSQL and tern-server (all four services), starts N workflows that each wait
on a start delay hours away (open, Running, one durable timer each, no worker needed), and
reports the start rate and latency, tern-server's memory and CPU and the database's size at each
10 % of the run; then restarts tern-server (time to answer, memory right after and later, a start
still works); then starts K workflows due shortly, restarts tern-server before they are due and
reports how late their first workflow tasks were scheduled.

  --workflows N         open workflows to start (default 1000000)
  --concurrency C       start calls in flight, over all client processes (default 100)
  --clients P           client processes making the start calls (default 2)
  --delay DUR           their start delay (default 6h; DUR: 90s, 30m, 6h or seconds)
  --fire-sample K       workflows of the timer-firing check after a restart (default 1000; 0 skips it)
  --fire-delay DUR      their start delay, past the restart (default 30s)
  --fire-timeout DUR    how long after the last one is due they may take to fire (default 5m)
  --settle DUR          after a restart, when to read tern-server's memory again (default 30s)
  --sample-every DUR    tern-server memory and CPU sampling interval (default 5s)
  --pg-fast             PostgreSQL with fsync, synchronous_commit, full_page_writes off (NOT DURABLE)
  --shards N            numHistoryShards (default 4)
  --max-conns N         tern-server's PostgreSQL pool (default 16)
  --log-level L         tern-server's log level (default info)
  --json                print one JSON object instead of the table
  -h, --help

Env: TERN_BIN_DIR (default build/bin), PG_BIN (default newest /usr/lib/postgresql/*/bin),
BENCH_VERBOSE=1 (progress also with --json), BENCH_STOP_TIMEOUT_MS (SIGTERM grace, 30000).`;

const READY_TIMEOUT_MS = 180_000;
const WORKFLOW_TYPE = 'open-workflows-waiter'; // no worker polls for it
const VERIFY_CONCURRENCY = 50; // DescribeWorkflowExecution / history reads in flight

// "90s", "30m", "6h", "250ms" or plain seconds, in milliseconds.
function durationMs(name, text) {
  const m = String(text).match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!m) throw usageError(`--${name} must be a duration such as 90s, 30m, 6h or a number of seconds`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] || 's']);
}

function parseOptions(argv) {
  const string = (def) => ({ type: 'string', default: def });
  const { values, int } = parseCommandLine(argv, {
    workflows: string('1000000'),
    concurrency: string('100'),
    clients: string('2'),
    delay: string('6h'),
    'fire-sample': string('1000'),
    'fire-delay': string('30s'),
    'fire-timeout': string('5m'),
    settle: string('30s'),
    'sample-every': string('5s'),
    'pg-fast': { type: 'boolean', default: false },
    shards: string('4'),
    'max-conns': string('16'),
    'log-level': string('info'),
  }, USAGE);
  const opts = {
    workflows: int('workflows', 1),
    concurrency: int('concurrency', 1),
    clients: int('clients', 1),
    delayMs: durationMs('delay', values.delay),
    fireSample: int('fire-sample', 0),
    fireDelayMs: durationMs('fire-delay', values['fire-delay']),
    fireTimeoutMs: durationMs('fire-timeout', values['fire-timeout']),
    settleMs: durationMs('settle', values.settle),
    sampleEveryMs: durationMs('sample-every', values['sample-every']),
    pgFast: values['pg-fast'],
    shards: int('shards', 1),
    maxConns: int('max-conns', 1),
    logLevel: values['log-level'],
    json: values.json,
    namespace: 'default',
    partitions: 4, // matching.numTaskqueuePartitions in the config (bench/run's default)
  };
  if (opts.delayMs < 60_000) throw usageError('--delay must be at least 60s: the open workflows must not fire during the run');
  if (opts.fireDelayMs < 1000) throw usageError('--fire-delay must be at least 1s');
  if (opts.sampleEveryMs < 100) throw usageError('--sample-every must be at least 100ms');
  if (opts.clients > opts.concurrency) throw usageError('--clients must not exceed --concurrency');
  if ((opts.shards & (opts.shards - 1)) !== 0) throw usageError('--shards must be a power of two');
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

// p50, p99 and max of a list of milliseconds (sorted in place), or undefined if empty.
function p50p99(values, digits = 1) {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  return {
    p50: round(percentile(values, 50), digits), p99: round(percentile(values, 99), digits),
    max: round(values[values.length - 1], digits),
  };
}

const loadavg = () => os.loadavg().map((x) => round(x));

// Runs fn(item) for every item, at most `limit` at once; returns the results in order.
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const loop = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, loop));
  return results;
}

const timestampMs = (t) => (t ? Number(t.seconds) * 1000 + (t.nanos || 0) / 1e6 : NaN);
const durationProtoMs = (d) => (d ? Number(d.seconds || 0) * 1000 + (d.nanos || 0) / 1e6 : 0);

// ---------------------------------------------------------------------------------------------
// The server and the client processes.

// tern-server with `config`; resolves once it answers (health of every service port, the
// namespace, DescribeNamespace through the SDK), with the time that took.
async function startServer(opts, setup) {
  const t0 = performance.now();
  const server = launchServer('tern-server', 'tern-server', ['--config', setup.config]);
  state.server = server;
  await waitReady([server], setup.ports, opts.namespace, READY_TIMEOUT_MS);
  return { server, readyMs: performance.now() - t0 };
}

// SIGTERM, then the time until it exited (SIGKILL after BENCH_STOP_TIMEOUT_MS).
async function stopServer(server) {
  const t0 = performance.now();
  await stopServers();
  return { stopMs: round(performance.now() - t0, 0), exit: server.exitInfo };
}

// The client processes, each with its own connection; jobs() hands out work to them.
class Starters {
  constructor(children) {
    this.children = children;
    this.jobs = 0;
  }

  static async fork(opts, address, count) {
    const taskQueue = `open-workflows-${process.pid}`;
    const children = [];
    for (let i = 0; i < count; i++) {
      await forkHelper(undefined, 'starter', `client process ${i}`, {
        BENCH_ADDRESS: address, BENCH_NAMESPACE: opts.namespace, BENCH_PREFIX: 'open', BENCH_TASK_QUEUE: taskQueue,
        BENCH_WORKFLOW_TYPE: WORKFLOW_TYPE,
      }, 60_000, `starter-${i}`);
      children.push(state.helpers[state.helpers.length - 1]);
    }
    return new Starters(children);
  }

  // Starts `open-${i}` for i in [from, from + count) with `delayMs`, `concurrency` calls in flight
  // split over the processes; onProgress(latencies, errors) as they report. Resolves when all are
  // done, to the number not started (a process gave up after too many errors); fails if
  // tern-server exits meanwhile.
  run(from, count, concurrency, delayMs, onProgress) {
    const job = ++this.jobs;
    const p = this.children.length;
    const shares = this.children.map((_, i) => Math.floor(count / p) + (i < count % p ? 1 : 0));
    let at = from;
    const done = this.children.map((child, i) => {
      const ids = [at, at + shares[i]];
      at += shares[i];
      if (shares[i] === 0) return Promise.resolve(0);
      return new Promise((resolve, reject) => {
        const onMessage = (msg) => {
          if (msg?.job !== job) return;
          if (msg.type === 'progress') onProgress(msg.latencies, msg.errors);
          if (msg.type === 'done') {
            child.off('message', onMessage);
            resolve(msg.notStarted);
          }
        };
        child.on('message', onMessage);
        child.exited.then((info) => reject(new Error(`${child.what} exited (${JSON.stringify(info)}); log: ${child.logFile}`)));
        const share = Math.max(1, Math.round((concurrency * shares[i]) / count));
        child.send({ type: 'start', job, ids, concurrency: share, delayMs });
      });
    });
    const serverExit = state.server.exited.then((info) => {
      throw new Error(`tern-server exited while workflows were being started (${JSON.stringify(info)}); log: ${state.server.logFile}`);
    });
    return Promise.race([Promise.all(done), serverExit]).then((left) => left.reduce((a, b) => a + b, 0));
  }

  pids() {
    return Object.fromEntries(this.children.map((c, i) => [`client${i}`, c.pid]));
  }
}

// ---------------------------------------------------------------------------------------------
// The database.

async function dbFigures(pgPort) {
  const tables = ['executions', 'current_executions', 'timer_tasks', 'transfer_tasks', 'history_node', 'executions_visibility'];
  const [row] = await psql(pgPort, DATABASE, `SELECT pg_database_size(current_database()),
    ${tables.map((t) => `(SELECT count(*) FROM ${t}), pg_total_relation_size('${t}')`).join(', ')},
    (SELECT count(*) FROM timer_tasks WHERE fire_time > now())`);
  const values = row.map(Number);
  return {
    databaseMiB: round(values[0] / 2 ** 20, 1),
    rows: Object.fromEntries(tables.map((t, i) => [t, values[1 + 2 * i]])),
    tableMiB: Object.fromEntries(tables.map((t, i) => [t, round(values[2 + 2 * i] / 2 ** 20, 1)])),
    timerTasksInFuture: values[values.length - 1],
  };
}

const databaseMiB = async (pgPort) =>
  round(Number((await psql(pgPort, DATABASE, 'SELECT pg_database_size(current_database())'))[0][0]) / 2 ** 20, 1);

// ---------------------------------------------------------------------------------------------
// Phase 1: the open workflows.

// Samples tern-server's memory and CPU every opts.sampleEveryMs until stop().
function sampler(opts, server, t0, progress) {
  const samples = [];
  const take = () => {
    const m = proc.memory(server.pid);
    samples.push({
      atSeconds: round((performance.now() - t0) / 1000, 1), started: progress(),
      rssMiB: m.rssMiB, hwmMiB: m.hwmMiB, serverCpuSeconds: round(proc.cpuSeconds(server.pid), 2), load1: round(os.loadavg()[0]),
    });
  };
  take();
  const timer = setInterval(take, opts.sampleEveryMs);
  return { samples, stop: () => { clearInterval(timer); take(); } };
}

async function startOpenWorkflows(opts, starters, server, pgPort, pgPid) {
  const n = opts.workflows;
  const latencies = [];
  const errors = [];
  const checkpoints = []; // at each 10 % of n
  const boundaries = Array.from({ length: 10 }, (_, k) => Math.ceil(((k + 1) * n) / 10));
  const dbReads = [];
  let started = 0;
  let decileLatencies = [];
  const pids = { server: server.pid, ...starters.pids() };
  const cpu0 = { ...proc.cpuSample(pids), postgres: proc.treeCpu(pgPid) };
  const t0 = performance.now();
  let last = { at: t0, started: 0, cpu: cpu0 };
  const checkpoint = () => {
    const cpu = { ...proc.cpuSample(pids), postgres: proc.treeCpu(pgPid) };
    const now = performance.now();
    const count = started - last.started;
    const m = proc.memory(server.pid);
    const point = {
      percent: (checkpoints.length + 1) * 10,
      started,
      atSeconds: round((now - t0) / 1000, 1),
      startsPerSecond: round(count / ((now - last.at) / 1000), 1),
      startCallMs: p50p99(decileLatencies),
      rssMiB: m.rssMiB,
      hwmMiB: m.hwmMiB,
      serverCpuMsPerStart: round((1000 * (cpu.processes.server - last.cpu.processes.server)) / count, 3),
      postgresCpuMsPerStart: round((1000 * proc.treeCpuDelta(last.cpu.postgres, cpu.postgres)) / count, 3),
      loadavg: loadavg(),
    };
    checkpoints.push(point);
    dbReads.push(databaseMiB(pgPort).then((mib) => (point.databaseMiB = mib)));
    log(opts, `${point.percent}%: ${started} started in ${point.atSeconds} s, ${point.startsPerSecond}/s, ` +
      `p50 ${point.startCallMs?.p50} ms, tern-server RSS ${m.rssMiB} MiB, ${point.serverCpuMsPerStart} CPU-ms/start, load ${point.loadavg[0]}`);
    decileLatencies = [];
    last = { at: now, started, cpu };
  };
  const sampling = sampler(opts, server, t0, () => started);
  log(opts, `starting ${n} workflows (start delay ${opts.delayMs / 1000} s), ${opts.concurrency} calls in flight, ${opts.clients} client processes`);
  const notStarted = await starters.run(0, n, opts.concurrency, opts.delayMs, (lats, errs) => {
    for (const ms of lats) {
      latencies.push(ms);
      decileLatencies.push(ms);
      started++;
      while (checkpoints.length < 10 && started >= boundaries[checkpoints.length]) checkpoint();
    }
    for (const e of errs) if (errors.length < 10) errors.push(e);
    if (errs.length) log(opts, `start failed: ${errs[0].workflowId}: ${errs[0].error}`);
  });
  const wallMs = performance.now() - t0;
  sampling.stop();
  if (checkpoints.length < 10 && started > last.started) checkpoint(); // the run stopped early
  const cpu1 = { ...proc.cpuSample(pids), postgres: proc.treeCpu(pgPid) };
  const cpu = proc.cpuUsage(cpu0, cpu1, { postgres: proc.treeCpuDelta(cpu0.postgres, cpu1.postgres) });
  await Promise.all(dbReads);
  const failed = n - started - notStarted;
  const perStart = (sec) => round((1000 * sec) / started, 3);
  const clientNames = Object.keys(starters.pids());
  const clientSeconds = clientNames.reduce((t, k) => t + cpu[k], 0);
  const rssSeries = sampling.samples.map((s) => s.rssMiB);
  return {
    requested: n,
    started,
    failed,
    notStarted,
    wallSeconds: round(wallMs / 1000, 1),
    startsPerSecond: round(started / (wallMs / 1000), 1),
    startCallMs: p50p99(latencies, 2),
    errors,
    checkpoints,
    cpu: {
      serverMsPerStart: perStart(cpu.server),
      postgresMsPerStart: perStart(cpu.postgres),
      clientsMsPerStart: perStart(clientSeconds),
      percentOfOneCore: {
        server: round((100 * cpu.server) / cpu.seconds, 1),
        postgres: round((100 * cpu.postgres) / cpu.seconds, 1),
        ...Object.fromEntries(clientNames.map((k) => [k, round((100 * cpu[k]) / cpu.seconds, 1)])),
        machineBusy: round((100 * cpu.machineBusy) / cpu.seconds, 1),
        machineIowait: round((100 * cpu.machineIowait) / cpu.seconds, 1),
        other: round((100 * cpu.other) / cpu.seconds, 1),
      },
    },
    memory: {
      rssMiBMax: Math.max(...rssSeries),
      samples: sampling.samples,
    },
    loadavgAfter: loadavg(),
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 2: restart with the open workflows pending.

// Starts one more open workflow and reads it back: is tern-server taking starts after a restart?
async function startStillWorks(opts, starters, connection, index) {
  const t0 = performance.now();
  const errors = [];
  await starters.run(index, 1, 1, opts.delayMs, (lats, errs) => errors.push(...errs));
  const callMs = round(performance.now() - t0, 1);
  if (errors.length) return { ok: false, callMs, error: errors[0].error };
  const { workflowExecutionInfo: info } = await connection.workflowService.describeWorkflowExecution({
    namespace: opts.namespace, execution: { workflowId: `open-${index}` },
  });
  const { temporal } = require('@temporalio/proto');
  const status = temporal.api.enums.v1.WorkflowExecutionStatus[info.status];
  return { ok: status === 'WORKFLOW_EXECUTION_STATUS_RUNNING', workflowId: `open-${index}`, callMs, status };
}

async function restart(opts, setup, starters, server) {
  const before = proc.memory(server.pid);
  log(opts, 'restarting tern-server');
  const stop = await stopServer(server);
  const { server: next, readyMs } = await startServer(opts, setup);
  const rightAfter = proc.memory(next.pid);
  const cpu0 = proc.cpuSeconds(next.pid);
  log(opts, `tern-server answers ${round(readyMs / 1000, 2)} s after its start; RSS ${rightAfter.rssMiB} MiB; settling ${opts.settleMs / 1000} s`);
  await sleep(opts.settleMs);
  const settled = proc.memory(next.pid);
  const settleCpuSeconds = proc.cpuSeconds(next.pid) - cpu0;
  const { Connection } = require('@temporalio/client');
  state.connection = await Connection.connect({ address: setup.address });
  const start = await startStillWorks(opts, starters, state.connection, opts.workflows);
  if (!start.ok) state.failed = true;
  return {
    server: next,
    result: {
      memoryBefore: before,
      stopMs: stop.stopMs,
      exit: stop.exit,
      readyMs: round(readyMs, 0),
      memoryRightAfter: rightAfter,
      memorySettled: settled,
      settleSeconds: opts.settleMs / 1000,
      settleCpuPercentOfOneCore: round((100 * settleCpuSeconds) / (opts.settleMs / 1000), 1),
      startAfterRestart: start,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 3: timers due shortly, with a restart before they are due.

// The first events of `workflowId`: when its first workflow task was due (the start event's time
// plus its firstWorkflowTaskBackoff) and, if it was scheduled already, when.
async function firstTask(opts, connection, workflowId) {
  const { temporal } = require('@temporalio/proto');
  const E = temporal.api.enums.v1.EventType;
  const { history } = await connection.workflowService.getWorkflowExecutionHistory({
    namespace: opts.namespace, execution: { workflowId }, maximumPageSize: 10,
  });
  const events = history?.events || [];
  const startedEvent = events.find((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  const scheduled = events.find((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  if (!startedEvent) throw new Error(`${workflowId}: no WorkflowExecutionStarted event`);
  const attrs = startedEvent.workflowExecutionStartedEventAttributes;
  return {
    dueMs: timestampMs(startedEvent.eventTime) + durationProtoMs(attrs.firstWorkflowTaskBackoff),
    scheduledMs: scheduled ? timestampMs(scheduled.eventTime) : undefined,
  };
}

async function fireAfterRestart(opts, setup, starters, server) {
  const k = opts.fireSample;
  const from = opts.workflows + 1; // after the open ones and the start after the first restart
  const ids = Array.from({ length: k }, (_, i) => `open-${from + i}`);
  log(opts, `starting ${k} workflows due in ${opts.fireDelayMs / 1000} s`);
  const errors = [];
  const startAt = Date.now();
  const notStarted = await starters.run(from, k, Math.min(opts.concurrency, k), opts.fireDelayMs, (lats, errs) => errors.push(...errs));
  const startedInMs = Date.now() - startAt;
  if (errors.length || notStarted) throw new Error(`${errors.length} of the ${k} timer workflows failed to start: ${errors[0]?.error}`);
  // When each is due, read before the restart (every start is committed by now).
  let connection = state.connection;
  const due = await mapLimit(ids, VERIFY_CONCURRENCY, (id) => firstTask(opts, connection, id));
  const dueFirst = Math.min(...due.map((d) => d.dueMs));
  const dueLast = Math.max(...due.map((d) => d.dueMs));
  const firedBeforeRestart = due.filter((d) => d.scheduledMs !== undefined).length;

  const sigtermAt = Date.now();
  log(opts, `restarting tern-server ${round((dueFirst - sigtermAt) / 1000, 1)} s before the first is due`);
  await connection.close();
  state.connection = undefined;
  const stop = await stopServer(server);
  const exitedAt = Date.now();
  const { server: next } = await startServer(opts, setup);
  const readyAt = Date.now();
  const { Connection } = require('@temporalio/client');
  state.connection = connection = await Connection.connect({ address: setup.address });

  // Reads until every first workflow task is scheduled, or fireTimeoutMs after the last is due.
  const scheduled = new Map(); // workflow id -> scheduled time
  const deadline = dueLast + opts.fireTimeoutMs;
  if (Date.now() < dueLast) await sleep(dueLast - Date.now());
  for (;;) {
    const pending = ids.filter((id) => !scheduled.has(id));
    const read = await mapLimit(pending, VERIFY_CONCURRENCY, (id) => firstTask(opts, connection, id));
    pending.forEach((id, i) => read[i].scheduledMs !== undefined && scheduled.set(id, read[i].scheduledMs));
    if (scheduled.size === k || Date.now() > deadline) break;
    await sleep(1000);
  }
  const late = [];
  const lateAfterReady = [];
  ids.forEach((id, i) => {
    if (!scheduled.has(id)) return;
    const at = scheduled.get(id);
    late.push(at - due[i].dueMs);
    lateAfterReady.push(at - Math.max(due[i].dueMs, readyAt));
  });
  const fired = scheduled.size;
  if (fired !== k) state.failed = true;
  const rel = (t) => round((t - dueFirst) / 1000, 2); // seconds after the first due time
  return {
    server: next,
    result: {
      workflows: k,
      fireDelaySeconds: opts.fireDelayMs / 1000,
      startedInSeconds: round(startedInMs / 1000, 2),
      firedBeforeRestart,
      // The restart, in seconds relative to the first due time (negative: before it).
      sigtermAt: rel(sigtermAt),
      exitedAt: rel(exitedAt),
      readyAt: rel(readyAt),
      lastDueAt: rel(dueLast),
      stopMs: stop.stopMs,
      fired,
      notFired: k - fired,
      latenessMs: p50p99(late, 0),
      latenessAfterReadyMs: p50p99(lateAfterReady, 0),
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  prepare(opts, ['tern', 'tern-server']);
  const machine = proc.machine();
  log(opts, `starting PostgreSQL (${opts.pgFast ? 'fsync OFF' : 'durable'}) in ${state.dir}`);
  const pgPort = await startPostgres(opts);
  const pgPid = postmasterPid();
  // Only the frontend serves /metrics (as bench/run gives it): the memory of a deployed server.
  const setup = await setupServer(opts, pgPort, ['frontend']);
  log(opts, 'starting tern-server (all four services)');
  let { server } = await startServer(opts, setup);
  const idle = proc.memory(server.pid);
  const starters = await Starters.fork(opts, setup.address, opts.clients);

  const open = await startOpenWorkflows(opts, starters, server, pgPort, pgPid);
  if (open.started !== opts.workflows) {
    state.failed = true;
    throw new Error(`only ${open.started} of ${opts.workflows} workflows started; first errors: ${JSON.stringify(open.errors.slice(0, 3))}`);
  }
  log(opts, `${open.started} started in ${open.wallSeconds} s (${open.startsPerSecond}/s); reading the database`);
  const db = await dbFigures(pgPort);
  const afterStarts = proc.memory(server.pid);

  const restarted = await restart(opts, setup, starters, server);
  server = restarted.server;
  let fire;
  if (opts.fireSample > 0) {
    fire = await fireAfterRestart(opts, setup, starters, server);
    server = fire.server;
  }
  const finalMemory = proc.memory(server.pid);
  await stopServers();

  return {
    mode: 'open-workflows',
    tern: { repoHead: gitInfo(), server: binaryInfo() },
    machine: { ...machine, loadavgAtEnd: loadavg() },
    config: {
      workflows: opts.workflows, concurrency: opts.concurrency, clients: opts.clients,
      delaySeconds: opts.delayMs / 1000, fireSample: opts.fireSample, fireDelaySeconds: opts.fireDelayMs / 1000,
      settleSeconds: opts.settleMs / 1000, shards: opts.shards, partitions: opts.partitions, maxConns: opts.maxConns,
      durability: opts.pgFast ? 'NOT DURABLE (fsync=off, synchronous_commit=off, full_page_writes=off)'
        : 'durable (PostgreSQL defaults: fsync=on, synchronous_commit=on)',
    },
    idle,
    starts: open,
    afterStarts: { memory: afterStarts, db, bytesPerWorkflow: Math.round((db.databaseMiB * 2 ** 20) / opts.workflows) },
    restart: restarted.result,
    ...(fire ? { fireAfterRestart: fire.result } : {}),
    finalMemory,
  };
}

// ---------------------------------------------------------------------------------------------
// The table.

function printTable(r) {
  const c = r.config;
  const s = r.starts;
  const L = [];
  const row = (label, value) => L.push(`  ${label.padEnd(34)}${value}`);
  const mem = (m) => `VmRSS ${m.rssMiB} MiB (anon ${m.anonMiB}), VmHWM ${m.hwmMiB} MiB, ${m.threads} threads`;
  const dist = (d) => (d ? `p50 ${d.p50}  p99 ${d.p99}  max ${d.max}` : '(none)');
  L.push(`Tern with open workflows (bench/open-workflows): ${c.workflows} workflows, start delay ${c.delaySeconds} s, ` +
    `${c.concurrency} in flight from ${c.clients} client processes`);
  L.push(`  ${c.shards} shards, pool ${c.maxConns}; PostgreSQL ${c.durability}`);
  L.push(`  tern-server ${r.tern.server.path} (built ${r.tern.server.mtime}, sha256 ${r.tern.server.sha256}); repo HEAD ${r.tern.repoHead}`);
  machineLines(r, L);
  L.push(`  load average at the end: ${r.machine.loadavgAtEnd.join(' ')}`);
  L.push('');
  row('tern-server idle, before', mem(r.idle));
  row('starts', `${s.started} of ${s.requested} in ${s.wallSeconds} s: ${s.startsPerSecond} starts/s (${s.failed} failed)`);
  row('StartWorkflowExecution call (ms)', dist(s.startCallMs));
  const p = s.cpu.percentOfOneCore;
  row('CPU ms / start', `tern-server ${s.cpu.serverMsPerStart}  postgres ${s.cpu.postgresMsPerStart}  clients ${s.cpu.clientsMsPerStart}`);
  row('CPU % of one core', Object.entries(p).map(([k, v]) => `${k} ${v}`).join('  '));
  L.push('');
  L.push(`  ${'%'.padStart(4)}${'started'.padStart(9)}${'at s'.padStart(8)}${'starts/s'.padStart(10)}${'p50 ms'.padStart(8)}` +
    `${'p99 ms'.padStart(8)}${'RSS MiB'.padStart(9)}${'HWM MiB'.padStart(9)}${'srv ms/st'.padStart(10)}` +
    `${'pg ms/st'.padStart(9)}${'DB MiB'.padStart(9)}${'load1'.padStart(7)}`);
  for (const k of s.checkpoints) {
    L.push(`  ${String(k.percent).padStart(4)}${String(k.started).padStart(9)}${String(k.atSeconds).padStart(8)}` +
      `${String(k.startsPerSecond).padStart(10)}${String(k.startCallMs?.p50).padStart(8)}${String(k.startCallMs?.p99).padStart(8)}` +
      `${String(k.rssMiB).padStart(9)}${String(k.hwmMiB).padStart(9)}${String(k.serverCpuMsPerStart).padStart(10)}` +
      `${String(k.postgresCpuMsPerStart).padStart(9)}${String(k.databaseMiB).padStart(9)}${String(k.loadavg[0]).padStart(7)}`);
  }
  row('tern-server VmRSS, max of samples', `${s.memory.rssMiBMax} MiB (${s.memory.samples.length} samples)`);
  L.push('');
  const a = r.afterStarts;
  row('tern-server after the starts', mem(a.memory));
  row('database', `${a.db.databaseMiB} MiB (${a.bytesPerWorkflow} bytes / workflow)`);
  row('rows', Object.entries(a.db.rows).map(([t, n]) => `${t} ${n}`).join('  '));
  row('  timer_tasks due in the future', String(a.db.timerTasksInFuture));
  row('table MiB (with indexes)', Object.entries(a.db.tableMiB).map(([t, n]) => `${t} ${n}`).join('  '));
  L.push('');
  const x = r.restart;
  row('restart: stop (SIGTERM to exit)', `${x.stopMs} ms (${JSON.stringify(x.exit)})`);
  row('restart: start to answering', `${x.readyMs} ms (health of every service, DescribeNamespace)`);
  row('tern-server right after', mem(x.memoryRightAfter));
  row(`tern-server ${x.settleSeconds} s later`, `${mem(x.memorySettled)}; CPU ${x.settleCpuPercentOfOneCore}% of one core meanwhile`);
  const st = x.startAfterRestart;
  row('a start after the restart', st.ok ? `works (${st.workflowId} ${st.status}, ${st.callMs} ms)` : `FAILED: ${st.error || st.status}`);
  const f = r.fireAfterRestart;
  if (f) {
    L.push('');
    row('timers after a restart', `${f.workflows} workflows due ${f.fireDelaySeconds} s after their start (started in ${f.startedInSeconds} s)`);
    row('  restart (s from the first due)', `SIGTERM at ${f.sigtermAt}, exited at ${f.exitedAt}, answering at ${f.readyAt}; last due at ${f.lastDueAt}`);
    row('  fired', `${f.fired} of ${f.workflows}${f.notFired ? ` (${f.notFired} NOT FIRED)` : ''}; ${f.firedBeforeRestart} had fired before the restart`);
    row('  lateness vs due time (ms)', dist(f.latenessMs));
    row('  vs max(due, answering) (ms)', dist(f.latenessAfterReadyMs));
  }
  L.push('');
  row('tern-server at the end', mem(r.finalMemory));
  if (s.errors.length) {
    L.push('  start errors (first 10):');
    for (const e of s.errors) L.push(`    ${e.workflowId}: ${e.error}`);
  }
  console.log(L.join('\n'));
}

finish('bench/open-workflows', main(), printTable);
