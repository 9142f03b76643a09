'use strict';
// The benchmark's SDK worker, run as its own process (forked by bench.js) so that its CPU time
// can be measured apart from the client's. Protocol over the IPC channel:
//   child -> parent  {type: 'ready'} once polling, {type: 'failed', error} if it cannot run
//   parent -> child  {type: 'stop'}: shut down gracefully and exit
// The child exits as soon as the IPC channel closes, so it never outlives the bench.
//
// Env: BENCH_ADDRESS, BENCH_WORKER (the settings of createBenchWorker below as JSON, from
// stack.js workerSettings); optional BENCH_CONNECTION (TLS and API key as JSON, see
// connection.js).

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } =
  require('@temporalio/worker');

const { sdkConnectionOptions } = require('./connection');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`worker: ${name} is not set`);
  return value;
};

// Builds the workflow bundle once per content and SDK version, cached in the temp dir (the
// write is atomic, so concurrent benches can race safely).
async function workflowBundle(sdkModules) {
  const workflowsPath = path.join(__dirname, 'workflows.js');
  const sdkVersion = require('@temporalio/workflow/package.json').version;
  const hash = crypto
    .createHash('sha256')
    .update(fs.readFileSync(workflowsPath))
    .update(sdkVersion)
    .digest('hex')
    .slice(0, 16);
  const cached = path.join(os.tmpdir(), `tern-bench-workflows-${hash}.js`);
  if (fs.existsSync(cached)) return { code: fs.readFileSync(cached, 'utf8') };
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: new DefaultLogger('WARN'),
    // bench/ has no node_modules of its own: resolve @temporalio/workflow from the SDK tests'.
    webpackConfigHook: (config) => {
      config.resolve.modules = [...(config.resolve.modules || []), sdkModules];
      return config;
    },
  });
  const tmp = `${cached}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, cached);
  return { code };
}

// The bench's worker on `connection`: the workflows of workflows.js and the noop activity.
// `settings` (stack.js workerSettings): sdkModules (the node_modules directory holding
// @temporalio/*), namespace, taskQueue, slots, pollers (maximum concurrent polls per task type;
// 0: the SDK's default), stickyRatio (nonStickyToStickyPollRatio) and maxCached
// (maxCachedWorkflows; 0 disables the cache and with it stickiness; '': the SDK's defaults).
// Also used by bench.js for the worker it runs in its own process with --eager-start.
async function createBenchWorker(connection, { sdkModules, namespace, taskQueue, slots, pollers, stickyRatio, maxCached }) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(sdkModules),
    activities: {
      async noop(n) {
        return n;
      },
    },
    maxConcurrentWorkflowTaskExecutions: slots,
    maxConcurrentActivityTaskExecutions: slots,
    ...(pollers > 0
      ? {
          workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: pollers },
          activityTaskPollerBehavior: { type: 'simple-maximum', maximum: pollers },
        }
      : {}),
    ...(stickyRatio !== '' ? { nonStickyToStickyPollRatio: Number(stickyRatio) } : {}),
    ...(maxCached !== '' ? { maxCachedWorkflows: Number(maxCached) } : {}),
  });
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect(
    sdkConnectionOptions(env('BENCH_ADDRESS'), JSON.parse(process.env.BENCH_CONNECTION || '{}')));
  const worker = await createBenchWorker(connection, JSON.parse(env('BENCH_WORKER')));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('message', (msg) => {
    if (msg && msg.type === 'stop') stop();
  });
  process.on('disconnect', () => process.exit(0)); // the bench went away
  const running = worker.run();
  process.send({ type: 'ready' });
  await running;
  await connection.close();
  process.exit(0);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`worker: ${err.stack || err}`);
    if (process.connected) process.send({ type: 'failed', error: String(err.message || err) });
    process.exit(1);
  });
}

module.exports = { createBenchWorker };
