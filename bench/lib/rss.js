'use strict';
// bench/rss: the memory of an idle Tern, all four services in one tern-server and each service
// as a process of its own (tern-frontend, tern-history, tern-matching, tern-worker), as a
// deployment runs them. It starts a private PostgreSQL (fsync off: memory does not depend on it)
// and the schema, then (a) tern-server: ready, settle, read; a load of one-activity workflows
// through it with an SDK worker, read right after and after another settle; stop; (b) the four
// service processes on the same database: ready, settle, read; stop. `bench/rss --help` lists the
// options, bench/README.md explains the figures. lib/stack.js starts and stops the processes.

const { sdkConnectionOptions } = require('./connection');
const { parseCommandLine, usageError } = require('./options');
const proc = require('./proc');
const { SCENARIOS } = require('./scenarios');
const {
  BIN_DIR, SERVICES, binaryInfo, finish, gitInfo, launchServer, prepare, setupServer, sleep, startPostgres,
  startWorker, state, stopServers, stopWorker, waitReady, writeConfig,
} = require('./stack');
const { drive, log, machineLines, round, summarizeRun } = require('./workload');

const USAGE = `Usage: bench/rss [options]

Starts a private PostgreSQL, then tern-server (all four services in one process) and then the
four service processes (tern-frontend, tern-history, tern-matching, tern-worker), and reports the
memory of each once it is ready and idle: VmRSS (anonymous and file-backed), PSS, VmHWM, threads.

  --settle SEC       idle time after each start (and after the load) before reading (default 10)
  --load N           one-activity workflows run through tern-server after its idle reading, then
                     read again: the memory a small load leaves (default 200; 0: no load)
  --concurrency C    workflows of the load in flight at once (default 20)
  --metrics on|off   each process serves /metrics (default on, as deployed)
  --json             print one JSON object instead of the table
  -h, --help

Env: TERN_BIN_DIR (default build/bin), PG_BIN (default newest /usr/lib/postgresql/*/bin).`;

const READY_TIMEOUT_MS = 90_000;

function parseOptions(argv) {
  const { values, int } = parseCommandLine(argv, {
    settle: { type: 'string', default: '10' },
    load: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
    metrics: { type: 'string', default: 'on' },
  }, USAGE);
  if (!['on', 'off'].includes(values.metrics)) throw usageError('--metrics must be on or off');
  return {
    settleMs: int('settle', 0) * 1000,
    load: int('load', 0),
    concurrency: int('concurrency', 1),
    metrics: values.metrics === 'on',
    json: values.json,
    // What the server config, the SDK worker and the load need (bench/run's defaults).
    scenario: SCENARIOS['one-activity'],
    namespace: 'default',
    logLevel: 'info',
    shards: 4,
    partitions: 4,
    maxConns: 16,
    slots: 100,
    pollers: 0,
    nonStickyRatio: '',
    noSticky: false,
    timeoutMs: 60_000,
    connection: { tls: false },
  };
}

// After opts.settleMs, the memory of each child (by name); fails if one exited meanwhile.
async function settledMemory(opts, children) {
  log(opts, `settling ${opts.settleMs / 1000} s`);
  await sleep(opts.settleMs);
  return Object.fromEntries(children.map((child) => {
    if (child.exitInfo) throw new Error(`${child.name} exited (${JSON.stringify(child.exitInfo)}); log: ${child.logFile}`);
    return [child.name, proc.memory(child.pid)];
  }));
}

