'use strict';
// The happy path an SDK user sees first: activities, timers, results, failures, retries, ids.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} = require('@temporalio/client');
const { Context } = require('@temporalio/activity');
const {
  connectClient,
  dumpLogsOnFailure,
  startTern,
  startWorker,
  uniqueName,
} = require('./lib/harness');

const TEST_TIMEOUT_MS = 120_000;

describe('basic workflows', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  let client;
  let connection;
  let worker;
  const taskQueue = uniqueName('basic');
  const attemptsSeen = new Map(); // activity key -> attempts observed by the activity

  const activities = {
    async greet(name) {
      return `Hello, ${name}`;
    },
    async flaky(key, failures) {
      const { attempt } = Context.current().info;
      attemptsSeen.set(key, [...(attemptsSeen.get(key) ?? []), attempt]);
      if (attempt <= failures) throw new Error(`deliberate failure on attempt ${attempt}`);
      return attempt;
    },
  };

  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    worker = await startWorker(tern, { taskQueue, activities });
  });

  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('runs an activity and a timer and returns their result', { timeout: TEST_TIMEOUT_MS },
    async () => {
      const started = Date.now();
      const result = await client.workflow.execute('activityThenTimer', {
        taskQueue,
        workflowId: uniqueName('activity-timer'),
        args: ['Tern', 1000],
      });
      assert.equal(result, 'Hello, Tern after 1000ms');
      assert.ok(Date.now() - started >= 1000, 'the 1 s timer cannot fire early');
    });

  it('returns a gap-free history from WorkflowExecutionStarted to WorkflowExecutionCompleted',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const handle = await client.workflow.start('activityThenTimer', {
        taskQueue,
        workflowId: uniqueName('history'),
        args: ['history', 100],
      });
      assert.equal(await handle.result(), 'Hello, history after 100ms');
      const { events } = await handle.fetchHistory();
      assert.ok(events.length >= 11, `expected a full history, got ${events.length} events`);
      events.forEach((event, i) => {
        assert.equal(Number(event.eventId), i + 1, `event #${i} has id ${event.eventId}`);
        assert.ok(event.eventTime, `event ${i + 1} has no event_time`);
      });
      // temporal.api.enums.v1.EventType
      const STARTED = 1;
      const COMPLETED = 2;
      assert.equal(events[0].eventType, STARTED, 'first event is not WorkflowExecutionStarted');
      assert.ok(events[0].workflowExecutionStartedEventAttributes, 'first event has no attributes');
      assert.equal(events.at(-1).eventType, COMPLETED,
        'last event is not WorkflowExecutionCompleted');
      assert.ok(events.at(-1).workflowExecutionCompletedEventAttributes,
        'last event has no attributes');
      assert.ok(events.some((e) => e.activityTaskCompletedEventAttributes), 'no ActivityTaskCompleted');
      assert.ok(events.some((e) => e.timerFiredEventAttributes), 'no TimerFired');
    });

  it('reports a workflow ApplicationFailure with its type and details', { timeout: TEST_TIMEOUT_MS },
    async () => {
      const details = [{ order: 42 }, 'second detail'];
      const handle = await client.workflow.start('failWithDetails', {
        taskQueue,
        workflowId: uniqueName('fail'),
        args: ['something broke', details],
      });
      await assert.rejects(handle.result(), (err) => {
        assert.ok(err instanceof WorkflowFailedError, `got ${err?.name}: ${err?.message}`);
        assert.ok(err.cause instanceof ApplicationFailure, `cause is ${err.cause?.name}`);
        assert.equal(err.cause.type, 'MyError');
        assert.equal(err.cause.message, 'something broke');
        assert.equal(err.cause.nonRetryable, true);
        assert.deepEqual(err.cause.details, details);
        return true;
      });
      const description = await handle.describe();
      assert.equal(description.status.name, 'FAILED');
    });

  it('retries a failing activity with the retry policy', { timeout: TEST_TIMEOUT_MS },
    async () => {
      const key = uniqueName('flaky');
      const result = await client.workflow.execute('retryingActivity', {
        taskQueue,
        workflowId: key,
        args: [key, 2],
      });
      assert.equal(result, 'succeeded on attempt 3');
      assert.deepEqual(attemptsSeen.get(key), [1, 2, 3]);
    });

  it('rejects a second start of a running workflow id', { timeout: TEST_TIMEOUT_MS },
    async () => {
      const workflowId = uniqueName('dup');
      const first = await client.workflow.start('waitForRelease', { taskQueue, workflowId });
      await assert.rejects(
        client.workflow.start('waitForRelease', { taskQueue, workflowId }),
        (err) => {
          assert.ok(err instanceof WorkflowExecutionAlreadyStartedError,
            `got ${err?.name}: ${err?.message}`);
          assert.equal(err.workflowId, workflowId);
          return true;
        },
      );
      // The first run is untouched.
      const description = await first.describe();
      assert.equal(description.runId, first.firstExecutionRunId);
      assert.equal(description.status.name, 'RUNNING');
    });
});
