'use strict';
// Running the `tern` CLI binary from tests: exit code, stdout and stderr, and the checks every
// CLI test makes on them.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');

const BIN_DIR = process.env.TERN_BIN_DIR || path.join(__dirname, '..', '..', '..', 'build', 'bin');
const TERN = path.join(BIN_DIR, 'tern');

// Runs `tern <args>` and resolves to { code, stdout, stderr } whatever the exit code. stdin is
// a pipe that is closed at once, as in a script: a prompt must refuse, never wait.
function run(args, { timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(TERN, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`tern ${args.join(' ')}: ${err.message}\n${stderr}`));
      } else {
        resolve({ code: err ? err.code : 0, stdout, stderr });
      }
    });
    child.stdin.end();
  });
}

// Asserts success (showing stderr if not) and returns stdout.
function ok(result, what) {
  assert.equal(result.code, 0, `${what} failed (exit ${result.code}): ${result.stderr}`);
  return result.stdout;
}

// Asserts exit code `code` with exactly one line on stderr, which is returned.
function fails(result, code, what) {
  assert.equal(result.code, code, `${what}: expected exit ${code}, got ${result.code}: ` +
    `${result.stdout}${result.stderr}`);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: expected one line on stderr, got:\n${result.stderr}`);
  assert.ok(result.stderr.endsWith('\n'));
  return lines[0];
}

module.exports = { TERN, fails, ok, run };
