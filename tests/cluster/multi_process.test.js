'use strict';
// The four services as separate processes (tern-frontend, tern-history, tern-matching,
// tern-worker) on loopback ports against one PostgreSQL run workflows end to end.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  connectClient,
  dumpLogsOnFailure,
  startTern,
  startWorker,
  uniqueName,
} = require('../sdk/lib/harness');

describe('multi-process cluster', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  let client;
  let connection;
  let worker;
  const taskQueue = uniqueName('cluster');

  before(async () => {
    tern = await startTern({ cluster: true, shards: 4, partitions: 4 });
    ({ client, connection } = await connectClient(tern));
    worker = await startWorker(tern, {
      taskQueue,
      activities: {
        async greet(name) {
          return `Hello, ${name}`;
        },
      },
    });
  });

  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('runs one process per service', () => {
    const pids = tern.pids();
    assert.deepEqual(Object.keys(pids).sort(),
      ['tern-frontend', 'tern-history', 'tern-matching', 'tern-worker']);
    assert.equal(new Set(Object.values(pids)).size, 4);
  });

  it('completes activity + timer workflows across the services', { timeout: 180_000 },
    async () => {
      const names = Array.from({ length: 6 }, (_, i) => `cluster-${i}`);
      // Several workflow ids spread the executions over the history shards.
      const handles = await Promise.all(
        names.map((name) =>
          client.workflow.start('activityThenTimer', {
            taskQueue,
            workflowId: uniqueName(name),
            args: [name, 1000],
          }),
        ),
      );
      const results = await Promise.all(handles.map((h) => h.result()));
      assert.deepEqual(results, names.map((name) => `Hello, ${name} after 1000ms`));

      // A second round on the warm cluster, one after another.
      for (const name of ['sequential-a', 'sequential-b']) {
        const result = await client.workflow.execute('activityThenTimer', {
          taskQueue,
          workflowId: uniqueName(name),
          args: [name, 200],
        });
        assert.equal(result, `Hello, ${name} after 200ms`);
      }
    });
});
