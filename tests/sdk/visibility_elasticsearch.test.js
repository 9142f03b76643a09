'use strict';
// Visibility on Elasticsearch, end to end: a tern-server whose visibilityStore is an
// elasticsearch datastore (an index of its own on the cluster at TERN_TEST_ES_URL; scripts/test
// runs this file under tests/integration/with_opensearch.sh, which starts a throwaway OpenSearch)
// serves what an SDK user sees: lists filtered on system attributes and on custom attributes
// registered with the OperatorService and the CLI, set at start and upserted by the workflow;
// every close status; counts, also grouped by ExecutionStatus; ORDER BY and small pages; runs
// leaving the list through retention and DeleteWorkflowExecution. Elasticsearch is near real
// time (a document is searchable after the next refresh), so every check of a list waits for
// what it expects with a deadline, never for a fixed time.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { Client, WorkflowFailedError, WorkflowNotFoundError } = require('@temporalio/client');
const { defineSearchAttributeKey, SearchAttributeType } = require('@temporalio/common');
const { temporal } = require('@temporalio/proto');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');
const { ok, run } = require('./lib/cli');

const IVT = temporal.api.enums.v1.IndexedValueType;
const INVALID_ARGUMENT = 3;
const TEST_TIMEOUT = { timeout: 120_000 };

const keys = {
  keyword: defineSearchAttributeKey('CustomKeyword', SearchAttributeType.KEYWORD),
  text: defineSearchAttributeKey('CustomText', SearchAttributeType.TEXT),
  int: defineSearchAttributeKey('CustomInt', SearchAttributeType.INT),
  double: defineSearchAttributeKey('CustomDouble', SearchAttributeType.DOUBLE),
  bool: defineSearchAttributeKey('CustomBool', SearchAttributeType.BOOL),
  datetime: defineSearchAttributeKey('CustomDatetime', SearchAttributeType.DATETIME),
  keywordList: defineSearchAttributeKey('CustomKeywordList', SearchAttributeType.KEYWORD_LIST),
  // Registered with `tern operator search-attribute create`, not the OperatorService.
  cli: defineSearchAttributeKey('CliKeyword', SearchAttributeType.KEYWORD),
};

