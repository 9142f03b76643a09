'use strict';
// bench/run --callgrind: tern-server runs under valgrind's callgrind tool, which counts the
// instructions it executes (Ir). Unlike CPU time the count hardly depends on what else the
// machine does, so it compares builds on a noisy, shared machine. Counting runs from the start;
// `callgrind_control -d PID` writes the counts since the previous dump to a file of its own
// (callgrind.out.PID.1, .2, ...) and zeroes them, so one dump at each boundary cuts the run into
// parts: start-up + warm-up, settle, idle window, measured phase; callgrind_annotate reads the
// phase's file for the top functions.
//
// Under callgrind tern-server runs its threads one at a time and uses some 10 times the CPU per
// workflow (50 times for CPU-bound code): its throughput, latency, CPU and memory figures describe
// valgrind, not tern-server.

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { promisify } = require('node:util');

const { round, shorten } = require('./workload');

const execFileP = promisify(execFile);
const TOOLS = ['valgrind', 'callgrind_control', 'callgrind_annotate'];
const TOP_FUNCTIONS = 15;
const FUNCTION_CHARS = 160;
// How much longer things take with tern-server under callgrind: its start-up, and its stop (the
// final dump is written on exit).
const READY_TIMEOUT_MS = 600_000;
const STOP_TIMEOUT_MS = 180_000;

const NOT_COMPARABLE = {
  reason: 'tern-server ran under callgrind (threads serialized, ~10x its CPU per workflow): these figures describe ' +
    'valgrind, compare them only with other --callgrind runs, if at all; the Ir counts are the measurement',
  figures: ['throughput', 'latencies and completions per second', 'CPU seconds and % of one core',
    'tern-server memory, context switches and kernel share'],
};

// Throws a message naming the install step when a tool is missing; returns valgrind's version.
async function check() {
  for (const tool of TOOLS) {
    try {
      await execFileP('sh', ['-c', `command -v ${tool}`]);
    } catch {
      throw new Error(`--callgrind needs ${tool}, which is not installed: run scripts/install-deps test (Debian's valgrind)`);
    }
  }
  const { stdout } = await execFileP('valgrind', ['--version']);
  return stdout.trim();
}

class Recorder {
  // `dir`: where the output files go (the bench's temp dir).
  constructor(dir) {
    this.base = path.join(dir, 'callgrind.out');
    this.parts = [];
    this.since = undefined;
  }

  // The command line tern-server runs behind. valgrind's own messages go to a log of their own,
  // so that tern-server's log stays JSON; --vgdb (on by default) lets callgrind_control reach it.
  prefix() {
    return ['valgrind', '--tool=callgrind', `--callgrind-out-file=${this.base}.%p`,
      `--log-file=${path.join(path.dirname(this.base), 'valgrind.log')}`, '--vgdb=yes'];
  }

  // Called once tern-server runs: the first part counts from here.
  started(pid) {
    this.pid = pid;
    this.since = performance.now();
  }

  // Dumps the counts since the previous dump as part `name` and returns its Ir.
  async dump(name) {
    await execFileP('callgrind_control', ['-d', String(this.pid)], { timeout: 120_000 });
    const now = performance.now();
    const file = `${this.base}.${this.pid}.${this.parts.length + 1}`;
    const m = fs.readFileSync(file, 'utf8').match(/^(?:totals|summary):\s*(\d+)/m);
    if (!m) throw new Error(`callgrind: no totals in ${file}`);
    const part = { name, file, ir: Number(m[1]), seconds: (now - this.since) / 1000 };
    this.since = now;
    this.parts.push(part);
    return part.ir;
  }

  part(name) {
    return this.parts.find((p) => p.name === name);
  }
}

