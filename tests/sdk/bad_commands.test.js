'use strict';
// Invalid workflow-task completions, sent through the raw WorkflowService (no Worker): the RPC
// fails with INVALID_ARGUMENT "<Cause>: <detail>", the history gets one WorkflowTaskFailed with
// that cause and none of the bad command's events, and the workflow keeps running (a later
// attempt can still complete it). Stale and garbage task tokens are refused.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, uniqueName,
} = require('./lib/harness');

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

// temporal.api.enums.v1.EventType
const EV = {
  WORKFLOW_EXECUTION_STARTED: 1,
  WORKFLOW_EXECUTION_COMPLETED: 2,
  WORKFLOW_TASK_SCHEDULED: 5,
  WORKFLOW_TASK_STARTED: 6,
  WORKFLOW_TASK_COMPLETED: 7,
  WORKFLOW_TASK_FAILED: 9,
  ACTIVITY_TASK_SCHEDULED: 10,
  ACTIVITY_TASK_STARTED: 11,
  ACTIVITY_TASK_COMPLETED: 12,
  TIMER_STARTED: 17,
};
// temporal.api.enums.v1.CommandType
const CMD = { SCHEDULE_ACTIVITY_TASK: 1, START_TIMER: 3, COMPLETE_WORKFLOW_EXECUTION: 4 };
// temporal.api.enums.v1.WorkflowTaskFailedCause
const CAUSE = {
  BAD_SCHEDULE_ACTIVITY_ATTRIBUTES: 2,
  BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES: 7,
  START_TIMER_DUPLICATE_ID: 12,
  SCHEDULE_ACTIVITY_DUPLICATE_ID: 22,
};

const IDENTITY = 'bad_commands.test.js';
const TEST_TIMEOUT = { timeout: 60_000 };

const jsonPayloads = (value) => ({
  payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) }],
});

