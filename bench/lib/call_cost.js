'use strict';
// bench/call-cost: what one unary call costs a running frontend, from /proc (its context switches
// and CPU per call) and, when it runs under callgrind, in instructions per call. Usage below.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const { Connection } = require('@temporalio/client');
const { cpuSeconds, threadGroups, threadGroupsDelta } = require('./proc');

const USAGE = `Usage: bench/call-cost --address HOST:PORT --pid PID [options]

Calls one unary method of a running frontend (tern-server from bench/run --keep, or
build/bin/h2-reference) over one connection of the TypeScript SDK's client (grpc-js, no
compression), and prints the process's context switches and CPU per call for each concurrency.

  --address HOST:PORT  the frontend (plaintext)
  --pid PID            the process serving it (read from /proc)
  --calls N            calls per concurrency (default 20000; with --callgrind 3000)
  --concurrency LIST   calls in flight, comma-separated (default 1,10,50; with --callgrind 50)
  --method NAME        getSystemInfo (default: answered without leaving the frontend) or
                       describeNamespace (reads the namespace)
  --namespace NAME     for describeNamespace (default default)
  --callgrind DIR      the process runs under callgrind writing DIR/callgrind.out.PID.N
                       (bench/run --callgrind --keep): also counts its instructions per call,
                       with a callgrind_control dump before and after each concurrency
  --json               print one JSON object instead of the table
`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      address: { type: 'string' }, pid: { type: 'string' }, calls: { type: 'string' },
      concurrency: { type: 'string' }, method: { type: 'string', default: 'getSystemInfo' },
      namespace: { type: 'string', default: 'default' }, callgrind: { type: 'string' },
      json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const fail = (message) => {
    process.stderr.write(`call-cost: ${message}\n\n${USAGE}`);
    process.exit(2);
  };
  if (!values.address) fail('--address is required');
  const pid = Number(values.pid);
  if (!Number.isInteger(pid) || pid <= 0 || !fs.existsSync(`/proc/${pid}`)) {
    fail(`--pid must name a running process (got ${values.pid ?? 'nothing'})`);
  }
  if (!['getSystemInfo', 'describeNamespace'].includes(values.method)) {
    fail(`--method must be getSystemInfo or describeNamespace (got ${values.method})`);
  }
  const calls = Number(values.calls ?? (values.callgrind ? 3000 : 20000));
  if (!Number.isInteger(calls) || calls <= 0) fail(`--calls must be a positive integer (got ${values.calls})`);
  const concurrency = (values.concurrency ?? (values.callgrind ? '50' : '1,10,50')).split(',').map(Number);
  if (concurrency.some((c) => !Number.isInteger(c) || c <= 0)) {
    fail(`--concurrency must be positive integers separated by commas (got ${values.concurrency})`);
  }
  if (values.callgrind && !fs.existsSync(values.callgrind)) fail(`--callgrind: no directory ${values.callgrind}`);
  return { ...values, pid, calls, concurrency };
}

// Instructions the process ran since the previous dump (callgrind_control -d writes them to a new
// numbered file).
function dumpIr(dir, pid) {
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore', timeout: 120_000 });
  const prefix = `callgrind.out.${pid}.`;
  const newest = fs.readdirSync(dir).filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length))).filter(Number.isInteger).sort((a, b) => b - a)[0];
  if (newest === undefined) throw new Error(`call-cost: no ${prefix}N in ${dir} after a dump`);
  const text = fs.readFileSync(path.join(dir, prefix + newest), 'utf8');
  const m = text.match(/^(?:totals|summary):\s*(\d+)/m);
  if (!m) throw new Error(`call-cost: no totals in ${prefix + newest}`);
  return Number(m[1]);
}

async function measure(o, call, concurrency) {
  if (o.callgrind) dumpIr(o.callgrind, o.pid);
  const groups = threadGroups(o.pid);
  const cpu = cpuSeconds(o.pid);
  const start = performance.now();
  let left = o.calls;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (left-- > 0) await call();
  }));
  const seconds = (performance.now() - start) / 1000;
  const row = {
    concurrency,
    calls: o.calls,
    switchesPerCall: threadGroupsDelta(groups, threadGroups(o.pid)).switches / o.calls,
    cpuMicrosPerCall: (1e6 * (cpuSeconds(o.pid) - cpu)) / o.calls,
    callsPerSecond: o.calls / seconds,
  };
  if (o.callgrind) row.irPerCall = dumpIr(o.callgrind, o.pid) / o.calls;
  return row;
}

async function main() {
  const o = parseOptions(process.argv.slice(2));
  const connection = await Connection.connect({ address: o.address });
  const request = o.method === 'getSystemInfo' ? {} : { namespace: o.namespace };
  const call = () => connection.workflowService[o.method](request);
  try {
    for (let i = 0; i < 200; i++) await call();  // warm-up: connection, caches
    const rows = [];
    for (const c of o.concurrency) rows.push(await measure(o, call, c));
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ address: o.address, method: o.method, rows })}\n`);
      return;
    }
    console.log(`${o.method} on ${o.address} (pid ${o.pid}), ${o.calls} calls per row`);
    for (const r of rows) {
      const ir = r.irPerCall === undefined ? '' : `, ${Math.round(r.irPerCall)} instructions`;
      console.log(`  ${String(r.concurrency).padStart(3)} in flight: ${r.switchesPerCall.toFixed(2)} context switches, ` +
        `${r.cpuMicrosPerCall.toFixed(1)} CPU-us${ir} per call; ${Math.round(r.callsPerSecond)} calls/s`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((e) => {
  process.stderr.write(`call-cost: ${e.stack ?? e}\n`);
  process.exit(1);
});
