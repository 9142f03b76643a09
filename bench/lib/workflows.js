'use strict';
// The benchmark workflow. The worker bundles this file (webpack via the SDK), so it may only use
// @temporalio/workflow: no Node APIs.
const { proxyActivities } = require('@temporalio/workflow');

const { noop } = proxyActivities({ startToCloseTimeout: '60s' });

// One trivial activity, then complete with its result.
async function oneActivity(n) {
  return noop(n);
}

module.exports = { oneActivity };
