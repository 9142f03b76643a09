'use strict';
// TLS on the frontend as an SDK user and an operator see it: a client certificate from the
// cluster's CA connects and runs workflows; other clients are refused at the handshake with the
// messages docs/operations.md lists; TLS 1.2 is the floor; start-up and --check-config refuse
// unusable files naming the key and the problem; and replaced certificate files are taken up by
// new connections without a restart while a worker keeps running.
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const tlsSocket = require('node:tls');
const { after, before, describe, it } = require('node:test');

const { makeCerts } = require('./lib/certs');
const {
  connectClient, dumpLogsOnFailure, freePorts, startTern, startWorker, uniqueName, waitFor,
} = require('./lib/harness');
const { scrape, total } = require('./lib/metrics');

const BIN_DIR = process.env.TERN_BIN_DIR || path.resolve(__dirname, '..', '..', 'build', 'bin');

const certs = makeCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'tern-tls-certs-')));
const read = (file) => fs.readFileSync(file);

// global.tls.frontend for a server pair under `dir` (cert.pem, key.pem), clients verified by ca.
function frontendTls(certFile, keyFile, extra = {}) {
  return {
    frontend: {
      server: { certFile, keyFile, clientCaFiles: [certs.ca], requireClientAuth: true },
      client: { serverName: 'localhost', rootCaFiles: [certs.ca] },
    },
    ...extra,
  };
}

