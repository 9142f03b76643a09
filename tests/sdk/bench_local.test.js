'use strict';
// bench/run in its own mode (it starts a durable PostgreSQL and tern-server from this build): a
// small one-activity run completes every workflow and reports the server-side counts
// docs/perf.md is made of, each within what one workflow can cost, and leaves no process behind.
const assert = require('node:assert/strict');
const { after, describe, it } = require('node:test');

const { bench, stopBenches } = require('./lib/bench');

describe('bench/run (local mode)', { timeout: 300_000 }, () => {
  after(stopBenches);

  it('runs the workflows and reports tern-server CPU, kernel share, switches (by thread group too) and database counts', async () => {
    // Enough workflows that tern-server's system time spans many of /proc's 10 ms ticks (10
    // workflows once measured 4 ticks of CPU, none of them in the kernel).
    const r = await bench(['--workflows', '200', '--concurrency', '20', '--warmup', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.mode, 'local');
    assert.equal(out.completed, 200);
    assert.equal(out.failed, 0);
    assert.equal(out.serverAlive, true);
    assert.match(out.config.durability, /^durable/);

    const { cpu, db } = out;
    assert.ok(cpu.secondsPer1000Workflows.server > 0, JSON.stringify(cpu));
    assert.ok(cpu.serverContextSwitchesPerWorkflow > 0, JSON.stringify(cpu));
    // The same by thread group: history's and matching's work runs on the blocking pool.
    const blocking = cpu.serverThreadGroupsPerWorkflow.find((g) => g.group === 'blocking');
    assert.ok(blocking?.cpuMs > 0 && blocking.switches > 0, JSON.stringify(cpu.serverThreadGroupsPerWorkflow));
    // Some of tern-server's CPU is system calls (sockets, futexes); never all of it.
    assert.ok(cpu.serverKernelPercent > 0 && cpu.serverKernelPercent < 100, JSON.stringify(cpu));

    // One activity per workflow: the execution row is inserted once and updated a few times
    // (started, task started and completed, activity, close), every write committed.
    assert.ok(db.stateTransitionsPerWorkflow >= 5 && db.stateTransitionsPerWorkflow <= 8, JSON.stringify(db));
    assert.ok(db.xactPerWorkflow > 0, JSON.stringify(db));
    assert.ok(db.walSyncsPerWorkflow > 0, 'durable: commits flush the WAL');
    assert.ok(db.statements.perWorkflow > 0, JSON.stringify(db.statements));
    assert.ok(db.statements.top.some((s) => /tern_write_executions/.test(s.query)), 'the write of each transition is listed');
  });

  it('drives eager workflow start through a worker in the client process, and can turn eager activities off', async () => {
    const r = await bench(['--workflows', '50', '--concurrency', '10', '--warmup', '2', '--eager-start',
      '--eager-activities', 'off', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.completed, 50);
    assert.equal(out.config.eagerStart, true);
    assert.equal(out.config.eagerActivities, false);
    assert.equal(out.eagerlyStarted, 50, 'every start is answered with its first workflow task');
    // Without either fast path a one-activity workflow writes its execution row 7 times; eager
    // start saves the first workflow task's start, and the activity still goes through matching.
    const { db } = out;
    assert.ok(db.stateTransitionsPerWorkflow > 5.5 && db.stateTransitionsPerWorkflow < 6.5, JSON.stringify(db));
  });
});
