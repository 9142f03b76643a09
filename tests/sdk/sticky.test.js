'use strict';
// Sticky execution: a worker that has a run cached gets its next workflow task on its own
// sticky queue with only the new events; when that worker is gone (shut down, or not polling
// lately) the task moves to the normal queue with the full history.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

const STICKY = 2; // TaskQueueKind.STICKY

describe('sticky execution', () => {
  dumpLogsOnFailure();
  let tern, client, connection;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
  });
  after(async () => {
    await connection?.close();
    await tern?.stop();
  });

  it('sends follow-up workflow tasks to the worker sticky queue', async () => {
    const taskQueue = uniqueName('sticky');
    const worker = await startWorker(tern, { taskQueue });
    try {
      const handle = await client.workflow.start('collectSignals', {
        taskQueue, workflowId: uniqueName('sticky'), args: [2],
      });
      // Signal only once the worker holds the run, so the signals need a task of their own.
      await waitFor('the first workflow task to complete', async () =>
        (await handle.fetchHistory()).events.some((e) => e.workflowTaskCompletedEventAttributes));
      await handle.signal('item', 'a');
      await handle.signal('item', 'b');
      assert.deepEqual(await handle.result(), ['a', 'b']);
      const scheduled = (await handle.fetchHistory()).events
        .filter((e) => e.workflowTaskScheduledEventAttributes)
        .map((e) => e.workflowTaskScheduledEventAttributes.taskQueue);
      assert.ok(scheduled.length >= 2);
      assert.notEqual(scheduled[0].kind, STICKY, 'the first task goes to the normal queue');
      assert.ok(scheduled.slice(1).some((q) => q.kind === STICKY && q.normalName === taskQueue),
        `later tasks go to the sticky queue: ${JSON.stringify(scheduled)}`);
    } finally {
      await worker.stop();
    }
  });

  it('moves a task to the normal queue at once when the sticky worker shuts down', async () => {
    const taskQueue = uniqueName('fallback');
    const first = await startWorker(tern, { taskQueue, options: { identity: 'first-worker' } });
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('fallback'),
    });
    await waitFor('the first workflow task to complete', async () =>
      (await handle.fetchHistory()).events.some((e) => e.workflowTaskCompletedEventAttributes));
    await first.stop(); // ShutdownWorker releases its sticky queue
    const second = await startWorker(tern, { taskQueue, options: { identity: 'second-worker' } });
    try {
      await handle.signal('release');
      assert.equal(await handle.result(), 'released');
      const events = (await handle.fetchHistory()).events;
      // Moved without waiting for the sticky schedule-to-start timeout (which would have left a
      // WorkflowTaskTimedOut event).
      assert.equal(events.filter((e) => e.workflowTaskTimedOutEventAttributes).length, 0);
      const started = events.filter((e) => e.workflowTaskStartedEventAttributes);
      assert.equal(started.at(-1).workflowTaskStartedEventAttributes.identity, 'second-worker');
      const ids = events.map((e) => Number(e.eventId));
      assert.deepEqual(ids, ids.map((_, i) => i + 1));
    } finally {
      await second.stop();
    }
  });

  it('sends a task to the normal queue when nobody ever polled the sticky queue', async () => {
    // A hand-driven worker asks for stickiness on a queue it never polls.
    const taskQueue = uniqueName('ghost');
    const svc = connection.workflowService;
    const handle = await client.workflow.start('waitForRelease', { taskQueue, workflowId: uniqueName('ghost') });
    const poll = () => svc.pollWorkflowTaskQueue({
      namespace: tern.namespace, taskQueue: { name: taskQueue }, identity: 'raw-worker',
    });
    const first = await poll();
    assert.equal(first.workflowExecution.workflowId, handle.workflowId);
    await svc.respondWorkflowTaskCompleted({
      namespace: tern.namespace,
      taskToken: first.taskToken,
      identity: 'raw-worker',
      stickyAttributes: {
        workerTaskQueue: { name: `${taskQueue}-ghost-sticky`, kind: STICKY },
        scheduleToStartTimeout: { seconds: 600 },
      },
    });
    await handle.signal('release');
    const second = await poll();
    assert.equal(second.workflowExecution.workflowId, handle.workflowId);
    assert.equal(Number(second.history.events[0].eventId), 1, 'the normal queue gets full history');
    const events = (await handle.fetchHistory()).events;
    const scheduled = events.filter((e) => e.workflowTaskScheduledEventAttributes);
    assert.equal(scheduled.at(-1).workflowTaskScheduledEventAttributes.taskQueue.kind, STICKY);
    assert.equal(events.filter((e) => e.workflowTaskTimedOutEventAttributes).length, 0);
    await handle.terminate('done');
  });
});
