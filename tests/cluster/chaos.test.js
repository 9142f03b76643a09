'use strict';
// Chaos under load: six Tern processes (one frontend, two history hosts over 16 shards, two
// matching hosts, one worker service) serve an SDK workload while a driver SIGKILLs a random
// process every few seconds and starts it again, every process kind in turn. Afterwards every
// accepted workflow has completed once with the right result, nothing ran twice, every history
// is well formed and replays, and no task queue keeps a backlog (tests/cluster/lib/workload.js).
//
// CI runs 10 kills; TERN_CHAOS_KILLS=50 (or more) is the long form:
//   TERN_CHAOS_KILLS=50 scripts/test cluster -- tests/cluster/chaos.test.js
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const { dumpLogsOnFailure } = require('../sdk/lib/harness');
const { useLoadedCluster } = require('./lib/workload');

const KILLS = Number(process.env.TERN_CHAOS_KILLS || 10);
const KINDS = ['frontend', 'history', 'matching', 'worker'];

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const between = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo));
const shuffled = (list) => list.map((x) => [Math.random(), x]).sort(([a], [b]) => a - b).map(([, x]) => x);

describe(`chaos: ${KILLS} kills under load`, { timeout: 900_000 }, () => {
  dumpLogsOnFailure();
  const cluster = useLoadedCluster();

  it('loses nothing, runs nothing twice and leaves every history replayable', async () => {
    const { tern, load } = cluster;
    load.run({ everyMs: 400 });
    const kills = Object.fromEntries(KINDS.map((k) => [k, 0]));
    // Kinds in shuffled rounds, so any ten kills cover every kind; a random host of the kind.
    const order = Array.from({ length: Math.ceil(KILLS / KINDS.length) }, () => shuffled(KINDS)).flat();
    for (const kind of order.slice(0, KILLS)) {
      await pause(between(1500, 4000));
      const hosts = tern.processNames().filter((n) => n === `tern-${kind}` || n.startsWith(`tern-${kind}-`));
      const name = hosts[between(0, hosts.length)];
      assert.deepEqual(await tern.signalProcess(name, 'SIGKILL'), { code: null, signal: 'SIGKILL' });
      kills[kind]++;
      await pause(between(200, 1500));
      tern.startProcess(name);
    }
    await pause(2000);
    await load.stop();
    for (const name of tern.processNames()) {
      assert.equal(tern.procs.get(name).exitInfo, undefined, `${name} exited by itself`);
    }

    const report = await load.verify();
    console.log(`chaos report: ${JSON.stringify({ kills, ...report })}`);
    assert.ok(report.accepted > 0, 'no workflow was started');
    assert.equal(load.worker.failed, undefined, `the SDK worker failed: ${load.worker.failed}`);
  });
});
