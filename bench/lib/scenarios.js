'use strict';
// The workloads bench/run can drive (`--scenario NAME`). Each names a workflow of workflows.js,
// its arguments and expected result, the unit of work it counts (activities or signals), and
// its defaults; `signals` also sends signals to the workflow while it runs.
//
//   workflow          workflow type in workflows.js
//   args(i, o)        its arguments for the i-th workflow, o = the parsed options (the activity
//                     workflows take o.eagerActivities last)
//   expected(i, o)    the result it must return
//   unit(o)           {name, perWorkflow}: what throughput and CPU are also counted in
//   describe(o)       what one workflow does, for the output's title
//   defaults          workflows, concurrency, warm-up (and activities) when not given
//   matchingTasks     matching tasks per workflow when the number is fixed (for the backlog line)
//   during(handle, i, o, record)  optional: runs while the client waits for the result; resolves
//                     when done, rejects to fail the workflow; record(ms) logs one signal call

const { performance } = require('node:perf_hooks');

const sumBelow = (n) => (n * (n - 1)) / 2; // 0 + 1 + ... + (n - 1)

// A workflow of o.activities activities that returns the sum of their results, 0..n-1.
const withActivities = (workflow, how, defaultCount) => ({
  workflow,
  args: (i, o) => [o.activities, o.eagerActivities],
  expected: (i, o) => sumBelow(o.activities),
  unit: (o) => ({ name: 'activities', perWorkflow: o.activities }),
  describe: (o) => `${o.activities} ${how}`,
  defaults: { workflows: 100, concurrency: 20, warmup: 10, activities: defaultCount },
});

const SCENARIOS = {
  'one-activity': {
    workflow: 'oneActivity',
    args: (i, o) => [i, o.eagerActivities],
    expected: (i) => i,
    unit: () => ({ name: 'activities', perWorkflow: 1 }),
    describe: () => '1 activity',
    defaults: { workflows: 1000, concurrency: 50, warmup: 50 },
    matchingTasks: '3: 2 workflow tasks + 1 activity task',
  },
  'fan-out': withActivities('fanOut', 'activities in parallel', 50),
  sequential: withActivities('sequential', 'sequential activities', 20),
  signals: {
    workflow: 'collectSignals',
    args: (i, o) => [o.signals],
    expected: (i, o) => sumBelow(o.signals),
    unit: (o) => ({ name: 'signals', perWorkflow: o.signals }),
    describe: (o) => `waits for ${o.signals} signals (${o.signalConcurrency} in flight per workflow)`,
    defaults: { workflows: 200, concurrency: 20, warmup: 10 },
    // Signals 0..n-1, at most signalConcurrency of them in flight for this workflow.
    async during(handle, i, o, record) {
      let next = 0;
      const sender = async () => {
        while (next < o.signals) {
          const k = next++;
          const t0 = performance.now();
          await handle.signal('item', k);
          record(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.signalConcurrency, o.signals) }, sender));
    },
  },
};

module.exports = { SCENARIOS };
