'use strict';
// The `tern` admin CLI against a real server: exit codes, stdout (tables and JSON) and the one
// line on stderr a user sees, with workflows started and completed through the official SDK.
const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { WorkflowFailedError } = require('@temporalio/client');

const {
  connectClient, dumpLogsOnFailure, freePorts, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');
const { fails, ok, run } = require('./lib/cli');

describe('tern CLI', () => {
  dumpLogsOnFailure();
  let server, client, connection, worker, taskQueue;
  // `tern --address <server> <args>`.
  const tern = (args, options) => run(['--address', server.address, ...args], options);
  const ternJson = async (args) =>
    JSON.parse(ok(await tern(['-o', 'json', ...args]), args.join(' ')));

  before(async () => {
    server = await startTern();
    ({ client, connection } = await connectClient(server));
    taskQueue = uniqueName('cli');
    worker = await startWorker(server, {
      taskQueue,
      activities: {
        async greet(name) {
          return `hello ${name}`;
        },
      },
    });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await server?.stop();
  });

  // ---- cluster and usage -------------------------------------------------------------------

  it('cluster health prints SERVING', async () => {
    const result = await tern(['cluster', 'health']);
    assert.equal(ok(result, 'cluster health'), 'SERVING\n');
    assert.equal(result.stderr, '');
  });

  it('a bad address exits 1 with one line naming it', async () => {
    const [port] = await freePorts(1); // nothing listens there once freePorts returns
    const result = await run(['--address', `127.0.0.1:${port}`, '--command-timeout', '5s',
      'cluster', 'health']);
    const line = fails(result, 1, 'health of a closed port');
    assert.match(line, new RegExp(`^tern cluster health: .*127\\.0\\.0\\.1:${port}`));
    assert.equal(result.stdout, '');
  });

  it('an unknown flag exits 2 with one line and a hint', async () => {
    const result = await tern(['workflow', 'describe', '-w', 'x', '--bogus']);
    const line = fails(result, 2, 'unknown flag');
    assert.match(line, /^tern workflow describe: unknown flag --bogus/);
    assert.match(line, /see 'tern workflow describe --help'/);
  });

  it('--help on a new command exits 0 and lists its flags', async () => {
    const help = ok(await tern(['workflow', 'signal', '--help']), 'workflow signal --help');
    assert.match(help, /^Usage:\n {2}tern workflow signal \[flags\]$/m);
    assert.match(help, /-w, --workflow-id ID/);
    assert.match(help, /--name NAME/);
  });

  // ---- namespaces --------------------------------------------------------------------------

  it('namespace create, describe and update', async () => {
    const ns = uniqueName('cli-ns');
    const created = await tern(['operator', 'namespace', 'create', '-n', ns, '--retention', '30d',
      '--description', 'first', '--owner-email', 'ops@example.com']);
    assert.equal(ok(created, 'namespace create'), `Namespace ${ns} created.\n`);

    let described = await ternJson(['operator', 'namespace', 'describe', '-n', ns]);
    assert.equal(described.namespaceInfo.name, ns);
    assert.equal(described.namespaceInfo.description, 'first');
    assert.equal(described.namespaceInfo.ownerEmail, 'ops@example.com');
    assert.equal(described.config.workflowExecutionRetentionTtl, '2592000s');

    ok(await tern(['operator', 'namespace', 'update', ns, '--retention', '7d',
      '--description', 'second']), 'namespace update');
    described = await ternJson(['operator', 'namespace', 'describe', ns]);
    assert.equal(described.config.workflowExecutionRetentionTtl, '604800s');
    assert.equal(described.namespaceInfo.description, 'second');
    assert.equal(described.namespaceInfo.ownerEmail, 'ops@example.com', 'not given, unchanged');

    const table = ok(await tern(['operator', 'namespace', 'describe', ns]), 'describe');
    assert.match(table, /^Retention\s+7d$/m);
    assert.match(table, /^State\s+Registered$/m);
    const listed = ok(await tern(['operator', 'namespace', 'list']), 'namespace list');
    assert.match(listed, new RegExp(`^${ns}\\s`, 'm'));
  });

  it('describe of an unknown namespace exits 1 with the server\'s reason', async () => {
    const line = fails(await tern(['operator', 'namespace', 'describe', '-n', 'no-such-ns']), 1,
      'describe unknown namespace');
    assert.match(line,
      /^tern operator namespace describe: failed to describe namespace no-such-ns: /);
  });

  it('namespace delete without --yes refuses in a script and changes nothing', async () => {
    const ns = uniqueName('cli-keep');
    ok(await tern(['operator', 'namespace', 'create', '-n', ns]), 'namespace create');
    const line = fails(await tern(['operator', 'namespace', 'delete', '-n', ns]), 1,
      'delete without --yes');
    assert.match(line, /refusing to delete namespace .* add --yes$/);
    ok(await tern(['operator', 'namespace', 'describe', '-n', ns]), 'still there');
  });

  it('namespace delete --yes removes the namespace', async () => {
      const ns = uniqueName('cli-del');
      ok(await tern(['operator', 'namespace', 'create', '-n', ns]), 'namespace create');
      const deleted = await tern(['operator', 'namespace', 'delete', '-n', ns, '--yes']);
      assert.equal(ok(deleted, 'namespace delete'), `Namespace ${ns} deleted.\n`);
      await waitFor(`describe of deleted namespace ${ns} to fail`, async () => {
        const result = await tern(['operator', 'namespace', 'describe', '-n', ns]);
        if (result.code === 0) return false;
        const line = fails(result, 1, 'describe deleted namespace');
        assert.match(line, /failed to describe namespace/);
        return true;
      });
    });

  // ---- task queues -------------------------------------------------------------------------

  it('task-queue describe shows the pollers, the backlog and the task rates', async () => {
    const polled = await ternJson(['task-queue', 'describe', '-t', taskQueue]);
    assert.ok(polled.workflow.pollers.length >= 1, JSON.stringify(polled));
    assert.ok(polled.activity.pollers.length >= 1, JSON.stringify(polled));
    // The worker set no task-queue rate limit: Temporal's default dispatch rate.
    assert.equal(polled.activity.pollers[0].ratePerSecond, 100000);
    assert.equal(Number(polled.workflow.stats?.approximateBacklogCount ?? 0), 0);

    const idle = uniqueName('cli-unpolled');
    await client.workflow.start('waitForRelease', { taskQueue: idle, workflowId: uniqueName('cli-idle') });
    await waitFor('the unpolled task to be counted', async () => {
      const described = await ternJson(['task-queue', 'describe', '-t', idle, '--task-queue-type', 'workflow']);
      assert.equal(described.activity, undefined);
      return Number(described.workflow.stats?.approximateBacklogCount ?? 0) === 1;
    });
    const table = ok(await tern(['task-queue', 'describe', '-t', idle]), 'task-queue describe');
    assert.match(table, new RegExp(
      '^Task Queue Statistics:\\n' +
      'TaskQueueType +ApproximateBacklogCount +ApproximateBacklogAge +BacklogIncreaseRate +TasksAddRate +TasksDispatchRate\\n' +
      // One workflow task added (its add rate fades after 30 s), none ever dispatched.
      'Workflow +1 +\\S+ +\\d+\\.\\d\\d +\\d+\\.\\d\\d +0\\.00\\n' +
      'Activity +0 +0\\.0s +0\\.00 +0\\.00 +0\\.00\\n'));
    assert.match(table, /\nPollers:\nTaskQueueType +Identity +LastAccessTime +RatePerSecond\n$/);

    const missing = await tern(['task-queue', 'describe']);
    fails(missing, 2, 'task-queue describe without -t');

    // The partitions (4 by default) of each type and the matching host that owns them.
    const partitions = ok(await tern(['task-queue', 'list-partition', '-t', idle]), 'list-partition');
    const rows = `${idle} +\\S+\\n(/_sys/${idle}/[123] +\\S+\\n){3}`;
    assert.match(partitions, new RegExp(
      `^Workflow Task Queue Partitions:\\nPartition +OwnerHost\\n${rows}` +
      `\\nActivity Task Queue Partitions:\\nPartition +OwnerHost\\n${rows}$`));
  });

  // ---- workflows ---------------------------------------------------------------------------

  it('workflow describe and show a running workflow', async () => {
    const workflowId = uniqueName('cli-describe');
    const handle = await client.workflow.start('waitForRelease', { taskQueue, workflowId });
    await waitFor('the first workflow task to complete', async () => {
      const history = await handle.fetchHistory();
      return history.events.some((e) => e.workflowTaskCompletedEventAttributes);
    });

    const described = await ternJson(['workflow', 'describe', '-w', workflowId]);
    const info = described.workflowExecutionInfo;
    assert.equal(info.execution.workflowId, workflowId);
    assert.equal(info.execution.runId, handle.firstExecutionRunId);
    assert.equal(info.type.name, 'waitForRelease');
    assert.equal(info.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');

    const table = ok(await tern(['workflow', 'describe', '-w', workflowId, '-r',
      handle.firstExecutionRunId]), 'describe table');
    assert.match(table, new RegExp(`^WorkflowId\\s+${workflowId}$`, 'm'));
    assert.match(table, /^Status\s+Running$/m);
    assert.match(table, /^Type\s+waitForRelease$/m);
    assert.match(table, new RegExp(`^TaskQueue\\s+${taskQueue}$`, 'm'));

    const shown = ok(await tern(['workflow', 'show', '-w', workflowId]), 'show')
      .trimEnd().split('\n');
    assert.match(shown[0], /^ID\s+TIME\s+TYPE$/);
    assert.match(shown[1], /^1\s+\d{4}-\d\d-\d\dT\S+Z\s+WorkflowExecutionStarted$/);
    assert.ok(shown.some((l) => /\sWorkflowTaskCompleted$/.test(l)), shown.join('\n'));
    const history = await ternJson(['workflow', 'show', '-w', workflowId]);
    assert.deepEqual(Object.keys(history), ['events']);
    assert.equal(history.events[0].eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    assert.deepEqual(history.events.map((e) => Number(e.eventId)),
      history.events.map((_, i) => i + 1));
    assert.equal(history.events.length, shown.length - 1);

    await handle.signal('release');
    assert.equal(await handle.result(), 'released');
  });

  it('workflow describe of an unknown workflow exits 1 with one line', async () => {
    const line = fails(await tern(['workflow', 'describe', '-w', 'no-such-workflow']), 1,
      'describe unknown workflow');
    assert.match(line, /^tern workflow describe: failed to describe workflow no-such-workflow: /);
  });

  it('workflow signal delivers a JSON value; the workflow completes with it', async () => {
    const workflowId = uniqueName('cli-signal');
    const handle = await client.workflow.start('collectSignals', {
      taskQueue, workflowId, args: [1],
    });
    const result = await tern(['workflow', 'signal', '-w', workflowId, '-r',
      handle.firstExecutionRunId, '--name', 'item', '--input', '{"sku": "A-1", "qty": 2}']);
    assert.equal(ok(result, 'signal'), 'Signal sent.\n');
    assert.deepEqual(await handle.result(), [{ sku: 'A-1', qty: 2 }]);

    const history = await ternJson(['workflow', 'show', '-w', workflowId]);
    const signaled = history.events.find((e) => e.workflowExecutionSignaledEventAttributes);
    assert.equal(signaled.workflowExecutionSignaledEventAttributes.signalName, 'item');
    assert.match(signaled.workflowExecutionSignaledEventAttributes.identity, /^tern-cli@/);
  });

  it('workflow signal with invalid JSON exits 1 and sends nothing', async () => {
    const line = fails(await tern(['workflow', 'signal', '-w', 'x', '--name', 'item', '--input',
      '{sku: A-1}']), 1, 'signal with bad JSON');
    assert.match(line, /^tern workflow signal: --input is not valid JSON/);
  });

  it('workflow cancel: the workflow runs its cleanup and ends CANCELED', async () => {
    const workflowId = uniqueName('cli-cancel');
    const handle = await client.workflow.start('cancellableSleep', {
      taskQueue, workflowId, args: [600_000],
    });
    await waitFor('the workflow to start its timer', async () => {
      const history = await handle.fetchHistory();
      return history.events.some((e) => e.timerStartedEventAttributes);
    });
    const result = await tern(['workflow', 'cancel', '-w', workflowId, '--reason', 'from the cli']);
    assert.equal(ok(result, 'cancel'), 'Cancellation requested.\n');
    const err = await handle.result().then(() => null, (e) => e);
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err}`);
    assert.equal(err.cause?.name, 'CancelledFailure');

    const described = await ternJson(['workflow', 'describe', '-w', workflowId]);
    assert.equal(described.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_CANCELED');
    const shown = ok(await tern(['workflow', 'show', '-w', workflowId]), 'show');
    assert.match(shown, /\sWorkflowExecutionCancelRequested$/m);
    assert.match(shown.trimEnd(), /\sWorkflowExecutionCanceled$/);
  });

  it('workflow terminate: describe shows TERMINATED', async () => {
    const workflowId = uniqueName('cli-terminate');
    const handle = await client.workflow.start('waitForRelease', { taskQueue, workflowId });
    const result = await tern(['workflow', 'terminate', '-w', workflowId, '--reason', 'stuck']);
    assert.equal(ok(result, 'terminate'), 'Workflow terminated.\n');
    await assert.rejects(handle.result(), WorkflowFailedError);

    const described = await ternJson(['workflow', 'describe', '-w', workflowId]);
    assert.equal(described.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_TERMINATED');
    const table = ok(await tern(['workflow', 'describe', '-w', workflowId]), 'describe');
    assert.match(table, /^Status\s+Terminated$/m);
    assert.match(table, /^CloseTime\s+\d{4}-/m);
    const history = await ternJson(['workflow', 'show', '-w', workflowId]);
    const last = history.events.at(-1);
    assert.equal(last.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED');
    assert.equal(last.workflowExecutionTerminatedEventAttributes.reason, 'stuck');

    const again = fails(await tern(['workflow', 'terminate', '-w', workflowId]), 1,
      'terminate a closed workflow');
    assert.match(again, /^tern workflow terminate: failed to terminate workflow /);
  });

  it('workflow list and count, with a query, a limit and GROUP BY', async () => {
    // A task queue of its own, so the query sees exactly this test's workflows.
    const queue = uniqueName('cli-list');
    const listWorker = await startWorker(server, { taskQueue: queue });
    try {
      const done = [];
      for (let i = 0; i < 2; i++) {
        const h = await client.workflow.start('collectSignals', {
          taskQueue: queue, workflowId: uniqueName(`cli-list-done${i}`), args: [0],
        });
        await h.result();
        done.push(h);
      }
      const running = await client.workflow.start('waitForRelease', {
        taskQueue: queue, workflowId: uniqueName('cli-list-running'),
      });
      const query = `TaskQueue = '${queue}'`;

      // Visibility is eventually consistent: wait until all three are listed as they are.
      let rows;
      await waitFor('all three workflows in `workflow list`', async () => {
        const lines = ok(await tern(['workflow', 'list', '-q', query]), 'list').trimEnd()
          .split('\n');
        assert.match(lines[0], /^Status\s+WorkflowId\s+RunId\s+Type\s+StartTime$/);
        rows = lines.slice(1).map((l) => l.split(/\s+/));
        return rows.length === 3 && rows.filter((r) => r[0] === 'Completed').length === 2;
      });
      const runningRow = rows.find((r) => r[1] === running.workflowId);
      assert.deepEqual(runningRow.slice(0, 4),
        ['Running', running.workflowId, running.firstExecutionRunId, 'waitForRelease']);
      assert.match(runningRow[4], /^\d{4}-\d\d-\d\dT/);

      const limited = ok(await tern(['workflow', 'list', '-q', query, '--limit', '2']), 'list');
      assert.equal(limited.trimEnd().split('\n').length, 3, limited);
      const listed = await ternJson(['workflow', 'list', '-q', query]);
      assert.deepEqual(listed.executions.map((e) => e.execution.workflowId).sort(),
        [...done.map((h) => h.workflowId), running.workflowId].sort());

      assert.equal(ok(await tern(['workflow', 'count', '-q', query]), 'count'), 'Total: 3\n');
      const grouped = ok(await tern(['workflow', 'count', '-q',
        `${query} GROUP BY ExecutionStatus`]), 'count with groups');
      assert.match(grouped, /^Total: 3$/m);
      assert.match(grouped, /^Count\s+Group$/m);
      assert.match(grouped, /^1\s+"Running"$/m);
      assert.match(grouped, /^2\s+"Completed"$/m);
      const counted = await ternJson(['workflow', 'count', '-q', query]);
      assert.equal(counted.count, '3');

      await running.signal('release');
      await running.result();
    } finally {
      await listWorker.stop();
    }
  });

  it('workflow delete removes a closed workflow', async () => {
      const workflowId = uniqueName('cli-delete');
      const handle = await client.workflow.start('collectSignals', {
        taskQueue, workflowId, args: [0],
      });
      await handle.result();
      const result = await tern(['workflow', 'delete', '-w', workflowId]);
      assert.equal(ok(result, 'delete'), 'Workflow deleted.\n');
      await waitFor('describe of the deleted workflow to fail', async () => {
        const described = await tern(['workflow', 'describe', '-w', workflowId]);
        if (described.code === 0) return false;
        assert.match(fails(described, 1, 'describe deleted'), /failed to describe workflow/);
        return true;
      });
    });

  // ---- search attributes -------------------------------------------------------------------

  it('search-attribute remove without --yes refuses in a script', async () => {
    const line = fails(await tern(['operator', 'search-attribute', 'remove', '--name', 'X']), 1,
      'remove without --yes');
    assert.match(line, /refusing to remove search attributes X from namespace default .* --yes$/);
  });

  it('search-attribute create, list and remove', async () => {
    const ns = uniqueName('cli-sa');
    ok(await tern(['operator', 'namespace', 'create', '-n', ns]), 'namespace create');
    const created = await tern(['-n', ns, 'operator', 'search-attribute', 'create',
      '--name', 'CustomKw', '--type', 'Keyword', '--name', 'CustomInt', '--type', 'int']);
    assert.equal(ok(created, 'create'),
      `Added to namespace ${ns}: CustomKw (Keyword), CustomInt (Int).\n`);

    const listed = ok(await tern(['-n', ns, 'operator', 'search-attribute', 'list']), 'list');
    assert.match(listed, /^Name\s+Type$/m);
    assert.match(listed, /^CustomKw\s+Keyword$/m);
    assert.match(listed, /^CustomInt\s+Int$/m);
    assert.match(listed, /^WorkflowType\s+Keyword$/m, 'system attributes are listed too');
    const json = await ternJson(['-n', ns, 'operator', 'search-attribute', 'list']);
    assert.equal(json.customAttributes.CustomKw, 'INDEXED_VALUE_TYPE_KEYWORD');
    assert.equal(json.systemAttributes.ExecutionStatus, 'INDEXED_VALUE_TYPE_KEYWORD');

    const twice = fails(await tern(['-n', ns, 'operator', 'search-attribute', 'create',
      '--name', 'CustomKw', '--type', 'Keyword']), 1, 'create an existing attribute');
    assert.match(twice,
      /^tern operator search-attribute create: failed to add search attributes/);

    const removed = await tern(['-n', ns, 'operator', 'search-attribute', 'remove',
      '--name', 'CustomKw', '--yes']);
    assert.equal(ok(removed, 'remove'), `Removed from namespace ${ns}: CustomKw.\n`);
    const remaining = ok(await tern(['-n', ns, 'operator', 'search-attribute', 'list']), 'list');
    assert.doesNotMatch(remaining, /^CustomKw\s/m);
    assert.match(remaining, /^CustomInt\s+Int$/m);
  });
});
