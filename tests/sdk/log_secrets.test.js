'use strict';
// No secret reaches a log line: a database password given through the environment (as the
// image and the chart give it) appears in no line a cluster logs while it starts and runs
// workflows, nor in the error of a command that cannot reach the database. Every
// JSON line names its process and service.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, freePorts, startTern, startWorker, uniqueName,
} = require('./lib/harness');

const BIN_DIR = process.env.TERN_BIN_DIR || path.join(__dirname, '..', '..', 'build', 'bin');
const SECRET = `Pw-${crypto.randomUUID()}`;

describe('secrets in logs', { timeout: 180_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  before(async () => {
    process.env.TERN_TEST_DB_PASSWORD = SECRET;
    tern = await startTern({ cluster: true, dbPassword: "'${TERN_TEST_DB_PASSWORD}'" });
  });
  after(async () => {
    await tern?.stop();
    delete process.env.TERN_TEST_DB_PASSWORD;
  });

  it('keeps the database password out of every log line', async () => {
    const { client, connection } = await connectClient(tern);
    const taskQueue = uniqueName('secrets');
    const worker = await startWorker(tern, {
      taskQueue, activities: { greet: async (name) => `hello ${name}` },
    });
    try {
      const result = await client.workflow.execute('activityThenTimer', {
        taskQueue, workflowId: uniqueName('secrets'), args: ['x', 10],
      });
      assert.match(result, /hello x/);
    } finally {
      await worker.stop();
      await connection.close();
    }
    // A command that cannot reach the database reports the address, not the password.
    const [closedPort] = await freePorts(1);
    const broken = path.join(tern.dir, 'broken.yaml');
    fs.writeFileSync(broken, fs.readFileSync(tern.config, 'utf8')
      .replace(/connectAddr: "127\.0\.0\.1:\d+"/, `connectAddr: "127.0.0.1:${closedPort}"`));
    const failure = await new Promise((resolve) => {
      execFile(path.join(BIN_DIR, 'tern'), ['schema', 'version', '--config', broken],
        { timeout: 30_000 }, (err, stdout, stderr) => resolve({ err, output: `${stdout}${stderr}` }));
    });
    assert.ok(failure.err, 'schema version against a closed port should fail');
    assert.match(failure.output, new RegExp(`${closedPort}`));
    assert.ok(!failure.output.includes(SECRET), failure.output);

    // (Read before stop(), which removes the logs of a passing test.)
    let lines = 0;
    for (const [process, file] of Object.entries(tern.logs)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        assert.ok(!line.includes(SECRET), `${process} logged the password: ${line}`);
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line);
        assert.equal(entry.process, process);
        assert.equal(entry.service, process.replace('tern-', ''));
        lines++;
      }
    }
    assert.ok(lines > 10, `only ${lines} log lines`);
  });
});
