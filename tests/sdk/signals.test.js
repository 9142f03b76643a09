'use strict';
// Signals, signal-with-start and workflow cancellation through the official SDK.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { WorkflowFailedError, WorkflowNotFoundError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

describe('signals and cancellation', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  const greeted = [];
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('signals');
    worker = await startWorker(tern, {
      taskQueue,
      activities: {
        async greet(name) {
          greeted.push(name);
          return `hello ${name}`;
        },
      },
    });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('delivers a signal to a running workflow', async () => {
    const handle = await client.workflow.start('waitForRelease', { taskQueue, workflowId: uniqueName('release') });
    await handle.signal('release');
    assert.equal(await handle.result(), 'released');
  });

  it('delivers many signals in order, also while workflow tasks are running', async () => {
    const handle = await client.workflow.start('collectSignals', {
      taskQueue, workflowId: uniqueName('collect'), args: [30],
    });
    const sent = [];
    for (let i = 0; i < 30; i++) sent.push(`item-${i}`);
    // Sent concurrently in small groups so some land while a workflow task is in flight.
    for (let i = 0; i < sent.length; i += 5) {
      await Promise.all(sent.slice(i, i + 5).map((item) => handle.signal('item', item)));
    }
    const received = await handle.result();
    assert.deepEqual([...received].sort(), [...sent].sort());
    const history = await handle.fetchHistory();
    const ids = history.events.map((e) => Number(e.eventId));
    assert.deepEqual(ids, ids.map((_, i) => i + 1));
    const signaled = history.events.filter((e) => e.workflowExecutionSignaledEventAttributes);
    assert.equal(signaled.length, 30);
  });

  it('starts a workflow with a signal (signalWithStart) and signals it when running', async () => {
    const workflowId = uniqueName('sws');
    const first = await client.workflow.signalWithStart('collectSignals', {
      taskQueue, workflowId, args: [2], signal: 'item', signalArgs: ['first'],
    });
    const second = await client.workflow.signalWithStart('collectSignals', {
      taskQueue, workflowId, args: [2], signal: 'item', signalArgs: ['second'],
    });
    assert.equal(second.signaledRunId, first.signaledRunId);
    assert.deepEqual(await first.result(), ['first', 'second']);
    const history = await first.fetchHistory();
    assert.equal(history.events[0].eventType, 1); // WorkflowExecutionStarted
    assert.ok(history.events[1].workflowExecutionSignaledEventAttributes, 'signal is event 2');
  });

  it('answers a signal to a completed workflow with WorkflowNotFoundError', async () => {
    const handle = await client.workflow.start('collectSignals', {
      taskQueue, workflowId: uniqueName('done'), args: [0],
    });
    await handle.result();
    await assert.rejects(handle.signal('item', 'late'), WorkflowNotFoundError);
  });

  it('cancels a workflow: cleanup runs and the status is CANCELLED', async () => {
    const handle = await client.workflow.start('cancellableSleep', {
      taskQueue, workflowId: uniqueName('cancel'), args: [600_000],
    });
    // Wait until the workflow sleeps (its first task completed), then cancel.
    await waitFor('the workflow to start its timer', async () => {
      const history = await handle.fetchHistory();
      return history.events.some((e) => e.timerStartedEventAttributes);
    });
    await handle.cancel();
    await handle.cancel(); // a second request is a no-op
    const err = await handle.result().then(() => null, (e) => e);
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err}`);
    assert.equal(err.cause?.name, 'CancelledFailure');
    assert.ok(greeted.includes('cleanup'), 'the non-cancellable cleanup activity ran');
    const description = await handle.describe();
    assert.equal(description.status.name, 'CANCELLED');
  });
});