// The functions with the most self Ir in a dump (with `inclusive`: Ir including their callees),
// from callgrind_annotate, those `keep` accepts: [{ir, percent, function, object}]. It lists a
// function once per source file its code came from (inlined headers): their self Ir add up, their
// inclusive Ir overlap, so the largest is taken. A call still running at a dump (a thread's main
// loop) is written with `calls=0`, and callgrind_annotate 3.19 then adds the call's inclusive
// cost to the caller's self cost (start_thread would show 60 %): it reads a copy with `calls=1`.
async function topFunctions(file, inclusive, keep = () => true) {
  const copy = `${file}.annotate`;
  fs.writeFileSync(copy, fs.readFileSync(file, 'utf8').replace(/^calls=0 /gm, 'calls=1 '));
  let stdout;
  try {
    ({ stdout } = await execFileP('callgrind_annotate', [`--inclusive=${inclusive ? 'yes' : 'no'}`, '--auto=no', '--threshold=100', copy],
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }));
  } finally {
    fs.rmSync(copy, { force: true });
  }
  const byName = new Map();
  // After the "Ir  file:function" header, e.g.
  // "1,234,567 (12.34%)  /work/main/history/engine.cc:tern::history::Engine::Run() [/work/main/build/bin/tern-server]"
  const lines = stdout.split('\n');
  for (const line of lines.slice(lines.findIndex((l) => /\sfile:function\s*$/.test(l)) + 1)) {
    const m = line.match(/^\s*([\d,]+)\s+\([^)]*\)\s+(.*?)(?:\s+\[([^\]]*)\])?\s*$/);
    if (!m) continue;
    // "file:function"; the file has no colon, a C++ name's "::" is not the separator.
    const fn = m[2].match(/^[^:]*:(?!:)(.*)$/)?.[1] ?? m[2];
    if (!keep(fn)) continue;
    const ir = Number(m[1].replace(/,/g, ''));
    const seen = byName.get(fn) ?? { function: fn, ir: 0, object: null };
    seen.ir = inclusive ? Math.max(seen.ir, ir) : seen.ir + ir;
    seen.object ??= m[3] ? path.basename(m[3]) : null;
    byName.set(fn, seen);
  }
  const total = Number(stdout.match(/^\s*([\d,]+)\s.*PROGRAM TOTALS/m)?.[1].replace(/,/g, ''));
  return [...byName.values()].sort((a, b) => b.ir - a.ir).slice(0, TOP_FUNCTIONS)
    .map((f) => ({ ...f, percent: round((100 * f.ir) / total, 2) }));
}

// The --json section: Ir of each part, per workflow and per unit of the phase, the phase minus
// the idle rate over its wall time, the top functions by self Ir of the phase and the top tern::
// functions by inclusive Ir.
async function summary(recorder, n, units, version, kept) {
  const phase = recorder.part('phase');
  const idle = recorder.part('idle');
  const idleIrPerSecond = idle.ir / idle.seconds;
  const corrected = phase.ir - idleIrPerSecond * phase.seconds;
  const perWorkflow = (list) => list.map((f) => ({ ...f, irPerWorkflow: Math.round(f.ir / n) }));
  return {
    valgrind: version,
    irPerWorkflow: Math.round(phase.ir / n),
    irPerUnit: Math.round(phase.ir / units),
    irPerWorkflowIdleCorrected: Math.round(corrected / n),
    irPerUnitIdleCorrected: Math.round(corrected / units),
    idleIrPerSecond: Math.round(idleIrPerSecond),
    parts: Object.fromEntries(recorder.parts.map((p) => [p.name, { ir: p.ir, seconds: round(p.seconds, 1) }])),
    // callgrind_annotate --inclusive=no over the measured phase.
    topSelf: perWorkflow(await topFunctions(phase.file, false)),
    // --inclusive=yes, Tern's own functions only: which of its code paths cost the most.
    topTernInclusive: perWorkflow(await topFunctions(phase.file, true, (fn) => fn.startsWith('tern::'))),
    ...(kept ? { files: recorder.parts.map((p) => p.file) } : {}),
  };
}

const millions = (ir) => `${(ir / 1e6).toFixed(2)} M`;

function rows(c, unit, row, L) {
  const p = c.parts;
  row('Ir / workflow (callgrind)', `${millions(c.irPerWorkflow)} (${millions(p.phase.ir)} in the phase); minus idle ` +
    `background (${millions(c.idleIrPerSecond)}/s x ${p.phase.seconds} s): ${millions(c.irPerWorkflowIdleCorrected)}`);
  if (c.irPerUnit !== c.irPerWorkflow) {
    row(`Ir / ${unit.replace(/s$/, '')}`, `${millions(c.irPerUnit)}; minus idle background: ${millions(c.irPerUnitIdleCorrected)}`);
  }
  row('Ir of the other parts', `start-up + warm-up ${millions(p.startup.ir)} (${p.startup.seconds} s), settle ` +
    `${millions(p.settle.ir)} (${p.settle.seconds} s), idle ${millions(p.idle.ir)} (${p.idle.seconds} s)`);
  const list = (title, top) => {
    L.push(`    ${'Ir/wf'.padStart(12)}  ${'%'.padStart(6)}  ${title}`);
    for (const f of top) {
      L.push(`    ${String(f.irPerWorkflow).padStart(12)}  ${f.percent.toFixed(2).padStart(6)}  ${shorten(f.function, FUNCTION_CHARS)}` +
        `${f.object ? ` [${f.object}]` : ''}`);
    }
  };
  list(`top ${c.topSelf.length} functions by self Ir in the phase`, c.topSelf);
  list(`top ${c.topTernInclusive.length} tern:: functions by inclusive Ir (callees included) in the phase`, c.topTernInclusive);
  if (c.files) L.push(`    files: ${c.files.join(' ')}`);
}

module.exports = { NOT_COMPARABLE, READY_TIMEOUT_MS, Recorder, STOP_TIMEOUT_MS, check, rows, summary };
