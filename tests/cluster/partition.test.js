'use strict';
// Fencing under a network partition: tern-history-1 runs in a network namespace of its own
// (tests/sdk/lib/netns.js). While it owns shards under SDK load, its link goes down: it can
// reach neither PostgreSQL nor its peers, but keeps running and still believes it owns its
// shards. tern-history-2 takes them over with higher range ids once tern-history-1's heartbeats
// expire. When the link comes back, the writes tern-history-1 still makes for those shards are
// rejected by the range-id check (it logs each one and gives the shard up), and the workload
// checks hold: every workflow completes once, and every history is one owner's well-formed
// sequence of events.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');

const { dumpLogsOnFailure, waitFor } = require('../sdk/lib/harness');
const { canIsolate } = require('../sdk/lib/netns');
const { currentLog, logLength, ownedShards } = require('./lib/logs');
const { useLoadedCluster } = require('./lib/workload');

const CUT = 'tern-history-1';
const OTHER = 'tern-history-2';

describe('fencing under a network partition', { timeout: 600_000, skip: !canIsolate() && 'needs root for ip netns' }, () => {
  dumpLogsOnFailure();
  const cluster = useLoadedCluster({ isolate: [CUT] });

  it('rejects the late writes of a cut-off owner and loses nothing', async () => {
    const { tern, load } = cluster;
    load.run({ everyMs: 300 });
    let rejected;
    try {
      await waitFor('workflows on both history hosts', () => load.accepted.length >= 10
        && ownedShards(tern, CUT).size > 0 && ownedShards(tern, OTHER).size > 0, { timeoutMs: 60_000 });
      const owned = ownedShards(tern, CUT);
      const cutAt = { [CUT]: logLength(tern, CUT), [OTHER]: logLength(tern, OTHER) };
      tern.cutOff(CUT);

      // Its heartbeats stop reaching the database: the other host takes every shard over.
      await waitFor(`${OTHER} to take over the shards of ${CUT}`, () => {
        const taken = ownedShards(tern, OTHER, cutAt[OTHER]);
        return [...owned.keys()].every((shard) => taken.has(shard));
      }, { timeoutMs: 120_000 });
      const taken = ownedShards(tern, OTHER, cutAt[OTHER]);
      for (const [shard, range] of owned) {
        assert.ok(taken.get(shard) > range, `shard ${shard} was taken with range id ${taken.get(shard)}, not above ${range}`);
      }
      const target = load.accepted.length + 5;
      await waitFor('more workflows to start while it is cut off', () => load.accepted.length >= target,
        { timeoutMs: 120_000 });

      tern.reconnect(CUT);
      // What it writes now for a shard it lost fails the range-id check.
      const fencedShards = () => new Set([...currentLog(tern, CUT, cutAt[CUT])
        .matchAll(/"history: shard (\d+) lost ownership".*no longer owned at range_id/g)].map((m) => Number(m[1])));
      await waitFor(`${CUT} to have a late write rejected`, () => fencedShards().size > 0, { timeoutMs: 120_000 });
      rejected = [...fencedShards()];
      for (const shard of rejected) assert.ok(owned.has(shard), `shard ${shard} was not ${CUT}'s`);
    } finally {
      tern.reconnect(CUT);
      await load.stop();
    }
    const report = await load.verify();
    assert.equal(tern.procs.get(CUT).exitInfo, undefined, `${CUT} exited`);
    console.log(`partition: ${JSON.stringify({ rejectedShards: rejected.length, ...report })}`);
  });
});