describe('bad workflow task completions', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern, client, connection, service;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    service = connection.workflowService;
  });
  after(async () => {
    await connection?.close();
    await tern?.stop();
  });

  const types = (events) => events.map((e) => e.eventType);

  const pollWorkflowTask = (taskQueue) => connection.withDeadline(Date.now() + 20_000, () =>
    service.pollWorkflowTaskQueue({
      namespace: tern.namespace, taskQueue: { name: taskQueue, kind: 1 }, identity: IDENTITY,
    }));

  const respond = (task, commands) => service.respondWorkflowTaskCompleted({
    namespace: tern.namespace, taskToken: task.taskToken, identity: IDENTITY, commands,
  });

  // Starts a workflow on a queue only this test polls and takes its first workflow task.
  async function startAndPoll() {
    const taskQueue = uniqueName('raw');
    const handle = await client.workflow.start('waitForRelease', { taskQueue, workflowId: uniqueName('bad-cmd') });
    const task = await pollWorkflowTask(taskQueue);
    assert.ok(task.taskToken?.length > 0, 'the poll returned a workflow task');
    assert.equal(Number(task.startedEventId), 3);
    return { taskQueue, handle, task };
  }

  async function grpcError(promise) {
    return promise.then(
      () => assert.fail('expected the RPC to fail'),
      (err) => err,
    );
  }

  // The RPC fails with INVALID_ARGUMENT "<causeName>: ..."; the history is exactly
  // Started, WFTScheduled, WFTStarted, WFTFailed(cause); the run is still RUNNING.
  async function expectRejected(handle, promise, causeName, cause) {
    const err = await grpcError(promise);
    assert.equal(err.code, INVALID_ARGUMENT, `expected INVALID_ARGUMENT, got ${err.code}: ${err.details ?? err.message}`);
    assert.ok((err.details ?? '').startsWith(`${causeName}:`),
      `the message starts with "${causeName}:" (got "${err.details}")`);
    const { events } = await handle.fetchHistory();
    assert.deepEqual(types(events), [
      EV.WORKFLOW_EXECUTION_STARTED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
      EV.WORKFLOW_TASK_FAILED,
    ], 'one WorkflowTaskFailed and nothing from the rejected commands');
    const failed = events[3].workflowTaskFailedEventAttributes;
    assert.equal(failed.cause, cause);
    assert.equal(Number(failed.scheduledEventId), 2);
    assert.equal(Number(failed.startedEventId), 3);
    const description = await handle.describe();
    assert.equal(description.status.name, 'RUNNING');
    return events;
  }

  it('rejects ScheduleActivityTask without timeouts (BadScheduleActivityAttributes) and recovers', TEST_TIMEOUT,
    async () => {
      const { taskQueue, handle, task } = await startAndPoll();
      await expectRejected(handle, respond(task, [{
        commandType: CMD.SCHEDULE_ACTIVITY_TASK,
        scheduleActivityTaskCommandAttributes: {
          activityId: '1', activityType: { name: 'greet' }, taskQueue: { name: taskQueue },
        },
      }]), 'BadScheduleActivityAttributes', CAUSE.BAD_SCHEDULE_ACTIVITY_ATTRIBUTES);

      // The next attempt is delivered and can complete the workflow.
      const retry = await pollWorkflowTask(taskQueue);
      assert.equal(retry.attempt, 2);
      await respond(retry, [{
        commandType: CMD.COMPLETE_WORKFLOW_EXECUTION,
        completeWorkflowExecutionCommandAttributes: { result: jsonPayloads('recovered') },
      }]);
      assert.equal(await handle.result(), 'recovered');
      const { events } = await handle.fetchHistory();
      assert.deepEqual(types(events), [
        EV.WORKFLOW_EXECUTION_STARTED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
        EV.WORKFLOW_TASK_FAILED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
        EV.WORKFLOW_TASK_COMPLETED, EV.WORKFLOW_EXECUTION_COMPLETED,
      ]);
    });

  it('rejects two StartTimer commands with one timer id (StartTimerDuplicateId)', TEST_TIMEOUT, async () => {
    const { handle, task } = await startAndPoll();
    const startTimer = {
      commandType: CMD.START_TIMER,
      startTimerCommandAttributes: { timerId: 'same', startToFireTimeout: { seconds: 60 } },
    };
    const events = await expectRejected(handle, respond(task, [startTimer, startTimer]),
      'StartTimerDuplicateId', CAUSE.START_TIMER_DUPLICATE_ID);
    assert.ok(!types(events).includes(EV.TIMER_STARTED));
  });

  it('rejects two ScheduleActivityTask commands with one activity id (ScheduleActivityDuplicateId)', TEST_TIMEOUT,
    async () => {
      const { taskQueue, handle, task } = await startAndPoll();
      const schedule = {
        commandType: CMD.SCHEDULE_ACTIVITY_TASK,
        scheduleActivityTaskCommandAttributes: {
          activityId: 'same', activityType: { name: 'greet' }, taskQueue: { name: taskQueue },
          startToCloseTimeout: { seconds: 30 },
        },
      };
      const events = await expectRejected(handle, respond(task, [schedule, schedule]),
        'ScheduleActivityDuplicateId', CAUSE.SCHEDULE_ACTIVITY_DUPLICATE_ID);
      assert.ok(!types(events).includes(EV.ACTIVITY_TASK_SCHEDULED));
    });

  it('rejects a command after CompleteWorkflowExecution (BadCompleteWorkflowExecutionAttributes)', TEST_TIMEOUT,
    async () => {
      const { handle, task } = await startAndPoll();
      const events = await expectRejected(handle, respond(task, [
        {
          commandType: CMD.COMPLETE_WORKFLOW_EXECUTION,
          completeWorkflowExecutionCommandAttributes: { result: jsonPayloads('too early') },
        },
        {
          commandType: CMD.START_TIMER,
          startTimerCommandAttributes: { timerId: 'after-complete', startToFireTimeout: { seconds: 60 } },
        },
      ]), 'BadCompleteWorkflowExecutionAttributes', CAUSE.BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES);
      assert.ok(!types(events).includes(EV.WORKFLOW_EXECUTION_COMPLETED));
      assert.ok(!types(events).includes(EV.TIMER_STARTED));
    });

  it('refuses a workflow task token that was already used, and a garbage one', TEST_TIMEOUT, async () => {
    const { handle, task } = await startAndPoll();
    await respond(task, [{
      commandType: CMD.START_TIMER,
      startTimerCommandAttributes: { timerId: 't', startToFireTimeout: { seconds: 600 } },
    }]);
    const stale = await grpcError(respond(task, []));
    assert.equal(stale.code, NOT_FOUND, `stale token: got ${stale.code}: ${stale.details ?? stale.message}`);
    const { events } = await handle.fetchHistory();
    assert.deepEqual(types(events), [
      EV.WORKFLOW_EXECUTION_STARTED, EV.WORKFLOW_TASK_SCHEDULED, EV.WORKFLOW_TASK_STARTED,
      EV.WORKFLOW_TASK_COMPLETED, EV.TIMER_STARTED,
    ], 'the stale answer wrote nothing');

    const garbage = await grpcError(respond({ taskToken: Buffer.from('not a task token') }, []));
    assert.ok([NOT_FOUND, INVALID_ARGUMENT].includes(garbage.code),
      `garbage token: expected NOT_FOUND or INVALID_ARGUMENT, got ${garbage.code}: ${garbage.details ?? garbage.message}`);
  });

  it('refuses an activity task token that is no longer known, and a garbage one', TEST_TIMEOUT, async () => {
    const { taskQueue, handle, task } = await startAndPoll();
    await respond(task, [{
      commandType: CMD.SCHEDULE_ACTIVITY_TASK,
      scheduleActivityTaskCommandAttributes: {
        activityId: 'a1', activityType: { name: 'greet' }, taskQueue: { name: taskQueue },
        startToCloseTimeout: { seconds: 30 },
      },
    }]);
    const activityTask = await connection.withDeadline(Date.now() + 20_000, () =>
      service.pollActivityTaskQueue({
        namespace: tern.namespace, taskQueue: { name: taskQueue, kind: 1 }, identity: IDENTITY,
      }));
    assert.equal(activityTask.activityId, 'a1');
    const complete = (taskToken) => service.respondActivityTaskCompleted({
      namespace: tern.namespace, taskToken, identity: IDENTITY, result: jsonPayloads('hi'),
    });
    await complete(activityTask.taskToken);
    const stale = await grpcError(complete(activityTask.taskToken));
    assert.equal(stale.code, NOT_FOUND, `completed activity's token: got ${stale.code}: ${stale.details ?? stale.message}`);
    const { events } = await handle.fetchHistory();
    assert.equal(types(events).filter((t) => t === EV.ACTIVITY_TASK_COMPLETED).length, 1);
    assert.equal(types(events).filter((t) => t === EV.ACTIVITY_TASK_STARTED).length, 1);

    const garbage = await grpcError(complete(Buffer.from('not a task token')));
    assert.ok([NOT_FOUND, INVALID_ARGUMENT].includes(garbage.code),
      `garbage token: expected NOT_FOUND or INVALID_ARGUMENT, got ${garbage.code}: ${garbage.details ?? garbage.message}`);
  });
});
