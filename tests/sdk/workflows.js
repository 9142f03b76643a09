'use strict';
// Workflow definitions shared by every SDK test file. The worker bundles this file (webpack via
// the SDK), so it may only use @temporalio/workflow: no Node APIs, no test-side modules.
const {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} = require('@temporalio/workflow');

const releaseSignal = defineSignal('release');

// One activity, then one durable timer; the result depends on both.
async function activityThenTimer(name, sleepMs) {
  const { greet } = proxyActivities({ startToCloseTimeout: '30s' });
  const greeting = await greet(name);
  await sleep(sleepMs);
  return `${greeting} after ${sleepMs}ms`;
}

// Fails the workflow (not the task) with a typed, non-retryable application failure.
async function failWithDetails(message, details) {
  throw ApplicationFailure.create({ type: 'MyError', message, details, nonRetryable: true });
}

// The activity fails on its first attempts; the server must retry it following the policy.
async function retryingActivity(key, failures) {
  const { flaky } = proxyActivities({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 10 },
  });
  const attempt = await flaky(key, failures);
  return `succeeded on attempt ${attempt}`;
}

// Stays open until signalled (or, given `timeoutMs`, until that timer fires), so tests can hold
// a workflow id.
async function waitForRelease(timeoutMs) {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  if (timeoutMs === undefined) await condition(() => released);
  else await condition(() => released, timeoutMs);
  return released ? 'released' : 'gave up';
}

async function timerOnly(sleepMs) {
  await sleep(sleepMs);
  return `timer ${sleepMs}ms fired`;
}

// The activity blocks until the test lets it finish (used across a server crash).
async function blockingActivity(flagPath) {
  const { waitForFlag } = proxyActivities({
    startToCloseTimeout: '60s',
    retry: { initialInterval: '200ms', backoffCoefficient: 1 },
  });
  const content = await waitForFlag(flagPath);
  return `flag said ${content}`;
}

// Collects `count` signals, arriving while workflow tasks run, and returns them in order.
const itemSignal = defineSignal('item');
async function collectSignals(count) {
  const items = [];
  setHandler(itemSignal, (item) => {
    items.push(item);
  });
  await condition(() => items.length >= count);
  return items;
}

// Sleeps until cancelled; cleanup in a non-cancellable scope still runs an activity.
async function cancellableSleep(sleepMs) {
  const { greet } = proxyActivities({ startToCloseTimeout: '30s' });
  try {
    await sleep(sleepMs);
    return 'not cancelled';
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => greet('cleanup'));
    throw err;
  }
}

// Continues as new until `n` reaches `max`; the chain's last run returns `n`.
async function continueAsNewCounter(n, max) {
  if (n < max) await continueAsNew(n + 1, max);
  return n;
}

// Fails (retryably) until the workflow retry policy reaches attempt `succeedOn`.
async function failUntilAttempt(succeedOn) {
  const { attempt } = workflowInfo();
  if (attempt < succeedOn) throw ApplicationFailure.retryable(`attempt ${attempt} fails`, 'Flaky');
  return attempt;
}

// ---- child workflows -------------------------------------------------------------------------

async function double(n) {
  return n * 2;
}

// Runs `count` children concurrently and sums their results.
async function parentOfDoubles(count) {
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      executeChild(double, { args: [i], workflowId: `${workflowInfo().workflowId}-child-${i}` }),
    ),
  );
  return results.reduce((a, b) => a + b, 0);
}

// A child's failure reaches the parent as a ChildWorkflowFailure around the original cause.
async function parentOfFailingChild() {
  try {
    await executeChild(failWithDetails, {
      args: ['child broke', ['d1']],
      workflowId: `${workflowInfo().workflowId}-child`,
    });
    return 'no failure';
  } catch (err) {
    return `${err.name}: ${err.cause?.type}: ${err.cause?.message}`;
  }
}

// Starts a long-running child with `policy`, then completes; the server applies the policy.
async function parentWithPolicy(policy, childId) {
  await startChild(cancellableSleep, {
    args: [600_000],
    workflowId: childId,
    parentClosePolicy: policy,
  });
  return 'parent done';
}

// Signals its child, which returns what it received.
async function parentSignalsChild() {
  const child = await startChild(collectSignals, {
    args: [1],
    workflowId: `${workflowInfo().workflowId}-child`,
  });
  await child.signal(itemSignal, 'from parent');
  return child.result();
}

