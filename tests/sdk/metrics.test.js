'use strict';
// Prometheus metrics of a four-process cluster under a mixed SDK workload: every metric Tern
// defines (the generated table in docs/operations.md) is listed by the service that owns it,
// workflow outcome counters move by exactly the number of runs that closed that way, request,
// error, matching, history and process metrics move as the workload says, the backlog gauge
// counts tasks nobody polls, and no label holds a workflow id, run id or task token.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { after, before, describe, it } = require('node:test');
const { WorkflowFailedError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');
const { documentedMetrics, scrape, total } = require('./lib/metrics');

const SERVICES = ['frontend', 'history', 'matching', 'worker'];
// Defined (as Temporal defines them) but not produced on demand here: limits
// (Tern has no rate limits yet), deadlines and duplicate cancellations (Tern answers those OK),
// and TLS reloads (this cluster runs without TLS).
// Metrics this workload cannot produce (no rate limit, TLS or batch operation here).
const NOT_PRODUCED = new Set([
  'service_errors_resource_exhausted', 'service_errors_context_timeout',
  'service_errors_cancellation_already_requested', 'tern_tls_reloads_total',
  'tern_batch_operation_executions_total',
]);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

describe('metrics', { timeout: 240_000 }, () => {
  dumpLogsOnFailure();
  let tern, connection, client, worker, taskQueue;
  const flakyAttempts = new Map();
  const ids = new Set(); // every workflow id and run id of this test
  // A task queue nobody polls until the listing test. One partition: its backlog can only be
  // matched by a poll of that partition (asyncmatch_latency), never forwarded to a poll waiting
  // on another one (a sync match there).
  const idle = 'metrics-unpolled';
  const idleRuns = [];
  let deleted; // the run DeleteWorkflowExecution removes

  before(async () => {
    // Short long polls, so idle polls time out (poll_timeouts) while the test runs.
    tern = await startTern({
      cluster: true,
      metrics: true,
      dynamicConfig: {
        'matching.longPollExpirationInterval': '2s',
        'matching.numTaskqueueReadPartitions': `[{value: 1, constraints: {taskQueueName: "${idle}"}}]`,
        'matching.numTaskqueueWritePartitions': `[{value: 1, constraints: {taskQueueName: "${idle}"}}]`,
      },
    });
    ({ connection, client } = await connectClient(tern));
    taskQueue = uniqueName('metrics');
    worker = await startWorker(tern, {
      taskQueue,
      activities: {
        greet: async (name) => `hello ${name}`,
        flaky: async (key, failures) => {
          const attempt = (flakyAttempts.get(key) || 0) + 1;
          flakyAttempts.set(key, attempt);
          if (attempt <= failures) throw new Error(`attempt ${attempt} fails`);
          return attempt;
        },
      },
    });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  const scrapeAll = async () =>
    Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await scrape(tern.metricsUrls[s])])));
  const start = async (workflow, args, options = {}) => {
    const handle = await client.workflow.start(workflow, {
      taskQueue, workflowId: uniqueName(workflow), args, ...options,
    });
    ids.add(handle.workflowId).add(handle.firstExecutionRunId);
    return handle;
  };
  const outcome = (scraped, counter, workflowType) =>
    total(scraped.history, counter, { namespace: 'default', workflowType, operation: 'CompletionStats' });

  it('counts workflow outcomes, requests, errors, matches, shards and the process', async () => {
    const before = await scrapeAll();

    const succeeded = await Promise.all([1, 2, 3].map((i) => start('activityThenTimer', [`w${i}`, 10])));
    const failed = await Promise.all([1, 2].map((i) => start('failWithDetails', [`boom ${i}`, []])));
    const timedOut = await start('timerOnly', [60_000], { workflowExecutionTimeout: '1s' });
    const terminated = await start('waitForRelease', []);
    const signalled = await start('waitForRelease', []);
    const cancelled = await start('cancellableSleep', [60_000]);
    const retried = await start('retryingActivity', [crypto.randomUUID(), 2]);
    const chain = await start('continueAsNewCounter', [0, 2]);

    await Promise.all(succeeded.map((h) => h.result()));
    for (const h of failed) await assert.rejects(h.result(), WorkflowFailedError);
    await assert.rejects(timedOut.result(), WorkflowFailedError);
    await terminated.terminate('metrics test');
    await signalled.signal('release');
    assert.equal(await signalled.result(), 'released');
    await waitFor('the cancellable workflow to sleep', async () =>
      (await cancelled.fetchHistory()).events.some((e) => e.timerStartedEventAttributes));
    await cancelled.cancel();
    await assert.rejects(cancelled.result(), WorkflowFailedError);
    assert.equal(await retried.result(), 'succeeded on attempt 3');
    assert.equal(await chain.result(), 2);
    // Visibility rows are written with the state (PostgreSQL visibility): the frontend's reads
    // are what the visibility store counts.
    const closed = await client.workflow.count(`WorkflowId = '${signalled.workflowId}'`);
    assert.equal(closed.count, 1);

    // Expected errors: a duplicate start, a missing workflow, an existing namespace, an invalid
    // request, a query the workflow does not know.
    await assert.rejects(client.workflow.start('waitForRelease', {
      taskQueue, workflowId: signalled.workflowId, args: [],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    }));
    await assert.rejects(client.workflow.getHandle(uniqueName('missing')).describe());
    await assert.rejects(connection.workflowService.registerNamespace({
      namespace: 'default', workflowExecutionRetentionPeriod: { seconds: 86400 },
    }));
    await assert.rejects(connection.workflowService.describeNamespace({ namespace: '' }));
    await assert.rejects(chain.query('no-such-query'));

    // Outcomes are counted after the commit that closes the run; the scrape sees them at once.
    const now = await scrapeAll();
    const delta = (counter, type) => outcome(now, counter, type) - outcome(before, counter, type);
    assert.equal(delta('workflow_success', 'activityThenTimer'), 3);
    assert.equal(delta('workflow_success', 'waitForRelease'), 1);
    assert.equal(delta('workflow_success', 'retryingActivity'), 1);
    assert.equal(delta('workflow_success', 'continueAsNewCounter'), 1);
    assert.equal(delta('workflow_continued_as_new', 'continueAsNewCounter'), 2);
    assert.equal(delta('workflow_failed', 'failWithDetails'), 2);
    assert.equal(delta('workflow_timeout', 'timerOnly'), 1);
    assert.equal(delta('workflow_terminate', 'waitForRelease'), 1);
    assert.equal(delta('workflow_cancel', 'cancellableSleep'), 1);

    const change = (service, name, match = {}) =>
      total(now[service], name, match) - total(before[service], name, match);
    const frontend = { service_name: 'frontend', namespace: 'default' };
    assert.ok(change('frontend', 'service_requests', { ...frontend, operation: 'StartWorkflowExecution' }) >= 12);
    assert.ok(change('frontend', 'service_latency_count', { ...frontend, operation: 'StartWorkflowExecution' }) >= 12);
    assert.equal(change('frontend', 'service_errors_execution_already_started',
      { ...frontend, operation: 'StartWorkflowExecution' }), 1);
    assert.equal(change('frontend', 'service_errors_entity_not_found',
      { ...frontend, operation: 'DescribeWorkflowExecution' }), 1);
    assert.equal(change('frontend', 'service_errors_namespace_already_exists',
      { service_name: 'frontend', operation: 'RegisterNamespace' }), 1);
    assert.equal(change('frontend', 'service_errors_invalid_argument',
      { service_name: 'frontend', operation: 'DescribeNamespace' }), 1);
    assert.equal(change('frontend', 'service_errors_query_failed', { ...frontend, operation: 'QueryWorkflow' }), 1);
    assert.equal(change('frontend', 'service_error_with_type',
      { ...frontend, operation: 'StartWorkflowExecution', error_type: 'WorkflowExecutionAlreadyStarted' }), 1);
    assert.equal(change('frontend', 'service_errors'), 0, 'no unexpected errors');
    assert.ok(change('history', 'service_requests', { service_name: 'history', namespace: 'default' }) > 0,
      'history counts the RPCs it answers, by namespace name');
    assert.ok(change('frontend', 'client_requests') > 0);
    assert.ok(change('history', 'persistence_requests') > 0);
    assert.ok(change('frontend', 'visibility_persistence_requests',
      { service_name: 'frontend', operation: 'Count' }) > 0);
    assert.ok(change('history', 'state_transition_count_count', { namespace: 'default' }) > 0);
    assert.ok(change('history', 'task_latency_processing_count',
      { namespace: 'default', task_type: 'TransferActivityTask' }) > 0);
    assert.ok(change('history', 'shardinfo_scheduled_queue_lag_count', { task_category: 'timer' }) > 0);

    const queue = { namespace: 'default', taskqueue: taskQueue };
    assert.ok(change('matching', 'poll_success', { ...queue, task_type: 'Workflow' }) > 0);
    // First attempts go back to the worker with its workflow task (eager dispatch); retries go
    // through matching.
    assert.ok(change('matching', 'poll_success', { ...queue, task_type: 'Activity' }) > 0);
    assert.ok(change('matching', 'task_schedule_to_start_latency_count', { ...queue, task_type: 'Activity' }) > 0);
    await waitFor('an idle poll to time out', async () =>
      total(await scrape(tern.metricsUrls.matching), 'poll_timeouts', queue) > 0);

    assert.equal(total(now.history, 'numshards_gauge'), 4);
    assert.equal(total(now.history, 'sharditem_created_count'), 4);
    for (const service of SERVICES) {
      assert.equal(total(now[service], 'restarts', { service_name: service }), 1);
      assert.equal(total(now[service], 'build_information', { service_name: service, build_version: '0.1.0' }), 1);
      assert.ok(total(now[service], 'process_cpu_seconds_total') > 0);
      assert.ok(total(now[service], 'process_open_fds') > 0);
      assert.ok(total(now[service], 'process_resident_memory_bytes') > 0);
    }
  });

  it('counts the backlog of a task queue nobody polls, in metrics and DescribeTaskQueue', async () => {
    for (let i = 0; i < 3; i++) {
      const handle = await client.workflow.start('timerOnly', { taskQueue: idle, workflowId: uniqueName('idle'), args: [1] });
      ids.add(handle.workflowId).add(handle.firstExecutionRunId);
      idleRuns.push(handle);
    }
    const labels = { namespace: 'default', taskqueue: idle, task_type: 'Workflow' };
    await waitFor('approximate_backlog_count to reach 3', async () =>
      total(await scrape(tern.metricsUrls.matching), 'approximate_backlog_count', labels) === 3);
    const scraped = await scrape(tern.metricsUrls.matching);
    assert.ok(total(scraped, 'approximate_backlog_age_seconds', labels) >= 0);

    // DescribeTaskQueue reports the same backlog, summed over the partitions, and no pollers.
    const describe = (name, extra = {}) => connection.workflowService.describeTaskQueue({
      namespace: 'default', taskQueue: { name }, taskQueueType: 1, ...extra,
    });
    const idleQueue = await describe(idle, { reportStats: true });
    assert.equal(Number(idleQueue.stats.approximateBacklogCount), 3);
    assert.ok(Number(idleQueue.stats.approximateBacklogAge?.seconds ?? 0) >= 0);
    assert.equal(idleQueue.pollers.length, 0);
    // The worker's queue: its poller, seen recently; nothing waiting.
    const busy = await describe(taskQueue, { reportStats: true });
    assert.equal(busy.pollers.length, 1, JSON.stringify(busy.pollers));
    assert.ok(busy.pollers[0].identity);
    const seenMs = Number(busy.pollers[0].lastAccessTime.seconds) * 1000;
    assert.ok(Date.now() - seenMs < 60_000, 'the poller was seen within the last minute');
    assert.equal(Number(busy.stats.approximateBacklogCount), 0);
    // Bad input: a clear error naming what is missing.
    await assert.rejects(describe(''), (err) => {
      assert.equal(err.code, 3);
      assert.match(err.details ?? err.message, /TaskQueue is not set/);
      return true;
    });
  });

  it('lists every metric Tern defines on the service that owns it', async () => {
    // A worker for the unpolled queue takes its backlog: tasks matched from the backlog
    // (asyncmatch_latency), not handed over on arrival.
    const late = await startWorker(tern, { taskQueue: idle });
    try {
      await Promise.all(idleRuns.map((h) => h.result()));
    } finally {
      await late.stop();
    }
    // DeleteWorkflowExecution counts into tern_deleted_executions_total{reason="request"}.
    deleted = await start('timerOnly', [1]);
    await deleted.result();
    await connection.workflowService.deleteWorkflowExecution({
      namespace: 'default', workflowExecution: { workflowId: deleted.workflowId },
    });
    await waitFor('the deletion to be counted', async () =>
      total(await scrape(tern.metricsUrls.history), 'tern_deleted_executions_total', { reason: 'request' }) === 1);

    const scraped = await scrapeAll();
    for (const [name, { type, owner }] of documentedMetrics()) {
      if (NOT_PRODUCED.has(name)) continue;
      // Request, persistence and client metrics appear where such calls happen, the process's
      // own metrics everywhere.
      const services = owner !== 'any' ? [owner]
        : name.startsWith('process_') || ['restarts', 'build_information'].includes(name) ? SERVICES
          : SERVICES.filter((s) => scraped[s].types.has(name));
      assert.ok(services.length > 0, `no service lists ${name}`);
      for (const service of services) {
        assert.equal(scraped[service].types.get(name), type,
          `${service}'s /metrics should list ${name} as a ${type}`);
      }
    }
  });

  it('writes log lines that each parse as one JSON object, with the fields they are about', async () => {
    const entries = {};
    for (const [process, file] of Object.entries(tern.logs)) {
      entries[process] = [];
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue; // the harness's own header lines
        const entry = JSON.parse(line);
        assert.ok(entry.ts && entry.level && typeof entry.msg === 'string', `${process}: ${line}`);
        entries[process].push(entry);
      }
    }
    const all = Object.values(entries).flat();
    assert.ok(all.length > 20, `only ${all.length} log lines`);
    const find = (process, pattern) => {
      const found = entries[process].find((e) => pattern.test(e.msg));
      assert.ok(found, `no ${process} line matches ${pattern}`);
      return found;
    };
    // Shard lines carry shard_id; partition lines namespace and task_queue (the namespace's id
    // while the matching process has not yet seen the new namespace); the deletion of a run its
    // namespace, ids and shard.
    assert.equal(typeof find('tern-history', /^history: shard \d+ acquired/).shard_id, 'number');
    const loaded = entries['tern-matching'].find((e) =>
      e.msg === 'matching: workflow partition loaded' && e.task_queue === taskQueue);
    assert.ok(loaded, 'no line says the root partition of the workload queue loaded');
    const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
    assert.ok(['default', namespaceInfo.id].includes(loaded.namespace), JSON.stringify(loaded));
    const deletion = find('tern-history', /^history: workflow execution deleted \(request\)/);
    assert.equal(deletion.namespace, 'default');
    assert.equal(deletion.workflow_id, deleted.workflowId);
    assert.equal(deletion.run_id, deleted.firstExecutionRunId);
    assert.equal(typeof deletion.shard_id, 'number');
    for (const entry of all) {
      for (const field of ['namespace', 'workflow_id', 'run_id', 'task_queue', 'error']) {
        if (field in entry) assert.equal(typeof entry[field], 'string', JSON.stringify(entry));
      }
    }
  });

  it('never puts a workflow id, run id or task token in a label', async () => {
    const scraped = await scrapeAll();
    assert.ok(ids.size > 10);
    for (const service of SERVICES) {
      for (const sample of scraped[service].samples) {
        for (const [label, value] of Object.entries(sample.labels)) {
          assert.ok(!ids.has(value), `${service}: ${sample.name}{${label}="${value}"} holds an id`);
          assert.ok(!/^[0-9a-f]{8}-[0-9a-f]{4}-/.test(value), `${service}: ${sample.name}{${label}="${value}"} holds a UUID`);
        }
      }
      // Every series names its service, and its family is one Tern defines.
      const defined = documentedMetrics();
      for (const sample of scraped[service].samples) {
        const family = HISTOGRAM_SUFFIXES.reduce(
          (name, suffix) => (name.endsWith(suffix) && defined.get(name.slice(0, -suffix.length))?.type === 'histogram'
            ? name.slice(0, -suffix.length) : name), sample.name);
        // exposer_*: the HTTP exposer's own counters (prometheus-cpp).
        assert.ok(defined.has(family) || family.startsWith('exposer_'),
          `${service} exposes ${sample.name}, which docs/operations.md does not list`);
        if (!family.startsWith('exposer_')) {
          assert.ok(sample.labels.service_name, `${service}: ${sample.name} has no service_name`);
        }
      }
    }
  });
});
