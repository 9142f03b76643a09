'use strict';
// What the server sees of worker-side features: local activities (markers, LA retries, LA backoff
// through a user timer), patches (markers + the TemporalChangeVersion search attribute), workflow
// randomness seeded from the run, and memo upserts, as a user reads them back.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { Context } = require('@temporalio/activity');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName,
} = require('./lib/harness');
const { scrape, total } = require('./lib/metrics');

// temporal.api.enums.v1.EventType
const EV = {
  WORKFLOW_TASK_COMPLETED: 7,
  WORKFLOW_TASK_TIMED_OUT: 8,
  WORKFLOW_TASK_FAILED: 9,
  ACTIVITY_TASK_SCHEDULED: 10,
  TIMER_STARTED: 17,
  TIMER_FIRED: 18,
  MARKER_RECORDED: 25,
  UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 40,
  WORKFLOW_PROPERTIES_MODIFIED: 46,
};

const TEST_TIMEOUT = { timeout: 60_000 };

describe('local activities, patches, side effects and memo', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern, client, connection, worker, replayingWorker, taskQueue, replayQueue;
  const attempts = new Map(); // key -> attempts seen

  const activities = {
    async greet(name) {
      return `Hello, ${name}`;
    },
    async slowGreet(name, ms) {
      await new Promise((resolve) => { setTimeout(resolve, ms); });
      return `Hello, ${name}`;
    },
    async flaky(key, failures) {
      const { attempt } = Context.current().info;
      attempts.set(key, [...(attempts.get(key) ?? []), attempt]);
      if (attempt <= failures) throw new Error(`local attempt ${attempt} failed`);
      return attempt;
    },
  };

  before(async () => {
    tern = await startTern({ metrics: true });
    ({ client, connection } = await connectClient(tern));
    taskQueue = uniqueName('local');
    replayQueue = uniqueName('local-replay');
    worker = await startWorker(tern, { taskQueue, activities });
    // No workflow cache: every workflow task replays the whole history, so the values a workflow
    // computes in a later task show what the history (seed, markers) makes it compute again.
    replayingWorker = await startWorker(tern, {
      taskQueue: replayQueue, activities, options: { maxCachedWorkflows: 0 },
    });
  });
  after(async () => {
    await replayingWorker?.stop();
    await worker?.stop();
    await connection?.close();
    await tern?.stop();
  });

  const ofType = (events, type) => events.filter((e) => e.eventType === type);
  const markers = (events, name) => ofType(events, EV.MARKER_RECORDED)
    .filter((e) => e.markerRecordedEventAttributes.markerName === name);

  it('records a local activity result as a core_local_activity marker', TEST_TIMEOUT, async () => {
    const handle = await client.workflow.start('runLocalActivity', {
      taskQueue, workflowId: uniqueName('la'), args: ['greet', ['Tern'], { startToCloseTimeout: '10s' }],
    });
    assert.equal(await handle.result(), 'Hello, Tern');
    const { events } = await handle.fetchHistory();
    const recorded = markers(events, 'core_local_activity');
    assert.equal(recorded.length, 1, 'one local activity marker');
    const attrs = recorded[0].markerRecordedEventAttributes;
    assert.ok(Object.keys(attrs.details ?? {}).length > 0, 'the marker keeps its details');
    assert.ok(Number(attrs.workflowTaskCompletedEventId) > 0);
    assert.equal(ofType(events, EV.ACTIVITY_TASK_SCHEDULED).length, 0, 'no server-side activity');
  });

  // A local activity longer than the workflow task timeout: the SDK heartbeats the task
  // (force_create_new_workflow_task) and asks for the next one in the response
  // (return_new_workflow_task), so the heartbeat tasks never go through matching.
  it('hands each heartbeat task of a long local activity back in the response', TEST_TIMEOUT, async () => {
    const workflowPolls = async () => total(await scrape(tern.metricsUrls.matching), 'poll_success',
      { namespace: tern.namespace, task_type: 'Workflow' });
    const pollsBefore = await workflowPolls();
    const handle = await client.workflow.start('runLocalActivity', {
      taskQueue,
      workflowId: uniqueName('la-heartbeat'),
      workflowTaskTimeout: '2s',
      args: ['slowGreet', ['Tern', 4000], { startToCloseTimeout: '30s' }],
    });
    assert.equal(await handle.result(), 'Hello, Tern');
    const { events } = await handle.fetchHistory();
    const completedTasks = ofType(events, EV.WORKFLOW_TASK_COMPLETED).length;
    assert.ok(completedTasks >= 3, `${completedTasks} workflow tasks: the long activity heartbeats`);
    assert.equal(ofType(events, EV.WORKFLOW_TASK_FAILED).length, 0);
    assert.equal(ofType(events, EV.WORKFLOW_TASK_TIMED_OUT).length, 0);
    assert.equal(await workflowPolls() - pollsBefore, 1, 'only the first task came from a poll');
  });

  it('retries a local activity inside the worker and records one marker', TEST_TIMEOUT, async () => {
    const key = uniqueName('la-retry');
    const handle = await client.workflow.start('runLocalActivity', {
      taskQueue, workflowId: key, args: ['flaky', [key, 2], {
        startToCloseTimeout: '10s',
        retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 },
      }],
    });
    assert.equal(await handle.result(), 3);
    assert.deepEqual(attempts.get(key), [1, 2, 3]);
    const { events } = await handle.fetchHistory();
    assert.equal(markers(events, 'core_local_activity').length, 1);
    assert.equal(ofType(events, EV.TIMER_STARTED).length, 0, 'short backoff needs no timer');
  });

  it('backs off a local activity through a durable timer above localRetryThreshold', TEST_TIMEOUT, async () => {
    const key = uniqueName('la-timer');
    const handle = await client.workflow.start('runLocalActivity', {
      taskQueue, workflowId: key, args: ['flaky', [key, 1], {
        startToCloseTimeout: '10s',
        localRetryThreshold: '100ms',
        retry: { initialInterval: '1s', backoffCoefficient: 1, maximumAttempts: 3 },
      }],
    });
    assert.equal(await handle.result(), 2);
    assert.deepEqual(attempts.get(key), [1, 2]);
    const { events } = await handle.fetchHistory();
    assert.equal(ofType(events, EV.TIMER_STARTED).length, 1, 'the backoff is a user timer');
    assert.equal(ofType(events, EV.TIMER_FIRED).length, 1);
    // The failed first attempt and the successful second one are both recorded.
    assert.ok(markers(events, 'core_local_activity').length >= 1);
  });

  it('records patches, upserts TemporalChangeVersion, keeps randomness seeded and merges the memo',
    TEST_TIMEOUT, async () => {
      const workflowId = uniqueName('patches');
      const handle = await client.workflow.start('patchesAndSideEffects', {
        taskQueue: replayQueue, workflowId, memo: { fromStart: 'kept', removedByWorkflow: 'gone soon' },
      });
      const result = await handle.result();
      assert.equal(result.isPatched, true, 'a new run takes the patched branch');

      const { events } = await handle.fetchHistory();
      const patchMarkers = markers(events, 'core_patch');
      assert.equal(patchMarkers.length, 2, 'patched() and deprecatePatch() each record a marker');
      const upserts = ofType(events, EV.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
      assert.ok(upserts.length >= 1, 'the SDK upserts TemporalChangeVersion with the patches');
      const indexed = upserts.at(-1).upsertWorkflowSearchAttributesEventAttributes.searchAttributes.indexedFields;
      assert.ok(indexed.TemporalChangeVersion, `upserted: ${Object.keys(indexed)}`);
      assert.ok(ofType(events, EV.WORKFLOW_PROPERTIES_MODIFIED).length >= 1, 'upsertMemo -> WorkflowPropertiesModified');

      const description = await handle.describe();
      assert.equal(description.status.name, 'COMPLETED');
      const changeVersions = description.searchAttributes.TemporalChangeVersion;
      assert.ok(Array.isArray(changeVersions), `searchAttributes: ${JSON.stringify(description.searchAttributes)}`);
      assert.deepEqual([...changeVersions].sort(), ['tern-deprecated-patch', 'tern-patch']);

      // The memo merges the start memo with the upserts (an undefined value removes a key).
      const { memo } = description;
      assert.equal(memo.fromStart, 'kept');
      assert.equal(memo.addedByWorkflow, 'yes');
      assert.ok(!('removedByWorkflow' in memo), `memo: ${JSON.stringify(memo)}`);
      // The first task stored uuid4()/Math.random() in the memo; the last task replayed the whole
      // history on a cache-less worker and computed them again from the run's seed.
      assert.equal(result.uuid, memo.uuid, 'uuid4() is the same on replay');
      assert.equal(result.random, memo.random, 'Math.random() is the same on replay');
      assert.match(memo.uuid, /^[0-9a-f-]{36}$/);
      // The seed comes from original_execution_run_id, which is the run's own id for a new run.
      assert.equal(events[0].workflowExecutionStartedEventAttributes.originalExecutionRunId,
        handle.firstExecutionRunId);
      assert.deepEqual(result.memo, memo, 'workflowInfo().memo matches what describe() returns');
    });
});
