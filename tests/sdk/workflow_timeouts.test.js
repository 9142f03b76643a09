'use strict';
// Workflow run and execution timeouts, workflow-task failures retried by the SDK, and a workflow
// task timeout (driven through the raw workflow-task protocol: a TS worker cannot hold a task).
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { TimeoutFailure, WorkflowFailedError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor, withTimeout,
} = require('./lib/harness');

// temporal.api.enums.v1.EventType
const EV = {
  WORKFLOW_EXECUTION_STARTED: 1,
  WORKFLOW_EXECUTION_COMPLETED: 2,
  WORKFLOW_EXECUTION_TIMED_OUT: 4,
  WORKFLOW_TASK_SCHEDULED: 5,
  WORKFLOW_TASK_STARTED: 6,
  WORKFLOW_TASK_COMPLETED: 7,
  WORKFLOW_TASK_TIMED_OUT: 8,
  WORKFLOW_TASK_FAILED: 9,
  TIMER_STARTED: 17,
  WORKFLOW_EXECUTION_TERMINATED: 27,
  WORKFLOW_EXECUTION_CONTINUED_AS_NEW: 28,
};
const RETRY_STATE = { IN_PROGRESS: 1, TIMEOUT: 3 };
const WORKFLOW_WORKER_UNHANDLED_FAILURE = 14;
const TIMEOUT_TYPE_START_TO_CLOSE = 1;
const NOT_FOUND = 5;

const TEST_TIMEOUT = { timeout: 60_000 };

