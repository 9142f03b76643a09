'use strict';
// A service must refuse to start against a cluster it does not match: another numHistoryShards
// than the one recorded at the first start, or a schema version it was not built for. The
// refusal names both values, and nothing is changed. Once started, every thread runs under the
// configured global.schedulingPolicy.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

const { startTern } = require('./lib/harness');

const BIN_DIR = process.env.TERN_BIN_DIR || path.resolve(__dirname, '..', '..', 'build', 'bin');

// Runs a service binary with `config` and returns its exit status and stderr. A refusal happens
// before the process serves anything, so it exits on its own; the timeout only guards a hang.
function runService(binary, config) {
  const result = spawnSync(path.join(BIN_DIR, binary), ['--config', config], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, signal: result.signal, stderr: result.stderr };
}

// The scheduling policies of the threads of `pid`: field 41 of /proc/PID/task/TID/stat (0 is
// SCHED_OTHER, 3 SCHED_BATCH), with how many threads were read.
function threadPolicies(pid) {
  const policies = new Set();
  let threads = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;  // the thread exited meanwhile
    }
    policies.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]));
    threads += 1;
  }
  return { policies: [...policies], threads };
}

function psql(tern, sql) {
  const result = spawnSync(
    'psql',
    ['-h', '127.0.0.1', '-p', String(tern.pgPort), '-U', 'postgres', '-d', 'tern_test', '-At', '-c', sql],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `psql failed: ${result.stderr}`);
  return result.stdout.trim();
}

describe('start-up checks', () => {
  let tern;
  before(async () => {
    tern = await startTern({ shards: 4 });
    await tern.stopProcesses();
  });
  after(async () => tern?.stop());

  it('refuses a numHistoryShards other than the one the cluster was created with', () => {
    const changed = path.join(tern.dir, 'shards8.yaml');
    fs.writeFileSync(
      changed,
      fs.readFileSync(tern.config, 'utf8').replace(/numHistoryShards:\s*4/, 'numHistoryShards: 8'),
    );
    for (const binary of ['tern-server', 'tern-history', 'tern-frontend']) {
      const { status, stderr } = runService(binary, changed);
      assert.notEqual(status, 0, `${binary} started with 8 shards`);
      assert.match(stderr, /numHistoryShards is 8/);
      assert.match(stderr, /created with 4 shards/);
    }
  });

  it('refuses a database schema version it does not know', () => {
    const current = psql(tern, 'SELECT curr_version FROM schema_version');
    assert.match(current, /^\d+$/);
    psql(tern, 'UPDATE schema_version SET curr_version = 99');
    try {
      const { status, stderr } = runService('tern-server', tern.config);
      assert.notEqual(status, 0);
      assert.match(stderr, /99/);
      assert.match(stderr, new RegExp(`\\(${current}\\)|version ${current}\\b`));
    } finally {
      psql(tern, `UPDATE schema_version SET curr_version = ${current}`);
    }
  });

  it('starts again once the values match', async () => {
    await tern.boot();
  });

  it('runs every thread under SCHED_BATCH, or the kernel default with schedulingPolicy: normal', async () => {
    const batch = threadPolicies(tern.pids()['tern-server']);
    assert.ok(batch.threads > 10, `only ${batch.threads} threads`);
    assert.deepEqual(batch.policies, [3]);

    await tern.stopProcesses();
    const config = fs.readFileSync(tern.config, 'utf8');
    fs.writeFileSync(tern.config, config.replace(/^global:\n/m, 'global:\n  schedulingPolicy: normal\n'));
    await tern.boot();
    const normal = threadPolicies(tern.pids()['tern-server']);
    assert.ok(normal.threads > 10, `only ${normal.threads} threads`);
    assert.deepEqual(normal.policies, [0]);
  });
});
