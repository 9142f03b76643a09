'use strict';
// Child workflows, parent close policies, and signals/cancellation between workflows.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

describe('child workflows and external requests', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('children');
    worker = await startWorker(tern, {
      taskQueue,
      activities: { async greet(name) { return `hello ${name}`; } },
    });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  const statusOf = async (workflowId) => (await client.workflow.getHandle(workflowId).describe()).status.name;

  it('runs children and returns their results to the parent', async () => {
    const workflowId = uniqueName('parent');
    const handle = await client.workflow.start('parentOfDoubles', { taskQueue, workflowId, args: [5] });
    assert.equal(await handle.result(), 20); // 2 * (0+1+2+3+4)
    const child = await client.workflow.getHandle(`${workflowId}-child-3`).describe();
    assert.equal(child.status.name, 'COMPLETED');
    assert.equal(child.parentExecution?.workflowId, workflowId);
    const events = (await handle.fetchHistory()).events;
    const ids = events.map((e) => Number(e.eventId));
    assert.deepEqual(ids, ids.map((_, i) => i + 1));
    assert.equal(events.filter((e) => e.childWorkflowExecutionCompletedEventAttributes).length, 5);
  });

  it('propagates a child failure to the parent', async () => {
    const handle = await client.workflow.start('parentOfFailingChild', {
      taskQueue, workflowId: uniqueName('failing-parent'),
    });
    assert.equal(await handle.result(), 'ChildWorkflowFailure: MyError: child broke');
  });

  for (const [policy, expected] of [
    ['TERMINATE', 'TERMINATED'],
    ['REQUEST_CANCEL', 'CANCELLED'],
    ['ABANDON', 'RUNNING'],
  ]) {
    it(`applies parent close policy ${policy}`, async () => {
      const childId = uniqueName(`child-${policy.toLowerCase()}`);
      const handle = await client.workflow.start('parentWithPolicy', {
        taskQueue, workflowId: uniqueName('policy-parent'), args: [policy, childId],
      });
      assert.equal(await handle.result(), 'parent done');
      if (expected === 'RUNNING') {
        assert.equal(await statusOf(childId), 'RUNNING');
        await client.workflow.getHandle(childId).terminate('test cleanup');
      } else {
        await waitFor(`child ${childId} to be ${expected}`, async () => (await statusOf(childId)) === expected);
      }
    });
  }

  it('lets a parent signal its child', async () => {
    const handle = await client.workflow.start('parentSignalsChild', {
      taskQueue, workflowId: uniqueName('signalling-parent'),
    });
    assert.deepEqual(await handle.result(), ['from parent']);
  });

  it('signals and cancels other workflows, and reports a missing target', async () => {
    const target = await client.workflow.start('collectSignals', {
      taskQueue, workflowId: uniqueName('target'), args: [1],
    });
    const sender = await client.workflow.start('signalExternal', {
      taskQueue, workflowId: uniqueName('sender'), args: [target.workflowId, 'hi'],
    });
    assert.equal(await sender.result(), 'signalled');
    assert.deepEqual(await target.result(), ['hi']);

    const missing = await client.workflow.start('signalExternal', {
      taskQueue, workflowId: uniqueName('sender'), args: [uniqueName('nobody'), 'hi'],
    });
    assert.match(await missing.result(), /^failed: /);

    const victim = await client.workflow.start('cancellableSleep', {
      taskQueue, workflowId: uniqueName('victim'), args: [600_000],
    });
    const canceller = await client.workflow.start('cancelExternal', {
      taskQueue, workflowId: uniqueName('canceller'), args: [victim.workflowId],
    });
    assert.equal(await canceller.result(), 'cancel requested');
    await waitFor('the victim to be cancelled', async () => (await statusOf(victim.workflowId)) === 'CANCELLED');
  });
});
