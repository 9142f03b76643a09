'use strict';
// The workload the fault tests run while they break the cluster, and the checks they make once
// it has drained. Workflows are `chaosScenario` (tests/sdk/workflows.js): a retried activity, a
// timer, a child, a signal and continue-as-new in every run.
//
//   const load = new Workload(tern, { taskQueue });
//   await load.startWorker();
//   load.run({ everyMs: 300 });            // keeps starting workflows until stop()
//   ... break things ...
//   await load.stop();
//   const report = await load.verify();    // throws an AssertionError naming what is wrong
//
// What verify() asserts, as a user of the cluster would see it:
//   - every workflow whose start the client saw accepted completed with the right result;
//   - each workflow id has exactly one completed run and as many continued-as-new runs as its
//     generations (visibility agrees), its children each completed once;
//   - no activity attempt ran twice (attempts count from the server's retry policy);
//   - every history is well formed: event ids 1..n without gaps, the start event first, one
//     close event last, every event that refers to another refers to an earlier one of the
//     right kind, no timer fired early (event times may go back: an event that arrived while a
//     workflow task ran is written after it with its arrival time, as Temporal does);
//   - every history replays through the SDK's replayer without a non-determinism error;
//   - neither task queue keeps a backlog.
// The histories of a failing check are written to <tern.dir>/histories/ (kept with the logs).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { after, before } = require('node:test');

const {
  connectClient, ExpectedFailure, requireSdk, startTern, startWorker, uniqueName, waitFor, withTimeout,
  workflowBundle,
} = require('../../sdk/lib/harness');

const { makeGrpcRetryInterceptor, defaultGrpcRetryOptions } = requireSdk('@temporalio/client');
const { Context } = requireSdk('@temporalio/activity');

const GENERATIONS = 1; // continue-as-new once: two runs per workflow id
const WORKFLOW_TASK_QUEUE = 1;
const ACTIVITY_TASK_QUEUE = 2;

