'use strict';
// The benchmark workflows, one per scenario (lib/scenarios.js). The worker bundles this file
// (webpack via the SDK), so it may only use @temporalio/workflow: no Node APIs.
const { condition, defineSignal, proxyActivities, setHandler } = require('@temporalio/workflow');

// `eager` false: the activity tasks go through matching even when the SDK could run them eagerly.
const eagerActivities = proxyActivities({ startToCloseTimeout: '60s' });
const matchedActivities = proxyActivities({ startToCloseTimeout: '60s', allowEagerDispatch: false });
const noopOf = (eager = true) => (eager ? eagerActivities : matchedActivities).noop;

// One trivial activity, then complete with its result.
async function oneActivity(n, eager) {
  return noopOf(eager)(n);
}

// `count` activities started at once; completes when all have, with the sum of their results.
async function fanOut(count, eager) {
  const noop = noopOf(eager);
  const results = await Promise.all(Array.from({ length: count }, (_, i) => noop(i)));
  return results.reduce((a, b) => a + b, 0);
}

// `count` activities one after another: one workflow task per activity.
async function sequential(count, eager) {
  const noop = noopOf(eager);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += await noop(i);
  return sum;
}

// Completes once it has received `count` signals; returns the sum of their arguments.
const itemSignal = defineSignal('item');
async function collectSignals(count) {
  let received = 0;
  let sum = 0;
  setHandler(itemSignal, (n) => {
    received += 1;
    sum += n;
  });
  await condition(() => received >= count);
  return sum;
}

module.exports = { collectSignals, fanOut, oneActivity, sequential };
