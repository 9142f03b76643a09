'use strict';
// Runs bench/run as a child process for the tests of the bench itself, and stops by PID any run
// a failed or timed-out test left behind.
const { spawn } = require('node:child_process');
const path = require('node:path');

const { withTimeout } = require('./harness');

const BENCH = path.resolve(__dirname, '..', '..', '..', 'bench', 'run');

// bench/run processes not yet exited: stopped by PID when a test failed or timed out.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// Runs bench/run `args`; resolves to {code, stdout, stderr} once it exited.
function bench(args, timeoutMs = 240_000) {
  const child = spawn(BENCH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.done = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return withTimeout(child.done, timeoutMs, `bench/run ${args.join(' ')}`);
}

// SIGTERM lets the bench stop its worker; SIGKILL if it has not exited 30 s later.
async function stopBenches() {
  await Promise.all([...running].map(async (child) => {
    child.kill('SIGTERM');
    await withTimeout(child.done, 30_000, `exit of bench/run (pid ${child.pid})`).catch(() => {
      child.kill('SIGKILL');
      return child.done;
    });
  }));
}

module.exports = { bench, stopBenches };
