'use strict';
// Graceful hand-off: SIGTERM to a history host while workflows run hands its shards to the other
// host (which acquires them with a higher range id) and exits 0; SIGTERM to a matching host
// answers its parked polls instead of dropping them; a rolling restart of every process, one by
// one as `kubectl rollout restart` does, under load. Throughout, the SDK client gives up on no
// call and every workflow completes (tests/cluster/lib/workload.js checks the rest).
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, uniqueName, waitFor,
} = require('../sdk/lib/harness');
const { currentLog, logLength, ownedShards } = require('./lib/logs');
const { describeError, useLoadedCluster } = require('./lib/workload');

const SHARDS = 16;
const EXITED_CLEANLY = { code: 0, signal: null };

async function waitListening(tern, name) {
  await waitFor(`${name} to listen`, () => /service listening on/.test(currentLog(tern, name)),
    { timeoutMs: 60_000 });
}

describe('graceful hand-off', { timeout: 900_000 }, () => {
  dumpLogsOnFailure();
  const cluster = useLoadedCluster();

  // Runs `during` while workflows start (some already running before, more started after),
  // then checks the whole workload; returns its report.
  async function underLoad(during) {
    const { load } = cluster;
    load.run({ everyMs: 300 });
    const startedMore = (n) => {
      const target = load.accepted.length + n;
      return waitFor(`${n} more workflows to start`, () => load.accepted.length >= target, { timeoutMs: 60_000 });
    };
    try {
      await startedMore(8);
      await during();
      await startedMore(8);
    } finally {
      await load.stop();
    }
    const report = await load.verify();
    assert.deepEqual(load.refusedStarts.map(describeError), [], 'starts the SDK client gave up on');
    assert.deepEqual(load.failedSignals.map(describeError), [], 'signals the SDK client gave up on');
    return report;
  }

  it('hands a stopping history host\'s shards to the other host', async () => {
    const { tern } = cluster;
    let taken;
    const report = await underLoad(async () => {
      await waitFor('both history hosts to own shards', () =>
        ownedShards(tern, 'tern-history-1').size > 0 && ownedShards(tern, 'tern-history-2').size > 0);
      const before = ownedShards(tern, 'tern-history-1');
      const from = logLength(tern, 'tern-history-2');
      assert.deepEqual(await tern.signalProcess('tern-history-1', 'SIGTERM'), EXITED_CLEANLY);
      await waitFor('tern-history-2 to take every shard of tern-history-1', () =>
        [...before.keys()].every((shard) => ownedShards(tern, 'tern-history-2', from).has(shard)));
      const after = ownedShards(tern, 'tern-history-2', from);
      taken = [...before].map(([shard, range]) => ({ shard, from: range, to: after.get(shard) }));
      tern.startProcess('tern-history-1');
      await waitListening(tern, 'tern-history-1');
    });
    for (const { shard, from, to } of taken) {
      assert.ok(to > from, `shard ${shard} was taken over with range id ${to}, not above ${from}`);
    }
    console.log(`history hand-off: ${taken.length} shards moved; ${JSON.stringify(report)}`);
  });

  it('survives a rolling restart of every process under load', async () => {
    const { tern } = cluster;
    const order = ['tern-worker', 'tern-matching-1', 'tern-matching-2', 'tern-history-1', 'tern-history-2',
      'tern-frontend'];
    const report = await underLoad(async () => {
      for (const name of order) {
        assert.deepEqual(await tern.signalProcess(name, 'SIGTERM'), EXITED_CLEANLY, name);
        tern.startProcess(name);
        await waitListening(tern, name);
      }
    });
    console.log(`rolling restart: ${JSON.stringify(report)}`);
  });
});

// One partition per task queue here, so each queue lives on exactly one matching host.
describe('graceful hand-off of matching', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  before(async () => {
    tern = await startTern({ cluster: { matching: 2 }, partitions: 1 });
  });
  after(async () => tern?.stop());

  it('answers the parked polls of a stopping matching host', async () => {
    // The frontend places polls by its view of the matching ring: both hosts must be in it.
    await waitFor('the frontend to see both matching hosts',
      () => /the matching ring now has 2 member/.test(currentLog(tern, 'tern-frontend')));
    const { connection } = await connectClient(tern, tern.namespace, { interceptors: [] });
    try {
      // Polls on queues of their own, spread over both matching hosts; nothing will arrive.
      const queues = Array.from({ length: 8 }, () => uniqueName('parked'));
      const polls = queues.map((name) => {
        const poll = { settled: false };
        poll.done = connection.withDeadline(Date.now() + 60_000, () => connection.workflowService.pollActivityTaskQueue({
          namespace: tern.namespace, taskQueue: { name }, identity: 'handoff-test',
        })).then((response) => ({ response }), (err) => ({ err })).finally(() => { poll.settled = true; });
        return poll;
      });
      const pollers = async (name) => (await connection.workflowService.describeTaskQueue({
        namespace: tern.namespace, taskQueue: { name }, taskQueueType: 2,
      })).pollers.length;
      await waitFor('every poll to reach matching', async () =>
        (await Promise.all(queues.map(pollers))).every((n) => n > 0));
      const onStopping = queues.map((name) => currentLog(tern, 'tern-matching-1').includes(name));
      assert.ok(onStopping.includes(true), 'no poll landed on tern-matching-1');
      assert.deepEqual(await tern.signalProcess('tern-matching-1', 'SIGTERM'), EXITED_CLEANLY);
      await waitFor('the polls parked on tern-matching-1 to be answered', () =>
        polls.every((p, i) => p.settled || !onStopping[i]), { timeoutMs: 15_000 });
      const answered = await Promise.all(polls.filter((_, i) => onStopping[i]).map((p) => p.done));
      assert.deepEqual(answered.filter((p) => p.err).map((p) => String(p.err)), [], 'polls that failed');
      for (const { response } of answered) assert.equal(response.taskToken.length, 0, 'no task was there to hand out');
    } finally {
      await connection.close();
    }
  });

});
