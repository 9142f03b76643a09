'use strict';
// Backup and restore drill (docs/operations.md, "Backup, restore and disaster recovery"):
// scripts/backup takes a pg_dump while workflows run; everything is stopped and thrown away;
// scripts/restore brings the dump into a new database of a new PostgreSQL, and Tern starts on it.
// What a user then sees:
//   - every workflow acknowledged before the backup started is there; those that had completed
//     keep their results; those that were open make progress: their timers fire (not early),
//     they take signals, run activities and complete with the right result;
//   - list and count (visibility) agree with what describe (the executions) says, before and
//     after the open workflows complete, and no workflow appears that was never started;
//   - the namespace keeps its retention, `tern schema version` reports the backup's version, and
//     the new cluster owns every shard with a higher range id than the backup held.
// Prints the restore time (RTO) for the data size.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, requireSdk, startTern, startWorker, uniqueName, waitFor, withTimeout,
} = require('../sdk/lib/harness');

const { WorkflowNotFoundError } = requireSdk('@temporalio/client');

const execFileP = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');
const BIN_DIR = process.env.TERN_BIN_DIR || path.join(REPO, 'build', 'bin');
const PSQL = process.env.PG_BIN ? path.join(process.env.PG_BIN, 'psql') : 'psql';

// Long enough that the timers are still pending when the backup is taken (a few seconds after
// they start); the restored server fires them.
const TIMER_MS = 30_000;
const COMPLETED_BEFORE = 16;
const OPEN_PER_KIND = 6;
const LOAD_CONCURRENCY = 3;

const seconds = (ms) => (ms / 1000).toFixed(1);
const millis = (t) => Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);

async function run(file, args, env = {}) {
  try {
    return await execFileP(file, args, { env: { ...process.env, ...env }, timeout: 300_000 });
  } catch (err) {
    throw new Error(
      `${path.basename(file)} ${args.join(' ')} failed: ${err.stdout}${err.stderr}${err.message}`);
  }
}

async function sql(tern, query) {
  const { stdout } = await run(PSQL, ['-X', '-A', '-t', '-F', ' ', '-v', 'ON_ERROR_STOP=1',
    '-h', '127.0.0.1', '-p', String(tern.pgPort), '-U', 'postgres', '-d', tern.database, '-c', query]);
  return stdout.trim().split('\n').filter(Boolean).map((line) => line.split(' '));
}

// shard id -> range id
async function rangeIds(tern) {
  return new Map((await sql(tern, 'SELECT shard_id, range_id FROM shards')).map(([s, r]) => [s, Number(r)]));
}

async function schemaVersion(tern) {
  const { stdout } = await run(path.join(BIN_DIR, 'tern'),
    ['schema', 'version', '--config', tern.config, '-o', 'json']);
  return JSON.parse(stdout);
}

async function retention(connection, namespace) {
  const ns = await connection.workflowService.describeNamespace({ namespace });
  return Number(ns.config.workflowExecutionRetentionTtl.seconds);
}

