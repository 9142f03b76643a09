'use strict';
// Database restart: PostgreSQL stops (fast shutdown) in the middle of SDK load and starts again
// a few seconds later. Meanwhile callers get a retryable error (UNAVAILABLE), not a hang or a
// crash; no shard or partition changes owner (every host kept its view of the cluster);
// afterwards every Tern process is still up, and the workload checks of
// tests/cluster/lib/workload.js hold: nothing accepted was lost, nothing ran twice.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, uniqueName, waitFor,
} = require('../sdk/lib/harness');
const { currentLog, logLength, shardOwnershipSettled } = require('./lib/logs');
const { useLoadedCluster } = require('./lib/workload');

const RETRYABLE = new Set([8, 14]); // RESOURCE_EXHAUSTED, UNAVAILABLE: the SDKs retry both
const OUTAGE_MS = 4000;
const SHARDS = 16; // useLoadedCluster's
// Log lines that mean a shard or a partition changed hands.
const MOVES = /history: (released shard|shard \d+ lost ownership|shard \d+ acquired)|matching: unloading the \w+ partition \((ring moved|lease taken)/;

describe('database restart', { timeout: 600_000 }, () => {
  dumpLogsOnFailure();
  const cluster = useLoadedCluster();

  it('answers retryably while PostgreSQL is down and loses nothing', async () => {
    const { tern, load } = cluster;
    const { connection: raw } = await connectClient(tern, tern.namespace, { interceptors: [] });
    let movesSinceOutage;
    let answeredMs;
    try {
      load.run({ everyMs: 300 });
      await waitFor('workflows to be running', () => load.accepted.length >= 10, { timeoutMs: 60_000 });
      // Start-up churn over: a stale shard found out after this would count as a move.
      const historyHosts = tern.processNames().filter((name) => name.startsWith('tern-history'));
      await waitFor('shard ownership to settle',
        () => shardOwnershipSettled(tern, historyHosts, SHARDS), { timeoutMs: 60_000 });
      const logStart = Object.fromEntries(tern.processNames().map((name) => [name, logLength(tern, name)]));
      movesSinceOutage = () => tern.processNames().flatMap((name) =>
        currentLog(tern, name, logStart[name]).split('\n').filter((l) => MOVES.test(l)).map((l) => `${name}: ${l}`));
      await tern.stopDatabase('fast');
      const outageStart = Date.now();
      // A start with no SDK retries sees what every caller sees now.
      const err = await raw.withDeadline(Date.now() + 30_000, () => raw.workflowService.startWorkflowExecution({
        namespace: tern.namespace,
        workflowId: uniqueName('during-outage'),
        workflowType: { name: 'timerOnly' },
        taskQueue: { name: load.taskQueue },
        input: { payloads: [] },
        identity: 'database-restart-test',
        requestId: uniqueName('req'),
      })).then(() => undefined, (e) => e);
      answeredMs = Date.now() - outageStart;
      assert.ok(RETRYABLE.has(err?.code), `a start during the outage got ${err}`);
      await new Promise((resolve) => { setTimeout(resolve, OUTAGE_MS); }); // the outage itself
      await tern.startDatabase();
      const target = load.accepted.length + 10;
      await waitFor('workflows to start again', () => load.accepted.length >= target, { timeoutMs: 120_000 });
    } finally {
      await load.stop();
      await raw.close();
    }
    for (const name of tern.processNames()) {
      assert.equal(tern.procs.get(name).exitInfo, undefined, `${name} exited`);
    }
    const report = await load.verify();
    const gaveUp = [...load.refusedStarts, ...load.failedSignals];
    assert.deepEqual(gaveUp.filter((e) => !RETRYABLE.has(e.code)).map(String), [], 'non-retryable errors');
    assert.deepEqual(movesSinceOutage(), [], 'shards or partitions that moved');
    console.log(`database restart: ${JSON.stringify({ outageMs: OUTAGE_MS, answeredMs, ...report })}`);
  });
});
