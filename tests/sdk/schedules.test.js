'use strict';
// The Schedule API through the official TypeScript SDK's ScheduleClient: a schedule created with
// an interval starts workflows (run by tern-worker) with Temporal's ids and search attributes;
// describe, list, update, pause, trigger, backfill, overlap policies, limited actions and delete
// behave as the SDK documents them.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy,
} = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

const IVT_KEYWORD = 2;
const SECOND = 1000;

describe('schedules', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  // Schedules made by a test, deleted when it ends so later tests see a quiet server.
  const made = [];
  const create = async (options) => {
    const handle = await client.schedule.create(options);
    made.push(handle);
    return handle;
  };
  const action = (workflowType, args = [], workflowId = uniqueName(workflowType)) =>
    ({ type: 'startWorkflow', workflowType, args, taskQueue, workflowId });
  const describeUntil = (handle, what, probe, timeoutMs = 30_000) =>
    waitFor(what, async () => {
      const description = await handle.describe();
      return probe(description) ? description : null;
    }, { timeoutMs });

  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('schedules');
    worker = await startWorker(tern, { taskQueue });
    await connection.operatorService.addSearchAttributes({
      namespace: 'default', searchAttributes: { ScheduleOwner: IVT_KEYWORD },
    });
  });
  after(async () => {
    for (const handle of made) await handle.delete().catch(() => {});
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('starts a workflow every interval, with Temporal\'s ids and search attributes', async () => {
    const scheduleId = uniqueName('every-2s');
    const base = uniqueName('doubled');
    const handle = await create({
      scheduleId,
      spec: { intervals: [{ every: '2s' }] },
      action: action('double', [21], base),
      // Every time starts even on a slow machine where a run outlives the interval.
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      memo: { purpose: 'test' },
      searchAttributes: { ScheduleOwner: ['billing'] },
    });
    const description = await describeUntil(handle, 'two actions',
      (d) => d.info.recentActions.length >= 2);
    const [first, second] = description.info.recentActions;
    assert.equal(second.scheduledAt - first.scheduledAt, 2 * SECOND);
    assert.equal(first.scheduledAt.getTime() % (2 * SECOND), 0, 'intervals are aligned to the epoch');
    for (const result of [first, second]) {
      const { workflowId, firstExecutionRunId } = result.action.workflow;
      assert.equal(workflowId, `${base}-${result.scheduledAt.toISOString().replace('.000Z', 'Z')}`);
      const run = client.workflow.getHandle(workflowId, firstExecutionRunId);
      assert.equal(await run.result(), 42);
      const info = await run.describe();
      assert.deepEqual(info.searchAttributes.TemporalScheduledById, [scheduleId]);
      assert.equal(info.searchAttributes.TemporalScheduledStartTime[0].getTime(),
        result.scheduledAt.getTime());
    }
    assert.equal(description.spec.intervals[0].every, 2 * SECOND);
    assert.equal(description.action.workflowType, 'double');
    assert.deepEqual(description.action.args, [21]);
    assert.deepEqual(description.memo, { purpose: 'test' });
    assert.deepEqual(description.searchAttributes.ScheduleOwner, ['billing']);
    assert.equal(description.info.nextActionTimes.length, 10);
    const gaps = description.info.nextActionTimes.slice(1)
      .map((t, i) => t - description.info.nextActionTimes[i]);
    assert.ok(gaps.every((gap) => gap === 2 * SECOND), `next action times: ${gaps}`);
  });

  it('lists and counts schedules, also by query, and hides them from workflow lists', async () => {
    const scheduleId = uniqueName('listed');
    await create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: action('double', [1]),
      searchAttributes: { ScheduleOwner: ['reports'] },
      state: { paused: true, note: 'not yet' },
    });
    const listed = await waitFor('the schedule in ListSchedules', async () => {
      for await (const summary of client.schedule.list({ query: "ScheduleOwner = 'reports'" })) {
        if (summary.scheduleId === scheduleId) return summary;
      }
      return null;
    });
    assert.equal(listed.state.paused, true);
    assert.equal(listed.state.note, 'not yet');
    assert.equal(listed.action.workflowType, 'double');
    const counted = await connection.workflowService.countSchedules({
      namespace: 'default', query: 'TemporalSchedulePaused = true',
    });
    assert.ok(Number(counted.count) >= 1);
    for await (const info of client.workflow.list()) {
      assert.ok(!info.workflowId.startsWith('temporal-sys-scheduler:'), info.workflowId);
    }
  });

  it('pauses, triggers while paused, unpauses and updates', async () => {
    const handle = await create({
      scheduleId: uniqueName('paused'),
      spec: { intervals: [{ every: '1h' }] },
      action: action('double', [5]),
    });
    await handle.pause('maintenance window');
    let description = await handle.describe();
    assert.equal(description.state.paused, true);
    assert.equal(description.state.note, 'maintenance window');
    assert.deepEqual(description.info.nextActionTimes, []);

    await handle.trigger();
    description = await describeUntil(handle, 'the triggered action',
      (d) => d.info.recentActions.length === 1);
    const { workflowId } = description.info.recentActions[0].action.workflow;
    assert.equal(await client.workflow.getHandle(workflowId).result(), 10);

    await handle.unpause('back');
    await handle.update((previous) => ({
      ...previous,
      spec: { intervals: [{ every: '30m' }] },
      action: { ...previous.action, args: [7] },
    }));
    description = await handle.describe();
    assert.equal(description.state.paused, false);
    assert.equal(description.spec.intervals[0].every, 30 * 60 * SECOND);
    assert.deepEqual(description.action.args, [7]);
    assert.equal(description.info.nextActionTimes.length, 10);
  });

  it('skips starts while a workflow runs (SKIP) and terminates it (TERMINATE_OTHER)', async () => {
    const skipping = await create({
      scheduleId: uniqueName('skip'),
      spec: { intervals: [{ every: '1s' }] },
      action: action('waitForRelease'),
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    const skipped = await describeUntil(skipping, 'skipped starts',
      (d) => d.info.numActionsSkippedOverlap >= 2);
    assert.equal(skipped.info.numActionsTaken, 1);
    assert.equal(skipped.info.runningActions.length, 1);
    await skipping.pause();

    const terminating = await create({
      scheduleId: uniqueName('terminate'),
      spec: { intervals: [{ every: '1s' }] },
      action: action('waitForRelease'),
      policies: { overlap: ScheduleOverlapPolicy.TERMINATE_OTHER },
    });
    const replaced = await describeUntil(terminating, 'a second start',
      (d) => d.info.numActionsTaken >= 2);
    await terminating.pause();
    const firstRun = replaced.info.recentActions[0].action.workflow;
    const first = await client.workflow.getHandle(firstRun.workflowId, firstRun.firstExecutionRunId)
      .describe();
    assert.equal(first.status.name, 'TERMINATED');
  });

  it('backfills the spec\'s times in a past range', async () => {
    const handle = await create({
      scheduleId: uniqueName('backfill'),
      spec: { calendars: [{ hour: '*', minute: 0 }] },
      action: action('double', [2]),
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      state: { paused: true },
    });
    const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
    const start = new Date(end.getTime() - 2 * 3_600_000);
    await handle.backfill([{ start, end, overlap: ScheduleOverlapPolicy.ALLOW_ALL }]);
    const description = await describeUntil(handle, 'three backfilled actions',
      (d) => d.info.recentActions.length === 3);
    assert.deepEqual(description.info.recentActions.map((a) => a.scheduledAt.getTime()),
      [start.getTime(), start.getTime() + 3_600_000, end.getTime()]);
  });

  it('stops after its remaining actions', async () => {
    const handle = await create({
      scheduleId: uniqueName('limited'),
      spec: { intervals: [{ every: '1s' }] },
      action: action('double', [3]),
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      state: { remainingActions: 2 },
    });
    const done = await describeUntil(handle, 'two actions and none left',
      (d) => d.info.numActionsTaken === 2 && d.state.remainingActions === 0);
    assert.deepEqual(done.info.nextActionTimes, []);
  });

  it('passes each run the last result, and pauses on a failure with its message', async () => {
    const counting = await create({
      scheduleId: uniqueName('count-runs'),
      spec: { intervals: [{ every: '1s' }] },
      action: action('countRuns'),
    });
    const counted = await describeUntil(counting, 'three runs', (d) => d.info.numActionsTaken >= 3);
    await counting.pause();
    const results = await Promise.all(counted.info.recentActions.slice(0, 3).map(({ action: a }) =>
      client.workflow.getHandle(a.workflow.workflowId, a.workflow.firstExecutionRunId).result()));
    assert.deepEqual(results, [1, 2, 3]);

    const failing = await create({
      scheduleId: uniqueName('pause-on-failure'),
      spec: { intervals: [{ every: '1s' }] },
      action: action('failWithDetails', ['out of stock', {}]),
      policies: { pauseOnFailure: true },
    });
    const paused = await describeUntil(failing, 'the pause', (d) => d.state.paused);
    const failed = paused.info.recentActions[0].action.workflow.workflowId;
    assert.equal(paused.state.note, `paused due to workflow failure: ${failed}: out of stock`);
    assert.equal(paused.info.numActionsTaken, 1);
  });

  it('refuses a taken id and answers NOT_FOUND once deleted', async () => {
    const scheduleId = uniqueName('taken');
    const options = { scheduleId, spec: { intervals: [{ every: '1h' }] }, action: action('double', [1]) };
    const handle = await client.schedule.create(options);
    await assert.rejects(client.schedule.create(options), ScheduleAlreadyRunning);
    await handle.delete();
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
    await assert.rejects(handle.delete(), ScheduleNotFoundError);
  });

  it('rejects a bad spec with a message naming it', async () => {
    await assert.rejects(client.schedule.create({
      scheduleId: uniqueName('bad'),
      spec: { cronExpressions: ['61 * * * *'] },
      action: action('double', [1]),
    }), (err) => {
      assert.equal(err.cause?.code, 3, `INVALID_ARGUMENT, got ${err.cause}`);
      assert.match(err.cause.details,
        /^invalid schedule spec: cron_string "61 \* \* \* \*": minute 61 is out of range 0-59$/);
      return true;
    });
  });
});
