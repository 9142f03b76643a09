'use strict';
// Workflow updates: accepted and completed, rejected by the validator, deduplicated by id, and
// refused once the workflow is closed.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { WorkflowUpdateFailedError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName,
} = require('./lib/harness');

describe('updates', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('updates');
    worker = await startWorker(tern, { taskQueue });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('runs updates and returns their results', async () => {
    const handle = await client.workflow.start('counterWithUpdates', {
      taskQueue, workflowId: uniqueName('counter'),
    });
    assert.equal(await handle.executeUpdate('add', { args: [2] }), 2);
    assert.equal(await handle.executeUpdate('add', { args: [3] }), 5);
    const started = await handle.startUpdate('add', { args: [10], waitForStage: 'ACCEPTED' });
    assert.equal(await started.result(), 15);
    await handle.signal('finish');
    assert.equal(await handle.result(), 15);
    const events = (await handle.fetchHistory()).events;
    assert.equal(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 3);
    assert.equal(events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes).length, 3);
  });

  it('reports a validator rejection and writes no update events', async () => {
    const handle = await client.workflow.start('counterWithUpdates', {
      taskQueue, workflowId: uniqueName('reject'),
    });
    const err = await handle.executeUpdate('add', { args: [-1] }).then(() => null, (e) => e);
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${err}`);
    assert.match(err.cause?.message ?? '', /negative numbers are not allowed/);
    assert.equal(await handle.executeUpdate('add', { args: [1] }), 1);
    await handle.signal('finish');
    await handle.result();
    const events = (await handle.fetchHistory()).events;
    assert.equal(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 1);
  });

  it('deduplicates updates by id', async () => {
    const handle = await client.workflow.start('counterWithUpdates', {
      taskQueue, workflowId: uniqueName('dedupe'),
    });
    const updateId = uniqueName('update');
    assert.equal(await handle.executeUpdate('add', { args: [4], updateId }), 4);
    assert.equal(await handle.executeUpdate('add', { args: [4], updateId }), 4);
    await handle.signal('finish');
    assert.equal(await handle.result(), 4);
  });

  it('refuses an update on a closed workflow', async () => {
    const handle = await client.workflow.start('counterWithUpdates', {
      taskQueue, workflowId: uniqueName('closed'),
    });
    await handle.signal('finish');
    await handle.result();
    await assert.rejects(handle.executeUpdate('add', { args: [1] }));
  });
});
