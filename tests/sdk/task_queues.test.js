'use strict';
// Task-queue statistics through the official client, as a worker autoscaler or
// `temporal task-queue describe` reads them: DescribeTaskQueue's backlog, add and dispatch rates
// and pollers (with their rate limit) summed over the partitions, pollers ageing out after
// matching.pollerHistoryTTL, the deprecated ENHANCED mode, and ListTaskQueuePartitions with the
// matching host that owns each partition.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

const WORKFLOW = 1;
const ACTIVITY = 2;
const ENHANCED = 1; // DESCRIBE_TASK_QUEUE_MODE_ENHANCED

describe('task queues', { timeout: 180_000 }, () => {
  dumpLogsOnFailure();
  let tern, connection, client;

  before(async () => {
    tern = await startTern({
      partitions: 4,
      dynamicConfig: {
        // Pollers leave DescribeTaskQueue 2 s after their last poll; idle polls end after 2 s.
        'matching.pollerHistoryTTL': '2s',
        'matching.longPollExpirationInterval': '2s',
      },
    });
    ({ connection, client } = await connectClient(tern));
  });
  after(async () => {
    await connection?.close();
    await tern?.stop();
  });

  const describeQueue = (name, type, extra = {}) => connection.workflowService.describeTaskQueue({
    namespace: 'default', taskQueue: { name }, taskQueueType: type, reportStats: true, ...extra,
  });

  it('reports backlog and add rate with nobody polling, then dispatch rate and pollers', async () => {
    const taskQueue = uniqueName('stats');
    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push(await client.workflow.start('activityThenTimer', {
        taskQueue, workflowId: uniqueName('stats'), args: ['x', 1],
      }));
    }
    // The first workflow tasks reach matching right after each start commits.
    let idle;
    await waitFor('the three workflow tasks in the backlog', async () => {
      idle = await describeQueue(taskQueue, WORKFLOW);
      return Number(idle.stats.approximateBacklogCount) === 3;
    });
    assert.equal(idle.pollers.length, 0);
    // Three tasks added within the rate window, none dispatched.
    assert.ok(idle.stats.tasksAddRate > 0, JSON.stringify(idle.stats));
    assert.equal(idle.stats.tasksDispatchRate, 0);

    const worker = await startWorker(tern, {
      taskQueue,
      activities: { greet: async (name) => `hello ${name}` },
      // Sent on activity polls as task_queue_metadata.max_tasks_per_second.
      options: { maxTaskQueueActivitiesPerSecond: 50 },
    });
    try {
      await Promise.all(runs.map((run) => run.result()));
      const workflow = await describeQueue(taskQueue, WORKFLOW);
      assert.equal(Number(workflow.stats.approximateBacklogCount), 0);
      assert.ok(workflow.stats.tasksDispatchRate > 0, JSON.stringify(workflow.stats));
      assert.equal(workflow.pollers.length, 1, JSON.stringify(workflow.pollers));
      const [poller] = workflow.pollers;
      assert.match(poller.identity, /@/);
      assert.equal(poller.ratePerSecond, 100000, 'no limit on workflow polls: the default rate');
      const activity = await describeQueue(taskQueue, ACTIVITY);
      assert.ok(activity.stats.tasksAddRate > 0 && activity.stats.tasksDispatchRate > 0,
        JSON.stringify(activity.stats));
      assert.equal(activity.pollers.length, 1, JSON.stringify(activity.pollers));
      assert.equal(activity.pollers[0].identity, poller.identity);
      assert.equal(activity.pollers[0].ratePerSecond, 50);

      // The deprecated ENHANCED mode answers for both types under the unversioned key.
      const enhanced = await connection.workflowService.describeTaskQueue({
        namespace: 'default', taskQueue: { name: taskQueue }, apiMode: ENHANCED,
        reportPollers: true, reportStats: true,
      });
      const types = enhanced.versionsInfo[''].typesInfo;
      assert.deepEqual(Object.keys(types).sort(), [String(WORKFLOW), String(ACTIVITY)]);
      assert.equal(types[ACTIVITY].pollers[0].identity, poller.identity);
      assert.equal(Number(types[WORKFLOW].stats.approximateBacklogCount), 0);
      await assert.rejects(connection.workflowService.describeTaskQueue({
        namespace: 'default', taskQueue: { name: taskQueue }, apiMode: ENHANCED,
        versions: { buildIds: ['v1'] },
      }), (err) => {
        assert.equal(err.code, 3);
        assert.match(err.details ?? err.message, /no worker versioning/);
        return true;
      });
    } finally {
      await worker.stop();
    }

    // Once the worker is gone, its pollers age out.
    await waitFor('the stopped worker to leave DescribeTaskQueue', async () => {
      const [wf, act] = await Promise.all([describeQueue(taskQueue, WORKFLOW), describeQueue(taskQueue, ACTIVITY)]);
      return wf.pollers.length === 0 && act.pollers.length === 0;
    });
  });

  it('lists the partitions of both task types with their owner host', async () => {
    const taskQueue = uniqueName('partitions');
    const matching = `127.0.0.1:${tern.ports.matching}`;
    const listed = await connection.workflowService.listTaskQueuePartitions({
      namespace: 'default', taskQueue: { name: taskQueue },
    });
    const keys = (partitions) => partitions.map((p) => p.key);
    const expected = [taskQueue, ...[1, 2, 3].map((i) => `/_sys/${taskQueue}/${i}`)];
    assert.deepEqual(keys(listed.workflowTaskQueuePartitions), expected);
    assert.deepEqual(keys(listed.activityTaskQueuePartitions), expected);
    for (const p of [...listed.workflowTaskQueuePartitions, ...listed.activityTaskQueuePartitions]) {
      assert.equal(p.ownerHostName, matching);
    }

    await assert.rejects(connection.workflowService.listTaskQueuePartitions({ namespace: 'default' }), (err) => {
      assert.equal(err.code, 3);
      assert.match(err.details ?? err.message, /TaskQueue is not set/);
      return true;
    });
    await assert.rejects(connection.workflowService.listTaskQueuePartitions({
      namespace: 'no-such-namespace', taskQueue: { name: taskQueue },
    }), (err) => {
      assert.equal(err.code, 5);
      return true;
    });
  });
});
