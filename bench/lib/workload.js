'use strict';
// What both modes of the bench share (its own server, or --address): running the workflows of a
// scenario from the client, and what the client and this machine observe of them — throughput,
// latency distributions, completions per second, the CPU of the bench's processes — as JSON
// fields and as rows of the table.

const { performance } = require('node:perf_hooks');
const path = require('node:path');

const { withTimeout } = require(path.join(__dirname, '..', '..', 'tests', 'sdk', 'lib', 'harness.js'));

// `text` cut at `chars` characters, with ... at the end when cut.
const shorten = (text, chars) => (text.length > chars ? `${text.slice(0, chars - 3)}...` : text);
const round = (x, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);
const log = (opts, msg) => {
  if (!opts.json || process.env.BENCH_VERBOSE) console.error(`bench: ${msg}`);
};

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length); // nearest-rank
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

// Runs `count` workflows of the scenario with at most opts.concurrency in flight.
async function drive(client, taskQueue, prefix, count, opts) {
  const sc = opts.scenario;
  const latencies = [];
  const startCalls = [];
  const signalCalls = []; // the signal calls of `signals`, each in ms
  const record = (ms) => signalCalls.push(ms);
  const completions = []; // ms since t0
  const errors = [];
  const slowest = []; // the 10 slowest workflows, for finding where a latency spike came from
  let eagerlyStarted = 0; // starts whose response carried the first workflow task
  let next = 0;
  let stalled = false; // a workflow hit the timeout: start no more, report what happened
  const t0 = performance.now();
  const loop = async () => {
    while (next < count && !stalled) {
      const i = next++;
      const workflowId = `${prefix}-${i}`;
      const s = performance.now();
      try {
        const handle = await client.workflow.start(sc.workflow, {
          taskQueue, workflowId, args: sc.args(i, opts), ...(opts.eagerStart ? { requestEagerStart: true } : {}),
        });
        startCalls.push(performance.now() - s);
        if (handle.eagerlyStarted) eagerlyStarted++;
        // Both may still be pending after a timeout; they fail when the client closes.
        const pending = Promise.all([handle.result(), sc.during?.(handle, i, opts, record)]);
        pending.catch(() => {});
        const [result] = await withTimeout(pending, opts.timeoutMs, `workflow ${workflowId}`);
        if (result !== sc.expected(i, opts)) {
          throw new Error(`workflow ${workflowId} returned ${JSON.stringify(result)}`);
        }
        const e = performance.now();
        latencies.push(e - s);
        slowest.push({ workflowId, startedAtMs: Math.round(s - t0), latencyMs: Math.round(e - s) });
        if (slowest.length > 20) {
          slowest.sort((a, b) => b.latencyMs - a.latencyMs);
          slowest.length = 10;
        }
        completions.push(e - t0);
      } catch (err) {
        const message = String(err.message || err);
        if (/did not finish within/.test(message)) stalled = true;
        errors.push({ workflowId, atMs: Math.round(performance.now() - t0), error: message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, count) }, loop));
  slowest.sort((a, b) => b.latencyMs - a.latencyMs);
  slowest.length = Math.min(slowest.length, 10);
  return {
    wallMs: performance.now() - t0, latencies, startCalls, signalCalls, completions, errors, slowest,
    notStarted: count - next, eagerlyStarted,
  };
}

// The warm-up workflows (not measured); any failure ends the bench.
async function warmUp(client, taskQueue, opts) {
  if (opts.warmup === 0) return;
  log(opts, `warm-up: ${opts.warmup} workflows`);
  const warm = await drive(client, taskQueue, `${taskQueue}-warm`, opts.warmup, opts);
  if (warm.errors.length > 0) {
    throw new Error(`warm-up: ${warm.errors.length} workflows failed, first: ${warm.errors[0].error}`);
  }
}

// Percentiles (nearest rank), max and mean of a list of milliseconds; undefined if empty.
function distribution(values) {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const out = Object.fromEntries([50, 90, 95, 99].map((p) => [`p${p}`, round(percentile(v, p), 1)]));
  return { ...out, max: round(v[v.length - 1], 1), mean: round(v.reduce((a, b) => a + b, 0) / v.length, 1) };
}

function summarizeRun(run, n, unit) {
  const perSecond = [];
  for (const c of run.completions) {
    const b = Math.floor(c / 1000);
    perSecond[b] = (perSecond[b] || 0) + 1;
  }
  // Whole seconds only: the last, partial bucket would understate the rate.
  const full = Array.from({ length: Math.floor(run.wallMs / 1000) }, (_, i) => perSecond[i] || 0);
  const sortedFull = [...full].sort((a, b) => a - b);
  const seconds = run.wallMs / 1000;
  return {
    completed: run.latencies.length,
    failed: run.errors.length,
    notStarted: run.notStarted,
    eagerlyStarted: run.eagerlyStarted, // starts answered with their first workflow task
    wallSeconds: round(seconds, 3),
    workflowsPerSecond: round(run.latencies.length / seconds, 1),
    // Units (activities, signals) of the completed workflows.
    unit: unit.name,
    unitsPerWorkflow: unit.perWorkflow,
    unitsPerSecond: round((run.latencies.length * unit.perWorkflow) / seconds, 1),
    latencyMs: distribution(run.latencies),
    startCallMs: distribution(run.startCalls),
    signalCallMs: distribution(run.signalCalls),
    completionsPerSecond: {
      min: sortedFull.length ? sortedFull[0] : null,
      median: sortedFull.length ? percentile(sortedFull, 50) : null,
      max: sortedFull.length ? sortedFull[sortedFull.length - 1] : null,
      series: full,
    },
    slowest: run.slowest,
    errors: run.errors.slice(0, 10),
    requested: n,
  };
}

// The workload and the worker's settings, the part of `config` both modes report.
function workloadConfig(opts) {
  return {
    scenario: opts.scenarioName,
    workflowDoes: opts.scenario.describe(opts),
    matchingTasks: opts.scenario.matchingTasks,
    namespace: opts.namespace,
    workflows: opts.workflows,
    concurrency: opts.concurrency,
    warmup: opts.warmup,
    workerSlots: opts.slots,
    workerPollers: opts.pollers || 'SDK default (10)',
    workerNonStickyRatio: opts.nonStickyRatio || 'SDK default (0.2)',
    workerMaxCachedWorkflows: opts.noSticky ? 0 : 'SDK default', // 0: no cache, not sticky
    eagerActivities: opts.eagerActivities, // the workflows allow eager activity dispatch
    eagerStart: opts.eagerStart, // the client asks for eager workflow start
  };
}

// How the worker and the client run, as the end of the output's title ('' for the defaults).
function workerTitle(c) {
  return `${c.workerMaxCachedWorkflows === 0 ? ', worker NOT sticky (no cache)' : ''}` +
    `${c.eagerActivities ? '' : ', no eager activities'}` +
    `${c.eagerStart ? ', eager start (the client process runs the worker)' : ''}`;
}

// CPU figures of the phase (proc.cpuUsage) for the processes in `names`: per 1000 workflows, per
// 1000 units of work, and as % of one core.
function cpuFigures(cpu, names, n, units) {
  const perProcess = (fn) => Object.fromEntries(names.map((k) => [k, fn(cpu[k])]));
  const share = (sec) => round((100 * sec) / cpu.seconds, 1);
  return {
    phaseSeconds: round(cpu.seconds, 3),
    secondsPer1000Workflows: perProcess((sec) => round((sec * 1000) / n, 2)),
    secondsPer1000Units: perProcess((sec) => round((sec * 1000) / units, 3)), // units: `unit`
    percentOfOneCore: {
      ...perProcess(share),
      machineIowait: share(cpu.machineIowait),
      machineSteal: share(cpu.machineSteal),
    },
  };
}

// The table's lines about the machine, under the title.
function machineLines(r, L) {
  const m = r.machine;
  L.push(`  machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memTotalGiB} GiB RAM, ${m.kernel}`);
  L.push(`  load average: at start ${m.loadavgAtStart.join(' ')}` + (m.loadavgBeforePhase
    ? `, before phase ${m.loadavgBeforePhase.join(' ')}, after phase ${m.loadavgAfterPhase.join(' ')}` : ''));
}

// The table's rows of what the client observed and what the bench's processes used.
function workloadRows(r, row) {
  const dist = (x) => (x ? `p50 ${x.p50}  p90 ${x.p90}  p95 ${x.p95}  p99 ${x.p99}  max ${x.max}` : '(none)');
  row('throughput', `${r.workflowsPerSecond} workflows/s, ${r.unitsPerSecond} ${r.unit}/s (${r.completed} completed, ` +
    `${r.failed} failed${r.notStarted ? `, ${r.notStarted} not started` : ''}, ${r.wallSeconds} s)`);
  if (r.config.eagerStart) row('eagerly started', `${r.eagerlyStarted} of ${r.completed + r.failed} starts`);
  row('start-to-complete latency (ms)', dist(r.latencyMs));
  row('StartWorkflowExecution call (ms)', dist(r.startCallMs));
  if (r.signalCallMs) row('SignalWorkflowExecution call (ms)', dist(r.signalCallMs));
  const cps = r.completionsPerSecond;
  row('slowest workflows (start at, ms)', r.slowest.slice(0, 3).map((w) => `${w.latencyMs} ms (started at ${w.startedAtMs})`).join(', '));
  row('completions per whole second', cps.min === null ? '(phase shorter than 1 s)' : `min ${cps.min}  median ${cps.median}  max ${cps.max}`);
  const p = r.cpu.percentOfOneCore;
  const perProcess = (x) => ['server', 'postgres', 'worker', 'proxy', 'client', 'other']
    .filter((k) => k in x).map((k) => `${k === 'server' ? 'tern-server' : k} ${x[k]}`).join('  ');
  row('CPU s / 1000 workflows', perProcess(r.cpu.secondsPer1000Workflows));
  if (r.unitsPerWorkflow !== 1) row(`CPU s / 1000 ${r.unit}`, perProcess(r.cpu.secondsPer1000Units));
  row('CPU % of one core (phase)', perProcess(p));
  row('machine', `busy ${p.machineBusy}% of one core (of ${r.machine.nproc * 100}%), iowait ${p.machineIowait}%, steal ${p.machineSteal}%`);
}

function errorLines(r, L) {
  if (r.errors.length === 0) return;
  L.push('  workflow errors (first 10):');
  for (const e of r.errors) L.push(`    ${e.workflowId} at ${e.atMs} ms: ${e.error}`);
}

module.exports = {
  cpuFigures, drive, errorLines, log, machineLines, round, shorten, summarizeRun, warmUp, workerTitle, workloadConfig,
  workloadRows,
};
