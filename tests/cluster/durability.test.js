'use strict';
// A crash (SIGKILL) of tern-server loses nothing that was acknowledged: after a restart on the
// same database every workflow, whether waiting on a timer, an activity or its first workflow
// task, completes with the right result.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const {
  connectClient,
  dumpLogsOnFailure,
  startTern,
  startWorker,
  uniqueName,
  waitFor,
  withTimeout,
} = require('../sdk/lib/harness');

const TIMER_MS = 5000;

describe('durability across a crash', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  let client;
  let connection;
  let worker;
  let flagDir;
  const taskQueue = uniqueName('durability');
  const activitiesRunning = new Set(); // flag paths whose activity is executing

  const activities = {
    async greet(name) {
      return `Hello, ${name}`;
    },
    // Blocks until the test writes the flag file; the result is the file's content.
    async waitForFlag(flagPath) {
      activitiesRunning.add(flagPath);
      await waitFor(`flag ${flagPath}`, () => fs.existsSync(flagPath), { timeoutMs: 55_000 });
      return fs.readFileSync(flagPath, 'utf8');
    },
  };

  before(async () => {
    tern = await startTern();
    flagDir = fs.mkdtempSync(path.join(tern.dir, 'flags-'));
    ({ client, connection } = await connectClient(tern));
    worker = await startWorker(tern, { taskQueue, activities });
  });

  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  const hasEvent = async (handle, attribute) => {
    const { events } = await handle.fetchHistory();
    return events.some((e) => e[attribute]);
  };

  it('completes timers, activities and fresh starts after kill -9 and restart',
    { timeout: 240_000 },
    async () => {
      const timers = [];
      const blocked = [];
      for (let i = 0; i < 3; i++) {
        timers.push(
          await client.workflow.start('timerOnly', {
            taskQueue,
            workflowId: uniqueName(`timer-${i}`),
            args: [TIMER_MS],
          }),
        );
        const flag = path.join(flagDir, `flag-${i}`);
        blocked.push({
          flag,
          handle: await client.workflow.start('blockingActivity', {
            taskQueue,
            workflowId: uniqueName(`activity-${i}`),
            args: [flag],
          }),
        });
      }

      // Crash only once the timers are persisted and every activity is executing.
      await waitFor('every timer to be started', async () => {
        const started = await Promise.all(timers.map((h) => hasEvent(h, 'timerStartedEventAttributes')));
        return started.every(Boolean);
      }, { timeoutMs: 60_000, intervalMs: 200 });
      await waitFor('every activity to be running', () => activitiesRunning.size === blocked.length,
        { timeoutMs: 60_000 });
      // Acknowledged a moment before the crash: its first workflow task may not have run yet.
      const late = await client.workflow.start('activityThenTimer', {
        taskQueue,
        workflowId: uniqueName('late'),
        args: ['late', 500],
      });

      const pidsBefore = tern.pids();
      const crashedAt = Date.now();
      await tern.kill9();
      await tern.restart();
      assert.notDeepEqual(tern.pids(), pidsBefore, 'the server was really restarted');
      // The old worker normally reconnects; recreate it if it gave up while the server was down.
      await worker.restartIfFailed();

      for (const { flag } of blocked) fs.writeFileSync(flag, `done:${path.basename(flag)}`);

      const results = await withTimeout(
        Promise.all([
          ...timers.map((h) => h.result()),
          ...blocked.map(({ handle }) => handle.result()),
          late.result(),
        ]),
        120_000,
        'workflow results after the restart',
      );
      assert.deepEqual(results, [
        ...timers.map(() => `timer ${TIMER_MS}ms fired`),
        ...blocked.map(({ flag }) => `flag said done:${path.basename(flag)}`),
        'Hello, late after 500ms',
      ]);

      // The timers fired after the crash, so they were recovered from the database.
      for (const handle of timers) {
        const { events } = await handle.fetchHistory();
        const fired = events.find((e) => e.timerFiredEventAttributes);
        const firedAt = Number(fired.eventTime.seconds) * 1000 + fired.eventTime.nanos / 1e6;
        assert.ok(firedAt > crashedAt,
          `timer of ${handle.workflowId} fired before the crash: raise TIMER_MS`);
      }

      // And the restarted server keeps serving new work.
      const fresh = await client.workflow.execute('activityThenTimer', {
        taskQueue,
        workflowId: uniqueName('fresh'),
        args: ['again', 100],
      });
      assert.equal(fresh, 'Hello, again after 100ms');
    });
});
