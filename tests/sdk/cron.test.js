'use strict';
// Cron workflows: the first run waits for the schedule, each completed run starts the next one
// with its result as the next run's last completion result.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

const CRON_SCHEDULE = 3; // ContinueAsNewInitiator.CRON_SCHEDULE

describe('cron workflows', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('cron');
    worker = await startWorker(tern, { taskQueue });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('runs on its schedule and passes each result to the next run', async () => {
    const workflowId = uniqueName('cron');
    const handle = await client.workflow.start('cronCounter', {
      taskQueue, workflowId, cronSchedule: '@every 1s',
    });
    const first = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
    assert.ok(first.events[0].workflowExecutionStartedEventAttributes.firstWorkflowTaskBackoff,
      'the first run waits for the schedule');
    // Wait until a third run exists: runs 1 and 2 completed and chained.
    const latest = await waitFor('three cron runs', async () => {
      const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events;
      const started = events[0].workflowExecutionStartedEventAttributes;
      const result = started.lastCompletionResult?.payloads?.[0];
      const previous = result ? Number(Buffer.from(result.data).toString()) : 0;
      return previous >= 2 ? started : null;
    }, { timeoutMs: 20_000 });
    assert.equal(latest.initiator, CRON_SCHEDULE);
    assert.equal(latest.firstExecutionRunId, handle.firstExecutionRunId);
    const firstClose = (await client.workflow.getHandle(workflowId, handle.firstExecutionRunId)
      .fetchHistory()).events.at(-1);
    assert.ok(firstClose.workflowExecutionCompletedEventAttributes?.newExecutionRunId);
    await client.workflow.getHandle(workflowId).terminate('done testing');
  });

  it('rejects an invalid cron schedule at start', async () => {
    const err = await client.workflow
      .start('cronCounter', { taskQueue, workflowId: uniqueName('bad'), cronSchedule: '61 * * * *' })
      .then(() => null, (e) => e);
    assert.ok(err, 'the start was rejected');
    assert.equal(err.cause?.code, 3, `INVALID_ARGUMENT expected, got ${err.cause?.code}`);
    assert.match(err.cause?.details ?? err.cause?.message ?? '', /minute 61 is out of range/);
  });
});
