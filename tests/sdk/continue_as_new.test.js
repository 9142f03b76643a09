'use strict';
// Continue-as-new chains and workflow retry policies: result() follows the chain to its end.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { WorkflowFailedError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName,
} = require('./lib/harness');

describe('runs that continue other runs', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('can');
    worker = await startWorker(tern, { taskQueue });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('follows a continue-as-new chain to its last run', async () => {
    const workflowId = uniqueName('chain');
    const handle = await client.workflow.start('continueAsNewCounter', {
      taskQueue, workflowId, args: [0, 3],
    });
    assert.equal(await handle.result(), 3);
    const first = client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    const history = await first.fetchHistory();
    const last = history.events[history.events.length - 1];
    assert.ok(last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId,
      'the first run ends with WorkflowExecutionContinuedAsNew naming the next run');
    const latest = await client.workflow.getHandle(workflowId).describe();
    assert.equal(latest.status.name, 'COMPLETED');
    assert.notEqual(latest.runId, handle.firstExecutionRunId);
    const started = (await client.workflow.getHandle(workflowId).fetchHistory()).events[0]
      .workflowExecutionStartedEventAttributes;
    assert.equal(started.firstExecutionRunId, handle.firstExecutionRunId);
    assert.ok(started.continuedExecutionRunId);
  });

  it('retries a failing workflow per its retry policy', async () => {
    const handle = await client.workflow.start('failUntilAttempt', {
      taskQueue, workflowId: uniqueName('retry'), args: [3],
      retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 5 },
    });
    assert.equal(await handle.result(), 3);
  });

  it('reports the last failure once the retry policy gives up', async () => {
    const handle = await client.workflow.start('failUntilAttempt', {
      taskQueue, workflowId: uniqueName('giveup'), args: [10],
      retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 2 },
    });
    const err = await handle.result().then(() => null, (e) => e);
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err}`);
    assert.match(err.cause?.message ?? '', /attempt 2 fails/);
    assert.equal(err.retryState, 'MAXIMUM_ATTEMPTS_REACHED');
  });
});
