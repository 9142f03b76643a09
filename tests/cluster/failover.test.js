'use strict';
// What a caller sees while hosts go away (issue: a cluster that survives faults).
//   - A frontend told to stop while history is unreachable answers its in-flight forwarded calls
//     with UNAVAILABLE ("the frontend is shutting down") and exits, instead of holding them while
//     they retry the dead host until their deadline.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');

const { connectClient, dumpLogsOnFailure, startTern, uniqueName } = require('../sdk/lib/harness');

const UNAVAILABLE = 14;

describe('failover', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  before(async () => {
    tern = await startTern({ cluster: true });
  });
  after(async () => tern?.stop());

  it('stops a frontend promptly while history is down, answering its calls UNAVAILABLE', async () => {
    // No SDK retries: the test sees the frontend's own answer.
    const { connection } = await connectClient(tern, tern.namespace, { interceptors: [] });
    try {
      assert.deepEqual(await tern.signalProcess('tern-history', 'SIGKILL'), { code: null, signal: 'SIGKILL' });
      // The frontend keeps retrying the dead history host for this call: up to its deadline.
      const start = connection.withDeadline(Date.now() + 120_000, () => connection.workflowService.startWorkflowExecution({
        namespace: tern.namespace,
        workflowId: uniqueName('during-shutdown'),
        workflowType: { name: 'timerOnly' },
        taskQueue: { name: uniqueName('q') },
        identity: 'failover-test',
        requestId: uniqueName('req'),
      })).then(() => null, (err) => err);
      // The call is still open (history cannot answer it) when the frontend is told to stop.
      const pending = Symbol('pending');
      const early = await Promise.race([start, new Promise((r) => { setTimeout(() => r(pending), 2_000); })]);
      assert.equal(early, pending, "the start was answered while history was down");

      const exited = tern.signalProcess('tern-frontend', 'SIGTERM', 60_000);
      const err = await start;
      assert.equal(err?.code, UNAVAILABLE, String(err));
      assert.match(err.details, /the frontend is shutting down; retry the call/);
      assert.deepEqual(await exited, { code: 0, signal: null });
    } finally {
      await connection.close();
    }
  });
});
