'use strict';
// Authorization as SDK users and operators see it (global.authorization): JWTs signed by a test
// key carry "<namespace>:<role>" permissions; a client certificate can map to permissions too.
// Denied calls get PERMISSION_DENIED and write nothing; bad or missing credentials get
// UNAUTHENTICATED; the audit log records admin calls and denials.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const { Client, Connection, WorkflowNotFoundError } = require('@temporalio/client');

const { makeCerts } = require('./lib/certs');
const { connectClient, dumpLogsOnFailure, startTern, startWorker, uniqueName, waitFor } = require('./lib/harness');
const { makeKeys } = require('./lib/tokens');

const BIN_DIR = process.env.TERN_BIN_DIR || path.resolve(__dirname, '..', '..', 'build', 'bin');
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

// The gRPC status code of a failed SDK call (the client wraps some errors in a ServiceError).
const codeOf = (err) => err?.code ?? err?.cause?.code;

describe('authorization', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-authz-'));
  const certs = makeCerts(path.join(dir, 'certs'));
  const keys = makeKeys(path.join(dir, 'keys'));
  const auditFile = path.join(dir, 'audit.log');
  const admin = keys.token({ sub: 'root', permissions: ['system:admin'] });
  let tern;
  let otherNamespace;

  // An SDK client for `token` (undefined: none) over the frontend's TLS, optionally with the
  // client certificate the config maps to default:worker.
  const clients = [];
  async function clientFor(token, { namespace = 'default', certificate = false } = {}) {
    const connection = await Connection.connect({
      address: tern.address,
      apiKey: token,
      tls: {
        serverRootCACertificate: fs.readFileSync(certs.ca),
        serverNameOverride: 'localhost',
        ...(certificate
          ? { clientCertPair: { crt: fs.readFileSync(certs.client.cert), key: fs.readFileSync(certs.client.key) } }
          : {}),
      },
    });
    clients.push(connection);
    return new Client({ connection, namespace });
  }
  const auditRecords = () => fs.readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean)
    .map((line) => JSON.parse(line));

  before(async () => {
    tern = await startTern({
      tls: {
        frontend: { server: { certFile: certs.server.cert, keyFile: certs.server.key, clientCaFiles: [certs.ca] } },
      },
      clientTls: { ca: certs.ca, serverName: 'localhost' },
      apiKey: admin,
      globalConfig: {
        authorization: {
          jwtKeyProvider: { keySourceURIs: [keys.jwksUri], refreshInterval: '1m' },
          permissionsClaimName: 'permissions',
          audience: 'tern',
          authorizer: 'default',
          claimMapper: 'default',
          certificatePermissions: { 'test-client': ['default:worker'] },
        },
        audit: { path: auditFile },
      },
    });
    otherNamespace = uniqueName('other');
    const root = await clientFor(admin);
    await root.connection.workflowService.registerNamespace({
      namespace: otherNamespace, workflowExecutionRetentionPeriod: { seconds: 86400 },
    });
  });
  after(async () => {
    for (const connection of clients) await connection.close().catch(() => {});
    await tern?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a reader a start, names the missing role, and writes nothing', async () => {
    const reader = await clientFor(keys.token({ sub: 'alice', permissions: ['default:read'] }));
    const workflowId = uniqueName('denied');
    const err = await reader.workflow.start('timerOnly', { taskQueue: 'nowhere', workflowId, args: [10] })
      .catch((e) => e);
    assert.equal(codeOf(err), PERMISSION_DENIED, String(err));
    assert.match(String(err.cause?.details ?? err.details ?? err.message),
      /StartWorkflowExecution needs the write role in namespace "default" \(default:write or system:write\); jwt:alice has default:read/);
    // Reading is allowed, and shows that nothing was started.
    await assert.rejects(reader.workflow.getHandle(workflowId).describe(), WorkflowNotFoundError);
  });

  it('lets a writer start and a worker-role token poll and complete the work', async () => {
    const taskQueue = uniqueName('authz');
    const worker = await startWorker(
      { ...tern, apiKey: keys.token({ sub: 'worker-7', permissions: ['default:worker'] }) },
      { taskQueue, activities: { greet: async (name) => `Hello, ${name}` } },
    );
    try {
      const writer = await clientFor(keys.token({ sub: 'bob', permissions: ['default:write'] }));
      const result = await writer.workflow.execute('activityThenTimer', {
        taskQueue, workflowId: uniqueName('allowed'), args: ['authz', 10],
      });
      assert.match(result, /^Hello, authz/);
      assert.equal(worker.failed, undefined);
    } finally {
      await worker.stop();
    }
  });

  it('keeps a token for one namespace out of another', async () => {
    const writer = await clientFor(keys.token({ sub: 'bob', permissions: ['default:write'] }),
      { namespace: otherNamespace });
    const err = await writer.workflow.start('timerOnly', { taskQueue: 'q', workflowId: uniqueName('x'), args: [1] })
      .catch((e) => e);
    assert.equal(codeOf(err), PERMISSION_DENIED);
    const ns = await writer.connection.workflowService.describeNamespace({ namespace: otherNamespace })
      .catch((e) => e);
    assert.equal(codeOf(ns), PERMISSION_DENIED);
  });

  it('lets only an admin manage namespaces', async () => {
    const name = uniqueName('ns');
    const register = (client) => client.connection.workflowService.registerNamespace({
      namespace: name, workflowExecutionRetentionPeriod: { seconds: 86400 },
    });
    const nsWriter = await clientFor(keys.token({ sub: 'bob', permissions: [`${name}:write`] }));
    assert.equal(codeOf(await register(nsWriter).catch((e) => e)), PERMISSION_DENIED);
    await register(await clientFor(admin));
    // The system admin's new namespace exists; the writer's refusal changed nothing.
    const described = await (await clientFor(admin)).connection.workflowService.describeNamespace({ namespace: name });
    assert.equal(described.namespaceInfo.name, name);
  });

  it('refuses missing, expired, foreign-signed and wrong-audience tokens as UNAUTHENTICATED', async () => {
    const cases = [
      [undefined, /no credentials: send a bearer token/],
      [keys.token({ sub: 'late', permissions: ['system:admin'] }, { expiresIn: -120 }), /token expired at/],
      [keys.token({ sub: 'eve', permissions: ['system:admin'] }, { signer: 'stranger' }), /signature does not verify/],
      [keys.token({ sub: 'carol', permissions: ['system:admin'] }, { aud: 'someone-else' }), /audience.*does not include "tern"/],
    ];
    for (const [token, message] of cases) {
      const client = await clientFor(token);
      const err = await client.connection.workflowService.describeNamespace({ namespace: 'default' }).catch((e) => e);
      assert.equal(codeOf(err), UNAUTHENTICATED, `${message}: ${err}`);
      assert.match(err.details ?? err.message, message);
    }
    // GetSystemInfo (what every SDK calls first) needs no credentials, as in Temporal.
    const anonymous = await clientFor(undefined);
    await anonymous.connection.workflowService.getSystemInfo({});
    // ES256 tokens are accepted as well.
    const es = await clientFor(keys.token({ sub: 'dave', permissions: ['default:read'] }, { alg: 'ES256' }));
    await es.connection.workflowService.describeNamespace({ namespace: 'default' });
  });

  it('maps a client certificate to the permissions the config gives it', async () => {
    const byCertificate = await clientFor(undefined, { certificate: true });
    await byCertificate.connection.workflowService.describeNamespace({ namespace: 'default' });
    const err = await byCertificate.workflow.start('timerOnly', { taskQueue: 'q', workflowId: uniqueName('c'), args: [1] })
      .catch((e) => e);
    assert.equal(codeOf(err), PERMISSION_DENIED);
    assert.match(String(err.cause?.details ?? err.message), /cert:test-client has default:worker/);
  });

  it('takes the CLI token from --api-key and TEMPORAL_API_KEY', () => {
    const tern_ = path.join(BIN_DIR, 'tern');
    const tls = ['--address', tern.address, '--tls-ca-path', certs.ca, '--tls-server-name', 'localhost'];
    const reader = keys.token({ sub: 'alice', permissions: ['default:read'] });
    const list = spawnSync(tern_, [...tls, '--api-key', reader, 'workflow', 'list'], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const create = spawnSync(tern_, [...tls, 'operator', 'namespace', 'create', '-n', uniqueName('cli')],
      { encoding: 'utf8', env: { ...process.env, TEMPORAL_API_KEY: reader } });
    assert.notEqual(create.status, 0);
    assert.match(create.stderr, /RegisterNamespace needs the admin role/);
    const none = spawnSync(tern_, [...tls, 'workflow', 'list'], { encoding: 'utf8' });
    assert.match(none.stderr, /no credentials/);
  });

  it('writes admin calls and denials to the audit log', async () => {
    const writer = await clientFor(keys.token({ sub: 'bob', permissions: ['default:write'] }));
    const workflowId = uniqueName('audited');
    const handle = await writer.workflow.start('collectSignals', { taskQueue: 'nobody', workflowId, args: [1] });
    await handle.terminate('audit test');
    await waitFor('the terminate record', () => auditRecords().some(
      (r) => r.operation === 'TerminateWorkflowExecution' && r.workflow_id === workflowId));
    const records = auditRecords();
    const terminate = records.find((r) => r.operation === 'TerminateWorkflowExecution' && r.workflow_id === workflowId);
    assert.equal(terminate.caller, 'jwt:bob');
    assert.equal(terminate.namespace, 'default');
    assert.equal(terminate.outcome, 'OK');
    assert.match(terminate.source, /127\.0\.0\.1/);
    assert.ok(terminate.ts);
    // The start itself is no admin call.
    assert.ok(!records.some((r) => r.operation === 'StartWorkflowExecution' && r.workflow_id === workflowId));
    // Earlier tests: the namespace registered by root, the reader's denied start, the expired token.
    assert.ok(records.some((r) => r.operation === 'RegisterNamespace' && r.caller === 'jwt:root' && r.outcome === 'OK'));
    assert.ok(records.some((r) => r.operation === 'StartWorkflowExecution' && r.caller === 'jwt:alice'
      && r.outcome === 'PERMISSION_DENIED' && /needs the write role/.test(r.error)));
    assert.ok(records.some((r) => r.operation === 'DescribeNamespace' && r.caller === 'anonymous'
      && r.outcome === 'UNAUTHENTICATED' && /token expired/.test(r.error)));
    assert.ok(records.some((r) => r.caller === 'cert:test-client' && r.outcome === 'PERMISSION_DENIED'));
    // No record carries a token.
    assert.ok(!fs.readFileSync(auditFile, 'utf8').includes(admin.split('.')[2]));
  });
});
