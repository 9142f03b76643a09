'use strict';
// Schedules survive their worker: tern-worker is killed (SIGKILL) while a schedule fires every
// second and started again; every nominal time from the first action to the last is started
// exactly once (the times that passed while no worker ran are caught up), and no time twice.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  connectClient, dumpLogsOnFailure, requireSdk, startTern, startWorker, uniqueName, waitFor,
} = require('../sdk/lib/harness');

const { ScheduleOverlapPolicy } = requireSdk('@temporalio/client');

const SECOND = 1000;

describe('schedules across a tern-worker crash', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;

  before(async () => {
    tern = await startTern({ cluster: true });
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('schedule-crash');
    worker = await startWorker(tern, { taskQueue });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  // The workflows the schedule started, as (nominal time -> [workflow ids]), from visibility.
  async function startedTimes(scheduleId) {
    const byTime = new Map();
    for await (const info of client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) {
      const time = info.searchAttributes.TemporalScheduledStartTime[0].getTime();
      byTime.set(time, [...(byTime.get(time) ?? []), `${info.workflowId}/${info.runId}`]);
    }
    return byTime;
  }

  it('starts every second exactly once, also those that passed while it was down', async () => {
    const scheduleId = uniqueName('crash');
    const handle = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: { type: 'startWorkflow', workflowType: 'double', args: [4], taskQueue,
        workflowId: uniqueName('crash-run') },
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
    });
    await waitFor('two actions before the crash', async () =>
      (await handle.describe()).info.numActionsTaken >= 2);

    const killedAt = Date.now();
    await tern.signalProcess('tern-worker', 'SIGKILL');
    // The point of the test: fire times pass while no worker runs.
    await waitFor('three fire times to pass with no worker', () => Date.now() - killedAt > 3 * SECOND);
    const restartedAt = Date.now();
    tern.startProcess('tern-worker');

    const caughtUp = await waitFor('the schedule to catch up past the restart', async () => {
      const description = await handle.describe();
      const last = description.info.recentActions.at(-1);
      return last && last.scheduledAt.getTime() > restartedAt + 2 * SECOND ? description : null;
    }, { timeoutMs: 90_000 });
    await handle.pause('test over');
    assert.ok(caughtUp.info.numActionsTaken >= 6);

    const byTime = await waitFor('visibility to list every started workflow', async () => {
      const times = await startedTimes(scheduleId);
      return times.size >= caughtUp.info.numActionsTaken ? times : null;
    });
    const times = [...byTime.keys()].sort((a, b) => a - b);
    const duplicated = [...byTime].filter(([, runs]) => runs.length > 1);
    assert.deepEqual(duplicated, [], 'nominal times started more than once');
    const gaps = times.slice(1).map((t, i) => t - times[i]).filter((gap) => gap !== SECOND);
    assert.deepEqual(gaps, [], `every second from ${new Date(times[0]).toISOString()} on`);
    assert.ok(times.some((t) => t > killedAt && t < restartedAt), 'times from the outage were started');
  });
});
