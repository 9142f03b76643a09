'use strict';
// Batch operations (StartBatchOperation, DescribeBatchOperation, ListBatchOperations,
// StopBatchOperation) through the official TypeScript SDK's raw WorkflowService, run by
// tern-worker: terminate, signal, cancel, delete and reset by visibility query or by an explicit
// list, at the requested rate, one job at a time per namespace, stoppable; and the `tern
// workflow ... --query` and `tern batch` CLI forms.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { WorkflowNotFoundError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');
const { fails, ok, run } = require('./lib/cli');

const KEYWORD = 2; // IndexedValueType
const STATE = { RUNNING: 1, COMPLETED: 2, FAILED: 3 }; // BatchOperationState
const TYPE = { TERMINATE: 13, CANCEL: 14, SIGNAL: 15, DELETE: 16, RESET: 17 }; // BatchOperationType
const CODE = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8 };
const EV_WORKFLOW_EXECUTION_TERMINATED = 27;

const num = (value) => Number(value?.toString?.() ?? value ?? 0);
const millis = (ts) => num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);

describe('batch operations', { timeout: 600_000 }, () => {
  dumpLogsOnFailure();
  let server, client, connection, raw, worker, taskQueue;
  const service = () => connection.workflowService;
  const tern = (args, options) => run(['--address', server.address, ...args], options);

  // Starts `count` workflows waiting for a release signal, tagged `tag`, and waits until
  // visibility lists all of them (a batch by query sees what visibility sees).
  const startTagged = async (tag, count) => {
    const handles = [];
    for (let i = 0; i < count; i++) {
      handles.push(await client.workflow.start('waitForRelease', {
        taskQueue, workflowId: `${tag}-${i}`, searchAttributes: { BatchTag: [tag] },
      }));
    }
    await waitFor(`${count} running workflows tagged ${tag} in visibility`, async () => {
      const { count: n } = await service().countWorkflowExecutions({
        namespace: 'default', query: `BatchTag = '${tag}' AND ExecutionStatus = 'Running'`,
      });
      return num(n) === count;
    });
    return handles;
  };
  const start = (jobId, fields) => service().startBatchOperation({
    namespace: 'default', jobId, reason: `reason of ${jobId}`, ...fields,
  });
  const describeJob = (jobId) =>
    service().describeBatchOperation({ namespace: 'default', jobId });
  const finished = (jobId, timeoutMs = 60_000) => waitFor(`batch ${jobId} finished`, async () => {
    const job = await describeJob(jobId);
    return job.state !== STATE.RUNNING ? job : null;
  }, { timeoutMs });
  const statusOf = async (handle) => (await handle.describe()).status.name;
  // Ends whatever a test left running, so later tests see a quiet namespace.
  const release = async (handles) => {
    for (const handle of handles) await handle.terminate('test cleanup').catch(() => {});
  };
  const rejected = async (promise, code, pattern) => {
    const err = await promise.then(() => null, (e) => e);
    assert.ok(err, 'the call was expected to fail');
    assert.equal(err.code, code, `${err.code} ${err.details}`);
    assert.match(err.details, pattern);
    return err;
  };

  before(async () => {
    server = await startTern();
    ({ client, connection } = await connectClient(server));
    // No SDK retries: RESOURCE_EXHAUSTED must reach the test.
    ({ connection: raw } = await connectClient(server, server.namespace, { interceptors: [] }));
    taskQueue = uniqueName('batch');
    worker = await startWorker(server, { taskQueue });
    await connection.operatorService.addSearchAttributes({
      namespace: 'default', searchAttributes: { BatchTag: KEYWORD },
    });
  });
  after(async () => {
    await worker?.stop();
    await raw?.close();
    await connection?.close();
    await server?.stop();
  });

  it('terminates exactly the workflows its query matches, and counts them', async () => {
    const tag = uniqueName('term');
    const other = uniqueName('spared');
    const targets = await startTagged(tag, 4);
    const spared = await startTagged(other, 2);
    const jobId = uniqueName('job-terminate');
    await start(jobId, {
      visibilityQuery: `BatchTag = '${tag}'`, terminationOperation: { identity: 'batch-tester' },
    });
    const job = await finished(jobId);
    assert.equal(job.state, STATE.COMPLETED);
    assert.equal(job.operationType, TYPE.TERMINATE);
    assert.equal(job.jobId, jobId);
    assert.equal(num(job.totalOperationCount), 4);
    assert.equal(num(job.completeOperationCount), 4);
    assert.equal(num(job.failureOperationCount), 0);
    assert.equal(job.reason, `reason of ${jobId}`);
    assert.equal(job.identity, 'batch-tester');
    assert.equal(job.query, `BatchTag = '${tag}'`);
    assert.ok(millis(job.closeTime) >= millis(job.startTime));
    for (const handle of targets) {
      assert.equal(await statusOf(handle), 'TERMINATED');
      const { events } = await handle.fetchHistory();
      const last = events[events.length - 1];
      assert.equal(last.eventType, EV_WORKFLOW_EXECUTION_TERMINATED);
      assert.equal(last.workflowExecutionTerminatedEventAttributes.reason, `reason of ${jobId}`);
    }
    for (const handle of spared) assert.equal(await statusOf(handle), 'RUNNING');

    // Listed as a batch operation, newest first; never as a workflow.
    const { operationInfo } = await service().listBatchOperations({ namespace: 'default' });
    const listed = operationInfo.find((info) => info.jobId === jobId);
    assert.ok(listed, 'the job is in ListBatchOperations');
    assert.equal(listed.state, STATE.COMPLETED);
    assert.equal(listed.operationType, TYPE.TERMINATE);
    for await (const info of client.workflow.list()) assert.notEqual(info.workflowId, jobId);
    await release(spared);
  });

  it('signals every matching workflow', async () => {
    const tag = uniqueName('signal');
    const targets = await startTagged(tag, 3);
    const jobId = uniqueName('job-signal');
    await start(jobId, {
      visibilityQuery: `BatchTag = '${tag}'`, signalOperation: { signal: 'release' },
    });
    const job = await finished(jobId);
    assert.equal(job.state, STATE.COMPLETED);
    assert.equal(job.operationType, TYPE.SIGNAL);
    assert.equal(num(job.completeOperationCount), 3);
    for (const handle of targets) assert.equal(await handle.result(), 'released');
  });

  it('cancels every matching workflow', async () => {
    const tag = uniqueName('cancel');
    const targets = await startTagged(tag, 2);
    const jobId = uniqueName('job-cancel');
    await start(jobId, { visibilityQuery: `BatchTag = '${tag}'`, cancellationOperation: {} });
    const job = await finished(jobId);
    assert.equal(job.state, STATE.COMPLETED);
    assert.equal(job.operationType, TYPE.CANCEL);
    assert.equal(num(job.completeOperationCount), 2);
    for (const handle of targets) {
      await waitFor('the run canceled', async () => (await statusOf(handle)) === 'CANCELLED');
    }
  });

  it('deletes every matching workflow', async () => {
    const tag = uniqueName('delete');
    const targets = await startTagged(tag, 3);
    const jobId = uniqueName('job-delete');
    await start(jobId, { visibilityQuery: `BatchTag = '${tag}'`, deletionOperation: {} });
    const job = await finished(jobId);
    assert.equal(job.state, STATE.COMPLETED);
    assert.equal(job.operationType, TYPE.DELETE);
    assert.equal(num(job.completeOperationCount), 3);
    for (const handle of targets) {
      await assert.rejects(handle.describe(), WorkflowNotFoundError);
    }
  });

  it('resets every matching workflow once, to its first workflow task', async () => {
    const tag = uniqueName('reset');
    const targets = await startTagged(tag, 2);
    const before = await Promise.all(targets.map(async (h) => (await h.describe()).runId));
    const jobId = uniqueName('job-reset');
    await start(jobId, {
      visibilityQuery: `BatchTag = '${tag}'`, resetOperation: { options: { firstWorkflowTask: {} } },
    });
    const job = await finished(jobId);
    assert.equal(job.state, STATE.COMPLETED, JSON.stringify(job));
    assert.equal(job.operationType, TYPE.RESET);
    assert.equal(num(job.completeOperationCount), 2);
    for (const [i, handle] of targets.entries()) {
      const old = client.workflow.getHandle(handle.workflowId, before[i]);
      assert.equal(await statusOf(old), 'TERMINATED');
      const current = client.workflow.getHandle(handle.workflowId);
      const description = await current.describe();
      assert.notEqual(description.runId, before[i]);
      assert.equal(description.status.name, 'RUNNING');
      // Exactly one reset: the new run was reset from the first one.
      const { executions } = await service().listWorkflowExecutions({
        namespace: 'default', query: `WorkflowId = '${handle.workflowId}'`,
      });
      assert.equal(executions.length, 2, 'the original run and one reset run');
      await current.signal('release');
      assert.equal(await current.result(), 'released');
    }
  });

  it('acts on an explicit list of executions', async () => {
    const tag = uniqueName('listed');
    const [first, second, third] = await startTagged(tag, 3);
    const jobId = uniqueName('job-list');
    await start(jobId, {
      executions: [{ workflowId: first.workflowId }, { workflowId: second.workflowId }],
      terminationOperation: {},
    });
    let job = await finished(jobId);
    assert.equal(job.state, STATE.COMPLETED);
    assert.equal(num(job.totalOperationCount), 2);
    assert.equal(num(job.completeOperationCount), 2);
    assert.deepEqual(job.executions.map((e) => e.businessId).sort(),
      [first.workflowId, second.workflowId].sort());
    assert.equal(await statusOf(first), 'TERMINATED');
    assert.equal(await statusOf(second), 'TERMINATED');
    assert.equal(await statusOf(third), 'RUNNING');

    // target_executions, the newer form; a closed run counts as done, as in Temporal.
    const targetJob = uniqueName('job-targets');
    await start(targetJob, {
      targetExecutions: [{ type: 1, businessId: third.workflowId }, { type: 1, businessId: first.workflowId }],
      terminationOperation: {},
    });
    job = await finished(targetJob);
    assert.equal(job.state, STATE.COMPLETED);
    assert.equal(num(job.completeOperationCount), 2);
    assert.equal(num(job.failureOperationCount), 0);
    assert.equal(await statusOf(third), 'TERMINATED');
  });

  it('keeps to max_operations_per_second, by the times the server reports', async () => {
    const tag = uniqueName('rate');
    await startTagged(tag, 6);
    const jobId = uniqueName('job-rate');
    await start(jobId, {
      visibilityQuery: `BatchTag = '${tag}'`, terminationOperation: {}, maxOperationsPerSecond: 2,
    });
    const job = await finished(jobId);
    assert.equal(job.state, STATE.COMPLETED);
    assert.equal(num(job.completeOperationCount), 6);
    // Six operations two per second apart: at least 2.5 s from the first to the last.
    const took = millis(job.closeTime) - millis(job.startTime);
    assert.ok(took >= 2500, `the batch took ${took} ms`);
  });

  it('runs one job per namespace at a time, and stops a job before it finishes', async () => {
    const tag = uniqueName('slow');
    const slow = await startTagged(tag, 5);
    const jobId = uniqueName('job-slow');
    await start(jobId, {
      visibilityQuery: `BatchTag = '${tag}'`, terminationOperation: {}, maxOperationsPerSecond: 0.5,
    });
    // Another job while this one runs: Temporal's answer.
    const second = uniqueName('job-second');
    const err = await rejected(
      raw.workflowService.startBatchOperation({
        namespace: 'default', jobId: second, reason: 'too many', visibilityQuery: `BatchTag = '${tag}'`,
        terminationOperation: {},
      }),
      CODE.RESOURCE_EXHAUSTED, /^Max concurrent batch operations is reached$/);
    assert.ok(err);

    await waitFor('the first execution acted on', async () =>
      num((await describeJob(jobId)).completeOperationCount) >= 1);
    await service().stopBatchOperation({ namespace: 'default', jobId, reason: 'enough', identity: 'me' });
    const job = await describeJob(jobId);
    assert.equal(job.state, STATE.FAILED);
    assert.ok(job.closeTime, 'a stopped job has a close time');
    await rejected(service().stopBatchOperation({ namespace: 'default', jobId, reason: 'again' }),
      CODE.NOT_FOUND, /already completed/);

    // The slot is free again; by the time another whole job has run, the stopped one would have
    // moved on if it still ran.
    const other = uniqueName('after-stop');
    const otherHandles = await startTagged(other, 2);
    const next = uniqueName('job-after-stop');
    await start(next, { visibilityQuery: `BatchTag = '${other}'`, terminationOperation: {} });
    assert.equal((await finished(next)).state, STATE.COMPLETED);
    const statuses = await Promise.all(slow.map(statusOf));
    const terminated = statuses.filter((s) => s === 'TERMINATED').length;
    assert.ok(terminated >= 1 && terminated <= 2, `terminated after the stop: ${statuses}`);
    assert.ok(statuses.filter((s) => s === 'RUNNING').length >= 3, `${statuses}`);
    assert.equal(num((await describeJob(jobId)).completeOperationCount) <= terminated, true);
    await release([...slow, ...otherHandles]);
  });

  it('refuses bad input with INVALID_ARGUMENT naming the field', async () => {
    const svc = raw.workflowService;
    const base = { namespace: 'default', jobId: uniqueName('bad'), reason: 'r',
      visibilityQuery: "BatchTag = 'x'", terminationOperation: {} };
    await rejected(svc.startBatchOperation({ ...base, reason: '' }),
      CODE.INVALID_ARGUMENT, /Reason is not set/);
    await rejected(svc.startBatchOperation({ ...base, jobId: '' }),
      CODE.INVALID_ARGUMENT, /JobId is not set/);
    await rejected(svc.startBatchOperation({ ...base, visibilityQuery: '' }),
      CODE.INVALID_ARGUMENT, /VisibilityQuery, Executions, or TargetExecutions must be set/);
    await rejected(svc.startBatchOperation({ ...base, executions: [{ workflowId: 'w' }] }),
      CODE.INVALID_ARGUMENT, /mutually exclusive/);
    await rejected(svc.startBatchOperation({ ...base, terminationOperation: undefined }),
      CODE.INVALID_ARGUMENT, /Batch operation is not set/);
    await rejected(svc.startBatchOperation({ ...base, visibilityQuery: 'NoSuchAttribute = 1' }),
      CODE.INVALID_ARGUMENT, /invalid visibility query/);
    await rejected(svc.startBatchOperation({
      ...base, terminationOperation: undefined, signalOperation: { signal: '' },
    }), CODE.INVALID_ARGUMENT, /signal name/);
    await rejected(svc.describeBatchOperation({ namespace: 'default', jobId: '' }),
      CODE.INVALID_ARGUMENT, /JobId is not set/);
    await rejected(svc.describeBatchOperation({ namespace: 'default', jobId: uniqueName('none') }),
      CODE.NOT_FOUND, /not found/);
    await rejected(svc.stopBatchOperation({ namespace: 'default', jobId: 'x', reason: '' }),
      CODE.INVALID_ARGUMENT, /Reason is not set/);
  });

  it('tern workflow terminate|signal --query and tern batch describe|list|terminate', async () => {
    const tag = uniqueName('cli');
    const targets = await startTagged(tag, 2);
    const query = `BatchTag = '${tag}'`;

    // Without --yes and with no terminal to confirm on, nothing starts.
    const refused = fails(await tern(['workflow', 'terminate', '--query', query, '--reason', 'r']),
      1, 'unconfirmed batch');
    assert.match(refused, /--yes/);
    fails(await tern(['workflow', 'terminate', '--query', query, '-w', 'x', '--yes',
      '--reason', 'r']), 1, 'both -w and --query');

    const out = ok(await tern(['workflow', 'signal', '--query', query, '--name', 'release',
      '--reason', 'let go', '--yes']), 'batch signal');
    const jobId = out.match(/JobId\s+(\S+)/)?.[1];
    assert.ok(jobId, out);
    await finished(jobId);
    for (const handle of targets) assert.equal(await handle.result(), 'released');

    const described = ok(await tern(['batch', 'describe', '--job-id', jobId]), 'describe');
    assert.match(described, /State\s+Completed/);
    assert.match(described, /Type\s+Signal/);
    assert.match(described, /Completed\s+2/);
    const json = JSON.parse(ok(await tern(['-o', 'json', 'batch', 'describe', '--job-id', jobId]),
      'describe json'));
    assert.equal(json.jobId, jobId);
    assert.equal(Number(json.completeOperationCount), 2);
    assert.match(ok(await tern(['batch', 'list']), 'list'), new RegExp(jobId));

    const slowTag = uniqueName('cli-slow');
    const slow = await startTagged(slowTag, 3);
    const slowOut = ok(await tern(['workflow', 'terminate', '--query', `BatchTag = '${slowTag}'`,
      '--reason', 'slowly', '--rps', '0.2', '--yes']), 'batch terminate');
    const slowJob = slowOut.match(/JobId\s+(\S+)/)?.[1];
    ok(await tern(['batch', 'terminate', '--job-id', slowJob, '--reason', 'changed my mind']),
      'batch terminate');
    assert.equal((await describeJob(slowJob)).state, STATE.FAILED);
    fails(await tern(['batch', 'terminate', '--job-id', slowJob]), 2, 'no reason');
    await release(slow);
  });
});
