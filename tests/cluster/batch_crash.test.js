'use strict';
// A batch operation survives its worker: tern-worker is killed (SIGKILL) while a signal batch
// over 60 workflows runs at 5 operations per second (worker.batcherRPS), and started again. The
// batch still ends COMPLETED with 60 of 60 done and none failed, Describe's progress never goes
// back, every workflow's history holds the batch's signal exactly once (the execution in flight
// when the worker died is repeated with the same request id, which history recognises), and the
// signals keep the job's rate: never faster, and after the restart not much slower.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('../sdk/lib/harness');

const WORKFLOWS = 60;
const RPS = 5; // 60 signals take 12 s: the kill lands mid-batch
const SIGNAL = 'batch-poke'; // not the workflows' release signal: they stay open, so a repeat shows
const KEYWORD = 2; // IndexedValueType
const STATE = { RUNNING: 1, COMPLETED: 2 }; // BatchOperationState
const TYPE_SIGNAL = 15; // BatchOperationType
const EV_WORKFLOW_EXECUTION_SIGNALED = 26;

const num = (value) => Number(value?.toString?.() ?? value ?? 0);
const millis = (ts) => num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);

describe('a batch operation across a tern-worker crash', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, taskQueue;
  const service = () => connection.workflowService;

  before(async () => {
    tern = await startTern({ cluster: true, dynamicConfig: { 'worker.batcherRPS': RPS } });
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('batch-crash');
    worker = await startWorker(tern, { taskQueue });
    await connection.operatorService.addSearchAttributes({
      namespace: tern.namespace, searchAttributes: { BatchTag: KEYWORD },
    });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  it('completes with every workflow signalled exactly once', async () => {
    const tag = uniqueName('crash');
    const ids = [];
    for (let i = 0; i < WORKFLOWS; i++) {
      const handle = await client.workflow.start('waitForRelease', {
        taskQueue, workflowId: `${tag}-${i}`, searchAttributes: { BatchTag: [tag] },
      });
      ids.push(handle.workflowId);
    }
    const query = `BatchTag = '${tag}'`;
    await waitFor(`${WORKFLOWS} running workflows in visibility`, async () => {
      const { count } = await service().countWorkflowExecutions({
        namespace: tern.namespace, query: `${query} AND ExecutionStatus = 'Running'`,
      });
      return num(count) === WORKFLOWS;
    });

    const jobId = uniqueName('job-signal');
    const describeJob = () => service().describeBatchOperation({ namespace: tern.namespace, jobId });
    const startedAt = Date.now();
    await service().startBatchOperation({
      namespace: tern.namespace, jobId, reason: 'crash test', visibilityQuery: query,
      signalOperation: { signal: SIGNAL, identity: 'batch-crash-test' },
    });

    // Describe's progress as seen over time: it must never go back.
    const seen = [];
    const progress = async () => {
      const job = await describeJob();
      seen.push(num(job.completeOperationCount));
      return job;
    };
    // A pass works on the job for a second (5 signals here), writing after each one: at 8 the
    // worker is in the middle of its second pass, so the kill leaves a live lease behind.
    await waitFor('some of the batch done', async () =>
      num((await progress()).completeOperationCount) >= 8);
    await tern.signalProcess('tern-worker', 'SIGKILL');
    const killedAt = Date.now();
    const atKill = await progress();
    // The point of the test: the worker died in the middle of the batch.
    assert.equal(atKill.state, STATE.RUNNING);
    assert.ok(num(atKill.completeOperationCount) < WORKFLOWS,
      `the batch was done (${num(atKill.completeOperationCount)}) before the kill`);

    tern.startProcess('tern-worker');
    const restartedAt = Date.now();
    let resumedAt;
    const job = await waitFor('the batch to complete after the restart', async () => {
      const current = await progress();
      if (!resumedAt && num(current.completeOperationCount) > num(atKill.completeOperationCount)) {
        resumedAt = Date.now();
      }
      return current.state !== STATE.RUNNING ? current : null;
    }, { timeoutMs: 120_000, intervalMs: 200 });
    console.log(`batch-crash: killed at ${num(atKill.completeOperationCount)}/${WORKFLOWS} after `
      + `${killedAt - startedAt} ms; resumed ${(resumedAt ?? Date.now()) - restartedAt} ms after the `
      + `restart; completed ${Date.now() - startedAt} ms after the start`);

    assert.equal(job.state, STATE.COMPLETED, JSON.stringify(job));
    assert.equal(job.operationType, TYPE_SIGNAL);
    assert.equal(num(job.totalOperationCount), WORKFLOWS);
    assert.equal(num(job.completeOperationCount), WORKFLOWS);
    assert.equal(num(job.failureOperationCount), 0);
    const backwards = seen.slice(1).filter((count, i) => count < seen[i]);
    assert.deepEqual(backwards, [], `progress went back: ${seen.join(',')}`);
    const { operationInfo } = await service().listBatchOperations({ namespace: tern.namespace });
    assert.equal(operationInfo.find((info) => info.jobId === jobId)?.state, STATE.COMPLETED);

    // Every workflow got the signal once (and, not released by it, is still running, so a
    // repeat would have been recorded too).
    const wrong = [];
    const signalledAt = [];
    for (const id of ids) {
      const handle = client.workflow.getHandle(id);
      const { events } = await handle.fetchHistory();
      const signals = events.filter((e) => e.eventType === EV_WORKFLOW_EXECUTION_SIGNALED
        && e.workflowExecutionSignaledEventAttributes.signalName === SIGNAL);
      const status = (await handle.describe()).status.name;
      if (signals.length !== 1 || status !== 'RUNNING') {
        wrong.push(`${id}: ${signals.length} signals, ${status}`);
      }
      for (const signal of signals) {
        assert.equal(signal.workflowExecutionSignaledEventAttributes.identity, 'batch-crash-test');
        signalledAt.push(millis(signal.eventTime));
      }
    }
    assert.deepEqual(wrong, [], 'workflows not signalled exactly once');

    // The rate held on both sides of the crash: never faster than worker.batcherRPS (the
    // restarted worker does not catch up in a burst), and after the restart not much slower.
    signalledAt.sort((a, b) => a - b);
    const spacing = 1000 / RPS;
    const gaps = signalledAt.slice(1).map((t, i) => t - signalledAt[i]);
    assert.ok(Math.min(...gaps) >= spacing / 2, `signals ${Math.min(...gaps)} ms apart`);
    const resumed = signalledAt.filter((t) => t > restartedAt);
    const span = resumed.at(-1) - resumed[0];
    const nominal = (resumed.length - 1) * spacing;
    assert.ok(span <= 1.5 * nominal + 1000,
      `${resumed.length} signals after the restart took ${span} ms (${nominal} ms at ${RPS}/s)`);
  });
});
