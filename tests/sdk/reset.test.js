'use strict';
// ResetWorkflowExecution through the official SDK's client: a reset run replays the base run's
// history up to a workflow task, re-executes what came after, keeps (or drops) later signals and
// takes over the workflow id.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

const RESET_WORKFLOW = 20;      // temporal.api.enums.v1.WorkflowTaskFailedCause
const REAPPLY_NONE = 2;         // temporal.api.enums.v1.ResetReapplyType
const TEST_TIMEOUT = { timeout: 90_000 };

describe('reset', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  const runs = new Map(); // activity argument -> times executed
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('reset');
    worker = await startWorker(tern, {
      taskQueue,
      activities: {
        async step(name) {
          const n = (runs.get(name) ?? 0) + 1;
          runs.set(name, n);
          return `${name}#${n}`;
        },
      },
    });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  const reset = (workflowId, runId, workflowTaskFinishEventId, extra = {}) =>
    connection.workflowService.resetWorkflowExecution({
      namespace: tern.namespace,
      workflowExecution: { workflowId, runId },
      reason: 'reset by reset.test.js',
      workflowTaskFinishEventId,
      requestId: crypto.randomUUID(),
      ...extra,
    });
  const events = async (handle) => (await handle.fetchHistory()).events;
  const eventIds = (list, attr) => list.filter((e) => e[attr]).map((e) => Number(e.eventId));

  // Starts stepsAroundSignal and waits until it has run `first` and is waiting for `release`.
  async function startWaiting(name) {
    runs.set('first', 0);
    runs.set('second', 0);
    const handle = await client.workflow.start('stepsAroundSignal', { taskQueue, workflowId: uniqueName(name) });
    await waitFor('the first step to complete', async () => {
      const list = await events(handle);
      const completed = eventIds(list, 'activityTaskCompletedEventAttributes');
      return completed.length === 1 && eventIds(list, 'workflowTaskCompletedEventAttributes').some((id) => id > completed[0]);
    });
    return handle;
  }

  it('resets a completed workflow to its first workflow task: the steps run again, the signal is reapplied',
    TEST_TIMEOUT, async () => {
      const handle = await startWaiting('completed');
      await handle.signal('release');
      assert.deepEqual(await handle.result(), { first: 'first#1', second: 'second#1' });
      const base = await handle.describe();
      const firstTaskCompleted = eventIds(await events(handle), 'workflowTaskCompletedEventAttributes')[0];

      const { runId } = await reset(handle.workflowId, base.runId, firstTaskCompleted);
      assert.ok(runId && runId !== base.runId, 'reset returns the new run id');
      const resetRun = client.workflow.getHandle(handle.workflowId, runId);
      assert.deepEqual(await resetRun.result(), { first: 'first#2', second: 'second#2' });
      // The base run keeps its own outcome; the workflow id now points at the reset run.
      assert.equal((await client.workflow.getHandle(handle.workflowId, base.runId).describe()).status.name,
        'COMPLETED');
      assert.equal((await client.workflow.getHandle(handle.workflowId).describe()).runId, runId);

      const history = await events(resetRun);
      assert.deepEqual(history.map((e) => Number(e.eventId)), history.map((_, i) => i + 1));
      const failed = history.find((e) => e.workflowTaskFailedEventAttributes);
      assert.equal(Number(failed.eventId), firstTaskCompleted, 'the reset point becomes WorkflowTaskFailed');
      const attrs = failed.workflowTaskFailedEventAttributes;
      assert.equal(attrs.cause, RESET_WORKFLOW);
      assert.equal(attrs.baseRunId, base.runId);
      assert.equal(attrs.newRunId, runId);
      assert.equal(attrs.failure.message, 'reset by reset.test.js');
      const signaled = history.filter((e) => e.workflowExecutionSignaledEventAttributes);
      assert.equal(signaled.length, 1, 'the release signal was reapplied');
      assert.equal(signaled[0].workflowExecutionSignaledEventAttributes.signalName, 'release');
    });

  it('resets a running workflow: the current run is terminated and the reset run keeps earlier results',
    TEST_TIMEOUT, async () => {
      const handle = await startWaiting('running');
      const list = await events(handle);
      const afterFirstStep = eventIds(list, 'workflowTaskCompletedEventAttributes').at(-1);
      const base = await handle.describe();

      const { runId } = await reset(handle.workflowId, '', afterFirstStep);
      const old = await client.workflow.getHandle(handle.workflowId, base.runId).describe();
      assert.equal(old.status.name, 'TERMINATED');
      const oldHistory = await events(client.workflow.getHandle(handle.workflowId, base.runId));
      const terminated = oldHistory.at(-1).workflowExecutionTerminatedEventAttributes;
      assert.equal(terminated.reason, 'reset by reset.test.js');

      // The signal goes to the reset run (the current one); `first` is not executed again.
      await client.workflow.getHandle(handle.workflowId).signal('release');
      const resetRun = client.workflow.getHandle(handle.workflowId, runId);
      assert.deepEqual(await resetRun.result(), { first: 'first#1', second: 'second#1' });
      assert.equal(runs.get('first'), 1);
    });

  it('drops later signals with reapply type NONE', TEST_TIMEOUT, async () => {
    const handle = await startWaiting('no-reapply');
    await handle.signal('release');
    await handle.result();
    const firstTaskCompleted = eventIds(await events(handle), 'workflowTaskCompletedEventAttributes')[0];
    const { runId } = await reset(handle.workflowId, '', firstTaskCompleted, { resetReapplyType: REAPPLY_NONE });
    const resetRun = client.workflow.getHandle(handle.workflowId, runId);
    // Without the signal the reset run runs `first` again and waits.
    await waitFor('the reset run to wait for release', async () => {
      const list = await events(resetRun);
      return eventIds(list, 'activityTaskCompletedEventAttributes').length === 1 &&
        eventIds(list, 'workflowTaskCompletedEventAttributes').length === 2;
    });
    const list = await events(resetRun);
    assert.equal(list.filter((e) => e.workflowExecutionSignaledEventAttributes).length, 0);
    assert.equal((await resetRun.describe()).status.name, 'RUNNING');
    await resetRun.terminate('done');
  });

  it('answers a repeated request id with the same run', TEST_TIMEOUT, async () => {
    const handle = await startWaiting('dedupe');
    const finish = eventIds(await events(handle), 'workflowTaskCompletedEventAttributes')[0];
    const requestId = crypto.randomUUID();
    const first = await reset(handle.workflowId, '', finish, { requestId });
    const again = await reset(handle.workflowId, '', finish, { requestId });
    assert.equal(again.runId, first.runId);
    await client.workflow.getHandle(handle.workflowId).terminate('done');
  });

  it('rejects reset points that do not end a workflow task, and unknown workflows', TEST_TIMEOUT, async () => {
    const handle = await startWaiting('bad-point');
    const list = await events(handle);
    const rejects = async (promise, code, pattern) => {
      await assert.rejects(promise, (err) => {
        assert.equal(err.code, code, `expected gRPC code ${code}, got ${err.code}: ${err.message}`);
        assert.match(err.details ?? err.message, pattern);
        return true;
      });
    };
    const INVALID_ARGUMENT = 3;
    const NOT_FOUND = 5;
    await rejects(reset(handle.workflowId, '', 1), INVALID_ARGUMENT, /WorkflowTaskFinishEventId/);
    await rejects(reset(handle.workflowId, '', list.length + 10), INVALID_ARGUMENT,
      /Workflow task finish ID must be > 1/);
    // Right after ActivityTaskScheduled no workflow task is in flight.
    const scheduled = eventIds(list, 'activityTaskScheduledEventAttributes')[0];
    await rejects(reset(handle.workflowId, '', scheduled + 1), INVALID_ARGUMENT, /does not end a workflow task/);
    await rejects(reset(uniqueName('missing'), '', 4), NOT_FOUND, /not found/i);
    // Nothing was written: the run is still the current one and still running.
    const described = await client.workflow.getHandle(handle.workflowId).describe();
    assert.equal(described.runId, (await handle.describe()).runId);
    assert.equal(described.status.name, 'RUNNING');
    await handle.terminate('done');
  });
});
