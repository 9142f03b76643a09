'use strict';
// Reading history: forward paging ends with an empty token even while the run goes on, and the
// reverse reader walks from the newest event back to event 1.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { temporal } = require('@temporalio/proto');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName,
} = require('./lib/harness');

describe('history reads', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('history');
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

  async function pages(read) {
    const events = [];
    let nextPageToken;
    do {
      const page = await read(nextPageToken);
      events.push(...page.history.events);
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return events.map((e) => Number(e.eventId));
  }

  it('pages forwards and backwards over the same events', async () => {
    const handle = await client.workflow.start('activityThenTimer', {
      taskQueue, workflowId: uniqueName('pages'), args: ['pages', 10],
    });
    await handle.result();
    const execution = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    const svc = connection.workflowService;
    const forward = await pages((nextPageToken) => svc.getWorkflowExecutionHistory({
      namespace: tern.namespace, execution, maximumPageSize: 3, nextPageToken,
    }));
    const backward = await pages((nextPageToken) => svc.getWorkflowExecutionHistoryReverse({
      namespace: tern.namespace, execution, maximumPageSize: 3, nextPageToken,
    }));
    assert.ok(forward.length > 6);
    assert.deepEqual(forward, forward.map((_, i) => i + 1));
    assert.deepEqual(backward, [...forward].reverse());
  });

  it('ends a non-waiting read with an empty token while the run is still open', async () => {
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('open'),
    });
    const events = await pages((nextPageToken) => connection.workflowService.getWorkflowExecutionHistory({
      namespace: tern.namespace, execution: { workflowId: handle.workflowId }, maximumPageSize: 1,
      nextPageToken,
    }));
    assert.ok(events.length >= 2);
    assert.deepEqual(events, events.map((_, i) => i + 1));
    await handle.signal('release');
    assert.equal(await handle.result(), 'released');
  });

  // A history over gRPC's default 4 MiB message limit reaches a worker that has not cached the
  // run (every task carries the whole history) in pages, and GetWorkflowExecutionHistory pages
  // stop well under the limit too.
  it('serves a history over 4 MiB in pages to a worker without a cache', { timeout: 180_000 }, async () => {
    const uncachedQueue = uniqueName('big-history');
    const uncached = await startWorker(tern, { taskQueue: uncachedQueue, options: { maxCachedWorkflows: 0 } });
    try {
      const count = 24;
      const blob = 'x'.repeat(200_000);
      const handle = await client.workflow.start('sumSignalSizes', {
        taskQueue: uncachedQueue, workflowId: uniqueName('big-history'), args: [count],
      });
      for (let i = 0; i < count; i += 1) await handle.signal('blob', blob);
      assert.equal(await handle.result(), count * blob.length);

      const first = await connection.workflowService.getWorkflowExecutionHistory({
        namespace: tern.namespace, execution: { workflowId: handle.workflowId },
      });
      const bytes = (page) => temporal.api.history.v1.History.encode(page.history).finish().length;
      assert.ok(first.nextPageToken?.length, 'the history does not fit one page');
      assert.ok(bytes(first) < 4 * 1024 * 1024, `first page is ${bytes(first)} bytes`);
      const events = await pages((nextPageToken) => connection.workflowService
        .getWorkflowExecutionHistory({ namespace: tern.namespace, execution: { workflowId: handle.workflowId }, nextPageToken }));
      assert.deepEqual(events, events.map((_, i) => i + 1), 'every event once, in order');
    } finally {
      await uncached.stop();
    }
  });
});

