'use strict';
// Malformed or impossible requests get the gRPC code and details the SDKs key on, a message a
// person can act on, and leave nothing behind. Raw WorkflowService calls are used where the
// high-level client would validate the request itself.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, it } = require('node:test');
const { NamespaceNotFoundError } = require('@temporalio/client');
const {
  connectClient,
  dumpLogsOnFailure,
  grpcStatusDetails,
  startTern,
  stringField,
  uniqueName,
} = require('./lib/harness');

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

describe('bad input', { timeout: 240_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  let client;
  let connection;

  before(async () => {
    tern = await startTern();
    ({ client, connection } = await connectClient(tern));
  });

  after(async () => {
    await connection?.close();
    await tern?.stop();
  });

  const startRequest = (overrides = {}) => ({
    namespace: tern.namespace,
    workflowId: uniqueName('bad-input'),
    workflowType: { name: 'activityThenTimer' },
    taskQueue: { name: uniqueName('bad-input-tq') },
    requestId: crypto.randomUUID(),
    identity: 'bad_input.test.js',
    ...overrides,
  });

  // Asserts that `promise` rejects with a gRPC error of `code`; returns the error.
  async function grpcRejects(promise, code) {
    let caught;
    await assert.rejects(promise, (err) => {
      caught = err;
      return true;
    });
    assert.equal(caught.code, code, `expected gRPC code ${code}, got ${caught.code}: ${caught.message}`);
    return caught;
  }

  it('answers an unknown namespace with NOT_FOUND and NamespaceNotFoundFailure', { timeout: 60_000 },
    async () => {
      const namespace = uniqueName('no-such-namespace');
      const err = await grpcRejects(
        connection.workflowService.startWorkflowExecution(startRequest({ namespace })),
        NOT_FOUND,
      );
      const details = grpcStatusDetails(err);
      const failure = details.find(
        (d) => d.typeName === 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
      );
      assert.ok(failure, `details were [${details.map((d) => d.typeName).join(', ')}]`);
      assert.equal(stringField(failure.value, 1), namespace);

      // The SDK turns that detail into its own error type.
      const { Client } = require('@temporalio/client');
      const otherClient = new Client({ connection, namespace });
      await assert.rejects(
        otherClient.workflow.start('activityThenTimer', {
          taskQueue: 'unused',
          workflowId: uniqueName('ns'),
          args: ['x', 1],
        }),
        (e) => {
          assert.ok(e instanceof NamespaceNotFoundError, `got ${e?.name}: ${e?.message}`);
          assert.equal(e.namespace, namespace);
          return true;
        },
      );
    });

  it('rejects an empty workflow id with INVALID_ARGUMENT naming WorkflowId', { timeout: 60_000 },
    async () => {
      const err = await grpcRejects(
        connection.workflowService.startWorkflowExecution(startRequest({ workflowId: '' })),
        INVALID_ARGUMENT,
      );
      assert.match(err.details ?? err.message, /workflow ?id/i);
    });

  it('rejects an empty task queue with INVALID_ARGUMENT naming TaskQueue', { timeout: 60_000 },
    async () => {
      const err = await grpcRejects(
        connection.workflowService.startWorkflowExecution(startRequest({ taskQueue: { name: '' } })),
        INVALID_ARGUMENT,
      );
      assert.match(err.details ?? err.message, /task ?queue/i);
    });

  it('rejects an input payload over 2 MiB and writes nothing', { timeout: 60_000 },
    async () => {
      const workflowId = uniqueName('too-big');
      const data = Buffer.alloc(2 * 1024 * 1024 + 1024, 'x');
      const err = await grpcRejects(
        connection.workflowService.startWorkflowExecution(
          startRequest({
            workflowId,
            input: { payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data }] },
          }),
        ),
        INVALID_ARGUMENT,
      );
      assert.ok((err.details ?? err.message).length > 0, 'the error says why');
      await grpcRejects(
        connection.workflowService.describeWorkflowExecution({
          namespace: tern.namespace,
          execution: { workflowId },
        }),
        NOT_FOUND,
      );
      // The id is still free: a valid start with it succeeds (nobody polls its task queue).
      await client.workflow.start('waitForRelease', { taskQueue: uniqueName('unpolled'), workflowId });
    });
});
