'use strict';
// Overload: far more concurrent starts than the frontend serves (FLOOD calls, CONCURRENCY at a
// time, none retried, ten times frontend.maxConcurrentRequests, set to MOST here so that the
// flood stays small enough to drain quickly) against the four services as separate
// processes. The frontend sheds what
// it cannot take with RESOURCE_EXHAUSTED (SYSTEM_OVERLOADED) at once, instead of letting calls
// queue until their deadline: every call ends OK or RESOURCE_EXHAUSTED, never DEADLINE_EXCEEDED
// or UNAVAILABLE; no process dies and none grows past MEMORY_BOUND_MB; once the flood stops
// the worker drains the backlog and every accepted workflow completes.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, decodeFields, dumpLogsOnFailure, grpcStatusDetails, startTern, startWorker, uniqueName,
  waitFor,
} = require('../sdk/lib/harness');

const FLOOD = Number(process.env.TERN_OVERLOAD_CALLS || 4000);
const MOST = 100;
const CONCURRENCY = 10 * MOST;
const CONNECTIONS = 8;
const DEADLINE_MS = 30_000;
const MEMORY_BOUND_MB = 512;
const OK = 0;
const RESOURCE_EXHAUSTED = 8;
const SYSTEM_OVERLOADED = 3;

// Peak resident memory of a process (VmHWM), in MiB.
function peakMemoryMb(pid) {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kb / 1024);
}

describe('overload', { timeout: 900_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  let worker;
  const taskQueue = uniqueName('overload');
  before(async () => {
    tern = await startTern({ cluster: true, dynamicConfig: { 'frontend.maxConcurrentRequests': MOST } });
    worker = await startWorker(tern, { taskQueue });
  });
  after(async () => {
    await worker?.stop();
    await tern?.stop();
  });

  it('sheds what it cannot serve with RESOURCE_EXHAUSTED and completes what it accepted', async () => {
    const connections = await Promise.all(Array.from({ length: CONNECTIONS },
      () => connectClient(tern, tern.namespace, { interceptors: [] })));
    const outcomes = new Map(); // gRPC code -> count
    const refusals = [];
    let next = 0;
    try {
      const caller = async (i) => {
        const { connection } = connections[i % CONNECTIONS];
        while (next < FLOOD) {
          const n = next++;
          const code = await connection.withDeadline(Date.now() + DEADLINE_MS,
            () => connection.workflowService.startWorkflowExecution({
              namespace: tern.namespace,
              workflowId: `${taskQueue}-${n}`,
              workflowType: { name: 'double' },
              taskQueue: { name: taskQueue },
              identity: 'overload-test',
              requestId: `${taskQueue}-${n}`,
            })).then(() => OK, (err) => {
            if (err.code === RESOURCE_EXHAUSTED && refusals.length < 5) refusals.push(err);
            return err.code ?? String(err);
          });
          outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => caller(i)));
    } finally {
      await Promise.all(connections.map(({ connection }) => connection.close()));
    }
    const memoryMb = Object.fromEntries(Object.entries(tern.pids()).map(([name, pid]) => [name, peakMemoryMb(pid)]));
    const accepted = outcomes.get(OK) ?? 0;
    console.log(`overload: ${JSON.stringify({ calls: FLOOD, concurrency: CONCURRENCY, outcomes: Object.fromEntries(outcomes), memoryMb })}`);

    assert.deepEqual([...outcomes.keys()].filter((c) => c !== OK && c !== RESOURCE_EXHAUSTED), [],
      'calls that ended otherwise than OK or RESOURCE_EXHAUSTED');
    assert.ok((outcomes.get(RESOURCE_EXHAUSTED) ?? 0) > 0, 'nothing was shed');
    for (const err of refusals) {
      const detail = grpcStatusDetails(err).find((d) => d.typeName === 'temporal.api.errordetails.v1.ResourceExhaustedFailure');
      assert.equal(decodeFields(detail.value).find((f) => f.field === 1)?.value, SYSTEM_OVERLOADED, String(err));
    }
    for (const [name, child] of tern.procs) assert.equal(child.exitInfo, undefined, `${name} exited`);
    for (const [name, mb] of Object.entries(memoryMb)) {
      assert.ok(mb < MEMORY_BOUND_MB, `${name} peaked at ${mb} MiB`);
    }

    // The backlog drains: every accepted workflow completes.
    const { client, connection } = await connectClient(tern);
    try {
      const count = async (status) => (await client.workflow.count(
        `TaskQueue = "${taskQueue}" AND ExecutionStatus = "${status}"`)).count;
      await waitFor('every accepted workflow to complete', async () => (await count('Completed')) === accepted,
        { timeoutMs: 600_000, intervalMs: 2000 });
      assert.equal(await count('Running'), 0);
    } finally {
      await connection.close();
    }
    assert.equal(worker.failed, undefined);
  });
});