describe('visibility on Elasticsearch', () => {
  dumpLogsOnFailure();
  let tern, client, connection;
  const namespace = 'default';
  const svc = () => connection.workflowService;

  // Every run `query` lists (all pages, `pageSize` at a time), as the SDK yields them.
  const listAll = async (query, pageSize, on = client) => {
    const out = [];
    for await (const info of on.workflow.list({ query, pageSize })) out.push(info);
    return out;
  };
  // Waits until `query` lists exactly the workflow ids `expected` (in this order when `ordered`).
  const waitForIds = async (query, expected, { ordered = false, on = client } = {}) => {
    const norm = (ids) => JSON.stringify(ordered ? ids : [...ids].sort());
    let last;
    try {
      await waitFor(`${query} to list [${expected.join(', ')}]`, async () => {
        last = (await listAll(query, undefined, on)).map((info) => info.workflowId);
        return norm(last) === norm(expected);
      });
    } catch (err) {
      err.message += ` (last listed: ${last ? `[${last.join(', ')}]` : 'nothing'})`;
      throw err;
    }
  };
  const waitForCount = (query, count, on = client) => waitFor(`count of ${query} to be ${count}`,
    async () => (await on.workflow.count(query)).count === count);
  // The run's state goes with its row, not necessarily in the same instant.
  const waitUntilGone = (handle) => waitFor(`${handle.workflowId} to be deleted`, async () => {
    try {
      await handle.describe();
      return false;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  });

  before(async () => {
    const url = process.env.TERN_TEST_ES_URL;
    assert.ok(url, 'TERN_TEST_ES_URL is not set: run this file under ' +
      'tests/integration/with_opensearch.sh (scripts/test sdk does)');
    tern = await startTern({
      elasticsearchUrl: url,
      dynamicConfig: { 'namespace.minRetention': '1s', 'worker.scanInterval': '200ms' },
    });
    ({ client, connection } = await connectClient(tern));
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: {
        CustomKeyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
        CustomText: IVT.INDEXED_VALUE_TYPE_TEXT,
        CustomInt: IVT.INDEXED_VALUE_TYPE_INT,
        CustomDouble: IVT.INDEXED_VALUE_TYPE_DOUBLE,
        CustomBool: IVT.INDEXED_VALUE_TYPE_BOOL,
        CustomDatetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
        CustomKeywordList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
      },
    });
    ok(await run(['--address', tern.address, '-n', namespace, 'operator', 'search-attribute',
      'create', '--name', 'CliKeyword', '--type', 'Keyword']), 'search-attribute create');
  });
  after(async () => {
    await connection?.close();
    await tern?.stop();
  });

  // Runs `fn(queue)` with a worker polling a task queue of its own.
  const withWorker = async (prefix, fn, on = tern) => {
    const queue = uniqueName(prefix);
    const worker = await startWorker(on, { taskQueue: queue });
    try {
      return await fn(queue);
    } finally {
      await worker.stop();
    }
  };

  it('keeps the rows in its Elasticsearch index', async () => {
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue: uniqueName('es-nobody-polls'), workflowId: uniqueName('es-doc'),
    });
    // Straight from the index: the document of the run, with the status by name.
    const hit = await waitFor('the run in the index', async () => {
      const { status, body } = await tern.elasticsearchRequest('POST', '/_search', {
        query: { term: { WorkflowId: handle.workflowId } },
      });
      assert.equal(status, 200, JSON.stringify(body));
      return body.hits.hits[0];
    });
    assert.equal(hit._id, handle.firstExecutionRunId);
    assert.equal(hit._source.ExecutionStatus, 'Running');
    assert.equal(hit._source.WorkflowType, 'waitForRelease');
    await handle.terminate('done');
    await waitFor('the terminated status in the index', async () => {
      const { body } = await tern.elasticsearchRequest('GET', `/_doc/${handle.firstExecutionRunId}`);
      return body._source?.ExecutionStatus === 'Terminated';
    });
  });

  it('filters on system and custom attributes, set at start and upserted by the workflow',
    TEST_TIMEOUT, async () => {
      await withWorker('es-filter', async (queue) => {
        const completed = await client.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName('es-completed'), args: [0],
          typedSearchAttributes: [{ key: keys.keyword, value: 'alpha' }, { key: keys.int, value: 1 }],
        });
        await completed.result();
        const when = new Date('2024-05-01T10:00:00.123Z');
        const running = await client.workflow.start('waitForRelease', {
          taskQueue: queue, workflowId: uniqueName('es-running'),
          memo: { owner: 'team-a', attempt: 2 },
          typedSearchAttributes: [
            { key: keys.keyword, value: 'beta' },
            { key: keys.int, value: 20 },
            { key: keys.double, value: 2.5 },
            { key: keys.bool, value: true },
            { key: keys.datetime, value: when },
            { key: keys.keywordList, value: ['x', 'y'] },
            { key: keys.text, value: 'quick brown fox' },
          ],
        });
        // Upserts from the workflow: changes two attributes, sets the CLI-registered one and
        // removes one set at start.
        const upserting = await client.workflow.start('upsertSearchAttributesThenWait', {
          taskQueue: queue, workflowId: uniqueName('es-upsert'),
          typedSearchAttributes: [
            { key: keys.keyword, value: 'initial' },
            { key: keys.double, value: 9.5 },
          ],
          args: [[
            { name: 'CustomKeyword', type: 'KEYWORD', value: 'gamma' },
            { name: 'CustomInt', type: 'INT', value: 300 },
            { name: 'CliKeyword', type: 'KEYWORD', value: 'from-the-workflow' },
            { name: 'CustomDouble', type: 'DOUBLE', value: null },
          ]],
        });
        const q = `TaskQueue = '${queue}'`;
        const ids = { completed: completed.workflowId, running: running.workflowId, upserting: upserting.workflowId };

        // The upsert is visible once its workflow task completed and the index refreshed.
        await waitForIds(`${q} AND CliKeyword = 'from-the-workflow'`, [ids.upserting]);
        await waitForIds(`${q} AND CustomKeyword = 'gamma'`, [ids.upserting]);
        // Running first, newest first.
        await waitForIds(q, [ids.upserting, ids.running, ids.completed], { ordered: true });

        await waitForIds(`${q} AND WorkflowType = 'waitForRelease'`, [ids.running]);
        await waitForIds(`${q} AND ExecutionStatus = 'Running'`, [ids.running, ids.upserting]);
        await waitForIds(`${q} AND ExecutionStatus = 'Completed'`, [ids.completed]);
        await waitForIds(`${q} AND ExecutionStatus != 'Running'`, [ids.completed]);
        await waitForIds(`WorkflowId = '${ids.running}'`, [ids.running]);
        await waitForIds(`RunId = '${running.firstExecutionRunId}'`, [ids.running]);
        const runningStart = (await running.describe()).startTime.toISOString();
        await waitForIds(`${q} AND StartTime >= '${runningStart}'`, [ids.running, ids.upserting]);
        await waitForIds(`${q} AND StartTime < '${runningStart}'`, [ids.completed]);
        await waitForIds(`${q} AND CloseTime IS NULL`, [ids.running, ids.upserting]);
        await waitForIds(`${q} AND CloseTime IS NOT NULL AND ExecutionDuration >= 0`, [ids.completed]);

        await waitForIds(`${q} AND CustomKeyword = 'beta'`, [ids.running]);
        await waitForIds(`${q} AND CustomKeyword IN ('alpha', 'gamma')`, [ids.completed, ids.upserting]);
        await waitForIds(`${q} AND CustomKeyword NOT IN ('alpha', 'gamma')`, [ids.running]);
        await waitForIds(`${q} AND CustomKeyword STARTS_WITH 'al'`, [ids.completed]);
        await waitForIds(`${q} AND CustomInt > 10`, [ids.running, ids.upserting]);
        await waitForIds(`${q} AND CustomInt BETWEEN 1 AND 20`, [ids.completed, ids.running]);
        await waitForIds(`${q} AND CustomDouble < 3`, [ids.running]);
        await waitForIds(`${q} AND CustomDouble IS NULL`, [ids.completed, ids.upserting]);
        await waitForIds(`${q} AND CustomBool = true`, [ids.running]);
        await waitForIds(`${q} AND CustomDatetime > '2024-05-01T10:00:00Z'`, [ids.running]);
        await waitForIds(`${q} AND CustomDatetime = '2024-05-01T10:00:00.123Z'`, [ids.running]);
        await waitForIds(`${q} AND CustomKeywordList = 'y'`, [ids.running]);
        await waitForIds(`${q} AND CustomText = 'brown'`, [ids.running]);
        await waitForIds(`${q} AND (CustomInt = 1 OR CustomKeyword = 'beta') AND NOT CustomBool = false`,
          [ids.completed, ids.running]);
        await waitForIds(`${q} AND CustomText IS NULL AND CustomInt IS NOT NULL`,
          [ids.completed, ids.upserting]);

        // A list row carries the typed attributes and the memo.
        const [row] = await listAll(`WorkflowId = '${ids.running}'`);
        assert.equal(row.typedSearchAttributes.get(keys.keyword), 'beta');
        assert.equal(row.typedSearchAttributes.get(keys.int), 20);
        assert.equal(row.typedSearchAttributes.get(keys.double), 2.5);
        assert.equal(row.typedSearchAttributes.get(keys.bool), true);
        assert.equal(row.typedSearchAttributes.get(keys.datetime).getTime(), when.getTime());
        assert.deepEqual(row.typedSearchAttributes.get(keys.keywordList), ['x', 'y']);
        assert.equal(row.typedSearchAttributes.get(keys.text), 'quick brown fox');
        assert.deepEqual(await row.memo, { owner: 'team-a', attempt: 2 });
        assert.equal(row.type, 'waitForRelease');
        assert.equal(row.taskQueue, queue);
        assert.equal(row.status.name, 'RUNNING');
        assert.equal(row.runId, running.firstExecutionRunId);
        assert.equal(row.closeTime, undefined);
        assert.equal(row.startTime.toISOString(), runningStart);
        const [upserted] = await listAll(`WorkflowId = '${ids.upserting}'`);
        assert.equal(upserted.typedSearchAttributes.get(keys.cli), 'from-the-workflow');
        assert.equal(upserted.typedSearchAttributes.get(keys.int), 300);
        assert.equal(upserted.typedSearchAttributes.get(keys.double), undefined);

        await running.signal('release');
        await upserting.signal('release');
        await Promise.all([running.result(), upserting.result()]);
        await waitForIds(`${q} AND ExecutionStatus = 'Completed'`,
          [ids.completed, ids.running, ids.upserting]);
        // The closed rows keep the attributes the runs ended with.
        await waitForIds(`${q} AND CustomKeyword = 'gamma' AND CloseTime IS NOT NULL`, [ids.upserting]);
      });
    });

  it('lists each close status and counts by ExecutionStatus', TEST_TIMEOUT, async () => {
    await withWorker('es-status', async (queue) => {
      const start = (type, prefix, options = {}) => client.workflow.start(type, {
        taskQueue: queue, workflowId: uniqueName(prefix), ...options,
      });
      const completed = await start('collectSignals', 'es-st-completed', { args: [0] });
      const failed = await start('failWithDetails', 'es-st-failed', { args: ['boom', []] });
      const terminated = await start('waitForRelease', 'es-st-terminated');
      const canceled = await start('waitForRelease', 'es-st-canceled');
      const timedOut = await start('waitForRelease', 'es-st-timedout', {
        workflowExecutionTimeout: '1s',
      });
      const running = await start('waitForRelease', 'es-st-running');
      await completed.result();
      await assert.rejects(failed.result(), WorkflowFailedError);
      await terminated.terminate('by the test');
      await canceled.cancel();
      await assert.rejects(canceled.result(), WorkflowFailedError);
      await assert.rejects(timedOut.result(), WorkflowFailedError);

      const q = `TaskQueue = '${queue}'`;
      // Status in queries -> run, and the SDK's name of the status.
      const expected = {
        Completed: completed, Failed: failed, Terminated: terminated, Canceled: canceled,
        TimedOut: timedOut, Running: running,
      };
      const sdkName = {
        Completed: 'COMPLETED', Failed: 'FAILED', Terminated: 'TERMINATED', Canceled: 'CANCELLED',
        TimedOut: 'TIMED_OUT', Running: 'RUNNING',
      };
      for (const [status, handle] of Object.entries(expected)) {
        await waitForIds(`${q} AND ExecutionStatus = '${status}'`, [handle.workflowId]);
      }
      const rows = await listAll(q);
      assert.equal(rows.length, 6);
      for (const row of rows) {
        const [status] = Object.entries(expected).find(([, h]) => h.workflowId === row.workflowId);
        assert.equal(row.status.name, sdkName[status]);
        if (status === 'Running') {
          assert.equal(row.closeTime, undefined);
        } else {
          assert.ok(row.closeTime instanceof Date, `${status} has a close time`);
          assert.ok(row.closeTime >= row.startTime, `${status}: closed after it started`);
          assert.ok(row.historyLength > 0);
        }
      }

      await waitForCount(q, 6);
      assert.equal((await client.workflow.count(`${q} AND ExecutionStatus != 'Running'`)).count, 5);
      const grouped = await client.workflow.count(`${q} GROUP BY ExecutionStatus`);
      assert.equal(grouped.count, 6);
      assert.deepEqual(grouped.groups.map((g) => [g.groupValues[0][0], g.count]).sort(),
        Object.keys(expected).sort().map((status) => [status, 1]));
      // The raw group value is a Keyword payload, as Temporal sends it.
      const raw = await svc().countWorkflowExecutions({
        namespace, query: `${q} AND ExecutionStatus = 'Terminated' GROUP BY ExecutionStatus`,
      });
      assert.equal(Number(raw.count), 1);
      const [value] = raw.groups[0].groupValues;
      assert.equal(Buffer.from(value.metadata.type).toString(), 'Keyword');
      assert.equal(JSON.parse(Buffer.from(value.data).toString()), 'Terminated');

      // The legacy lists read the same index.
      const closed = await svc().listClosedWorkflowExecutions({
        namespace, maximumPageSize: 10, executionFilter: { workflowId: terminated.workflowId },
      });
      assert.deepEqual(closed.executions.map((e) => e.execution.workflowId), [terminated.workflowId]);
      const open = await svc().listOpenWorkflowExecutions({
        namespace, maximumPageSize: 10, executionFilter: { workflowId: running.workflowId },
      });
      assert.deepEqual(open.executions.map((e) => e.execution.workflowId), [running.workflowId]);

      await running.signal('release');
      await running.result();
      await waitFor('the released run counted as Completed', async () => {
        const now = await client.workflow.count(`${q} GROUP BY ExecutionStatus`);
        return now.groups.find((g) => g.groupValues[0][0] === 'Completed')?.count === 2 &&
          !now.groups.some((g) => g.groupValues[0][0] === 'Running');
      });
    });
  });

  it('orders by ORDER BY and pages with small pages', TEST_TIMEOUT, async () => {
    await withWorker('es-order', async (queue) => {
      // Five runs with CustomInt, CustomDouble and CustomKeyword in another order than their
      // start order, and two without them (ordered after the others, and on every page once).
      const values = [30, 10, 40, 50, 20];
      const ids = [];
      for (const [i, v] of values.entries()) {
        const handle = await client.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName(`es-order${i}`), args: [0],
          typedSearchAttributes: [
            { key: keys.int, value: v },
            { key: keys.double, value: v / 4 },
            { key: keys.keyword, value: `k${v}` },
          ],
        });
        await handle.result();
        ids.push(handle.workflowId);
      }
      const bare = [];
      for (let i = 0; i < 2; i++) {
        const handle = await client.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName(`es-bare${i}`), args: [0],
        });
        await handle.result();
        bare.push(handle.workflowId);
      }
      const open = await client.workflow.start('waitForRelease', {
        taskQueue: queue, workflowId: uniqueName('es-order-open'),
      });
      const q = `TaskQueue = '${queue}'`;
      await waitForCount(q, 8);
      await waitForIds(`${q} AND ExecutionStatus = 'Completed'`, [...ids, ...bare]);

      const byValue = (desc) => values
        .map((v, i) => [v, ids[i]])
        .sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]))
        .map(([, id]) => id);
      const closedQ = `${q} AND ExecutionStatus = 'Completed'`;
      for (const [orderBy, desc] of [
        ['CustomInt ASC', false], ['CustomInt DESC', true], ['CustomDouble', false],
        ['CustomDouble DESC', true], ['CustomKeyword DESC', true], ['CustomKeyword ASC', false],
      ]) {
        const listed = (await listAll(`${closedQ} ORDER BY ${orderBy}`, 2)).map((r) => r.workflowId);
        assert.deepEqual(listed.slice(0, 5), byValue(desc), `ORDER BY ${orderBy}`);
        assert.deepEqual(listed.slice(5).sort(), [...bare].sort(), `ORDER BY ${orderBy}: the rest`);
      }
      const byStart = (await listAll(`${q} ORDER BY StartTime ASC`, 3)).map((r) => r.workflowId);
      assert.deepEqual(byStart, [...ids, ...bare, open.workflowId]);
      const byTypeThenStart = await listAll(`${q} ORDER BY WorkflowType DESC, StartTime DESC`, 2);
      assert.deepEqual(byTypeThenStart.map((r) => r.workflowId),
        [open.workflowId, ...[...ids, ...bare].reverse()]);

      // Default order, two at a time: the running run first, then closed, newest first.
      const byDefault = (await listAll(q, 2)).map((r) => r.workflowId);
      assert.deepEqual(byDefault, [open.workflowId, ...[...ids, ...bare].reverse()]);

      // The raw pages: a token while more rows follow, none after the last.
      const first = await svc().listWorkflowExecutions({ namespace, query: q, pageSize: 3 });
      assert.equal(first.executions.length, 3);
      assert.ok(first.nextPageToken?.length > 0);
      const second = await svc().listWorkflowExecutions({
        namespace, query: q, pageSize: 3, nextPageToken: first.nextPageToken,
      });
      assert.deepEqual(second.executions.map((e) => e.execution.workflowId), byDefault.slice(3, 6));
      const third = await svc().listWorkflowExecutions({
        namespace, query: q, pageSize: 3, nextPageToken: second.nextPageToken,
      });
      assert.deepEqual(third.executions.map((e) => e.execution.workflowId), byDefault.slice(6));
      assert.equal(third.nextPageToken?.length ?? 0, 0);

      // Text attributes cannot be sorted on, as in Temporal.
      await assert.rejects(svc().listWorkflowExecutions({
        namespace, query: `${q} ORDER BY CustomText`,
      }), (err) => {
        assert.equal(err.code, INVALID_ARGUMENT, err.message);
        assert.match(err.details ?? err.message, /CustomText/);
        return true;
      });
      await open.signal('release');
      await open.result();
    });
  });

  it('drops closed runs from the list when retention passes, and keeps running ones',
    TEST_TIMEOUT, async () => {
      const ns = uniqueName('es-retention');
      await svc().registerNamespace({ namespace: ns, workflowExecutionRetentionPeriod: { seconds: 86400 } });
      const nsClient = new Client({ connection, namespace: ns });
      await withWorker('es-retention', async (queue) => {
        const closed = await nsClient.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName('es-ret-closed'), args: [0],
        });
        await closed.result();
        const running = await nsClient.workflow.start('waitForRelease', {
          taskQueue: queue, workflowId: uniqueName('es-ret-running'),
        });
        const q = `TaskQueue = '${queue}'`;
        await waitForIds(q, [running.workflowId, closed.workflowId], { on: nsClient });

        // Retention is applied with the namespace's current setting, found through the index.
        await svc().updateNamespace({
          namespace: ns, config: { workflowExecutionRetentionTtl: { seconds: 1 } },
        });
        await waitForIds(q, [running.workflowId], { on: nsClient });
        await waitForCount(q, 1, nsClient);
        await waitUntilGone(closed);
        assert.equal((await running.describe()).status.name, 'RUNNING');
        await running.signal('release');
        await running.result();
      }, { address: tern.address, namespace: ns });
    });

  it('drops a run from the list when it is deleted', async () => {
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue: uniqueName('es-nobody-polls'), workflowId: uniqueName('es-deleted'),
    });
    const q = `WorkflowId = '${handle.workflowId}'`;
    await waitForIds(q, [handle.workflowId]);
    await svc().deleteWorkflowExecution({ namespace, workflowExecution: { workflowId: handle.workflowId } });
    await waitForIds(q, []);
    await waitForCount(q, 0);
    await waitUntilGone(handle);
  });
});