// opts.load one-activity workflows through `server` (at `address`) with an SDK worker; its memory
// right after the last one and once settled.
async function load(opts, address, server) {
  const taskQueue = `rss-${process.pid}-${Date.now().toString(36)}`;
  await startWorker(opts, address, taskQueue);
  const { Client, Connection } = require('@temporalio/client');
  state.connection = await Connection.connect(sdkConnectionOptions(address));
  const client = new Client({ connection: state.connection, namespace: opts.namespace });
  log(opts, `load: ${opts.load} one-activity workflows, ${opts.concurrency} in flight`);
  const run = await drive(client, taskQueue, `${taskQueue}-run`, opts.load, opts);
  const rightAfter = proc.memory(server.pid);
  await stopWorker();
  await state.connection.close();
  state.connection = undefined;
  const { completed, failed, wallSeconds, workflowsPerSecond } = summarizeRun(run, opts.load, { name: 'activities', perWorkflow: 1 });
  if (failed > 0 || completed !== opts.load) state.failed = true;
  const settled = (await settledMemory(opts, [server]))[server.name];
  return { workflows: opts.load, completed, failed, wallSeconds, workflowsPerSecond, rightAfter, settled };
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  prepare(opts, ['tern', 'tern-server', ...SERVICES.map((s) => `tern-${s}`)]);
  const machine = proc.machine();
  log(opts, `starting PostgreSQL (fsync off) in ${state.dir}`);
  const pgPort = await startPostgres({ pgFast: true });
  // config.yaml: one /metrics address per service, for the four processes; the all-in-one gets
  // one address for all of them, as bench/run gives it.
  const setup = await setupServer(opts, pgPort, opts.metrics ? SERVICES : []);
  const oneAddress = Object.fromEntries(Object.keys(setup.ports.metrics).map((s) => [s, setup.ports.metrics.frontend]));
  const allInOne = writeConfig('all-in-one.yaml', opts, pgPort, { ...setup.ports, metrics: oneAddress });

  log(opts, 'starting tern-server (all four services)');
  const server = launchServer('tern-server', 'tern-server', ['--config', allInOne]);
  await waitReady([server], setup.ports, opts.namespace, READY_TIMEOUT_MS);
  const idle = (await settledMemory(opts, [server]))[server.name];
  const afterLoad = opts.load > 0 ? await load(opts, setup.address, server) : undefined;
  await stopServers();

  log(opts, `starting ${SERVICES.map((s) => `tern-${s}`).join(', ')}`);
  const children = SERVICES.map((s) => launchServer(`tern-${s}`, `tern-${s}`, ['--config', setup.config]));
  await waitReady(children, setup.ports, opts.namespace, READY_TIMEOUT_MS);
  const services = await settledMemory(opts, children);
  await stopServers();

  const sum = (field) => round(Object.values(services).reduce((total, m) => total + m[field], 0), 1);
  return {
    mode: 'rss',
    tern: { repoHead: gitInfo(), binDir: BIN_DIR, server: binaryInfo('tern-server'), frontend: binaryInfo('tern-frontend') },
    machine,
    config: {
      settleSeconds: opts.settleMs / 1000, load: opts.load, concurrency: opts.concurrency, metrics: opts.metrics,
      shards: opts.shards, partitions: opts.partitions, maxConns: opts.maxConns, postgres: 'fsync off',
    },
    allInOne: { idle, ...(afterLoad ? { afterLoad } : {}) },
    services,
    servicesTotal: Object.fromEntries(['rssMiB', 'anonMiB', 'fileMiB', 'pssMiB', 'hwmMiB', 'threads'].map((f) => [f, sum(f)])),
  };
}

function printTable(r) {
  const c = r.config;
  const L = [];
  L.push(`Tern memory (bench/rss): ${c.shards} shards, ${c.partitions} partitions, metrics ${c.metrics ? 'on' : 'off'}, ` +
    `read after ${c.settleSeconds} s idle`);
  L.push(`  binaries ${r.tern.binDir} (tern-server built ${r.tern.server.mtime}, sha256 ${r.tern.server.sha256}); repo HEAD ${r.tern.repoHead}`);
  machineLines(r, L);
  L.push('');
  const cols = ['rssMiB', 'anonMiB', 'fileMiB', 'pssMiB', 'hwmMiB', 'threads'];
  L.push(`  ${'MiB'.padEnd(40)}${['VmRSS', 'RssAnon', 'RssFile', 'PSS', 'VmHWM', 'threads'].map((h) => h.padStart(9)).join('')}`);
  const cell = (k, v) => (k === 'threads' || typeof v !== 'number' ? String(v) : v.toFixed(1)).padStart(9);
  const line = (label, m) => L.push(`  ${label.padEnd(40)}${cols.map((k) => cell(k, m[k])).join('')}`);
  line('tern-server (all four services), idle', r.allInOne.idle);
  const a = r.allInOne.afterLoad;
  if (a) {
    line(`  right after ${a.completed} workflows`, a.rightAfter);
    line(`  ${c.settleSeconds} s later`, a.settled);
  }
  for (const [name, m] of Object.entries(r.services)) line(`${name}, idle`, m);
  line('the four processes together', r.servicesTotal);
  if (a) {
    L.push('');
    L.push(`  load: ${a.completed} of ${a.workflows} one-activity workflows completed (${a.failed} failed), ` +
      `${a.workflowsPerSecond} workflows/s, ${c.concurrency} in flight`);
  }
  console.log(L.join('\n'));
}

finish('bench/rss', main(), printTable);