// Signals (or cancels) another workflow by id and reports what happened.
async function signalExternal(targetId, payload) {
  try {
    await getExternalWorkflowHandle(targetId).signal(itemSignal, payload);
    return 'signalled';
  } catch (err) {
    return `failed: ${err.name}`;
  }
}

async function cancelExternal(targetId) {
  try {
    await getExternalWorkflowHandle(targetId).cancel();
    return 'cancel requested';
  } catch (err) {
    return `failed: ${err.name}`;
  }
}

// ---- updates ---------------------------------------------------------------------------------

const addUpdate = defineUpdate('add');
const finishSignal = defineSignal('finish');

// A counter changed by updates; the validator rejects negative numbers. Completes on `finish`.
async function counterWithUpdates() {
  let total = 0;
  let finished = false;
  setHandler(
    addUpdate,
    async (n) => {
      total += n;
      return total;
    },
    {
      validator: (n) => {
        if (n < 0) throw new Error(`negative numbers are not allowed: ${n}`);
      },
    },
  );
  setHandler(finishSignal, () => {
    finished = true;
  });
  await condition(() => finished);
  return total;
}

// ---- queries ---------------------------------------------------------------------------------

const stateQuery = defineQuery('state');
const describeQuery = defineQuery('describe');
const setStateSignal = defineSignal('setState');

// Holds a state that signals change and queries read; completes on `finish` with the state.
async function queryableState(initial) {
  let state = initial;
  let finished = false;
  setHandler(stateQuery, () => state);
  setHandler(describeQuery, (prefix) => `${prefix}: ${state}`);
  setHandler(setStateSignal, (next) => {
    state = next;
  });
  setHandler(finishSignal, () => {
    finished = true;
  });
  await condition(() => finished);
  return state;
}

module.exports = {
  activityThenTimer,
  counterWithUpdates,
  cancelExternal,
  double,
  parentOfDoubles,
  queryableState,
  parentOfFailingChild,
  parentSignalsChild,
  parentWithPolicy,
  signalExternal,
  continueAsNewCounter,
  failUntilAttempt,
  cancellableSleep,
  collectSignals,
  blockingActivity,
  failWithDetails,
  retryingActivity,
  timerOnly,
  waitForRelease,
};

// ---- activities, workflow timeouts, local activities ------------------------------------------
// (activities.test.js, workflow_timeouts.test.js, local_activities.test.js)
const workflowApi = require('@temporalio/workflow');

// Runs one activity with the options the test passes (timeouts, retry, task queue, ...). An
// ActivityFailure is a TemporalFailure, so it fails the workflow and reaches the client as the
// cause of WorkflowFailedError.
async function runActivity(activityType, args, options) {
  const activities = workflowApi.proxyActivities(options);
  return activities[activityType](...args);
}

// Starts an activity in a cancellation scope and cancels the scope on `release`; the activity's
// outcome (normally ActivityFailure(CancelledFailure)) is the workflow's outcome.
async function cancelActivityOnSignal(activityType, args, options) {
  let released = false;
  workflowApi.setHandler(releaseSignal, () => {
    released = true;
  });
  const activities = workflowApi.proxyActivities(options);
  const scope = new workflowApi.CancellationScope();
  const outcome = scope.run(() => activities[activityType](...args));
  outcome.catch(() => {}); // observed below, after the cancel
  await workflowApi.condition(() => released);
  scope.cancel();
  return await outcome;
}

// Runs one local activity with the options the test passes.
async function runLocalActivity(activityType, args, options) {
  const activities = workflowApi.proxyLocalActivities(options);
  return activities[activityType](...args);
}

// Patches, deterministic randomness and memo upserts. The first activation stores uuid4() and
// Math.random() in the memo; after a timer the workflow returns the values it computes then, which
// (on a worker that replays every task from history) come from the same seed.
async function patchesAndSideEffects() {
  const isPatched = workflowApi.patched('tern-patch');
  workflowApi.deprecatePatch('tern-deprecated-patch');
  const uuid = workflowApi.uuid4();
  const random = Math.random();
  workflowApi.upsertMemo({ uuid, random, addedByWorkflow: 'yes', removedByWorkflow: undefined });
  await workflowApi.sleep(10);
  return { isPatched, uuid, random, memo: workflowApi.workflowInfo().memo };
}

