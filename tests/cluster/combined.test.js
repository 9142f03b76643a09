'use strict';
// Whole tern-servers side by side on one database. Each runs every service, and calls between
// its own services go straight to them (no gRPC) for the shards and partitions it holds, over
// gRPC to the other server for the rest. Under load, then with one server stopped (its shards
// and partitions move to the other mid-call), every workflow completes and the SDK client gives
// up on no call (tests/cluster/lib/workload.js checks the rest).
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');

const { dumpLogsOnFailure, waitFor } = require('../sdk/lib/harness');
const { ownedShards } = require('./lib/logs');
const { describeError, useLoadedCluster } = require('./lib/workload');

const SHARDS = 16;
const EXITED_CLEANLY = { code: 0, signal: null };

describe('tern-servers side by side', { timeout: 600_000 }, () => {
  dumpLogsOnFailure();
  const cluster = useLoadedCluster({ cluster: false, servers: 2, shards: SHARDS, partitions: 4 });

  it('runs workflows across both servers, and on one once the other stops', async () => {
    const { tern, load } = cluster;
    await waitFor('both servers to own shards', () =>
      ownedShards(tern, 'tern-server-1').size > 0 && ownedShards(tern, 'tern-server-2').size > 0,
    { timeoutMs: 60_000 });
    const startedMore = (n) => {
      const target = load.accepted.length + n;
      return waitFor(`${n} more workflows to start`, () => load.accepted.length >= target, { timeoutMs: 60_000 });
    };
    load.run({ everyMs: 300 });
    try {
      await startedMore(12);
      assert.deepEqual(await tern.signalProcess('tern-server-2', 'SIGTERM'), EXITED_CLEANLY);
      await waitFor('tern-server-1 to own every shard',
        () => ownedShards(tern, 'tern-server-1').size === SHARDS, { timeoutMs: 60_000 });
      await startedMore(12);
    } finally {
      await load.stop();
    }
    const report = await load.verify();
    assert.ok(report.completed >= 24, `${report.completed} workflows completed`);
    assert.deepEqual(load.refusedStarts.map(describeError), [], 'starts the SDK client gave up on');
    assert.deepEqual(load.failedSignals.map(describeError), [], 'signals the SDK client gave up on');
  });
});
