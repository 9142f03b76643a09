'use strict';
// scripts/start-dev, as a newcomer runs it: it prints the frontend and the Prometheus endpoint,
// serves an SDK client on the port it printed, exposes /metrics on the port chosen with
// --metrics-port, and stops tern-server and PostgreSQL on SIGTERM.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, describe, it } = require('node:test');
const { Connection } = require('@temporalio/client');

const { freePorts, waitFor } = require('./lib/harness');
const { scrape, total } = require('./lib/metrics');

const REPO = path.resolve(__dirname, '..', '..');

describe('scripts/start-dev', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-start-dev-'));
  fs.chmodSync(dataDir, 0o755); // the postgres user must reach its data dir inside
  let child;
  let output = '';
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints its metrics endpoint, serves it, and stops on SIGTERM', async () => {
    const [port, metricsPort] = await freePorts(2);
    child = spawn(path.join(REPO, 'scripts', 'start-dev'),
      ['--no-build', '--port', String(port), '--metrics-port', String(metricsPort), '--data-dir', dataDir],
      { env: { ...process.env, TERN_DEV_DB: 'tern_start_dev' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const exited = new Promise((resolve) => child.once('exit', resolve));

    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitFor('start-dev to print that Tern is running', () => {
      if (child.exitCode !== null) {
        throw Object.assign(new Error(`start-dev exited early:\n${output}`), { fatal: true });
      }
      return output.includes('Tern is running');
    }, { timeoutMs: 120_000 });
    assert.match(output, new RegExp(`frontend \\(SDKs, CLI\\)\\s+127\\.0\\.0\\.1:${port}`));
    assert.match(output, new RegExp(`metrics \\(Prometheus\\)\\s+${metricsUrl.replaceAll('.', '\\.')}`));

    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    await connection.close();
    const scraped = await scrape(metricsUrl);
    assert.equal(total(scraped, 'restarts', { service_name: 'server' }), 1);
    assert.ok(total(scraped, 'service_requests', { operation: 'DescribeNamespace', namespace: 'default' }) >= 1);

    child.kill('SIGTERM');
    await exited;
    assert.match(output, /stopping PostgreSQL/);
  });
});
