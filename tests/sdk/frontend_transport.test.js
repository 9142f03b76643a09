'use strict';
// The two servers that can carry the frontend's port (services.frontend.rpc.transport): h2, Tern's
// own and the default, which every other SDK test runs on too, and gRPC's C++ server, the
// fallback. On each, the SDK runs workflows, errors arrive with their details, a method Tern
// lacks is UNIMPLEMENTED, health answers SERVING, and the port is served by the server the config
// names.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { after, before, describe, it } = require('node:test');

const {
  connectClient, dumpLogsOnFailure, grpcStatusDetails, startTern, startWorker, stringField,
  uniqueName,
} = require('./lib/harness');
const { ok, run } = require('./lib/cli');

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

// The names of the threads of `pid` (/proc/PID/task/TID/comm).
function threadNames(pid) {
  const names = new Set();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      names.add(fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    } catch {
      // the thread exited meanwhile
    }
  }
  return [...names];
}

for (const transport of ['h2', 'grpc']) {
  describe(`the frontend on transport ${transport}`, { timeout: 300_000 }, () => {
    dumpLogsOnFailure();
    let tern;
    let client;
    let connection;
    let worker;
    const taskQueue = uniqueName(`transport-${transport}`);

    before(async () => {
      tern = await startTern({ frontendTransport: transport });
      ({ client, connection } = await connectClient(tern));
      worker = await startWorker(tern, {
        taskQueue,
        activities: {
          async greet(name) {
            return `Hello, ${name}`;
          },
        },
      });
    });

    after(async () => {
      await worker?.stop();
      await connection?.close();
      await tern?.stop();
    });

    it('is served by the server the config names', () => {
      const names = threadNames(tern.pids()['tern-server']);
      const h2Loops = names.filter((name) => name.startsWith('frontend-h2'));
      if (transport === 'h2') {
        assert.ok(h2Loops.length > 0, `no frontend-h2 thread among ${names.join(', ')}`);
      } else {
        assert.deepEqual(h2Loops, []);
      }
    });

    it('runs a workflow with an activity and a timer', { timeout: 120_000 }, async () => {
      const result = await client.workflow.execute('activityThenTimer', {
        taskQueue,
        workflowId: uniqueName('transport'),
        args: [transport, 10],
      });
      assert.equal(result, `Hello, ${transport} after 10ms`);
    });

    it('answers an error with its details', async () => {
      const namespace = uniqueName('no-such-namespace');
      const err = await connection.workflowService.describeNamespace({ namespace }).then(
        () => assert.fail('DescribeNamespace of an unknown namespace succeeded'),
        (e) => e,
      );
      assert.equal(err.code, NOT_FOUND, err.message);
      const failure = grpcStatusDetails(err).find(
        (d) => d.typeName === 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
      );
      assert.ok(failure, `no NamespaceNotFoundFailure in ${err.message}`);
      assert.equal(stringField(failure.value, 1), namespace);
    });

    it('answers UNIMPLEMENTED for a method Tern does not serve', async () => {
      const err = await connection.operatorService.listClusters({}).then(
        () => assert.fail('ListClusters succeeded'),
        (e) => e,
      );
      assert.equal(err.code, UNIMPLEMENTED, err.message);
    });

    it('answers the health check with SERVING', async () => {
      const result = await run(['--address', tern.address, 'cluster', 'health']);
      assert.equal(ok(result, 'cluster health'), 'SERVING\n');
    });
  });
}
