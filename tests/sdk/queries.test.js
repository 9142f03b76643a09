'use strict';
// Workflow queries: answered by the worker for running workflows (riding on the next workflow task
// when one is pending or running, else as legacy query tasks) and completed workflows, consistent
// with the signals sent before them; unknown query types, closed workflows with a reject
// condition, and a task queue nobody polls.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  Client, QueryNotRegisteredError, QueryRejectedError, ServiceError,
} = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName,
} = require('./lib/harness');

const DEADLINE_EXCEEDED = 4; // grpc status code
const WORKFLOW_EXECUTION_STATUS_COMPLETED = 2;

describe('queries', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('queries');
    worker = await startWorker(tern, { taskQueue });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  const start = (initial) => client.workflow.start('queryableState', {
    taskQueue, workflowId: uniqueName('state'), args: [initial],
  });

  it('answers queries of a running workflow, after every signal sent before', async () => {
    const handle = await start('initial');
    // Sent right after the start: answered once the first workflow task has run.
    assert.equal(await handle.query('state'), 'initial');
    assert.equal(await handle.query('describe', 'now'), 'now: initial');
    for (const next of ['one', 'two', 'three']) {
      await handle.signal('setState', next);
      assert.equal(await handle.query('state'), next, 'a query sees the signal sent before it');
    }
    await handle.signal('finish');
    assert.equal(await handle.result(), 'three');
    // A query writes nothing: the history holds the start, the signals and workflow tasks only.
    const events = (await handle.fetchHistory()).events;
    assert.equal(events.filter((e) => e.workflowExecutionSignaledEventAttributes).length, 4);
    assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes).length, 0);
    const ids = events.map((e) => Number(e.eventId));
    assert.deepEqual(ids, ids.map((_, i) => i + 1));
  });

  it('answers queries of a completed workflow from its history', async () => {
    const handle = await start('initial');
    await handle.signal('setState', 'final');
    await handle.signal('finish');
    assert.equal(await handle.result(), 'final');
    assert.equal(await handle.query('state'), 'final');
    assert.equal(await handle.query('describe', 'closed'), 'closed: final');
  });

  it('reports an unknown query type as QueryNotRegisteredError', async () => {
    const handle = await start('initial');
    await assert.rejects(handle.query('noSuchQuery'), (err) => {
      assert.ok(err instanceof QueryNotRegisteredError, `got ${err?.name}: ${err?.message}`);
      assert.match(err.message, /noSuchQuery/);
      return true;
    });
    // The workflow is unharmed and still answers.
    assert.equal(await handle.query('state'), 'initial');
    await handle.signal('finish');
    assert.equal(await handle.result(), 'initial');
  });

  it('rejects a query of a closed workflow with queryRejectCondition NOT_OPEN', async () => {
    const handle = await start('initial');
    await handle.signal('finish');
    await handle.result();
    const strict = new Client({
      connection, namespace: tern.namespace, workflow: { queryRejectCondition: 'NOT_OPEN' },
    });
    await assert.rejects(strict.workflow.getHandle(handle.workflowId).query('state'), (err) => {
      assert.ok(err instanceof QueryRejectedError, `got ${err?.name}: ${err?.message}`);
      assert.equal(Number(err.status), WORKFLOW_EXECUTION_STATUS_COMPLETED);
      return true;
    });
    // Without the condition the same workflow answers.
    assert.equal(await handle.query('state'), 'initial');
  });

  it('fails within the caller deadline with a clear error when no worker polls', async () => {
    const lonelyQueue = uniqueName('lonely');
    const lonelyWorker = await startWorker(tern, { taskQueue: lonelyQueue });
    let handle;
    try {
      handle = await client.workflow.start('queryableState', {
        taskQueue: lonelyQueue, workflowId: uniqueName('lonely'), args: ['idle'],
      });
      assert.equal(await handle.query('state'), 'idle');
    } finally {
      await lonelyWorker.stop();
    }
    const deadlineMs = 3000;
    const started = Date.now();
    await assert.rejects(
      client.withDeadline(started + deadlineMs, () => handle.query('state')),
      (err) => {
        assert.ok(err instanceof ServiceError, `got ${err?.name}: ${err?.message}`);
        assert.equal(err.cause?.code, DEADLINE_EXCEEDED, err.cause?.details);
        // The server's own answer, not a bare transport timeout: it names the task queue.
        assert.ok(err.cause.details.includes(lonelyQueue), err.cause.details);
        return true;
      },
    );
    await handle.terminate('test done');
  });

  it('attaches a query to the next workflow task and answers it from that task', async () => {
    // A hand-driven worker: the query must arrive in the `queries` of a workflow task.
    const rawQueue = uniqueName('raw-queries');
    const svc = connection.workflowService;
    const handle = await client.workflow.start('queryableState', {
      taskQueue: rawQueue, workflowId: uniqueName('raw'), args: ['unused'],
    });
    const poll = () => svc.pollWorkflowTaskQueue({
      namespace: tern.namespace, taskQueue: { name: rawQueue }, identity: 'raw-worker',
    });
    const complete = (task, extra = {}) => svc.respondWorkflowTaskCompleted({
      namespace: tern.namespace, taskToken: task.taskToken, identity: 'raw-worker', ...extra,
    });
    await complete(await poll());            // the first task: the run is now ready for queries
    await handle.signal('setState', 'busy'); // a second task is scheduled
    let task = await poll();                 // ... and running when the query arrives
    const answer = handle.query('state');
    // Keep a task in flight until the query rides on one (it cannot fall back to a legacy query
    // task while a workflow task is pending).
    while (Object.keys(task.queries ?? {}).length === 0) {
      await complete(task, { forceCreateNewWorkflowTask: true });
      task = await poll();
    }
    const [[queryId, query]] = Object.entries(task.queries);
    assert.equal(query.queryType, 'state');
    assert.ok(!task.query, 'not a legacy query task');
    const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"from the task"') };
    await complete(task, {
      queryResults: { [queryId]: { resultType: 1 /* ANSWERED */, answer: { payloads: [payload] } } },
    });
    assert.equal(await answer, 'from the task');
    await handle.terminate('test done');
  });
});
