'use strict';
// A Docker engine and the images the deploy tests need, on a machine with no container
// registry (../shared/reference/CONTAINERS.md): Debian's dockerd started by the test when none
// answers (and stopped by its PID), a Debian base made with debootstrap + `docker import`, the
// Tern image built from the already-built binaries (BINARIES=prebuilt), and a PostgreSQL
// stand-in for the public postgres image. Images are kept between runs as a cache; containers
// never are.

const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { waitFor } = require('../../sdk/lib/harness');

const execFileP = promisify(execFile);

const REPO = path.resolve(__dirname, '..', '..', '..');
// Debian's client: a newer /usr/local/bin/docker may shadow it and lacks BuildKit.
const DOCKER = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const BASE_IMAGE = 'local/debian:bookworm';
const TERN_IMAGE = 'tern:test';
const POSTGRES_IMAGE = 'tern-test/postgresql:15';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

async function run(file, args, { env, timeoutMs = 600_000, cwd = REPO } = {}) {
  try {
    const { stdout } = await execFileP(file, args, {
      cwd,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const output = `${err.stdout || ''}${err.stderr || ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${output}`);
  }
}

const docker = (args, options) => run(DOCKER, args, options);

async function engineAnswers() {
  return docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 }).then(
    () => true,
    () => false,
  );
}

// Returns a handle whose stop() stops the engine if this call started it.
async function ensureEngine() {
  if (await engineAnswers()) return { started: false, stop: async () => {} };
  const log = fs.openSync(path.join(os.tmpdir(), `tern-dockerd-${process.pid}.log`), 'w');
  const dockerd = spawn('/usr/sbin/dockerd', ['--storage-driver=overlay2'], {
    stdio: ['ignore', log, log],
  });
  const exited = new Promise((resolve) => dockerd.once('exit', resolve));
  await waitFor('dockerd to answer', engineAnswers, { timeoutMs: 60_000, intervalMs: 250 });
  return {
    started: true,
    stop: async () => {
      dockerd.kill('SIGTERM');
      const deadline = new Promise((resolve) => setTimeout(resolve, 60_000, 'timeout'));
      if ((await Promise.race([exited, deadline])) === 'timeout') dockerd.kill('SIGKILL');
      fs.closeSync(log);
    },
  };
}

async function imageExists(name) {
  return docker(['image', 'inspect', name], { timeoutMs: 30_000 }).then(
    () => true,
    () => false,
  );
}

async function ensureBaseImage() {
  if (await imageExists(BASE_IMAGE)) return;
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-rootfs-'));
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, DEBIAN_MIRROR]);
    await run('bash', ['-c', 'tar -C "$0" -c . | "$1" import - "$2"', rootfs, DOCKER, BASE_IMAGE]);
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

// What the image ships (scripts/stage-binaries' list).
const IMAGE_BINARIES = ['tern-server', 'tern-frontend', 'tern-history', 'tern-matching',
  'tern-worker', 'tern'];

// Fills deploy/docker/bin: scripts/stage-binaries builds and installs (a no-op build after
// scripts/test's own); with TERN_SKIP_BUILD=1 the build tree is only read, by stripping copies
// of the binaries already in TERN_BIN_DIR.
async function stageBinaries() {
  const dest = path.join(REPO, 'deploy', 'docker');
  if (process.env.TERN_SKIP_BUILD !== '1') {
    await run(path.join(REPO, 'scripts', 'stage-binaries'), [dest]);
    return;
  }
  const binDir = process.env.TERN_BIN_DIR || path.join(REPO, 'build', 'bin');
  fs.mkdirSync(path.join(dest, 'bin'), { recursive: true });
  for (const name of IMAGE_BINARIES) {
    await run('strip', ['-o', path.join(dest, 'bin', name), path.join(binDir, name)]);
  }
}

// The Tern image from the binaries staged in deploy/docker/bin.
async function buildTernImage() {
  await stageBinaries();
  await docker(
    ['build', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '--build-arg', 'BINARIES=prebuilt',
      '-t', TERN_IMAGE, '.'],
    { env: { DOCKER_BUILDKIT: '1' } },
  );
}

async function buildPostgresImage() {
  await docker(['build', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '-t', POSTGRES_IMAGE,
    path.join(__dirname, '..', 'images', 'postgresql')]);
}

// Everything the compose tests need: an engine, the base, the Tern and PostgreSQL images.
async function prepareImages() {
  const engine = await ensureEngine();
  try {
    await ensureBaseImage();
    await buildTernImage();
    await buildPostgresImage();
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}

module.exports = {
  DOCKER,
  POSTGRES_IMAGE,
  TERN_IMAGE,
  docker,
  prepareImages,
  run,
};
