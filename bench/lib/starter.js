'use strict';
// A client process of bench/open-workflows: starts workflows that wait on a start delay, as fast
// as the server takes them, with a fixed number of calls in flight. It is a process of its own
// (forked by open-workflows.js) so that several can run, each with its CPU measured apart.
// Protocol over the IPC channel:
//   child -> parent  {type: 'ready'} once connected, {type: 'failed', error} if it cannot run
//   parent -> child  {type: 'start', job, ids: [from, to), concurrency, delayMs}: start the
//                    workflows `${BENCH_PREFIX}-${i}` for i in [from, to)
//   child -> parent  {type: 'progress', job, latencies, errors} about every 250 ms while the job
//                    runs (each call's latency in ms; the errors {workflowId, error}), then
//                    {type: 'done', job} after the last call
// The child exits as soon as the IPC channel closes, so it never outlives the bench.
//
// Each start is one raw StartWorkflowExecution through the SDK's Connection (its retry
// interceptor retries UNAVAILABLE and RESOURCE_EXHAUSTED with the same request id): the SDK's
// client.workflow.start does the same call plus payload conversion and interceptors, which cost
// the client CPU without changing what the server does.
//
// Env: BENCH_ADDRESS, BENCH_NAMESPACE, BENCH_PREFIX (workflow ids), BENCH_TASK_QUEUE,
// BENCH_WORKFLOW_TYPE.

const crypto = require('node:crypto');
const { performance } = require('node:perf_hooks');

const { Connection } = require('@temporalio/client');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`starter: ${name} is not set`);
  return value;
};
const PROGRESS_INTERVAL_MS = 250;
// A job gives up after this many failed calls: the server is not taking starts.
const MAX_ERRORS = 100;

async function main() {
  const namespace = env('BENCH_NAMESPACE');
  const prefix = env('BENCH_PREFIX');
  const taskQueue = { name: env('BENCH_TASK_QUEUE') };
  const workflowType = { name: env('BENCH_WORKFLOW_TYPE') };
  const identity = `open-workflows-starter-${process.pid}`;
  const connection = await Connection.connect({ address: env('BENCH_ADDRESS') });
  const service = connection.workflowService;

  async function run({ job, ids: [from, to], concurrency, delayMs }) {
    const workflowStartDelay = { seconds: Math.floor(delayMs / 1000), nanos: (delayMs % 1000) * 1e6 };
    let latencies = [];
    let errors = [];
    let failed = 0;
    const flush = () => {
      if (latencies.length || errors.length) process.send({ type: 'progress', job, latencies, errors });
      latencies = [];
      errors = [];
    };
    const timer = setInterval(flush, PROGRESS_INTERVAL_MS);
    let next = from;
    const loop = async () => {
      while (next < to && failed < MAX_ERRORS) {
        const workflowId = `${prefix}-${next++}`;
        const t0 = performance.now();
        try {
          await service.startWorkflowExecution({
            namespace, workflowId, workflowType, taskQueue, identity, workflowStartDelay,
            requestId: crypto.randomUUID(),
          });
          latencies.push(Math.round((performance.now() - t0) * 100) / 100);
        } catch (err) {
          failed++;
          errors.push({ workflowId, error: String(err.message || err) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, to - from) }, loop));
    clearInterval(timer);
    flush();
    process.send({ type: 'done', job, notStarted: to - next });
  }

  process.on('message', (msg) => {
    if (msg?.type === 'start') {
      run(msg).catch((err) => {
        console.error(`starter: ${err.stack || err}`);
        process.exit(1);
      });
    }
  });
  process.on('disconnect', () => process.exit(0)); // the bench went away
  process.send({ type: 'ready' });
}

main().catch((err) => {
  console.error(`starter: ${err.stack || err}`);
  if (process.connected) process.send({ type: 'failed', error: String(err.message || err) });
  process.exit(1);
});