describe('backup and restore drill', { timeout: 600_000 }, () => {
  dumpLogsOnFailure();
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-backup-'));
  const dump = path.join(backupDir, 'tern.dump');
  const taskQueue = uniqueName('backup');
  const activities = {
    async greet(name) {
      return `Hello, ${name}`;
    },
    async step(what) {
      return `did ${what}`;
    },
  };
  let source; // the Tern that is backed up, stopped before the restore
  let restored;
  let worker;
  let connection;
  let passed = false;

  before(async () => {
    source = await startTern();
  });

  after(async () => {
    await worker?.stop();
    await connection?.close();
    await source?.stop();
    await restored?.stop();
    if (passed) fs.rmSync(backupDir, { recursive: true, force: true });
    else console.error(`backup test: the backup is kept in ${backupDir}`);
  });

  it('restores into a new database on which every workflow continues', async () => {
    let client;
    ({ client, connection } = await connectClient(source));
    worker = await startWorker(source, { taskQueue, activities });
    const started = new Map(); // workflow id -> {kind, expected result, ackedAt, completedAt}
    const start = async (kind, workflowType, args, expected) => {
      const workflowId = uniqueName(kind);
      const handle = await client.workflow.start(workflowType, { taskQueue, workflowId, args });
      started.set(workflowId, { kind, expected, ackedAt: Date.now() });
      return handle;
    };
    const complete = async (handle) => {
      const result = await handle.result();
      started.get(handle.workflowId).completedAt = Date.now();
      return result;
    };

    // Completed before the backup.
    const done = [];
    for (let i = 0; i < COMPLETED_BEFORE; i++) {
      done.push(await start('done', 'activityThenTimer', [`done-${i}`, 10], `Hello, done-${i} after 10ms`));
    }
    await withTimeout(Promise.all(done.map(complete)), 120_000, 'the workflows completed before the backup');

    // Open at the backup: on a timer, on a signal (one of two already received), on a signal
    // after an activity and a timer.
    const open = [];
    for (let i = 0; i < OPEN_PER_KIND; i++) {
      open.push(await start('timer', 'timerOnly', [TIMER_MS], `timer ${TIMER_MS}ms fired`));
      const signals = await start('signals', 'collectSignals', [2], [`before-${i}`, `after-${i}`]);
      await signals.signal('item', `before-${i}`);
      open.push(signals);
      open.push(await start('steps', 'activityTimerSignal', [`steps-${i}`, 10],
        [`did steps-${i}:first`, `did steps-${i}:second`]));
    }
    await waitFor('every open workflow to reach its wait', async () => {
      const waiting = await Promise.all(open.map(async (h) => {
        const { events } = await h.fetchHistory();
        const kind = started.get(h.workflowId).kind;
        if (kind === 'timer') return events.some((e) => e.timerStartedEventAttributes);
        if (kind === 'steps') return events.some((e) => e.timerFiredEventAttributes);
        return events.some((e) => e.workflowExecutionSignaledEventAttributes);
      }));
      return waiting.every(Boolean);
    }, { timeoutMs: 120_000, intervalMs: 250 });

    // Load that keeps going while the backup runs.
    let stopLoad = false;
    let loadCount = 0;
    const loadLoop = async () => {
      while (!stopLoad) {
        const n = loadCount++;
        const handle = await start('load', 'activityThenTimer', [`load-${n}`, 20], `Hello, load-${n} after 20ms`);
        await complete(handle);
      }
    };
    const loaders = Array.from({ length: LOAD_CONCURRENCY }, loadLoop);
    const loadCompleted = () => [...started.values()].filter((w) => w.kind === 'load' && w.completedAt).length;
    await waitFor('load to be running', () => loadCompleted() >= 3, { timeoutMs: 60_000 });

    const versionBefore = await schemaVersion(source);
    const retentionBefore = await retention(connection, source.namespace);
    const backupStartedAt = Date.now();
    const { stdout: backupOut } = await run(path.join(REPO, 'scripts', 'backup'), [
      '--host', '127.0.0.1', '-p', String(source.pgPort), '-U', 'postgres', '-d', source.database,
      '-o', dump]);
    const backupSeconds = seconds(Date.now() - backupStartedAt);
    stopLoad = true;
    await withTimeout(Promise.all(loaders), 120_000, 'the load to finish');
    const startedDuringBackup = [...started.values()].filter((w) => w.ackedAt >= backupStartedAt).length;

    // Disaster: every process and the whole PostgreSQL cluster go away.
    await worker.stop();
    worker = undefined;
    await connection.close();
    connection = undefined;
    await source.stop();

    // A new PostgreSQL, a new database name, the backup restored into it, Tern started on it.
    let restoreStartedAt;
    let restoreSeconds;
    let restoredRanges;
    let databaseBytes;
    restored = await startTern({
      database: 'tern_restored',
      setupDatabase: async (tern) => {
        restoreStartedAt = Date.now();
        await run(path.join(REPO, 'scripts', 'restore'), [
          '--host', '127.0.0.1', '-p', String(tern.pgPort), '-U', 'postgres', '-d', tern.database,
          '--config', tern.config, dump], { TERN_CLI: path.join(BIN_DIR, 'tern') });
        restoreSeconds = seconds(Date.now() - restoreStartedAt);
        restoredRanges = await rangeIds(tern);
        databaseBytes = Number((await sql(tern, 'SELECT pg_database_size(current_database())'))[0][0]);
        assert.deepEqual(await sql(tern, 'SELECT rpc_address FROM cluster_membership'), [],
          'the restore forgets the hosts of the old cluster');
      },
    });
    const rtoSeconds = seconds(Date.now() - restoreStartedAt);

    const versionAfter = await schemaVersion(restored);
    assert.deepEqual(versionAfter, versionBefore, '`tern schema version` on the restored database');
    assert.ok(restoredRanges.size > 0, 'the backup holds the shards');
    await waitFor('the new cluster to own every shard with a higher range id', async () => {
      const now = await rangeIds(restored);
      return [...restoredRanges].every(([shard, range]) => now.get(shard) > range);
    }, { timeoutMs: 60_000 });

    ({ client, connection } = await connectClient(restored));
    assert.equal(await retention(connection, restored.namespace), retentionBefore, 'namespace retention');

    const listAll = async (query) => {
      const rows = [];
      for await (const info of client.workflow.list({ query })) rows.push(info);
      return rows;
    };
    // The executions: every workflow the test started, described (null: not in the database).
    const describeAll = async () => new Map(await Promise.all([...started.keys()].map(async (id) => {
      try {
        return [id, await client.workflow.getHandle(id).describe()];
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [id, null];
        throw err;
      }
    })));
    // Visibility agrees with them: list shows exactly the runs that exist, with their statuses
    // (a run's row may still be on its way: visibility is written after the run's commit);
    // counts match the list.
    const visibilityAgrees = async (executions) => {
      const rows = await listAll();
      const listed = new Map(rows.map((r) => [r.workflowId, r.status.name]));
      const described = new Map([...executions].filter(([, d]) => d)
        .map(([id, d]) => [id, d.status.name]));
      if (listed.size !== rows.length) throw new Error('a workflow id is listed twice');
      const differ = [...new Set([...listed.keys(), ...described.keys()])]
        .filter((id) => listed.get(id) !== described.get(id));
      if (differ.length > 0) {
        const what = differ.map((id) => `${id} (listed ${listed.get(id)}, described ${described.get(id)})`);
        throw new Error(`visibility and describe disagree on ${what.join(', ')}`);
      }
      const running = rows.filter((r) => r.status.name === 'RUNNING').length;
      const { count } = await client.workflow.count();
      const { count: countRunning } = await client.workflow.count("ExecutionStatus = 'Running'");
      if (count !== rows.length || countRunning !== running) {
        throw new Error(`count ${count}/${countRunning} running, list ${rows.length}/${running}`);
      }
      return listed;
    };

    // Before any worker runs, nothing can close: the restored state as it was at the backup.
    const executions = await describeAll();
    const statusOf = await waitFor('visibility to agree with the restored executions',
      () => visibilityAgrees(executions), { timeoutMs: 60_000, intervalMs: 500 });
    const ackedBefore = [...started].filter(([, w]) => w.ackedAt < backupStartedAt).map(([id]) => id);
    const missing = ackedBefore.filter((id) => !statusOf.has(id));
    assert.deepEqual(missing, [], 'acknowledged before the backup started, missing after the restore');
    const completedBefore = [...started].filter(([, w]) => w.completedAt < backupStartedAt).map(([id]) => id);
    assert.deepEqual(completedBefore.filter((id) => statusOf.get(id) !== 'COMPLETED'), [],
      'completed before the backup, not completed after the restore');
    for (const handle of open) {
      assert.equal(statusOf.get(handle.workflowId), 'RUNNING', `${handle.workflowId} was open at the backup`);
    }
    const openAtBackup = [...statusOf].filter(([, status]) => status === 'RUNNING').map(([id]) => id);
    const historyEvents = [...executions.values()].reduce((sum, d) => sum + (d ? d.historyLength : 0), 0);

    // Completed runs keep their results.
    for (const id of completedBefore) {
      assert.deepEqual(await client.workflow.getHandle(id).result(), started.get(id).expected, id);
    }

    // The open ones continue on a new worker: signals, activities, timers.
    worker = await startWorker(restored, { taskQueue, activities });
    for (const id of openAtBackup) {
      const { kind } = started.get(id);
      const handle = client.workflow.getHandle(id);
      if (kind === 'signals') await handle.signal('item', started.get(id).expected[1]);
      if (kind === 'steps') await handle.signal('release');
    }
    const results = await withTimeout(
      Promise.all(openAtBackup.map((id) => client.workflow.getHandle(id).result())),
      180_000, 'the workflows open at the backup to complete on the restored database');
    assert.deepEqual(results, openAtBackup.map((id) => started.get(id).expected));

    // Each timer fired once, on the restored server (it had not fired at the backup), not early.
    for (const id of openAtBackup.filter((i) => started.get(i).kind === 'timer')) {
      const { events } = await client.workflow.getHandle(id).fetchHistory();
      const timerStarted = events.find((e) => e.timerStartedEventAttributes);
      const fired = events.filter((e) => e.timerFiredEventAttributes);
      assert.equal(fired.length, 1, `${id}: one TimerFired`);
      assert.ok(millis(fired[0].eventTime) >= millis(timerStarted.eventTime) + TIMER_MS,
        `${id}: the timer fired early`);
    }

    // And visibility follows: everything restored is now completed, lists and counts agree.
    await waitFor('visibility to show every restored workflow completed', async () => {
      const now = await visibilityAgrees(await describeAll());
      return now.size === statusOf.size && [...now.values()].every((status) => status === 'COMPLETED');
    }, { timeoutMs: 60_000, intervalMs: 500 });

    const dumpBytes = fs.statSync(dump).size;
    console.log(`backup drill: ${statusOf.size} workflows restored (${openAtBackup.length} open at the`
      + ` backup, ${startedDuringBackup} started while it ran), ${historyEvents} history events;`
      + ` database ${(databaseBytes / 1e6).toFixed(1)} MB, dump ${(dumpBytes / 1e3).toFixed(0)} kB;`
      + ` backup ${backupSeconds}s, restore ${restoreSeconds}s, restore to serving (RTO) ${rtoSeconds}s`
      + ` on ${os.cpus().length} cores. ${backupOut.trim().split('\n').pop()}`);
    passed = true;
  });
});
