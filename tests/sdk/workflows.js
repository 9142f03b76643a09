'use strict';
// Workflow definitions shared by every SDK test file. The worker bundles this file (webpack via
// the SDK), so it may only use @temporalio/workflow: no Node APIs, no test-side modules.
const {
  ApplicationFailure,
  condition,
  defineSignal,
  proxyActivities,
  setHandler,
  sleep,
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

// Stays open until signalled, so tests can hold a workflow id.
async function waitForRelease() {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  await condition(() => released);
  return 'released';
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

module.exports = {
  activityThenTimer,
  blockingActivity,
  failWithDetails,
  retryingActivity,
  timerOnly,
  waitForRelease,
};
