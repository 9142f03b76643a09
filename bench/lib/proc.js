'use strict';
// /proc readers: CPU time of processes and of the whole machine, memory high-water marks, and a
// description of the machine.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { performance } = require('node:perf_hooks');

let clkTck;
function clockTicks() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

// {pid, ppid, utime, stime, cutime, cstime} in clock ticks, or undefined if the process is gone.
function procStat(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStat(pid, text);
}

// A /proc/.../stat line's fields that procStat reports.
function parseStat(pid, text) {
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid: Number(pid),
    ppid: Number(rest[1]),
    utime: Number(rest[11]),
    stime: Number(rest[12]),
    cutime: Number(rest[13]),
    cstime: Number(rest[14]),
  };
}

// CPU seconds (user + system, all threads) of one live process; NaN if it is gone.
function cpuSeconds(pid) {
  const s = procStat(pid);
  return s ? (s.utime + s.stime) / clockTicks() : NaN;
}

// CPU of a process tree rooted at `rootPid` (direct children only, which is what a PostgreSQL
// postmaster has), including children that already exited and were reaped (cutime/cstime of the
// root). Returns {total, byPid} in seconds; diff two snapshots with treeCpuDelta().
function treeCpu(rootPid) {
  const byPid = {};
  let total = 0;
  const root = procStat(rootPid);
  if (!root) return { total: NaN, byPid };
  const add = (pid, ticks) => {
    byPid[pid] = ticks / clockTicks();
    total += byPid[pid];
  };
  add(`root`, root.utime + root.stime + root.cutime + root.cstime);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(entry);
    if (s && s.ppid === Number(rootPid)) add(entry, s.utime + s.stime);
  }
  return { total, byPid };
}

// CPU used by the tree between two snapshots. A child present at the end but not at the start
// was born in between, so all of its time counts; a child present only at the start exited, and
// its time moved into the root's cutime/cstime, which are counted (its earlier time is taken off).
function treeCpuDelta(before, after) {
  let delta = 0;
  for (const [pid, sec] of Object.entries(after.byPid)) delta += sec - (before.byPid[pid] ?? 0);
  for (const [pid, sec] of Object.entries(before.byPid)) {
    if (!(pid in after.byPid)) delta -= sec;
  }
  return delta;
}

// Whole-machine CPU from the first line of /proc/stat, in seconds summed over all CPUs.
function machineCpu() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const hz = clockTicks();
  return {
    busy: (user + nice + system + irq + softirq + steal) / hz,
    idle: idle / hz,
    iowait: iowait / hz,
    steal: steal / hz,
  };
}

// A field of /proc/PID/status in kB (VmHWM, VmRSS, ...), or NaN.
function statusKb(pid, field) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

// Memory of a process now, in MiB: resident (VmRSS) and its anonymous and file-backed parts
// (RssAnon: heap, stacks; RssFile: mapped binary and libraries), the proportional set size (PSS:
// each shared page divided among the processes that map it, so that PSS adds up over processes),
// the resident high-water mark (VmHWM), and its threads.
function memory(pid) {
  const mib = (kb) => Math.round((kb / 1024) * 10) / 10;
  let pss = NaN;
  try {
    pss = Number(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m)[1]);
  } catch {
    /* gone, or not readable */
  }
  return {
    rssMiB: mib(statusKb(pid, 'VmRSS')),
    anonMiB: mib(statusKb(pid, 'RssAnon')),
    fileMiB: mib(statusKb(pid, 'RssFile')),
    pssMiB: mib(pss),
    hwmMiB: mib(statusKb(pid, 'VmHWM')),
    threads: threads(pid),
  };
}

// Threads of a process (`Threads:` of /proc/PID/status), or null if it is gone.
function threads(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Threads:\s+(\d+)/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// The live threads of a process by group: a thread's name without its trailing number
// (blocking0..blocking15 are "blocking"). Per group: CPU ticks (user + system) and context
// switches (voluntary + involuntary), summed over /proc/PID/task/*; null if the process is gone.
// Threads that exited take theirs along.
function threadGroups(pid) {
  let tasks;
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const groups = {};
  for (const tid of tasks) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const name = fs.readFileSync(`${dir}/comm`, 'utf8').trim().replace(/\d+$/, '') || '?';
      const stat = parseStat(tid, fs.readFileSync(`${dir}/stat`, 'utf8'));
      const status = fs.readFileSync(`${dir}/status`, 'utf8');
      let switches = 0;
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) switches += Number(m[1]);
      const group = (groups[name] ??= { ticks: 0, switches: 0 });
      group.ticks += stat.utime + stat.stime;
      group.switches += switches;
    } catch {
      // the thread exited meanwhile
    }
  }
  return groups;
}

// What each thread group of `b` used since `a` (two threadGroups snapshots), and the switches of
// all of them together.
function threadGroupsDelta(a, b) {
  const groups = {};
  let switches = 0;
  for (const [name, now] of Object.entries(b ?? {})) {
    const before = a?.[name] ?? { ticks: 0, switches: 0 };
    groups[name] = { seconds: (now.ticks - before.ticks) / clockTicks(), switches: now.switches - before.switches };
    switches += groups[name].switches;
  }
  return { groups, switches };
}

// CPU seconds of the processes in `pids` (name -> pid) and of the whole machine, now.
function cpuSample(pids) {
  const processes = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  return { at: performance.now(), processes, machine: machineCpu() };
}

// The CPU between two samples of the same processes: seconds of wall time, each process's CPU
// seconds, those of `extra` (name -> seconds measured otherwise, e.g. a process tree), the
// machine's busy, iowait and steal seconds, and `other`: busy seconds no named process used.
function cpuUsage(a, b, extra = {}) {
  const used = { ...extra };
  for (const name of Object.keys(b.processes)) used[name] = b.processes[name] - a.processes[name];
  const machineBusy = b.machine.busy - a.machine.busy;
  return {
    seconds: (b.at - a.at) / 1000,
    ...used,
    machineBusy,
    machineIowait: b.machine.iowait - a.machine.iowait,
    machineSteal: b.machine.steal - a.machine.steal,
    other: machineBusy - Object.values(used).reduce((total, sec) => total + sec, 0),
  };
}

function machine() {
  let nproc = os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    /* keep os.cpus() */
  }
  let cpuModel = 'unknown';
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) cpuModel = m[1].trim();
  } catch {
    /* unknown */
  }
  return {
    nproc,
    cpuModel,
    memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

module.exports = {
  clockTicks, cpuSample, cpuSeconds, cpuUsage, machine, machineCpu, memory, procStat, threadGroups, threadGroupsDelta,
  statusKb, threads, treeCpu, treeCpuDelta,
};