// Sleeps `sleepMs`, then continues as new, forever (ended by a timeout or a terminate).
async function sleepThenContinueAsNew(sleepMs) {
  await workflowApi.sleep(sleepMs);
  await workflowApi.continueAsNew(sleepMs);
}

// Throws a plain Error: the TypeScript SDK fails the workflow task (not the workflow) and the
// server keeps retrying the task.
async function failWorkflowTask(message) {
  throw new Error(message);
}

Object.assign(module.exports, {
  cancelActivityOnSignal,
  failWorkflowTask,
  patchesAndSideEffects,
  runActivity,
  runLocalActivity,
  sleepThenContinueAsNew,
});

// A cron workflow run: returns how many runs came before it (from the last completion result).
async function cronCounter() {
  const previous = workflowInfo().lastResult ?? 0;
  return previous + 1;
}

Object.assign(module.exports, { cronCounter });

// Runs `step('first')`, waits for `release`, runs `step('second')` and returns both results
// (reset.test.js: what a reset run re-executes and what it keeps).
async function stepsAroundSignal() {
  const { step } = proxyActivities({ startToCloseTimeout: '30s' });
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  const first = await step('first');
  await condition(() => released);
  const second = await step('second');
  return { first, second };
}

Object.assign(module.exports, { stepsAroundSignal });

// Upserts typed search attributes ([{ name, type, value }]: `type` a SearchAttributeType name
// such as 'KEYWORD', a DATETIME value an ISO string, null to unset), waits for `release`, and
// returns the attributes as the workflow sees them (visibility.test.js).
async function upsertSearchAttributesThenWait(updates) {
  const { defineSearchAttributeKey } = require('@temporalio/common');
  const { upsertSearchAttributes } = require('@temporalio/workflow');
  upsertSearchAttributes(updates.map(({ name, type, value }) => ({
    key: defineSearchAttributeKey(name, type),
    value: type === 'DATETIME' && value !== null ? new Date(value) : value,
  })));
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  await condition(() => released);
  return workflowInfo().typedSearchAttributes.getAll().map(({ key, value }) => [key.name, value]);
}

Object.assign(module.exports, { upsertSearchAttributesThenWait });

// An activity, a durable timer, the `release` signal and a second activity; returns both
// activity results (tests/deploy/compose.test.js kills a history host while it waits).
async function activityTimerSignal(name, sleepMs) {
  const { step } = proxyActivities({ startToCloseTimeout: '30s' });
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  const first = await step(`${name}:first`);
  await sleep(sleepMs);
  await condition(() => released);
  return [first, await step(`${name}:second`)];
}

Object.assign(module.exports, { activityTimerSignal });

// What a cluster fault can interrupt, in one run: an activity that fails its first attempt (the
// server retries it), a durable timer, a child workflow, the `release` signal (first run only)
// and continue-as-new for `generations` more runs; the last run returns its parts
// (tests/cluster/chaos.test.js kills Tern processes while many of these run).
async function chaosScenario(name, sleepMs, generations, signalled = false) {
  const { flakyStep, step } = proxyActivities({
    startToCloseTimeout: '20s',
    retry: { initialInterval: '200ms', backoffCoefficient: 1.5, maximumInterval: '2s' },
  });
  let released = signalled;
  setHandler(releaseSignal, () => {
    released = true;
  });
  const first = await flakyStep(`${name}:${generations}`);
  await sleep(sleepMs);
  const child = await executeChild(double, {
    args: [generations + 1],
    workflowId: `${workflowInfo().workflowId}-child-${generations}`,
  });
  await condition(() => released);
  if (generations > 0) await continueAsNew(name, sleepMs, generations - 1, true);
  return [first, child, await step(`${name}:last`)];
}

Object.assign(module.exports, { chaosScenario });

// ---- large histories -------------------------------------------------------------------------

const blobSignal = defineSignal('blob');

// Waits for `count` blob signals and returns the total of their lengths (the history holds
// them all; the result stays small).
async function sumSignalSizes(count) {
  let received = 0;
  let total = 0;
  setHandler(blobSignal, (blob) => {
    received += 1;
    total += blob.length;
  });
  await condition(() => received >= count);
  return total;
}
Object.assign(module.exports, { sumSignalSizes });

// Counts the runs of a schedule: each run returns the last run's result plus one.
async function countRuns() {
  const last = workflowInfo().lastResult;
  return (typeof last === 'number' ? last : 0) + 1;
}
Object.assign(module.exports, { countRuns });