// The certificate a new TLS connection to the frontend presents, and the protocol version.
function handshake(tern, { minVersion, maxVersion } = {}) {
  const [host, port] = tern.address.split(':');
  return new Promise((resolve, reject) => {
    const socket = tlsSocket.connect({
      host,
      port: Number(port),
      servername: 'localhost',
      ca: read(certs.ca),
      cert: read(certs.client.cert),
      key: read(certs.client.key),
      ALPNProtocols: ['h2'],
      minVersion,
      maxVersion,
    }, () => {
      const result = { subject: socket.getPeerCertificate().subject.CN, protocol: socket.getProtocol() };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}

async function nativeConnectError(tern, tls) {
  const { NativeConnection } = require('@temporalio/worker');
  const connection = await NativeConnection.connect({ address: tern.address, tls }).catch((err) => err);
  assert.ok(connection instanceof Error, 'the worker connection was accepted');
  return connection.message;
}

async function clientConnectError(tern, tls) {
  const { Connection } = require('@temporalio/client');
  const connection = await Connection.connect({ address: tern.address, tls, connectTimeout: 2_000 })
    .catch((err) => err);
  assert.ok(connection instanceof Error, 'the client connection was accepted');
  return connection.message;
}

describe('frontend mTLS', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  let tern;
  before(async () => {
    tern = await startTern({
      tls: frontendTls(certs.server.cert, certs.server.key),
      clientTls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key, serverName: 'localhost' },
    });
  });
  after(async () => tern?.stop());

  it('runs a workflow for a client whose certificate the CA signed', async () => {
    const taskQueue = uniqueName('tls');
    const worker = await startWorker(tern, { taskQueue, activities: { greet: async (n) => `Hello, ${n}` } });
    const { client, connection } = await connectClient(tern);
    try {
      const result = await client.workflow.execute('activityThenTimer', {
        taskQueue, workflowId: uniqueName('tls-wf'), args: ['TLS', 10],
      });
      assert.match(result, /^Hello, TLS/);
    } finally {
      await connection.close();
      await worker.stop();
    }
  });

  it('refuses clients without a good certificate, with the documented messages', async () => {
    const ca = read(certs.ca);
    const pair = (p) => ({ crt: read(p.cert), key: read(p.key) });
    // The worker's (core SDK's) connection sees the server close the connection during or right
    // after the handshake; the underlying error (no close_notify, broken pipe, connection closed)
    // depends on when the close arrives.
    const closed = /Failed to call GetSystemInfo: .*transport::Error\(Transport/;
    const refusals = [
      // [what, SDK tls options, the server's log line]
      ['no client certificate', { serverRootCACertificate: ca, serverNameOverride: 'localhost' },
        /peer did not return a certificate/],
      ['a certificate from another CA',
        { serverRootCACertificate: ca, serverNameOverride: 'localhost', clientCertPair: pair(certs.otherClient) },
        /certificate verify failed/],
      ['an expired certificate',
        { serverRootCACertificate: ca, serverNameOverride: 'localhost', clientCertPair: pair(certs.expiredClient) },
        /certificate verify failed/],
    ];
    for (const [what, tls, logLine] of refusals) {
      assert.match(await nativeConnectError(tern, tls), closed, what);
      assert.match(await clientConnectError(tern, tls), /Failed to connect before the deadline/, what);
      await waitFor(`the server to log the refused handshake (${what})`,
        () => tern.logLines().some((l) => l.includes('tls: handshake with') && logLine.test(l)));
    }
    // The client checks the server's name: a name the certificate does not carry is refused.
    const wrongName = { serverRootCACertificate: ca, serverNameOverride: 'other.example', clientCertPair: pair(certs.client) };
    assert.match(await nativeConnectError(tern, wrongName), /NotValidForName.*other\.example/);
    assert.match(await clientConnectError(tern, wrongName), /Failed to connect before the deadline/);
  });

  it('negotiates TLS 1.3 and refuses anything older than TLS 1.2', async () => {
    assert.equal((await handshake(tern)).protocol, 'TLSv1.3');
    assert.equal((await handshake(tern, { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
    await assert.rejects(handshake(tern, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' }));
  });

  it('lets the CLI in with --tls-* flags and TEMPORAL_TLS_* variables', () => {
    const tern_ = path.join(BIN_DIR, 'tern');
    const flags = spawnSync(tern_, ['--address', tern.address, '--tls-ca-path', certs.ca,
      '--tls-cert-path', certs.client.cert, '--tls-key-path', certs.client.key,
      '--tls-server-name', 'localhost', 'cluster', 'health'], { encoding: 'utf8' });
    assert.equal(flags.status, 0, flags.stderr);
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: tern.address,
      TEMPORAL_TLS_CA: certs.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.client.key,
    };
    // The frontend's certificate names localhost and 127.0.0.1, not other.example.
    const wrongName = spawnSync(tern_, ['--tls-server-name', 'other.example', 'cluster', 'health'],
      { encoding: 'utf8', env });
    assert.notEqual(wrongName.status, 0);
    const skipped = spawnSync(tern_, ['--tls-server-name', 'other.example', 'cluster', 'health'],
      { encoding: 'utf8', env: { ...env, TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' } });
    assert.equal(skipped.status, 0, skipped.stderr);
    // Without the roots the chain cannot be verified, host verification or not.
    const { TEMPORAL_TLS_CA: _, ...noRoots } = env;
    const unverified = spawnSync(tern_, ['--tls-disable-host-verification', '--command-timeout', '3s',
      'cluster', 'health'], { encoding: 'utf8', env: noRoots });
    assert.notEqual(unverified.status, 0);
  });
});

describe('internode mTLS', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  // Every internal port and client: history, matching and worker listen with it, and the
  // frontend, history and matching present it to each other.
  const internode = (pair, ca) => ({
    server: { certFile: pair.cert, keyFile: pair.key, clientCaFiles: [ca], requireClientAuth: true },
    client: { serverName: 'localhost', rootCaFiles: [ca] },
  });
  let tern;
  let rogue;
  before(async () => {
    tern = await startTern({
      cluster: true,
      tls: { ...frontendTls(certs.server.cert, certs.server.key), internode: internode(certs.server, certs.ca) },
      clientTls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key, serverName: 'localhost' },
    });
  });
  after(async () => {
    if (rogue && rogue.exitCode === null) {
      rogue.kill('SIGKILL');
      await new Promise((resolve) => rogue.once('exit', resolve));
    }
    await tern?.stop();
  });

  it('runs workflows across four processes that only speak mTLS to each other', async () => {
    const taskQueue = uniqueName('internode');
    const worker = await startWorker(tern, { taskQueue, activities: { greet: async (n) => `Hello, ${n}` } });
    const { client, connection } = await connectClient(tern);
    try {
      const results = await Promise.all([1, 2, 3].map((i) => client.workflow.execute('activityThenTimer', {
        taskQueue, workflowId: uniqueName(`internode-${i}`), args: [`node ${i}`, 10],
      })));
      results.forEach((r, i) => assert.match(r, new RegExp(`^Hello, node ${i + 1}`)));
    } finally {
      await connection.close();
      await worker.stop();
    }
    // A plaintext client cannot reach the history port.
    const history = `127.0.0.1:${tern.ports.history}`;
    const plain = spawnSync(path.join(BIN_DIR, 'tern'), ['--address', history, '--command-timeout', '3s',
      'cluster', 'health'], { encoding: 'utf8' });
    assert.notEqual(plain.status, 0, 'history answered a plaintext client');
  });

  it('refuses a process whose certificate another CA signed', async () => {
    // A second frontend whose internode certificate the other CA signed (it trusts the cluster's
    // CA, so the refusal is the cluster's, not its own).
    const [port] = await freePorts(1);
    const config = fs.readFileSync(tern.config, 'utf8')
      .replace(/^  tls: .*$/m, `  tls: ${JSON.stringify({
        ...frontendTls(certs.server.cert, certs.server.key),
        internode: { ...internode(certs.otherServer, certs.otherCa), client: { serverName: 'localhost', rootCaFiles: [certs.ca] } },
      })}`)
      .replace(/^  frontend: \{rpc: \{grpcPort: \d+/m, `  frontend: {rpc: {grpcPort: ${port}`);
    const rogueConfig = path.join(tern.dir, 'rogue.yaml');
    fs.writeFileSync(rogueConfig, config);
    const rogueLog = path.join(tern.dir, 'rogue.log');
    const fd = fs.openSync(rogueLog, 'a');
    rogue = spawn(path.join(BIN_DIR, 'tern-frontend'), ['--config', rogueConfig], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const viaRogue = (args) => spawnSync(path.join(BIN_DIR, 'tern'), ['--address', `127.0.0.1:${port}`,
      ...tern.cliFlags, '--command-timeout', '5s', ...args], { encoding: 'utf8' });
    await waitFor('the rogue frontend to serve', () => viaRogue(['cluster', 'health']).status === 0);

    // Its calls to history are refused at the handshake, and history logs why.
    const describe_ = viaRogue(['workflow', 'describe', '-w', 'nothing-here']);
    assert.notEqual(describe_.status, 0);
    const logged = (file, pattern) => fs.readFileSync(file, 'utf8').split('\n').some((l) => pattern.test(l));
    await waitFor('history to log the refused handshake', () => logged(tern.logs['tern-history'],
      /grpc: Handshake failed.*certificate verify failed/));
    // The caller sees the frontend's call to history fail.
    assert.match(describe_.stderr,
      new RegExp(`failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127\\.0\\.0\\.1:${tern.ports.history}`));

    // The cluster itself is unaffected.
    const real = spawnSync(path.join(BIN_DIR, 'tern'), ['--address', tern.address, ...tern.cliFlags,
      'workflow', 'describe', '-w', 'nothing-here'], { encoding: 'utf8' });
    assert.match(real.stderr, /not found/i);
  });
});

describe('unusable TLS files', () => {
  // A config that would start but for global.tls; --check-config and a real start judge it alike.
  function check(tls) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-tls-check-'));
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(config, [
      'global:',
      `  tls: ${JSON.stringify(tls)}`,
      'persistence:',
      '  numHistoryShards: 4',
      '  defaultStore: default',
      '  datastores:',
      '    default:',
      '      sql: {pluginName: postgres, databaseName: tern, connectAddr: "127.0.0.1:1", user: postgres}',
      'services:',
      '  frontend: {rpc: {grpcPort: 0, bindOnIP: 127.0.0.1}}',
      '',
    ].join('\n'));
    const checked = spawnSync(path.join(BIN_DIR, 'tern-server'), ['--config', config, '--check-config'],
      { encoding: 'utf8', timeout: 30_000 });
    const started = spawnSync(path.join(BIN_DIR, 'tern-frontend'), ['--config', config],
      { encoding: 'utf8', timeout: 30_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.notEqual(checked.status, 0, 'check-config accepted it');
    assert.notEqual(started.status, 0, 'the frontend started');
    assert.equal(started.signal, null, 'the frontend did not exit on its own');
    return [checked.stderr, started.stderr];
  }

  for (const [what, tls, message] of [
    ['a missing file', () => frontendTls('/nonexistent/cert.pem', certs.server.key),
      /global\.tls\.frontend\.server\.certFile: cannot read \/nonexistent\/cert\.pem: No such file/],
    ['an expired certificate', () => frontendTls(certs.expiredClient.cert, certs.expiredClient.key),
      /global\.tls\.frontend\.server\.certFile: .*expired-client\.pem.*expired/],
    ['a key that does not match', () => frontendTls(certs.server.cert, certs.client.key),
      /global\.tls\.frontend\.server\.keyFile: .*client\.key.*does not match/],
    ['a CA file that is no CA', () => {
      const tls = frontendTls(certs.server.cert, certs.server.key);
      tls.frontend.server.clientCaFiles = [certs.client.cert];
      return tls;
    }, /global\.tls\.frontend\.server\.clientCaFiles.*client\.pem.*not a CA/],
    ['a file with no PEM in it', () => {
      const notPem = path.join(certs.dir, 'not-pem.txt');
      fs.writeFileSync(notPem, 'hello\n');
      return frontendTls(notPem, certs.server.key);
    },
      /global\.tls\.frontend\.server\.certFile: .*no PEM/],
  ]) {
    it(`refuses ${what}, naming the key and the file`, () => {
      for (const stderr of check(tls())) assert.match(stderr, message);
    });
  }
});

describe('certificate rotation', { timeout: 300_000 }, () => {
  dumpLogsOnFailure();
  // The server's pair lives where a Kubernetes secret volume puts it: behind a `..data` symlink
  // that is swapped atomically when the secret changes.
  const live = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-tls-live-'));
  let version = 0;
  function publish(cert, key) {
    version += 1;
    const dir = path.join(live, `v${version}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'tls.crt'), cert);
    fs.writeFileSync(path.join(dir, 'tls.key'), key);
    fs.symlinkSync(`v${version}`, path.join(live, '..data.next'));
    fs.renameSync(path.join(live, '..data.next'), path.join(live, '..data'));
  }
  publish(read(certs.server.cert), read(certs.server.key));
  fs.symlinkSync('..data/tls.crt', path.join(live, 'tls.crt'));
  fs.symlinkSync('..data/tls.key', path.join(live, 'tls.key'));

  let tern;
  before(async () => {
    tern = await startTern({
      metrics: true,
      tls: frontendTls(path.join(live, 'tls.crt'), path.join(live, 'tls.key'), { refreshInterval: '200ms' }),
      clientTls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key, serverName: 'localhost' },
    });
  });
  after(async () => {
    await tern?.stop();
    fs.rmSync(live, { recursive: true, force: true });
  });

  const reloads = async (outcome) => total(await scrape(tern.metricsUrl), 'tern_tls_reloads_total',
    { group: 'frontend', outcome });

  it('presents a replaced certificate on new connections while a worker keeps running', async () => {
    const taskQueue = uniqueName('rotate');
    const worker = await startWorker(tern, { taskQueue });
    const { client, connection } = await connectClient(tern);
    try {
      assert.equal((await handshake(tern)).subject, 'tern-server');
      const handle = await client.workflow.start('collectSignals', {
        taskQueue, workflowId: uniqueName('rotate-wf'), args: [2],
      });
      await handle.signal('item', 'before');

      publish(read(certs.server2.cert), read(certs.server2.key));
      await waitFor('new connections to present the new certificate',
        async () => (await handshake(tern)).subject === 'tern-server-rotated');
      assert.equal(await reloads('reloaded'), 1);
      assert.equal(await reloads('rejected'), 0);

      // The existing connections (client and worker) carry on; a new one works as well.
      const fresh = await connectClient(tern);
      try {
        await fresh.client.workflow.getHandle(handle.workflowId).signal('item', 'after');
      } finally {
        await fresh.connection.close();
      }
      assert.deepEqual(await handle.result(), ['before', 'after']);
      assert.equal(worker.failed, undefined);
    } finally {
      await connection.close();
      await worker.stop();
    }
  });

  it('keeps the certificate in use when the new files are broken, and says why', async () => {
    publish('not a certificate\n', read(certs.server2.key));
    await waitFor('the broken files to be rejected', async () => (await reloads('rejected')) === 1);
    assert.ok(tern.logLines().some((l) =>
      l.includes('the changed frontend certificate files are not usable') && l.includes('no PEM')));
    assert.equal((await handshake(tern)).subject, 'tern-server-rotated');
    const { client, connection } = await connectClient(tern);
    try {
      await client.workflowService.getSystemInfo({});
    } finally {
      await connection.close();
    }
  });
});
