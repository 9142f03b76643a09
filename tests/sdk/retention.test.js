'use strict';
// Deleting workflow data: closed runs past their namespace's retention disappear (state, history,
// visibility) while running ones stay; DeleteWorkflowExecution removes one run; a deleted
// namespace's name is free at once and tern-worker removes its data in the background.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, it } = require('node:test');
const { Client, WorkflowNotFoundError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');
const { scrape, total } = require('./lib/metrics');

const NOT_FOUND = 5;
const TEST_TIMEOUT = { timeout: 120_000 };

describe('retention and namespace deletion', () => {
  dumpLogsOnFailure();
  let tern, connection;
  before(async () => {
    tern = await startTern({
      dynamicConfig: { 'namespace.minRetention': '1s', 'worker.scanInterval': '200ms' },
      metrics: true,
    });
    ({ connection } = await connectClient(tern));
  });
  after(async () => {
    await connection?.close();
    await tern?.stop();
  });

  const svc = () => connection.workflowService;
  const register = async (namespace, seconds) => {
    await svc().registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds } });
    return new Client({ connection, namespace });
  };
  // The value of the worker's deletion counter for `reason` (0 before the first deletion).
  const deleted = async (reason) =>
    total(await scrape(tern.metricsUrl), 'tern_deleted_executions_total', { reason });
  const waitUntilDeleted = (handle) => waitFor(`${handle.workflowId} to be deleted`, async () => {
    try {
      await handle.describe();
      return false;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
  }, { timeoutMs: 60_000 });
  const rejectsWith = async (promise, code) => {
    await assert.rejects(promise, (err) => {
      assert.equal(err.code, code, `expected gRPC code ${code}, got ${err.code}: ${err.message}`);
      return true;
    });
  };

  it('deletes closed runs once their retention has passed and keeps running ones', TEST_TIMEOUT, async () => {
    const namespace = uniqueName('short-retention');
    const client = await register(namespace, 1);
    const taskQueue = uniqueName('retention');
    const worker = await startWorker(tern, { taskQueue, options: { namespace } });
    try {
      const closed = await client.workflow.start('timerOnly', { taskQueue, workflowId: uniqueName('closed'), args: [10] });
      await closed.result();
      const running = await client.workflow.start('waitForRelease', { taskQueue, workflowId: uniqueName('running') });
      const before = await deleted('retention');

      await waitUntilDeleted(closed);
      // Its history went with it, and so did its visibility row.
      await rejectsWith(svc().getWorkflowExecutionHistory({
        namespace, execution: { workflowId: closed.workflowId, runId: closed.firstExecutionRunId },
      }), NOT_FOUND);
      assert.ok(await deleted('retention') > before, 'the deletion is counted');
      // The running workflow is untouched and can still finish.
      assert.equal((await running.describe()).status.name, 'RUNNING');
      await running.signal('release');
      assert.equal(await running.result(), 'released');
    } finally {
      await worker.stop();
    }
  });

  it('DeleteWorkflowExecution terminates a running workflow and deletes it', TEST_TIMEOUT, async () => {
    const client = new Client({ connection, namespace: tern.namespace });
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue: uniqueName('nobody-polls'), workflowId: uniqueName('to-delete'),
    });
    await svc().deleteWorkflowExecution({
      namespace: tern.namespace, workflowExecution: { workflowId: handle.workflowId },
    });
    await waitUntilDeleted(handle);
    await rejectsWith(svc().getWorkflowExecutionHistory({
      namespace: tern.namespace, execution: { workflowId: handle.workflowId },
    }), NOT_FOUND);
    await rejectsWith(svc().deleteWorkflowExecution({
      namespace: tern.namespace, workflowExecution: { workflowId: uniqueName('never-started') },
    }), NOT_FOUND);
  });

  it('deletes a namespace: the name disappears at once, the data in the background', TEST_TIMEOUT, async () => {
    const namespace = uniqueName('doomed');
    const client = await register(namespace, 86400);
    const handle = await client.workflow.start('waitForRelease', {
      taskQueue: uniqueName('nobody-polls'), workflowId: uniqueName('orphan'),
    });
    assert.ok(handle.firstExecutionRunId);
    const before = await deleted('namespace_deleted');

    const { deletedNamespace } = await connection.operatorService.deleteNamespace({ namespace });
    assert.match(deletedNamespace, new RegExp(`^${namespace}-deleted-`));
    await rejectsWith(svc().describeNamespace({ namespace }), NOT_FOUND);
    await rejectsWith(svc().startWorkflowExecution({
      namespace, workflowId: uniqueName('refused'), workflowType: { name: 'waitForRelease' },
      taskQueue: { name: 'any' }, requestId: crypto.randomUUID(),
    }), NOT_FOUND);
    // The name is free again.
    await register(namespace, 86400);

    // tern-worker removes the data, then the renamed record itself.
    await waitFor('the deleted namespace record to go', async () => {
      try {
        await svc().describeNamespace({ namespace: deletedNamespace });
        return false;
      } catch (err) {
        if (err.code === NOT_FOUND) return true;
        throw err;
      }
    }, { timeoutMs: 60_000 });
    assert.ok(await deleted('namespace_deleted') > before, 'its workflow run was deleted');
  });
});