function millis(timestamp) {
  return Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

function durationMillis(duration) {
  return Number(duration?.seconds ?? 0) * 1000 + Math.floor((duration?.nanos ?? 0) / 1e6);
}

// The attributes field of a history event and its name, e.g. ['timerFired', {...}].
function attributesOf(event) {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes') && event[k]);
  return key ? [key.slice(0, -'EventAttributes'.length), event[key]] : [undefined, undefined];
}

const CLOSE_EVENTS = new Set([
  'workflowExecutionCompleted', 'workflowExecutionFailed', 'workflowExecutionTimedOut',
  'workflowExecutionCanceled', 'workflowExecutionTerminated', 'workflowExecutionContinuedAsNew',
]);

// Fields that name an earlier event, by the kind of event they must name.
const REFERENCES = {
  scheduledEventId: ['workflowTaskScheduled', 'activityTaskScheduled'],
  startedEventId: ['workflowTaskStarted', 'activityTaskStarted', 'timerStarted', 'childWorkflowExecutionStarted'],
  workflowTaskCompletedEventId: ['workflowTaskCompleted'],
  initiatedEventId: ['startChildWorkflowExecutionInitiated', 'signalExternalWorkflowExecutionInitiated',
    'requestCancelExternalWorkflowExecutionInitiated'],
};

// Problems with one run's history, as sentences; [] when it is well formed.
function historyProblems(events) {
  const problems = [];
  const kinds = new Map(); // event id -> kind
  events.forEach((event, i) => {
    const id = Number(event.eventId);
    const [kind, attrs] = attributesOf(event);
    if (id !== i + 1) problems.push(`event ${i + 1} has id ${id}`);
    const time = millis(event.eventTime);
    if (i === 0 && kind !== 'workflowExecutionStarted') problems.push(`the first event is ${kind}`);
    if (CLOSE_EVENTS.has(kind) && i !== events.length - 1) problems.push(`close event ${id} (${kind}) is not last`);
    for (const [field, allowed] of Object.entries(REFERENCES)) {
      const ref = attrs?.[field] === undefined ? 0 : Number(attrs[field]);
      if (ref === 0) continue;
      const refKind = kinds.get(ref);
      if (!refKind) problems.push(`event ${id} (${kind}) refers to ${field} ${ref}, not an earlier event`);
      else if (!allowed.includes(refKind)) problems.push(`event ${id} (${kind}) has ${field} ${ref}, a ${refKind}`);
    }
    if (kind === 'timerFired') {
      const started = events[Number(attrs.startedEventId) - 1];
      const due = millis(started.eventTime) + durationMillis(started.timerStartedEventAttributes.startToFireTimeout);
      if (time < due) problems.push(`timer ${attrs.timerId} fired ${due - time}ms early`);
    }
    kinds.set(id, kind);
  });
  const [lastKind] = attributesOf(events[events.length - 1] ?? {});
  if (!CLOSE_EVENTS.has(lastKind)) problems.push(`the last event is ${lastKind}, not a close event`);
  return problems;
}

// How late each fired timer was, in ms.
function timerLateness(events) {
  return events.filter((e) => e.timerFiredEventAttributes).map((e) => {
    const started = events[Number(e.timerFiredEventAttributes.startedEventId) - 1];
    return millis(e.eventTime) - millis(started.eventTime)
      - durationMillis(started.timerStartedEventAttributes.startToFireTimeout);
  });
}

class Workload {
  constructor(tern, { taskQueue = uniqueName('chaos'), sleepMs = 1500 } = {}) {
    this.tern = tern;
    this.taskQueue = taskQueue;
    this.sleepMs = sleepMs;
    this.accepted = []; // {workflowId, name, runId}
    this.refusedStarts = []; // errors of starts the client gave up on
    this.failedSignals = []; // errors of signals the client gave up on (sent again)
    this.clientRetries = 0;
    this.attempts = new Map(); // `${workflowId}/${runId}/${activityId}/${attempt}` -> executions
    this.running = undefined;
  }

  async connect() {
    // The SDK's own retry policy, counting the retries it makes.
    const policy = defaultGrpcRetryOptions();
    const counting = {
      delayFunction: policy.delayFunction,
      retryableDecider: (attempt, status) => {
        const retry = policy.retryableDecider(attempt, status);
        if (retry) this.clientRetries++;
        return retry;
      },
    };
    ({ client: this.client, connection: this.connection } = await connectClient(this.tern, this.tern.namespace,
      { interceptors: [makeGrpcRetryInterceptor(counting)] }));
  }

  activities() {
    const record = () => {
      const { workflowExecution, activityId, attempt } = Context.current().info;
      const key = `${workflowExecution.workflowId}/${workflowExecution.runId}/${activityId}/${attempt}`;
      this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
      return attempt;
    };
    return {
      async step(key) {
        record();
        return `ok:${key}`;
      },
      async flakyStep(key) {
        if (record() === 1) throw new ExpectedFailure(`first attempt of ${key} fails`);
        return `ok:${key}`;
      },
    };
  }

  async startWorker() {
    await this.connect();
    this.worker = await startWorker(this.tern, { taskQueue: this.taskQueue, activities: this.activities() });
  }

  // Starts one workflow and signals it; records it as accepted once the start succeeded.
  async startOne() {
    const name = uniqueName('w');
    let handle;
    try {
      handle = await this.client.workflow.start('chaosScenario', {
        taskQueue: this.taskQueue, workflowId: name, args: [name, this.sleepMs, GENERATIONS],
      });
    } catch (err) {
      this.refusedStarts.push(err);
      return;
    }
    this.accepted.push({ workflowId: name, name, runId: handle.firstExecutionRunId });
    // The workflow waits for this signal: keep sending it until it is accepted.
    await waitFor(`the release signal to ${name}`, async () => {
      try {
        await handle.signal('release');
      } catch (err) {
        this.failedSignals.push(err);
        throw err;
      }
      return true;
    }, { timeoutMs: 120_000, intervalMs: 500 });
  }

  // Starts a workflow every `everyMs` until stop().
  run({ everyMs = 300 } = {}) {
    let stopped = false;
    const pending = new Set();
    const loop = (async () => {
      while (!stopped) {
        const started = this.startOne().finally(() => pending.delete(started));
        pending.add(started);
        await new Promise((resolve) => { setTimeout(resolve, everyMs); });
      }
      await Promise.all(pending);
    })();
    this.running = { loop, stop: () => { stopped = true; } };
  }

  async stop() {
    this.running?.stop();
    await this.running?.loop;
  }

  async close() {
    await this.worker?.stop();
    await this.connection?.close();
  }

  // Waits for every accepted workflow to finish (within `timeoutMs`) and checks everything
  // listed at the top of this file. Returns counts for the test's report.
  async verify({ timeoutMs = 300_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    const results = await Promise.all(this.accepted.map(async ({ workflowId, name }) => {
      const remaining = Math.max(1000, deadline - Date.now());
      try {
        const value = await withTimeout(this.client.workflow.getHandle(workflowId).result(), remaining,
          `the result of ${workflowId}`);
        return { workflowId, name, value };
      } catch (err) {
        return { workflowId, name, error: err };
      }
    }));
    const unfinished = results.filter((r) => r.error || JSON.stringify(r.value)
      !== JSON.stringify([`ok:${r.name}:0`, 2, `ok:${r.name}:last`]));
    // Keeps the histories of the workflows that did not finish right (none: nothing to keep).
    if (unfinished.length) await this.checkHistories(unfinished.map((r) => r.workflowId));
    assert.deepEqual(unfinished.map((r) => `${r.workflowId}: ${r.error?.message ?? JSON.stringify(r.value)}`), [],
      'workflows that did not complete with the right result');

    const duplicated = [...this.attempts].filter(([, n]) => n > 1).map(([key, n]) => `${key} ran ${n} times`);
    assert.deepEqual(duplicated, [], 'activity attempts that ran more than once');

    await this.checkVisibility();
    const { runs, timerLatenessMs } = await this.checkHistories();
    await this.checkBacklog();
    const retriedActivities = [...this.attempts.keys()].filter((k) => !k.endsWith('/1')).length;
    return {
      accepted: this.accepted.length,
      completed: results.length - unfinished.length,
      refusedStarts: this.refusedStarts.length,
      failedSignals: this.failedSignals.length,
      clientRetries: this.clientRetries,
      activityExecutions: this.attempts.size,
      retriedActivities,
      runsChecked: runs,
      maxTimerLatenessMs: Math.max(0, ...timerLatenessMs),
    };
  }

  // Each workflow id: one completed run, GENERATIONS continued-as-new runs; each child id once.
  async checkVisibility() {
    const expected = new Map();
    for (const { workflowId } of this.accepted) {
      expected.set(workflowId, { Completed: 1, ContinuedAsNew: GENERATIONS });
      for (let g = 0; g <= GENERATIONS; g++) expected.set(`${workflowId}-child-${g}`, { Completed: 1 });
    }
    const query = `TaskQueue = "${this.taskQueue}"`;
    await waitFor('visibility to show every run closed once', async () => {
      const seen = new Map();
      for await (const info of this.client.workflow.list({ query })) {
        const counts = seen.get(info.workflowId) ?? {};
        const status = info.status.name === 'CONTINUED_AS_NEW' ? 'ContinuedAsNew'
          : info.status.name[0] + info.status.name.slice(1).toLowerCase();
        counts[status] = (counts[status] ?? 0) + 1;
        seen.set(info.workflowId, counts);
      }
      // Starts the client gave up on may still have run: only the accepted ones are compared.
      const actual = new Map([...seen].filter(([id]) => expected.has(id)));
      assert.deepEqual(Object.fromEntries([...actual].sort()), Object.fromEntries([...expected].sort()));
      return true;
    }, { timeoutMs: 60_000, intervalMs: 1000 });
  }

  // Every run's history (each workflow's runs and children): well formed and replayable.
  // With `onlyIds`, writes those workflows' histories to disk for a post-mortem and returns.
  async checkHistories(onlyIds) {
    const ids = onlyIds ?? this.accepted.map((a) => a.workflowId);
    const histories = [];
    for (const workflowId of ids) {
      let runId = this.accepted.find((a) => a.workflowId === workflowId).runId;
      while (runId) {
        const history = await this.client.workflow.getHandle(workflowId, runId).fetchHistory();
        histories.push({ workflowId, runId, history });
        const last = history.events[history.events.length - 1];
        runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
        for (const e of history.events) {
          const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
          if (child) {
            histories.push({ workflowId: child.workflowId, runId: child.runId,
              history: await this.client.workflow.getHandle(child.workflowId, child.runId).fetchHistory() });
          }
        }
      }
    }
    if (onlyIds) {
      this.keep(histories);
      return {};
    }
    const problems = histories.flatMap(({ workflowId, runId, history }) =>
      historyProblems(history.events).map((p) => `${workflowId}/${runId}: ${p}`));
    const { Worker } = requireSdk('@temporalio/worker');
    const replayErrors = [];
    const replays = Worker.runReplayHistories({ workflowBundle: await workflowBundle(), replayName: 'chaos-replay' },
      histories.map(({ workflowId, history }) => ({ workflowId, history })));
    for await (const result of replays) {
      if (result.error) replayErrors.push(`${result.workflowId}/${result.runId}: ${result.error.message}`);
    }
    if (problems.length || replayErrors.length) this.keep(histories);
    assert.deepEqual(problems, [], 'malformed histories');
    assert.deepEqual(replayErrors, [], 'histories that do not replay');
    return { runs: histories.length, timerLatenessMs: histories.flatMap(({ history }) => timerLateness(history.events)) };
  }

  keep(histories) {
    const dir = path.join(this.tern.dir, 'histories');
    fs.mkdirSync(dir, { recursive: true });
    for (const { workflowId, runId, history } of histories) {
      fs.writeFileSync(path.join(dir, `${workflowId}-${runId}.json`), JSON.stringify(history, null, 1));
    }
    this.tern.failed = true; // keep the directory
  }

  // Neither the workflow nor the activity task queue keeps a backlog.
  async checkBacklog() {
    const backlog = async (taskQueueType) => Number((await this.connection.workflowService.describeTaskQueue({
      namespace: this.tern.namespace, taskQueue: { name: this.taskQueue }, taskQueueType, reportStats: true,
    })).stats.approximateBacklogCount);
    await waitFor('the task queues to have no backlog', async () =>
      (await backlog(WORKFLOW_TASK_QUEUE)) === 0 && (await backlog(ACTIVITY_TASK_QUEUE)) === 0,
    { timeoutMs: 60_000, intervalMs: 1000 });
  }
}

// Call inside describe(): before its tests, starts six processes (one frontend, two history hosts
// over 16 shards, two matching hosts, one worker service) and a Workload with its SDK worker;
// after them, stops both. Returns {tern, load}, filled in once started. `options` are more
// startTern options.
function useLoadedCluster(options = {}) {
  const cluster = {};
  before(async () => {
    cluster.tern = await startTern({ cluster: { history: 2, matching: 2 }, shards: 16, partitions: 2, ...options });
    cluster.load = new Workload(cluster.tern);
    await cluster.load.startWorker();
  });
  after(async () => {
    await cluster.load?.close();
    await cluster.tern?.stop();
  });
  return cluster;
}

// An error the SDK client gave up with, and the gRPC status under it when it wraps one (the
// client's ServiceError only says "Failed to start Workflow").
function describeError(err) {
  const cause = err.cause;
  const status = cause && cause.code !== undefined ? ` (gRPC status ${cause.code}: ${cause.details ?? cause.message})` : '';
  return `${err}${status}`;
}

module.exports = { Workload, describeError, historyProblems, useLoadedCluster };
