'use strict';
// Sticky execution: a worker that has a run cached gets its next workflow task on its own
// sticky queue with only the new events; when that worker is gone the task times out there and
// moves to the normal queue with the full history.
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

  it('moves a task to the normal queue when the sticky worker is gone', async () => {
    const taskQueue = uniqueName('fallback');
    const first = await startWorker(tern, {
      taskQueue, options: { stickyQueueScheduleToStartTimeout: '1s', identity: 'first-worker' },
    });
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('fallback'),
    });
    await waitFor('the first workflow task to complete', async () =>
      (await handle.fetchHistory()).events.some((e) => e.workflowTaskCompletedEventAttributes));
    await first.stop();
    const second = await startWorker(tern, { taskQueue, options: { identity: 'second-worker' } });
    try {
      await handle.signal('release');
      assert.equal(await handle.result(), 'released');
      const events = (await handle.fetchHistory()).events;
      const timedOut = events.find((e) => e.workflowTaskTimedOutEventAttributes);
      assert.ok(timedOut, 'the sticky task timed out');
      assert.equal(timedOut.workflowTaskTimedOutEventAttributes.timeoutType, 2); // SCHEDULE_TO_START
      const ids = events.map((e) => Number(e.eventId));
      assert.deepEqual(ids, ids.map((_, i) => i + 1));
    } finally {
      await second.stop();
    }
  });
});