describe('workflow timeouts and workflow task failures', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('wf-timeouts');
    worker = await startWorker(tern, { taskQueue });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  const types = (events) => events.map((e) => e.eventType);

  async function expectTimedOut(handle, ms = 20_000) {
    const err = await withTimeout(handle.result(), ms, 'handle.result()').then(
      (value) => assert.fail(`expected a timeout, the workflow returned ${JSON.stringify(value)}`),
      (e) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err?.name}: ${err?.message}`);
    assert.ok(err.cause instanceof TimeoutFailure, `cause is ${err.cause?.name}: ${err.cause?.message}`);
    assert.equal(err.cause.timeoutType, 'START_TO_CLOSE');
    return err;
  }

  it('times out a run after workflowRunTimeout', TEST_TIMEOUT, async () => {
    const started = Date.now();
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('run-timeout'), workflowRunTimeout: '1s',
    });
    const err = await expectTimedOut(handle);
    assert.ok(Date.now() - started >= 1000, 'the run timeout cannot fire early');
    const description = await handle.describe();
    assert.equal(description.status.name, 'TIMED_OUT');
    const { events } = await handle.fetchHistory();
    assert.equal(events.at(-1).eventType, EV.WORKFLOW_EXECUTION_TIMED_OUT, `history: ${types(events)}`);
    assert.ok(!events.at(-1).workflowExecutionTimedOutEventAttributes.newExecutionRunId);
    // The workflow was idle (waiting for a signal): no workflow task was failed on the way out.
    assert.ok(!types(events).includes(EV.WORKFLOW_TASK_FAILED), `history: ${types(events)}`);
    // Reference (executeWorkflowRunTimeoutTask -> GetRetryBackoffDuration): a run without a retry
    // policy times out with RETRY_STATE_RETRY_POLICY_NOT_SET (5); only the execution timeout says TIMEOUT.
    assert.equal(events.at(-1).workflowExecutionTimedOutEventAttributes.retryState, 5);
    assert.equal(err.retryState, 'RETRY_POLICY_NOT_SET');
  });

  it('times out an execution after workflowExecutionTimeout', TEST_TIMEOUT, async () => {
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('exec-timeout'), workflowExecutionTimeout: '1s',
    });
    const err = await expectTimedOut(handle);
    assert.equal(err.retryState, 'TIMEOUT');
    const description = await handle.describe();
    assert.equal(description.status.name, 'TIMED_OUT');
    const { events } = await handle.fetchHistory();
    assert.equal(events.at(-1).eventType, EV.WORKFLOW_EXECUTION_TIMED_OUT, `history: ${types(events)}`);
    assert.equal(events.at(-1).workflowExecutionTimedOutEventAttributes.retryState, RETRY_STATE.TIMEOUT);
  });

  // Temporal accepts durations up to 250 years; deadlines that far out pass the end of
  // nanoseconds since 1970 (2262) and must saturate there, not wrap into the past and fire at once.
  it('keeps timeouts and timers of centuries in the future', TEST_TIMEOUT, async () => {
    const centuries = 250 * 365 * 24 * 3600 * 1000;
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('centuries'), args: [centuries],
      workflowExecutionTimeout: centuries, workflowRunTimeout: centuries,
    });
    await waitFor('TimerStarted', async () =>
      (await handle.fetchHistory()).events.some((e) => e.eventType === EV.TIMER_STARTED));
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.signal('release');
    assert.equal(await withTimeout(handle.result(), 20_000, 'handle.result()'), 'released');
  });

  it('applies workflowExecutionTimeout across continue-as-new runs', TEST_TIMEOUT, async () => {
    const workflowId = uniqueName('exec-timeout-can');
    const handle = await client.workflow.start('sleepThenContinueAsNew', {
      taskQueue, workflowId, args: [200], workflowExecutionTimeout: '3s',
    });
    const latest = client.workflow.getHandle(workflowId);
    const err = await expectTimedOut(handle).catch(async (e) => {
      const d = await latest.describe();
      const expiration = async (h) => JSON.stringify((await h.fetchHistory()).events[0]
        .workflowExecutionStartedEventAttributes.workflowExecutionExpirationTime);
      e.message += ` (latest run ${d.runId}: ${d.status.name}, history length ${d.historyLength};` +
        ` expiration time in the first run's start event ${await expiration(handle.firstExecutionRunId
          ? client.workflow.getHandle(workflowId, handle.firstExecutionRunId) : handle)},` +
        ` in the latest run's ${await expiration(latest)})`;
      throw e;
    });
    assert.equal(err.retryState, 'TIMEOUT');
    const description = await latest.describe();
    assert.equal(description.status.name, 'TIMED_OUT');
    assert.notEqual(description.runId, handle.firstExecutionRunId, 'the chain continued at least once');
    const firstRun = client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    const firstStart = (await firstRun.fetchHistory()).events[0].workflowExecutionStartedEventAttributes;
    const lastStart = (await latest.fetchHistory()).events[0].workflowExecutionStartedEventAttributes;
    assert.ok(firstStart.workflowExecutionExpirationTime, 'the first run has an expiration time');
    assert.deepEqual(lastStart.workflowExecutionExpirationTime, firstStart.workflowExecutionExpirationTime,
      'every run of the chain inherits the expiration time');
    const first = await firstRun.describe();
    assert.equal(first.status.name, 'CONTINUED_AS_NEW');
  });

  it('retries a timed-out run per the workflow retry policy', TEST_TIMEOUT, async () => {
    const workflowId = uniqueName('run-timeout-retry');
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId, workflowRunTimeout: '1s',
      retry: { maximumAttempts: 2, initialInterval: '100ms', backoffCoefficient: 1 },
    });
    const err = await expectTimedOut(handle);
    assert.equal(err.retryState, 'MAXIMUM_ATTEMPTS_REACHED');
    const firstRun = client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    const { events } = await firstRun.fetchHistory();
    const timedOut = events.at(-1).workflowExecutionTimedOutEventAttributes;
    assert.ok(timedOut, `first run ends with WorkflowExecutionTimedOut: ${types(events)}`);
    assert.equal(timedOut.retryState, RETRY_STATE.IN_PROGRESS);
    assert.ok(timedOut.newExecutionRunId, 'the timed-out run names its retry');
    const second = client.workflow.getHandle(workflowId, timedOut.newExecutionRunId);
    const secondStart = (await second.fetchHistory()).events[0].workflowExecutionStartedEventAttributes;
    assert.equal(secondStart.attempt, 2);
    assert.equal(secondStart.initiator, 2 /* RETRY */);
    assert.equal(secondStart.firstExecutionRunId, handle.firstExecutionRunId);
  });

  it('keeps one WorkflowTaskFailed while the SDK retries a failing workflow task', TEST_TIMEOUT, async () => {
    const handle = await client.workflow.start('failWorkflowTask', {
      taskQueue, workflowId: uniqueName('wft-fail'), args: ['task failure'],
      // The SDK reports only the first failure; later attempts time out on the server.
      workflowTaskTimeout: '1s',
    });
    const pending = await waitFor('workflow task attempt 3', async () => {
      const { raw } = await handle.describe();
      const task = raw.pendingWorkflowTask;
      return task && task.attempt >= 3 ? task : undefined;
    }, { timeoutMs: 20_000 });
    assert.ok(pending.attempt >= 3);
    const description = await handle.describe();
    assert.equal(description.status.name, 'RUNNING');

    const { events } = await handle.fetchHistory();
    assert.deepEqual(types(events), [
      EV.WORKFLOW_EXECUTION_STARTED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
      EV.WORKFLOW_TASK_FAILED,
    ], 'later attempts are transient: nothing more is persisted');
    const failed = events[3].workflowTaskFailedEventAttributes;
    assert.equal(failed.cause, WORKFLOW_WORKER_UNHANDLED_FAILURE);
    assert.match(failed.failure?.message ?? '', /task failure/);
    assert.equal(Number(failed.scheduledEventId), 2);
    assert.equal(Number(failed.startedEventId), 3);

    await handle.terminate('enough');
    const closed = (await handle.fetchHistory()).events;
    assert.deepEqual(types(closed), [
      EV.WORKFLOW_EXECUTION_STARTED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
      EV.WORKFLOW_TASK_FAILED, EV.WORKFLOW_EXECUTION_TERMINATED,
    ], 'a transient task leaves no events when the run is terminated');
    assert.equal((await handle.describe()).status.name, 'TERMINATED');
  });

  it('times out a workflow task nobody answers and retries it as a transient task', TEST_TIMEOUT, async () => {
    const rawQueue = uniqueName('raw-wft');
    const workflowId = uniqueName('wft-timeout');
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue: rawQueue, workflowId, workflowTaskTimeout: '1s',
    });
    const poll = () => connection.withDeadline(Date.now() + 20_000, () =>
      connection.workflowService.pollWorkflowTaskQueue({
        namespace: tern.namespace,
        taskQueue: { name: rawQueue, kind: 1 },
        identity: 'workflow_timeouts.test.js',
      }));

    const first = await poll();
    assert.equal(first.attempt, 1);
    assert.equal(Number(first.startedEventId), 3);
    // Do not answer: the task times out after 1 s.
    const timedOut = await waitFor('WorkflowTaskTimedOut', async () => {
      const { events } = await handle.fetchHistory();
      return events.find((e) => e.eventType === EV.WORKFLOW_TASK_TIMED_OUT);
    }, { timeoutMs: 15_000 });
    const attrs = timedOut.workflowTaskTimedOutEventAttributes;
    assert.equal(attrs.timeoutType, TIMEOUT_TYPE_START_TO_CLOSE);
    assert.equal(Number(attrs.scheduledEventId), 2);
    assert.equal(Number(attrs.startedEventId), 3);

    // The answer to the timed-out attempt comes too late.
    await assert.rejects(
      connection.workflowService.respondWorkflowTaskCompleted({
        namespace: tern.namespace, taskToken: first.taskToken, identity: 'late', commands: [],
      }),
      (err) => {
        assert.equal(err.code, NOT_FOUND, `got ${err.code}: ${err.details ?? err.message}`);
        return true;
      },
    );

    // Attempt 2 is transient: its Scheduled/Started events ride on the poll response only.
    const second = await poll();
    assert.equal(second.attempt, 2);
    const delivered = second.history.events;
    assert.deepEqual(types(delivered), [
      EV.WORKFLOW_EXECUTION_STARTED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
      EV.WORKFLOW_TASK_TIMED_OUT, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
    ]);
    assert.equal(Number(second.startedEventId), 6);
    assert.equal(delivered[4].workflowTaskScheduledEventAttributes.attempt, 2);
    const persisted = (await handle.fetchHistory()).events;
    assert.equal(persisted.length, 4, `persisted history: ${types(persisted)}`);

    await connection.workflowService.respondWorkflowTaskCompleted({
      namespace: tern.namespace,
      taskToken: second.taskToken,
      identity: 'workflow_timeouts.test.js',
      commands: [{
        commandType: 4, // COMPLETE_WORKFLOW_EXECUTION
        completeWorkflowExecutionCommandAttributes: {
          result: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"done"') }] },
        },
      }],
    });
    assert.equal(await handle.result(), 'done');
    const final = (await handle.fetchHistory()).events;
    assert.deepEqual(types(final), [
      EV.WORKFLOW_EXECUTION_STARTED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
      EV.WORKFLOW_TASK_TIMED_OUT, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
      EV.WORKFLOW_TASK_COMPLETED, EV.WORKFLOW_EXECUTION_COMPLETED,
    ]);
    assert.equal(final[4].workflowTaskScheduledEventAttributes.attempt, 2);
    final.forEach((e, i) => assert.equal(Number(e.eventId), i + 1));
  });
});
