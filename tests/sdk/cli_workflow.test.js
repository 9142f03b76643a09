'use strict';
// The `tern workflow` verbs operators use for manual intervention (start, execute, result, query,
// stack, update, reset), against a real server and an SDK worker, checked by what a user sees:
// exit codes, printed results, and what the SDK client reads back.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');
const { fails, ok, run } = require('./lib/cli');

// temporal.api.enums.v1.EventType
const EV = { WORKFLOW_TASK_COMPLETED: 7, WORKFLOW_EXECUTION_SIGNALED: 26 };

describe('tern workflow verbs', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let server, client, connection, worker, taskQueue, scratch;
  const tern = (args, options) => run(['--address', server.address, ...args], options);
  const ternJson = async (args) =>
    JSON.parse(ok(await tern(['-o', 'json', ...args]), args.join(' ')));
  // "Key  value" lines as an object.
  const fields = (stdout) => Object.fromEntries(stdout.trimEnd().split('\n')
    .map((line) => line.match(/^(\S+)\s+(.*)$/).slice(1)));

  before(async () => {
    server = await startTern();
    ({ client, connection } = await connectClient(server));
    taskQueue = uniqueName('cli-verbs');
    worker = await startWorker(server, { taskQueue });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-cli-verbs-'));
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await server?.stop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('start prints the ids; result waits and prints the value', async () => {
    const workflowId = uniqueName('cli-start');
    const started = fields(ok(await tern(['workflow', 'start', '--type', 'double', '-t', taskQueue,
      '-w', workflowId, '--input', '21']), 'start'));
    assert.equal(started.WorkflowId, workflowId);
    assert.equal(started.Type, 'double');
    const description = await client.workflow.getHandle(workflowId).describe();
    assert.equal(started.RunId, description.runId);

    const result = fields(ok(await tern(['workflow', 'result', '-w', workflowId]), 'result'));
    assert.deepEqual(result, { Status: 'Completed', Result: '42' });
    const json = await ternJson(['workflow', 'result', '-w', workflowId]);
    assert.deepEqual(json, { workflowId, runId: started.RunId, status: 'Completed', result: 42 });
  });

  it('start without -w picks a UUID; JSON output names it', async () => {
    const json = await ternJson(['workflow', 'start', '--type', 'double', '-t', taskQueue,
      '-i', '1']);
    assert.match(json.workflowId, /^[0-9a-f-]{36}$/);
    assert.equal(await client.workflow.getHandle(json.workflowId).result(), 2);
  });

  it('execute follows continue-as-new to the last run, with input from files', async () => {
    const workflowId = uniqueName('cli-execute');
    const n = path.join(scratch, 'n.json');
    const max = path.join(scratch, 'max.json');
    fs.writeFileSync(n, '0\n');
    fs.writeFileSync(max, '3');
    const json = await ternJson(['workflow', 'execute', '--type', 'continueAsNewCounter',
      '-t', taskQueue, '-w', workflowId, '--input-file', n, '--input-file', max]);
    assert.equal(json.status, 'Completed');
    assert.equal(json.result, 3);
    const last = await client.workflow.getHandle(workflowId).describe();
    assert.equal(json.runId, last.runId);
  });

  it('execute of a failing workflow prints the failure and exits 1', async () => {
    const workflowId = uniqueName('cli-fails');
    const result = await tern(['workflow', 'execute', '--type', 'failWithDetails', '-t', taskQueue,
      '-w', workflowId, '-i', '"out of stock"', '-i', '{"sku": "A-1"}']);
    const line = fails(result, 1, 'execute failing workflow');
    assert.equal(line, `tern workflow execute: workflow ${workflowId} run ` +
      `${fields(result.stdout).RunId} ended Failed: out of stock`);
    assert.equal(fields(result.stdout).Status, 'Failed');
  });

  it('refuses bad input before anything is started', async () => {
    const workflowId = uniqueName('cli-bad-input');
    const file = path.join(scratch, 'broken.json');
    fs.writeFileSync(file, '{qty: 2}');  // keys must be quoted in JSON
    const both = fails(await tern(['workflow', 'start', '--type', 'double', '-t', taskQueue,
      '-w', workflowId, '-i', '1', '--input-file', file]), 1, 'both inputs');
    assert.match(both, /give the input with --input or --input-file, not both/);
    const broken = fails(await tern(['workflow', 'start', '--type', 'double', '-t', taskQueue,
      '-w', workflowId, '--input-file', file]), 1, 'broken file');
    assert.match(broken, new RegExp(`--input-file ${file} is not valid JSON`));
    const missing = fails(await tern(['workflow', 'start', '--type', 'double', '-t', taskQueue,
      '-w', workflowId, '--input-file', path.join(scratch, 'nope.json')]), 1, 'missing file');
    assert.match(missing, /nope\.json cannot be read/);
    const noType = fails(await tern(['workflow', 'start', '-t', taskQueue]), 2, 'no --type');
    assert.match(noType, /--type/);
    const describe = await tern(['workflow', 'describe', '-w', workflowId]);
    assert.equal(describe.code, 1, 'nothing was started');
  });

  it('query answers with the handler\'s value; stack shows where the code waits', async () => {
    const workflowId = uniqueName('cli-query');
    const handle = await client.workflow.start('queryableState', {
      taskQueue, workflowId, args: ['packing'],
    });
    assert.equal(ok(await tern(['workflow', 'query', '-w', workflowId, '--name', 'state']),
      'query'), '"packing"\n');
    assert.equal(ok(await tern(['workflow', 'query', '-w', workflowId, '--name', 'describe',
      '-i', '"now"']), 'query with input'), '"now: packing"\n');
    const unknown = fails(await tern(['workflow', 'query', '-w', workflowId, '--name', 'nope']),
      1, 'unknown query');
    assert.match(unknown, new RegExp(`failed to query workflow ${workflowId} for nope: `));
    const stack = ok(await tern(['workflow', 'stack', '-w', workflowId]), 'stack');
    assert.match(stack, /queryableState/);

    await handle.signal('finish');
    await handle.result();
    const rejected = fails(await tern(['workflow', 'query', '-w', workflowId, '--name', 'state',
      '--reject-condition', 'NotOpen']), 1, 'query of a closed workflow');
    assert.match(rejected, /rejected, the workflow is Completed/);
  });

  it('update execute returns the result, start and result split it, a rejection exits 1', async () => {
    const workflowId = uniqueName('cli-update');
    const handle = await client.workflow.start('counterWithUpdates', { taskQueue, workflowId });
    const first = fields(ok(await tern(['workflow', 'update', 'execute', '-w', workflowId,
      '--name', 'add', '-i', '5', '--update-id', 'first']), 'update execute'));
    assert.deepEqual(first, { UpdateId: 'first', Result: '5' });

    const started = await ternJson(['workflow', 'update', 'start', '-w', workflowId,
      '--name', 'add', '-i', '3']);
    assert.ok(started.updateId);
    const later = await ternJson(['workflow', 'update', 'result', '-w', workflowId,
      '--update-id', started.updateId]);
    assert.deepEqual(later, { updateId: started.updateId, result: 8 });

    const rejected = fails(await tern(['workflow', 'update', 'execute', '-w', workflowId,
      '--name', 'add', '-i', '-2']), 1, 'rejected update');
    assert.match(rejected, /update .* failed: negative numbers are not allowed: -2/);
    await handle.signal('finish');
    assert.equal(await handle.result(), 8, 'the rejected update changed nothing');
  });

  it('reset starts a new run from a workflow task, re-applying signals unless excluded', async () => {
    const workflowId = uniqueName('cli-reset');
    const handle = await client.workflow.start('collectSignals', { taskQueue, workflowId, args: [2] });
    await handle.signal('item', 'a');
    await waitFor('the signal handled', async () => {
      const { events } = await handle.fetchHistory();
      const signaled = events.findIndex((e) => e.eventType === EV.WORKFLOW_EXECUTION_SIGNALED);
      return signaled >= 0 && events.slice(signaled).some((e) => e.eventType === EV.WORKFLOW_TASK_COMPLETED);
    });
    const signalsIn = async (runId) => (await client.workflow.getHandle(workflowId, runId)
      .fetchHistory()).events.filter((e) => e.eventType === EV.WORKFLOW_EXECUTION_SIGNALED).length;

    const kept = fields(ok(await tern(['workflow', 'reset', '-w', workflowId, '--type',
      'FirstWorkflowTask', '--reason', 'replay the order']), 'reset'));
    assert.notEqual(kept.RunId, handle.firstExecutionRunId);
    assert.equal(await signalsIn(kept.RunId), 1, 'the signal was re-applied');
    const reset = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
    assert.equal(reset.status.name, 'TERMINATED');

    // Again from the original run (the reset run's own first task comes after the re-applied
    // signal), this time leaving the signal out.
    const dropped = fields(ok(await tern(['workflow', 'reset', '-w', workflowId, '-r',
      handle.firstExecutionRunId, '--type', 'FirstWorkflowTask', '--reason', 'without the signal',
      '--reapply-exclude', 'Signal']), 'reset excluding signals'));
    assert.equal(await signalsIn(dropped.RunId), 0, 'the signal was not re-applied');

    await client.workflow.getHandle(workflowId).signal('item', 'b');
    await client.workflow.getHandle(workflowId).signal('item', 'c');
    assert.deepEqual(await client.workflow.getHandle(workflowId, dropped.RunId).result(), ['b', 'c']);

    const both = fails(await tern(['workflow', 'reset', '-w', workflowId, '-e', '3', '--type',
      'LastWorkflowTask', '--reason', 'x']), 1, 'reset with --event-id and --type');
    assert.match(both, /exactly one of --event-id and --type/);
  });
});
