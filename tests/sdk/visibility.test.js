'use strict';
// Visibility through the official SDK: custom search attributes registered with the
// OperatorService, workflows listed and counted with the list filter language (system and
// custom attributes, set at start and upserted by the workflow), the default order, paging,
// typed search attributes in describe and list results, and the errors of bad queries and
// unknown attributes. Visibility is eventually consistent: every check of a list waits for the
// rows it expects (with a deadline), never for a fixed time.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { defineSearchAttributeKey, SearchAttributeType } = require('@temporalio/common');
const { temporal } = require('@temporalio/proto');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');

const IVT = temporal.api.enums.v1.IndexedValueType;
const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6 };

const keys = {
  keyword: defineSearchAttributeKey('CustomKeyword', SearchAttributeType.KEYWORD),
  text: defineSearchAttributeKey('CustomText', SearchAttributeType.TEXT),
  int: defineSearchAttributeKey('CustomInt', SearchAttributeType.INT),
  double: defineSearchAttributeKey('CustomDouble', SearchAttributeType.DOUBLE),
  bool: defineSearchAttributeKey('CustomBool', SearchAttributeType.BOOL),
  datetime: defineSearchAttributeKey('CustomDatetime', SearchAttributeType.DATETIME),
  keywordList: defineSearchAttributeKey('CustomKeywordList', SearchAttributeType.KEYWORD_LIST),
};
const registered = {
  CustomKeyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  CustomText: IVT.INDEXED_VALUE_TYPE_TEXT,
  CustomInt: IVT.INDEXED_VALUE_TYPE_INT,
  CustomDouble: IVT.INDEXED_VALUE_TYPE_DOUBLE,
  CustomBool: IVT.INDEXED_VALUE_TYPE_BOOL,
  CustomDatetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
  CustomKeywordList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

// The server's message of a gRPC error, also when the SDK wrapped it.
const detail = (err) => err.details ?? err.cause?.details ?? err.message;

// Asserts that `promise` rejects with gRPC status `code` and returns the error.
async function rejectsWithCode(promise, code) {
  let error;
  await assert.rejects(promise, (err) => {
    error = err;
    return true;
  });
  const actual = error.code ?? error.cause?.code;
  assert.equal(actual, code, `expected gRPC code ${code}, got ${actual}: ${error.message}`);
  return error;
}

describe('visibility', () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  const namespace = 'default';

  // Every run listed by `query` (all pages), as the SDK yields them.
  const listAll = async (query, pageSize) => {
    const out = [];
    for await (const info of client.workflow.list({ query, pageSize })) out.push(info);
    return out;
  };
  // Waits until `query` lists exactly the workflow ids `expected` (in this order when `ordered`).
  const waitForIds = (query, expected, { ordered = false } = {}) =>
    waitFor(`${query} to list ${expected.join(', ')}`, async () => {
      const ids = (await listAll(query)).map((info) => info.workflowId);
      const got = ordered ? ids : [...ids].sort();
      const want = ordered ? expected : [...expected].sort();
      return JSON.stringify(got) === JSON.stringify(want);
    });

  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('visibility');
    worker = await startWorker(tern, { taskQueue });
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: registered });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('registers, lists and removes custom search attributes', async () => {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    for (const [name, type] of Object.entries(registered)) {
      assert.equal(listed.customAttributes[name], type, name);
    }
    assert.equal(listed.systemAttributes.WorkflowType, IVT.INDEXED_VALUE_TYPE_KEYWORD);
    assert.equal(listed.systemAttributes.StartTime, IVT.INDEXED_VALUE_TYPE_DATETIME);
    assert.equal(listed.systemAttributes.TemporalChangeVersion, IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    assert.equal(listed.customAttributes.WorkflowType, undefined);
    assert.deepEqual({ ...listed.storageSchema }, {});

    const again = await rejectsWithCode(connection.operatorService.addSearchAttributes({
      namespace, searchAttributes: { CustomKeyword: IVT.INDEXED_VALUE_TYPE_KEYWORD },
    }), GRPC.ALREADY_EXISTS);
    assert.match(detail(again), /CustomKeyword already exists/);
    for (const name of ['WorkflowType', 'TemporalAnything', 'Memo']) {
      const reserved = await rejectsWithCode(connection.operatorService.addSearchAttributes({
        namespace, searchAttributes: { [name]: IVT.INDEXED_VALUE_TYPE_KEYWORD },
      }), GRPC.INVALID_ARGUMENT);
      assert.match(detail(reserved), new RegExp(`${name} is reserved`));
    }
    await rejectsWithCode(connection.operatorService.addSearchAttributes({
      namespace, searchAttributes: { CustomUnspecified: IVT.INDEXED_VALUE_TYPE_UNSPECIFIED },
    }), GRPC.INVALID_ARGUMENT);
    await rejectsWithCode(connection.operatorService.removeSearchAttributes({
      namespace, searchAttributes: ['NeverRegistered'],
    }), GRPC.NOT_FOUND);
    await rejectsWithCode(connection.operatorService.removeSearchAttributes({
      namespace, searchAttributes: ['WorkflowId'],
    }), GRPC.INVALID_ARGUMENT);

    await connection.operatorService.addSearchAttributes({
      namespace, searchAttributes: { CustomTemporary: IVT.INDEXED_VALUE_TYPE_INT },
    });
    let all = await connection.workflowService.getSearchAttributes({});
    assert.equal(all.keys.CustomTemporary, IVT.INDEXED_VALUE_TYPE_INT);
    assert.equal(all.keys.ExecutionStatus, IVT.INDEXED_VALUE_TYPE_KEYWORD);
    await connection.operatorService.removeSearchAttributes({
      namespace, searchAttributes: ['CustomTemporary'],
    });
    const after = await connection.operatorService.listSearchAttributes({ namespace });
    assert.equal(after.customAttributes.CustomTemporary, undefined);
    assert.equal(after.customAttributes.CustomInt, IVT.INDEXED_VALUE_TYPE_INT);
    all = await connection.workflowService.getSearchAttributes({});
    assert.equal(all.keys.CustomTemporary, undefined);
  });

  it('filters on system and custom attributes, set at start and upserted by the workflow',
    async () => {
      const queue = uniqueName('vis-filter');
      const filterWorker = await startWorker(tern, { taskQueue: queue });
      try {
        const completed = await client.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName('vis-completed'), args: [0],
          typedSearchAttributes: [{ key: keys.keyword, value: 'alpha' }, { key: keys.int, value: 1 }],
        });
        await completed.result();
        const when = new Date('2024-05-01T10:00:00.123Z');
        const running = await client.workflow.start('waitForRelease', {
          taskQueue: queue, workflowId: uniqueName('vis-running'),
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
        const upserting = await client.workflow.start('upsertSearchAttributesThenWait', {
          taskQueue: queue, workflowId: uniqueName('vis-upsert'),
          typedSearchAttributes: [{ key: keys.keyword, value: 'initial' }],
          args: [[
            { name: 'CustomKeyword', type: 'KEYWORD', value: 'gamma' },
            { name: 'CustomInt', type: 'INT', value: 300 },
          ]],
        });
        const q = `TaskQueue = '${queue}'`;
        // Running first, newest first; the upsert is visible once the workflow task completed.
        await waitForIds(q, [upserting.workflowId, running.workflowId, completed.workflowId],
          { ordered: true });
        await waitForIds(`${q} AND CustomKeyword = 'gamma'`, [upserting.workflowId]);

        await waitForIds(`${q} AND WorkflowType = 'waitForRelease'`, [running.workflowId]);
        await waitForIds(`${q} AND ExecutionStatus = 'Completed'`, [completed.workflowId]);
        await waitForIds(`${q} AND ExecutionStatus = 'Running'`,
          [running.workflowId, upserting.workflowId]);
        await waitForIds(`WorkflowId = '${running.workflowId}'`, [running.workflowId]);
        const runningStart = (await running.describe()).startTime.toISOString();
        await waitForIds(`${q} AND StartTime >= '${runningStart}'`,
          [running.workflowId, upserting.workflowId]);
        await waitForIds(`${q} AND StartTime < '${runningStart}'`, [completed.workflowId]);
        await waitForIds(`${q} AND CloseTime IS NULL`, [running.workflowId, upserting.workflowId]);

        await waitForIds(`${q} AND CustomKeyword = 'beta'`, [running.workflowId]);
        await waitForIds(`${q} AND CustomKeyword IN ('alpha', 'gamma')`,
          [completed.workflowId, upserting.workflowId]);
        await waitForIds(`${q} AND CustomKeyword STARTS_WITH 'al'`, [completed.workflowId]);
        await waitForIds(`${q} AND CustomInt > 10`, [running.workflowId, upserting.workflowId]);
        await waitForIds(`${q} AND CustomInt BETWEEN 1 AND 20`,
          [completed.workflowId, running.workflowId]);
        await waitForIds(`${q} AND CustomDouble < 3`, [running.workflowId]);
        await waitForIds(`${q} AND CustomBool = true`, [running.workflowId]);
        await waitForIds(`${q} AND CustomDatetime > '2024-05-01T10:00:00Z'`, [running.workflowId]);
        await waitForIds(`${q} AND CustomKeywordList = 'y'`, [running.workflowId]);
        await waitForIds(`${q} AND CustomText = 'brown'`, [running.workflowId]);
        await waitForIds(`${q} AND CustomText IS NULL AND CustomInt IS NOT NULL`,
          [completed.workflowId, upserting.workflowId]);

        // Typed search attributes, from a list row and from describe.
        const [row] = await listAll(`WorkflowId = '${running.workflowId}'`);
        assert.equal(row.typedSearchAttributes.get(keys.keyword), 'beta');
        assert.equal(row.typedSearchAttributes.get(keys.int), 20);
        assert.equal(row.typedSearchAttributes.get(keys.double), 2.5);
        assert.equal(row.typedSearchAttributes.get(keys.bool), true);
        assert.equal(row.typedSearchAttributes.get(keys.datetime).getTime(), when.getTime());
        assert.deepEqual(row.typedSearchAttributes.get(keys.keywordList), ['x', 'y']);
        assert.equal(row.typedSearchAttributes.get(keys.text), 'quick brown fox');
        assert.equal(row.type, 'waitForRelease');
        assert.equal(row.taskQueue, queue);
        assert.equal(row.status.name, 'RUNNING');
        assert.equal(row.closeTime, undefined);
        assert.ok(row.historyLength >= 2, `historyLength ${row.historyLength}`);
        assert.deepEqual(row.rootExecution,
          { workflowId: running.workflowId, runId: running.firstExecutionRunId });
        const described = await upserting.describe();
        assert.equal(described.typedSearchAttributes.get(keys.keyword), 'gamma');
        assert.equal(described.typedSearchAttributes.get(keys.int), 300);

        await running.signal('release');
        await upserting.signal('release');
        const seen = new Map(await upserting.result());
        assert.equal(seen.get('CustomKeyword'), 'gamma');
        await waitForIds(`${q} AND ExecutionStatus = 'Completed'`,
          [completed.workflowId, running.workflowId, upserting.workflowId]);
      } finally {
        await filterWorker.stop();
      }
    });

  it('lists closed workflows as closed, newest first, page by page', async () => {
    const queue = uniqueName('vis-paging');
    const pagingWorker = await startWorker(tern, { taskQueue: queue });
    try {
      const ids = [];
      for (let i = 0; i < 7; i++) {
        const handle = await client.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName(`vis-page${i}`), args: [0],
        });
        await handle.result();
        ids.push(handle.workflowId);
      }
      const q = `TaskQueue = '${queue}'`;
      await waitForIds(`${q} AND ExecutionStatus = 'Completed'`, ids);
      // Closed most recently first: the reverse of the completion order.
      const rows = await listAll(q, 2);
      assert.deepEqual(rows.map((r) => r.workflowId), [...ids].reverse());
      for (const row of rows) {
        assert.equal(row.status.name, 'COMPLETED');
        assert.ok(row.closeTime instanceof Date);
        assert.ok(row.closeTime >= row.startTime);
        assert.ok(row.historyLength > 0);
      }

      const first = await connection.workflowService.listWorkflowExecutions({
        namespace, query: q, pageSize: 3,
      });
      assert.equal(first.executions.length, 3);
      assert.ok(first.nextPageToken?.length > 0);
      const second = await connection.workflowService.listWorkflowExecutions({
        namespace, query: q, pageSize: 3, nextPageToken: first.nextPageToken,
      });
      assert.deepEqual(second.executions.map((e) => e.execution.workflowId), ids.slice(1, 4).reverse());
      const clamped = await connection.workflowService.listWorkflowExecutions({
        namespace, query: q, pageSize: 5000,
      });
      assert.equal(clamped.executions.length, 7);
      assert.equal(clamped.nextPageToken?.length ?? 0, 0);
      const scanned = await connection.workflowService.scanWorkflowExecutions({
        namespace, query: q, pageSize: 100,
      });
      assert.deepEqual(scanned.executions.map((e) => e.execution.workflowId).sort(), [...ids].sort());
    } finally {
      await pagingWorker.stop();
    }
  });

  it('counts workflows, also grouped by ExecutionStatus', async () => {
    const queue = uniqueName('vis-count');
    const countWorker = await startWorker(tern, { taskQueue: queue });
    try {
      const done = [];
      for (let i = 0; i < 2; i++) {
        const handle = await client.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName(`vis-count${i}`), args: [0],
        });
        await handle.result();
        done.push(handle);
      }
      const open = await client.workflow.start('waitForRelease', {
        taskQueue: queue, workflowId: uniqueName('vis-count-open'),
      });
      const q = `TaskQueue = '${queue}'`;
      await waitFor('count of 2 completed and 1 running', async () =>
        (await client.workflow.count(`${q} AND ExecutionStatus = 'Completed'`)).count === 2 &&
        (await client.workflow.count(q)).count === 3);

      const raw = await connection.workflowService.countWorkflowExecutions({
        namespace, query: `${q} GROUP BY ExecutionStatus`,
      });
      assert.equal(Number(raw.count), 3);
      const groups = Object.fromEntries(raw.groups.map((g) => {
        assert.equal(g.groupValues.length, 1);
        const [value] = g.groupValues;
        assert.equal(Buffer.from(value.metadata.type).toString(), 'Keyword');
        assert.equal(Buffer.from(value.metadata.encoding).toString(), 'json/plain');
        return [JSON.parse(Buffer.from(value.data).toString()), Number(g.count)];
      }));
      assert.deepEqual(groups, { Completed: 2, Running: 1 });
      const decoded = await client.workflow.count(`${q} GROUP BY ExecutionStatus`);
      assert.equal(decoded.count, 3);
      assert.deepEqual(decoded.groups.map((g) => [g.groupValues, g.count]).sort(),
        [[[['Completed']], 2], [[['Running']], 1]]);

      await open.signal('release');
      await open.result();
      await waitFor('the third completion to be counted', async () =>
        (await client.workflow.count(`${q} AND ExecutionStatus = 'Completed'`)).count === 3);
    } finally {
      await countWorker.stop();
    }
  });

  it('shows children with their parent and root', async () => {
    const parent = await client.workflow.start('parentOfDoubles', {
      taskQueue, workflowId: uniqueName('vis-parent'), args: [2],
    });
    assert.equal(await parent.result(), 2);
    const children = [0, 1].map((i) => `${parent.workflowId}-child-${i}`);
    await waitForIds(`ParentWorkflowId = '${parent.workflowId}'`, children);
    await waitForIds(`RootWorkflowId = '${parent.workflowId}' AND ExecutionStatus = 'Completed'`,
      [parent.workflowId, ...children]);
    for (const row of await listAll(`ParentWorkflowId = '${parent.workflowId}'`)) {
      assert.deepEqual(row.parentExecution,
        { workflowId: parent.workflowId, runId: parent.firstExecutionRunId });
      assert.deepEqual(row.rootExecution,
        { workflowId: parent.workflowId, runId: parent.firstExecutionRunId });
    }
  });

  it('serves the legacy open and closed lists', async () => {
    const open = await client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('vis-legacy-open'),
    });
    const closed = await client.workflow.start('collectSignals', {
      taskQueue, workflowId: uniqueName('vis-legacy-closed'), args: [0],
    });
    await closed.result();
    await waitForIds(`WorkflowId IN ('${open.workflowId}', '${closed.workflowId}')`,
      [open.workflowId, closed.workflowId]);
    await waitFor('the closed workflow in the closed list', async () => {
      const listed = await connection.workflowService.listClosedWorkflowExecutions({
        namespace, maximumPageSize: 10, executionFilter: { workflowId: closed.workflowId },
      });
      return listed.executions.length === 1;
    });
    const openList = await connection.workflowService.listOpenWorkflowExecutions({
      namespace, maximumPageSize: 100, typeFilter: { name: 'waitForRelease' },
    });
    const openIds = openList.executions.map((e) => e.execution.workflowId);
    assert.ok(openIds.includes(open.workflowId), `open list: ${openIds}`);
    assert.ok(!openIds.includes(closed.workflowId));
    const none = await connection.workflowService.listClosedWorkflowExecutions({
      namespace, maximumPageSize: 10, executionFilter: { workflowId: open.workflowId },
    });
    assert.equal(none.executions.length, 0);
    await open.signal('release');
    await open.result();
  });

  it('rejects malformed queries, unknown attributes and bad page tokens', async () => {
    const malformed = await rejectsWithCode(connection.workflowService.listWorkflowExecutions({
      namespace, query: "WorkflowType = 'x' AND AND",
    }), GRPC.INVALID_ARGUMENT);
    assert.match(detail(malformed), /invalid query: malformed SQL query/);
    assert.match(detail(malformed), /'AND' at column 24/);

    const unknown = await rejectsWithCode(connection.workflowService.listWorkflowExecutions({
      namespace, query: "NoSuchAttribute = 'x'",
    }), GRPC.INVALID_ARGUMENT);
    assert.match(detail(unknown), /NoSuchAttribute/);
    await rejectsWithCode(connection.workflowService.countWorkflowExecutions({
      namespace, query: 'NoSuchAttribute IS NULL',
    }), GRPC.INVALID_ARGUMENT);
    const wrongType = await rejectsWithCode(connection.workflowService.listWorkflowExecutions({
      namespace, query: "CustomInt = 'many'",
    }), GRPC.INVALID_ARGUMENT);
    assert.match(detail(wrongType), /invalid query/);
    await rejectsWithCode(connection.workflowService.listWorkflowExecutions({
      namespace, query: '', nextPageToken: Buffer.from('not a token'),
    }), GRPC.INVALID_ARGUMENT);
    await assert.rejects(listAll('ExecutionStatus = '), (err) => /invalid query/.test(detail(err)));
  });

  it('rejects writes of attributes the namespace does not define', async () => {
    const notDefined = defineSearchAttributeKey('NotRegistered', SearchAttributeType.KEYWORD);
    const start = await rejectsWithCode(client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('vis-bad-start'),
      typedSearchAttributes: [{ key: notDefined, value: 'x' }],
    }), GRPC.INVALID_ARGUMENT);
    assert.match(detail(start), /search attribute NotRegistered is not defined/);
    const system = await rejectsWithCode(client.workflow.start('waitForRelease', {
      taskQueue, workflowId: uniqueName('vis-bad-system'),
      searchAttributes: { WorkflowType: ['spoofed'] },
    }), GRPC.INVALID_ARGUMENT);
    assert.match(detail(system), /WorkflowType attribute can't be set/);

    // A workflow that upserts one fails its workflow task with BAD_SEARCH_ATTRIBUTES.
    const handle = await client.workflow.start('upsertSearchAttributesThenWait', {
      taskQueue, workflowId: uniqueName('vis-bad-upsert'),
      args: [[{ name: 'NotRegisteredEither', type: 'KEYWORD', value: 'v' }]],
    });
    const cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
    const failed = await waitFor('a workflow task failed with BAD_SEARCH_ATTRIBUTES', async () => {
      const { events } = await handle.fetchHistory();
      return events.find((e) => e.workflowTaskFailedEventAttributes?.cause ===
        cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES);
    });
    assert.match(failed.workflowTaskFailedEventAttributes.failure.message,
      /search attribute NotRegisteredEither is not defined/);
    await handle.terminate('done');
  });
});
