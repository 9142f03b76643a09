'use strict';
// Activities as an SDK user sees them: the four timeouts, heartbeat details across attempts and in
// heartbeat timeouts, retry policy limits and backoff, the history of a retried activity,
// cancellation (started and not yet started) and asynchronous completion (by token and by id).
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  WorkflowFailedError,
} = require('@temporalio/client');
const { CompleteAsyncError, Context } = require('@temporalio/activity');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

// temporal.api.enums.v1.EventType
const EV = {
  ACTIVITY_TASK_SCHEDULED: 10,
  ACTIVITY_TASK_STARTED: 11,
  ACTIVITY_TASK_COMPLETED: 12,
  ACTIVITY_TASK_FAILED: 13,
  ACTIVITY_TASK_TIMED_OUT: 14,
  ACTIVITY_TASK_CANCEL_REQUESTED: 15,
  ACTIVITY_TASK_CANCELED: 16,
};
const RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED = 4;

const TEST_TIMEOUT = { timeout: 60_000 };

describe('activities', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;

  // What the activities saw, by test key.
  const attempts = new Map(); // key -> [{attempt, at, heartbeatDetails}]
  const asyncTasks = new Map(); // key -> {taskToken, activityId, workflowExecution}
  const cancelled = new Set(); // keys of activities that observed their cancellation
  const running = new Set(); // keys of activities currently running

  const record = (key) => {
    const { attempt, heartbeatDetails } = Context.current().info;
    const seen = attempts.get(key) ?? [];
    seen.push({ attempt, at: Date.now(), heartbeatDetails });
    attempts.set(key, seen);
    return attempt;
  };

  const activities = {
    async echo(value) {
      return value;
    },
    // Sleeps (cancellably) longer than its timeouts allow.
    async sleepFor(key, ms) {
      record(key);
      await Context.current().sleep(ms);
      return 'woke up';
    },
    // Fails every attempt with an ApplicationFailure of `type` (retryable unless the policy says).
    async failAlways(key, type) {
      const attempt = record(key);
      throw ApplicationFailure.create({ type, message: `attempt ${attempt} failed` });
    },
    async failNonRetryable(key) {
      const attempt = record(key);
      throw ApplicationFailure.nonRetryable(`attempt ${attempt} failed for good`, 'Permanent');
    },
    async failThenSucceed(key, failures) {
      const attempt = record(key);
      if (attempt <= failures) throw new Error(`attempt ${attempt} failed`);
      return attempt;
    },
    // Fails fast `failures` times, then hangs until cancelled (used to cross schedule-to-close).
    async failThenHang(key, failures) {
      const attempt = record(key);
      if (attempt <= failures) throw new Error(`attempt ${attempt} failed`);
      await Context.current().sleep(60_000);
      return 'hung and woke up';
    },
    // Attempt 1 heartbeats `detail` and fails; later attempts return the details they start with.
    async heartbeatThenFail(key, detail) {
      const attempt = record(key);
      if (attempt === 1) {
        Context.current().heartbeat(detail);
        throw new Error('failing after a heartbeat');
      }
      return Context.current().info.heartbeatDetails;
    },
    // Heartbeats once, then stops heartbeating (but keeps running until cancelled).
    async heartbeatOnceThenHang(key, detail) {
      record(key);
      Context.current().heartbeat(detail);
      await Context.current().sleep(60_000);
      return 'should have timed out';
    },
    // Heartbeats until the cancellation arrives through a heartbeat response.
    async heartbeatUntilCancelled(key) {
      record(key);
      running.add(key);
      try {
        for (let i = 0; ; i++) {
          Context.current().heartbeat(i);
          await Context.current().sleep(100);
        }
      } catch (err) {
        if (err instanceof CancelledFailure) cancelled.add(key);
        throw err;
      } finally {
        running.delete(key);
      }
    },
    // Hands its identity to the test and leaves completion to it.
    async completeLater(key) {
      record(key);
      const { taskToken, activityId, workflowExecution } = Context.current().info;
      asyncTasks.set(key, { taskToken, activityId, workflowExecution });
      throw new CompleteAsyncError();
    },
  };

  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('activities');
    worker = await startWorker(tern, { taskQueue, activities });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  // Runs `runActivity` and returns the WorkflowFailedError it must end with.
  async function runFailing(workflowId, activityType, args, options) {
    const handle = await client.workflow.start('runActivity', {
      taskQueue, workflowId, args: [activityType, args, options],
    });
    const err = await handle.result().then(
      (value) => assert.fail(`expected the workflow to fail, it returned ${JSON.stringify(value)}`),
      (e) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err?.name}: ${err?.message}`);
    assert.ok(err.cause instanceof ActivityFailure,
      `expected an ActivityFailure cause, got ${err.cause?.name}: ${err.cause?.message}`);
    assert.equal(err.cause.activityType, activityType);
    return { err, activityFailure: err.cause, handle };
  }

  function assertTimeout(activityFailure, timeoutType) {
    const timeout = activityFailure.cause;
    assert.ok(timeout instanceof TimeoutFailure,
      `expected a TimeoutFailure cause, got ${timeout?.name}: ${timeout?.message}`);
    assert.equal(timeout.timeoutType, timeoutType);
    return timeout;
  }

  const ofType = (events, type) => events.filter((e) => e.eventType === type);

  describe('timeouts', () => {
    it('SCHEDULE_TO_START: nobody polls the activity task queue', TEST_TIMEOUT, async () => {
      const { activityFailure, handle } = await runFailing(uniqueName('s2s'), 'echo', ['never runs'], {
        taskQueue: uniqueName('unpolled'),
        scheduleToStartTimeout: '1s',
        startToCloseTimeout: '10s',
        retry: { maximumAttempts: 3, initialInterval: '100ms' },
      });
      assertTimeout(activityFailure, 'SCHEDULE_TO_START');
      // A schedule-to-start timeout is not retried.
      assert.equal(activityFailure.retryState, 'TIMEOUT');
      const { events } = await handle.fetchHistory();
      assert.equal(ofType(events, EV.ACTIVITY_TASK_STARTED).length, 0, 'the activity never started');
      const [timedOut] = ofType(events, EV.ACTIVITY_TASK_TIMED_OUT);
      assert.ok(timedOut, 'ActivityTaskTimedOut is in the history');
      assert.equal(Number(timedOut.activityTaskTimedOutEventAttributes.startedEventId ?? 0), 0);
    });

    // With only a schedule-to-close timeout, the start deadline is the same instant; Temporal
    // reports SCHEDULE_TO_START for an activity nobody took, whichever timer fires first.
    for (const round of [1, 2, 3]) {
      it(`SCHEDULE_TO_START when only schedule-to-close is set and nobody polls (${round})`, TEST_TIMEOUT, async () => {
        const { activityFailure } = await runFailing(uniqueName('s2c-only'), 'echo', ['never runs'], {
          taskQueue: uniqueName('unpolled'),
          scheduleToCloseTimeout: '1s',
        });
        assertTimeout(activityFailure, 'SCHEDULE_TO_START');
      });
    }

    it('START_TO_CLOSE: the only attempt runs too long', TEST_TIMEOUT, async () => {
      const key = uniqueName('stc');
      const { activityFailure } = await runFailing(key, 'sleepFor', [key, 30_000], {
        startToCloseTimeout: '1s',
        retry: { maximumAttempts: 1 },
      });
      assertTimeout(activityFailure, 'START_TO_CLOSE');
      assert.equal(activityFailure.retryState, 'MAXIMUM_ATTEMPTS_REACHED');
      assert.equal(attempts.get(key).length, 1);
    });

    it('SCHEDULE_TO_CLOSE: retries are cut off by the schedule-to-close deadline', TEST_TIMEOUT, async () => {
      const key = uniqueName('s2c');
      const { activityFailure, handle } = await runFailing(key, 'failThenHang', [key, 2], {
        scheduleToCloseTimeout: '2s',
        retry: { initialInterval: '100ms', backoffCoefficient: 1 },
      });
      const timeout = assertTimeout(activityFailure, 'SCHEDULE_TO_CLOSE');
      assert.equal(activityFailure.retryState, 'TIMEOUT');
      assert.deepEqual(attempts.get(key).map((a) => a.attempt), [1, 2, 3],
        'two fast failures, then the third attempt hangs until the deadline');
      // The timeout carries the last attempt's failure as its cause (reference:
      // AddActivityTaskTimedOutEvent sets failure.cause = RetryLastFailure). The TS SDK's
      // TimeoutFailure drops `cause`, so this is checked in the history a user fetches.
      assert.equal(timeout.lastHeartbeatDetails, undefined);
      const { events } = await handle.fetchHistory();
      const [timedOut] = ofType(events, EV.ACTIVITY_TASK_TIMED_OUT);
      const [started] = ofType(events, EV.ACTIVITY_TASK_STARTED);
      assert.ok(timedOut, 'ActivityTaskTimedOut is in the history');
      assert.equal(started?.activityTaskStartedEventAttributes.attempt, 3);
      assert.equal(started?.activityTaskStartedEventAttributes.lastFailure?.message, 'attempt 2 failed');
      const failure = timedOut.activityTaskTimedOutEventAttributes.failure;
      assert.equal(failure?.timeoutFailureInfo?.timeoutType, 3 /* SCHEDULE_TO_CLOSE */);
      assert.equal(failure?.cause?.message, 'attempt 2 failed',
        `ActivityTaskTimedOut.failure = ${JSON.stringify(failure)}`);
    });

    it('HEARTBEAT: the activity stops heartbeating; the last details are reported', TEST_TIMEOUT, async () => {
      const key = uniqueName('hb');
      const { activityFailure, handle } = await runFailing(key, 'heartbeatOnceThenHang', [key, 'last-progress'], {
        startToCloseTimeout: '30s',
        heartbeatTimeout: '1s',
        retry: { maximumAttempts: 1 },
      });
      const timeout = assertTimeout(activityFailure, 'HEARTBEAT');
      assert.equal(timeout.lastHeartbeatDetails, 'last-progress');
      assert.equal(activityFailure.retryState, 'MAXIMUM_ATTEMPTS_REACHED');
      const { events } = await handle.fetchHistory();
      const [timedOut] = ofType(events, EV.ACTIVITY_TASK_TIMED_OUT);
      assert.ok(timedOut, 'ActivityTaskTimedOut is in the history');
      const started = ofType(events, EV.ACTIVITY_TASK_STARTED);
      assert.equal(started.length, 1);
      assert.equal(Number(timedOut.activityTaskTimedOutEventAttributes.startedEventId),
        Number(started[0].eventId));
    });
  });

  describe('heartbeat details', () => {
    it('carries the details of a failed attempt into the next attempt', TEST_TIMEOUT, async () => {
      const key = uniqueName('hb-carry');
      const result = await client.workflow.execute('runActivity', {
        taskQueue,
        workflowId: key,
        args: ['heartbeatThenFail', [key, { checkpoint: 7 }], {
          startToCloseTimeout: '10s',
          retry: { initialInterval: '100ms', maximumAttempts: 3 },
        }],
      });
      assert.deepEqual(result, { checkpoint: 7 });
      const seen = attempts.get(key);
      assert.deepEqual(seen.map((a) => a.attempt), [1, 2]);
      assert.equal(seen[0].heartbeatDetails, undefined, 'attempt 1 starts without details');
      assert.deepEqual(seen[1].heartbeatDetails, { checkpoint: 7 });
    });
  });

  describe('retry policy', () => {
    it('stops at an error type listed in nonRetryableErrorTypes', TEST_TIMEOUT, async () => {
      const key = uniqueName('nonretryable-type');
      const { activityFailure } = await runFailing(key, 'failAlways', [key, 'Fatal'], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '100ms', maximumAttempts: 5, nonRetryableErrorTypes: ['Fatal'] },
      });
      assert.equal(activityFailure.retryState, 'NON_RETRYABLE_FAILURE');
      assert.ok(activityFailure.cause instanceof ApplicationFailure, `cause is ${activityFailure.cause?.name}`);
      assert.equal(activityFailure.cause.type, 'Fatal');
      assert.deepEqual(attempts.get(key).map((a) => a.attempt), [1]);
    });

    it('stops at ApplicationFailure.nonRetryable', TEST_TIMEOUT, async () => {
      const key = uniqueName('nonretryable');
      const { activityFailure } = await runFailing(key, 'failNonRetryable', [key], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '100ms', maximumAttempts: 5 },
      });
      assert.equal(activityFailure.retryState, 'NON_RETRYABLE_FAILURE');
      assert.ok(activityFailure.cause instanceof ApplicationFailure, `cause is ${activityFailure.cause?.name}`);
      assert.equal(activityFailure.cause.type, 'Permanent');
      assert.equal(activityFailure.cause.nonRetryable, true);
      assert.deepEqual(attempts.get(key).map((a) => a.attempt), [1]);
    });

    it('honours maximumAttempts and waits the backoff between attempts', TEST_TIMEOUT, async () => {
      const key = uniqueName('max-attempts');
      const { activityFailure, handle } = await runFailing(key, 'failAlways', [key, 'Flaky'], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '400ms', backoffCoefficient: 2, maximumAttempts: 3 },
      });
      assert.equal(activityFailure.retryState, 'MAXIMUM_ATTEMPTS_REACHED');
      assert.equal(activityFailure.cause?.message, 'attempt 3 failed');
      const seen = attempts.get(key);
      assert.deepEqual(seen.map((a) => a.attempt), [1, 2, 3]);
      // Backoff: 400 ms before attempt 2, 800 ms before attempt 3 (lower bounds only; 20 ms slack
      // for timer granularity).
      const gap1 = seen[1].at - seen[0].at;
      const gap2 = seen[2].at - seen[1].at;
      assert.ok(gap1 >= 400 - 20, `attempt 2 started ${gap1} ms after attempt 1 (initialInterval 400 ms)`);
      assert.ok(gap2 >= 800 - 20, `attempt 3 started ${gap2} ms after attempt 2 (400 ms x 2)`);

      // History: one ActivityTaskStarted (final attempt, last failure) right before ActivityTaskFailed.
      const { events } = await handle.fetchHistory();
      const started = ofType(events, EV.ACTIVITY_TASK_STARTED);
      assert.equal(started.length, 1, 'retried attempts write no ActivityTaskStarted');
      const failed = ofType(events, EV.ACTIVITY_TASK_FAILED);
      assert.equal(failed.length, 1);
      assert.equal(Number(failed[0].eventId), Number(started[0].eventId) + 1,
        'ActivityTaskStarted is written right before the outcome');
      const startedAttrs = started[0].activityTaskStartedEventAttributes;
      assert.equal(startedAttrs.attempt, 3);
      assert.equal(startedAttrs.lastFailure?.message, 'attempt 2 failed');
      const failedAttrs = failed[0].activityTaskFailedEventAttributes;
      assert.equal(Number(failedAttrs.startedEventId), Number(started[0].eventId));
      assert.equal(failedAttrs.failure?.message, 'attempt 3 failed');
      assert.equal(failedAttrs.retryState, RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
    });

    it('writes ActivityTaskStarted once, with the final attempt and last failure, before a success', TEST_TIMEOUT, async () => {
      const key = uniqueName('retry-history');
      const handle = await client.workflow.start('runActivity', {
        taskQueue,
        workflowId: key,
        args: ['failThenSucceed', [key, 2], {
          startToCloseTimeout: '10s',
          retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 5 },
        }],
      });
      assert.equal(await handle.result(), 3);
      const { events } = await handle.fetchHistory();
      const scheduled = ofType(events, EV.ACTIVITY_TASK_SCHEDULED);
      const started = ofType(events, EV.ACTIVITY_TASK_STARTED);
      const completed = ofType(events, EV.ACTIVITY_TASK_COMPLETED);
      assert.equal(scheduled.length, 1);
      assert.equal(started.length, 1);
      assert.equal(completed.length, 1);
      assert.equal(Number(completed[0].eventId), Number(started[0].eventId) + 1);
      const startedAttrs = started[0].activityTaskStartedEventAttributes;
      assert.equal(Number(startedAttrs.scheduledEventId), Number(scheduled[0].eventId));
      assert.equal(startedAttrs.attempt, 3);
      assert.equal(startedAttrs.lastFailure?.message, 'attempt 2 failed');
      const completedAttrs = completed[0].activityTaskCompletedEventAttributes;
      assert.equal(Number(completedAttrs.scheduledEventId), Number(scheduled[0].eventId));
      assert.equal(Number(completedAttrs.startedEventId), Number(started[0].eventId));
      // The retry policy in ActivityTaskScheduled has its defaults filled in.
      const retry = scheduled[0].activityTaskScheduledEventAttributes.retryPolicy;
      assert.ok(retry, 'ActivityTaskScheduled carries the retry policy');
      assert.equal(retry.maximumAttempts, 5);
    });
  });

  describe('cancellation', () => {
    it('cancels a running, heartbeating activity; the worker reports the cancellation', TEST_TIMEOUT, async () => {
      const key = uniqueName('cancel-running');
      const handle = await client.workflow.start('cancelActivityOnSignal', {
        taskQueue,
        workflowId: key,
        args: ['heartbeatUntilCancelled', [key], {
          startToCloseTimeout: '30s',
          heartbeatTimeout: '2s',
          cancellationType: 'WAIT_CANCELLATION_COMPLETED',
          retry: { maximumAttempts: 1 },
        }],
      });
      await waitFor('the activity to run', () => running.has(key), { timeoutMs: 15_000 });
      await handle.signal('release');
      const err = await handle.result().then(() => null, (e) => e);
      assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err}`);
      assert.ok(err.cause instanceof ActivityFailure, `cause is ${err.cause?.name}: ${err.cause?.message}`);
      assert.ok(err.cause.cause instanceof CancelledFailure,
        `ActivityFailure.cause is ${err.cause.cause?.name}: ${err.cause.cause?.message}`);
      assert.ok(cancelled.has(key), 'the activity saw the cancellation (through its heartbeat)');

      const { events } = await handle.fetchHistory();
      const [requested] = ofType(events, EV.ACTIVITY_TASK_CANCEL_REQUESTED);
      const started = ofType(events, EV.ACTIVITY_TASK_STARTED);
      const [canceled] = ofType(events, EV.ACTIVITY_TASK_CANCELED);
      assert.ok(requested, 'ActivityTaskCancelRequested is in the history');
      assert.equal(started.length, 1, 'the started activity has one ActivityTaskStarted');
      assert.ok(canceled, 'ActivityTaskCanceled is in the history');
      assert.equal(Number(canceled.eventId), Number(started[0].eventId) + 1);
      assert.ok(Number(requested.eventId) < Number(started[0].eventId));
      const attrs = canceled.activityTaskCanceledEventAttributes;
      assert.equal(Number(attrs.startedEventId), Number(started[0].eventId));
      assert.equal(Number(attrs.latestCancelRequestedEventId), Number(requested.eventId));
    });

    it('cancels an activity that has not started: ActivityTaskCanceled at once', TEST_TIMEOUT, async () => {
      const key = uniqueName('cancel-unstarted');
      const handle = await client.workflow.start('cancelActivityOnSignal', {
        taskQueue,
        workflowId: key,
        args: ['echo', ['never runs'], {
          taskQueue: uniqueName('unpolled'),
          scheduleToCloseTimeout: '60s',
          cancellationType: 'WAIT_CANCELLATION_COMPLETED',
        }],
      });
      await waitFor('ActivityTaskScheduled', async () =>
        ofType((await handle.fetchHistory()).events, EV.ACTIVITY_TASK_SCHEDULED).length === 1);
      await handle.signal('release');
      const err = await handle.result().then(() => null, (e) => e);
      assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err}`);
      assert.ok(err.cause instanceof ActivityFailure, `cause is ${err.cause?.name}: ${err.cause?.message}`);
      assert.ok(err.cause.cause instanceof CancelledFailure,
        `ActivityFailure.cause is ${err.cause.cause?.name}: ${err.cause.cause?.message}`);

      const { events } = await handle.fetchHistory();
      const [requested] = ofType(events, EV.ACTIVITY_TASK_CANCEL_REQUESTED);
      const [canceled] = ofType(events, EV.ACTIVITY_TASK_CANCELED);
      assert.ok(requested && canceled, 'CancelRequested and Canceled are in the history');
      assert.equal(ofType(events, EV.ACTIVITY_TASK_STARTED).length, 0);
      assert.equal(Number(canceled.eventId), Number(requested.eventId) + 1,
        'ActivityTaskCanceled follows the cancel request in the same workflow task completion');
      const attrs = canceled.activityTaskCanceledEventAttributes;
      assert.equal(Number(attrs.startedEventId ?? 0), 0);
      assert.equal(Number(attrs.latestCancelRequestedEventId), Number(requested.eventId));
      const detail = attrs.details?.payloads?.[0];
      assert.ok(detail, 'ActivityTaskCanceled carries details');
      assert.equal(JSON.parse(Buffer.from(detail.data).toString('utf8')), 'ACTIVITY_ID_NOT_STARTED');
    });
  });

  describe('asynchronous completion', () => {
    async function startAsync(key) {
      const handle = await client.workflow.start('runActivity', {
        taskQueue,
        workflowId: key,
        args: ['completeLater', [key], { startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } }],
      });
      const task = await waitFor('the activity to hand over its task token', () => asyncTasks.get(key),
        { timeoutMs: 15_000 });
      return { handle, task };
    }

    it('completes an activity by task token', TEST_TIMEOUT, async () => {
      const key = uniqueName('async-token');
      const { handle, task } = await startAsync(key);
      assert.ok(task.taskToken instanceof Uint8Array && task.taskToken.length > 0);
      await client.activity.complete(task.taskToken, { completedBy: 'token' });
      assert.deepEqual(await handle.result(), { completedBy: 'token' });
      const { events } = await handle.fetchHistory();
      const started = ofType(events, EV.ACTIVITY_TASK_STARTED);
      const completed = ofType(events, EV.ACTIVITY_TASK_COMPLETED);
      assert.equal(started.length, 1);
      assert.equal(completed.length, 1);
      assert.equal(Number(completed[0].eventId), Number(started[0].eventId) + 1);
    });

    it('completes an activity by workflow id, run id and activity id', TEST_TIMEOUT, async () => {
      const key = uniqueName('async-id');
      const { handle, task } = await startAsync(key);
      assert.equal(task.workflowExecution.workflowId, key);
      assert.equal(task.workflowExecution.runId, handle.firstExecutionRunId);
      await client.activity.complete({
        workflowId: key,
        runId: handle.firstExecutionRunId,
        activityId: task.activityId,
      }, { completedBy: 'id' });
      assert.deepEqual(await handle.result(), { completedBy: 'id' });
    });
  });
});
