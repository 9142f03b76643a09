'use strict';
// External mode (--address): the bench drives a running Tern, or any Temporal-compatible
// frontend, that it did not start, as an operator load-tests their own deployment. bench.js
// starts only the SDK worker process; this module connects the client, checks the namespace, and
// measures the phase. With neither the server's processes nor its database at hand, the figures
// are what a client and this machine observe; the server's are reported as not measured.

const os = require('node:os');

const { cliFlags, describeConnection, sdkConnectionOptions } = require('./connection');
const proc = require('./proc');
const {
  cpuFigures, drive, errorLines, log, machineLines, round, summarizeRun, warmUp, workerTitle, workloadConfig,
  workloadRows,
} = require('./workload');

const NOT_FOUND = 5; // gRPC status code

// An error about the target, which bench.js prints without a stack.
const targetError = (message) => Object.assign(new Error(message), { target: true });

const SERVER_NOT_MEASURED = {
  reason: 'the bench did not start the server (--address), so it cannot read its processes, database or metrics',
  figures: [
    'tern-server CPU, memory and context switches',
    'PostgreSQL transactions, rows, WAL and statements',
    'Tern RPCs per workflow',
    'server log lines',
    'idle background',
  ],
};

// Connects the client to opts.address and checks that opts.namespace exists there. Returns
// {connection, serverVersion}; throws a targetError naming the address or the namespace.
async function connect(opts) {
  const { Connection } = require('@temporalio/client');
  let connection;
  try {
    connection = await Connection.connect({
      ...sdkConnectionOptions(opts.address, opts.connection), connectTimeout: 10_000,
    });
  } catch (err) {
    throw targetError(`cannot connect to --address ${opts.address} (${describeConnection(opts.connection)}): ${err.message}`);
  }
  try {
    await connection.workflowService.describeNamespace({ namespace: opts.namespace });
  } catch (err) {
    await connection.close().catch(() => {});
    if (err.code === NOT_FOUND) {
      const create = ['tern', '--address', opts.address, ...cliFlags(opts.connection), 'operator', 'namespace',
        'create', '-n', opts.namespace, '--retention', '1d'];
      throw targetError(`namespace ${opts.namespace} does not exist at ${opts.address}; register it first, ` +
        `e.g. ${create.join(' ')} (or temporal operator namespace create)`);
    }
    throw targetError(`DescribeNamespace ${opts.namespace} at ${opts.address}: ${err.message}`);
  }
  // Only for the output: not every frontend fills it in.
  const info = await connection.workflowService.getSystemInfo({}).catch(() => undefined);
  return { connection, serverVersion: info?.serverVersion || null };
}

// The warm-up and the measured phase, with the worker (pid `workerPid`) polling `taskQueue`.
// `machine` is proc.machine() from the bench's start. Returns the result to print.
async function measure(opts, { connection, serverVersion }, taskQueue, workerPid, machine) {
  const { Client } = require('@temporalio/client');
  const client = new Client({ connection, namespace: opts.namespace });
  await warmUp(client, taskQueue, opts);

  log(opts, `measuring: ${opts.workflows} workflows, ${opts.concurrency} in flight`);
  const pids = { worker: workerPid, client: process.pid };
  const loadBefore = os.loadavg();
  const cpu0 = proc.cpuSample(pids);
  const run = await drive(client, taskQueue, `${taskQueue}-run`, opts.workflows, opts);
  const cpu = proc.cpuUsage(cpu0, proc.cpuSample(pids));
  const loadAfter = os.loadavg();

  const n = opts.workflows;
  const unit = opts.scenario.unit(opts);
  return {
    mode: 'external',
    target: {
      address: opts.address,
      namespace: opts.namespace,
      taskQueue, // the workflow ids are <taskQueue>-warm-<i> and <taskQueue>-run-<i>
      connection: describeConnection(opts.connection),
      serverVersion,
    },
    machine: { ...machine, loadavgBeforePhase: loadBefore.map((x) => round(x)), loadavgAfterPhase: loadAfter.map((x) => round(x)) },
    config: { ...workloadConfig(opts), timeoutSeconds: opts.timeoutMs / 1000 },
    ...summarizeRun(run, n, unit),
    cpu: {
      ...cpuFigures(cpu, ['worker', 'client', 'other', 'machineBusy'], n, n * unit.perWorkflow),
      // The SDK's two processes as a share of the whole machine (all its cores).
      sdkPercentOfMachine: round((100 * (cpu.worker + cpu.client)) / (cpu.seconds * machine.nproc), 1),
    },
    memory: { workerPeakRssMiB: round(proc.statusKb(workerPid, 'VmHWM') / 1024, 1) },
    server: null,
    serverNotMeasured: SERVER_NOT_MEASURED,
  };
}

function printTable(r) {
  const c = r.config;
  const L = [];
  const row = (k, v) => L.push(`  ${k.padEnd(34)} ${v}`);
  L.push(`Tern benchmark ${c.scenario}, external mode: ${c.workflows} workflows, each ${c.workflowDoes}, ` +
    `${c.concurrency} in flight, ${c.workerSlots} worker slots, warm-up ${c.warmup}${workerTitle(c)}`);
  L.push(`  target: ${r.target.address}, namespace ${r.target.namespace}, task queue ${r.target.taskQueue}, ${r.target.connection}` +
    `${r.target.serverVersion ? `; server version ${r.target.serverVersion}` : ''}`);
  machineLines(r, L);
  L.push('');
  workloadRows(r, row);
  row('SDK share of this machine', `${r.cpu.sdkPercentOfMachine}% of its ${r.machine.nproc} cores (worker + client); ` +
    '`other` is the rest of its busy time, the server\'s too if it runs here');
  row('worker memory', `peak RSS ${r.memory.workerPeakRssMiB} MiB (VmHWM)`);
  row('not measured', `${r.serverNotMeasured.figures.join('; ')}: ${r.serverNotMeasured.reason}`);
  errorLines(r, L);
  console.log(L.join('\n'));
}

module.exports = { connect, measure, printTable };
