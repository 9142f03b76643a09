'use strict';
// Workflow updates: accepted and completed, rejected by the validator, deduplicated by id, and
// refused once the workflow is closed.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError,
} = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
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

  // Temporal delivers an update to an idle workflow on a speculative workflow task: when the
  // workflow only rejects it, the task's events are dropped and the worker rolls back.
  it('leaves no trace in history when an idle workflow rejects updates', async () => {
    const handle = await client.workflow.start('counterWithUpdates', {
      taskQueue, workflowId: uniqueName('speculative'),
    });
    const idleHistory = await waitFor('the first workflow task to complete', async () => {
      const { events } = await handle.fetchHistory();
      return events.some((e) => e.workflowTaskCompletedEventAttributes) && events;
    });
    for (const value of [-1, -2]) {
      await assert.rejects(handle.executeUpdate('add', { args: [value] }), WorkflowUpdateFailedError);
    }
    assert.deepEqual((await handle.fetchHistory()).events.map((e) => e.eventType),
      idleHistory.map((e) => e.eventType), 'rejected updates add no event');
    // The worker took the dropped task's events back: the next task continues the history.
    assert.equal(await handle.executeUpdate('add', { args: [5] }), 5);
    await handle.signal('finish');
    assert.equal(await handle.result(), 5);
    const { events } = await handle.fetchHistory();
    assert.deepEqual(events.map((e) => Number(e.eventId)), events.map((_, i) => i + 1));
    assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes).length, 0);
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

  // Update-with-start (ExecuteMultiOperation): the first call starts the workflow and updates it,
  // the next one (USE_EXISTING) updates the running workflow; a rejection still leaves the
  // workflow started; FAIL refuses a running workflow id.
  it('updates with start: starts, then reuses the running workflow', async () => {
    const workflowId = uniqueName('with-start');
    const operation = () => new WithStartWorkflowOperation('counterWithUpdates', {
      workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const first = operation();
    assert.equal(await client.workflow.executeUpdateWithStart('add', { args: [5], startWorkflowOperation: first }), 5);
    const handle = await first.workflowHandle();
    const second = operation();
    assert.equal(await client.workflow.executeUpdateWithStart('add', { args: [3], startWorkflowOperation: second }), 8);
    assert.equal((await second.workflowHandle()).firstExecutionRunId, handle.firstExecutionRunId);

    const rejected = operation();
    const err = await client.workflow.executeUpdateWithStart('add', { args: [-1], startWorkflowOperation: rejected })
      .then(() => null, (e) => e);
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${err}`);

    const failing = new WithStartWorkflowOperation('counterWithUpdates', {
      workflowId, taskQueue, workflowIdConflictPolicy: 'FAIL',
    });
    const refused = await client.workflow.executeUpdateWithStart('add', { args: [1], startWorkflowOperation: failing })
      .then(() => null, (e) => e);
    assert.ok(refused instanceof WorkflowExecutionAlreadyStartedError, `expected WorkflowExecutionAlreadyStartedError, got ${refused}`);

    await handle.signal('finish');
    assert.equal(await handle.result(), 8);
  });

  it('updates with start: a rejected update still starts the workflow', async () => {
    const workflowId = uniqueName('with-start-rejected');
    const operation = new WithStartWorkflowOperation('counterWithUpdates', {
      workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const err = await client.workflow.executeUpdateWithStart('add', { args: [-4], startWorkflowOperation: operation })
      .then(() => null, (e) => e);
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${err}`);
    const handle = client.workflow.getHandle(workflowId);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.signal('finish');
    assert.equal(await handle.result(), 0);
  });
});

