'use strict';
// bench/run --address, as an operator load-tests a deployment the bench did not start: over
// mTLS it runs every workflow on that Tern, says it ran in external mode and claims no server
// figures; an unknown namespace and options that only fit the bench's own server are refused
// with messages naming them.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');

const { bench, stopBenches } = require('./lib/bench');
const { makeCerts } = require('./lib/certs');
const { connectClient, dumpLogsOnFailure, startTern, waitFor } = require('./lib/harness');

const certs = makeCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'tern-bench-certs-')));

describe('bench/run --address (external mode)', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  before(async () => {
    tern = await startTern({
      tls: {
        frontend: {
          server: { certFile: certs.server.cert, keyFile: certs.server.key, clientCaFiles: [certs.ca], requireClientAuth: true },
          client: { serverName: 'localhost', rootCaFiles: [certs.ca] },
        },
      },
      clientTls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key, serverName: 'localhost' },
    });
  });
  after(async () => {
    await stopBenches();
    await tern?.stop();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  const target = (namespace = tern.namespace) => ['--address', tern.address, '--namespace', namespace,
    '--tls-ca', certs.ca, '--tls-cert', certs.client.cert, '--tls-key', certs.client.key,
    '--tls-server-name', 'localhost'];

  it('runs every workflow on that Tern over mTLS and reports only what a client observes', async () => {
    const r = await bench([...target(), '--workflows', '20', '--concurrency', '5', '--warmup', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.mode, 'external');
    assert.equal(out.target.address, tern.address);
    assert.match(out.target.connection, /^mTLS/);
    assert.equal(out.completed, 20);
    assert.equal(out.failed, 0);
    assert.ok(out.workflowsPerSecond > 0);
    assert.ok(out.latencyMs.p50 > 0 && out.latencyMs.max >= out.latencyMs.p99, JSON.stringify(out.latencyMs));
    // The SDK's processes are measured; nothing of the server is claimed.
    assert.ok(out.cpu.secondsPer1000Workflows.worker > 0);
    assert.ok(out.cpu.secondsPer1000Workflows.client > 0);
    assert.deepEqual(Object.keys(out.cpu.secondsPer1000Workflows).sort(), ['client', 'machineBusy', 'other', 'worker']);
    assert.equal(out.server, null);
    assert.match(out.serverNotMeasured.reason, /did not start the server/);
    for (const key of ['tern', 'db', 'rpcs', 'idle', 'serverLog', 'serverAlive']) assert.equal(out[key], undefined, key);
    // The workflows ran on this Tern: the warm-up's 2 and the 20 measured.
    const { client, connection } = await connectClient(tern);
    try {
      const query = `TaskQueue = '${out.target.taskQueue}' AND ExecutionStatus = 'Completed'`;
      await waitFor('22 completed bench workflows in visibility', async () => (await client.workflow.count(query)).count === 22);
    } finally {
      await connection.close();
    }
  });

  it('says in the table that the server figures were not measured', async () => {
    const r = await bench([...target(), '--workflows', '3', '--concurrency', '3', '--warmup', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /external mode: 3 workflows/);
    assert.match(r.stdout, /throughput +[\d.]+ workflows\/s, .*\(3 completed, 0 failed/);
    assert.match(r.stdout, /not measured +tern-server CPU.*the bench did not start the server/);
    // No row of server figures: tern-server CPU (`tern-server 1.23`), database, RPCs.
    assert.doesNotMatch(r.stdout, /tern-server [\d.]+|^ {2}(PostgreSQL|tern-server|internal RPCs)/m);
  });

  it('refuses a namespace the Tern does not have, naming it and how to register it', async () => {
    const r = await bench([...target('no-such-namespace'), '--workflows', '1', '--warmup', '0']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespace no-such-namespace does not exist at /);
    assert.match(r.stderr, /operator namespace create -n no-such-namespace/);
  });

  for (const [extra, message] of [
    [['--shards', '8'], /--shards cannot be used with --address/],
    [['--pg-fast'], /--pg-fast cannot be used with --address/],
    [['--history-bytes'], /--history-bytes cannot be used with --address/],
    [['--callgrind'], /--callgrind cannot be used with --address/],
  ]) {
    it(`refuses ${extra[0]} with --address, naming it`, async () => {
      const r = await bench([...target(), ...extra]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    });
  }

  it('refuses unusable TLS options, naming them', async () => {
    const address = ['--address', tern.address];
    const missing = await bench([...address, '--tls-ca', '/nonexistent/ca.pem']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--tls-ca \/nonexistent\/ca\.pem: no such file/);
    const half = await bench([...address, '--tls-cert', certs.client.cert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--tls-cert needs --tls-key/);
    const local = await bench(['--tls-ca', certs.ca]);
    assert.equal(local.code, 2);
    assert.match(local.stderr, /--tls-ca needs --address/);
  });
});
