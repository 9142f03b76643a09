'use strict';
// bench/run's command line: the usage text and parseOptions(), which validates every option
// and the combinations: --address (external mode) drives a running frontend, so the options
// that configure the PostgreSQL and tern-server the bench starts itself are refused with it, and
// the connection options (TLS, API key) are refused without it.

const fs = require('node:fs');
const { parseArgs } = require('node:util');

const { SCENARIOS } = require('./scenarios');

const USAGE = `Usage: bench/run [options]

Starts a private PostgreSQL (normal durability unless --pg-fast) and tern-server, an SDK worker
process, and runs the workflows of one scenario. With --address it drives a running frontend
instead (external mode) and starts only the SDK worker.

  --scenario NAME    one-activity (default): each workflow runs one trivial activity
                     fan-out: each starts --activities activities at once and waits for all
                     sequential: each runs --activities activities one after another
                     signals: each waits for --signals signals, which the client sends while
                       it runs, --signal-concurrency at a time per workflow
  --activities N     activities per workflow for fan-out (default 50) and sequential (20)
  --signals N        signals per workflow for signals (default 50)
  --signal-concurrency K  signals in flight per workflow (default 5)

  --workflows N      measured workflows (default: one-activity 1000, signals 200, others 100;
                     with --callgrind a tenth of that)
  --concurrency C    workflows in flight at once (default: one-activity 50, others 20;
                     with --callgrind 10)
  --warmup W         warm-up workflows before measuring (default: one-activity 50, others 10;
                     with --callgrind 10)
  --slots S          worker maxConcurrentWorkflowTaskExecutions and
                     maxConcurrentActivityTaskExecutions (default 100)
  --pollers N        worker's maximum concurrent polls per task type (workflow, activity);
                     default 0 = the SDK default (10 each)
  --non-sticky-ratio R  worker nonStickyToStickyPollRatio (default: the SDK's, 0.2)
  --eager-activities on|off  on (default, the SDK's default): the workflows let the SDK ask for
                     eager activity dispatch (allowEagerDispatch); off: every activity task goes
                     through matching
  --eager-start      the client asks for eager workflow start (requestEagerStart, off by default
                     in the SDK): it shares a NativeConnection with an SDK worker in its own
                     process, which runs the workflows (client CPU then includes that work)
  --no-sticky        worker maxCachedWorkflows 0: no workflow cache, so no sticky queue; every
                     workflow task goes to the normal queue with the full history
  --namespace NAME   the namespace the workflows run in (default default); the bench registers
                     it on its own server, an external one must have it already
  --timeout SEC      a workflow not complete after SEC seconds counts as failed and stops the run:
                     no more workflows start, those in flight finish or time out (default 60;
                     with --callgrind 600)
  --json             print one JSON object instead of the table

The server the bench starts (not with --address):
  --metrics on|off   on (default): tern-server serves /metrics and the bench scrapes it every
                     15 s, as Prometheus would, and reports Tern's RPCs per workflow; off: no
                     metrics address, so tern-server records no metrics at all
  --history-bytes    route the worker through a counting gRPC proxy (lib/history-proxy.js) and
                     report the history bytes sent in workflow tasks, sticky and normal
  --shards N         persistence.numHistoryShards (power of two, default 4)
  --partitions N     matching.numTaskqueuePartitions (default 4)
  --max-conns N      PostgreSQL connection pool size of tern-server (default 16)
  --frontend-transport grpc|h2  services.frontend.rpc.transport of tern-server (default: the
                     server's default); compare the two side by side
  --log-level L      tern-server log level (default info)
  --pg-fast          PostgreSQL with fsync/synchronous_commit/full_page_writes off (NOT durable;
                     the output says so)
  --keep             leave PostgreSQL and tern-server running (and the temp dir) for inspection
  --callgrind        run tern-server under valgrind --tool=callgrind and report the instructions
                     (Ir) it executes per workflow in the measured phase, and its top functions:
                     a count that hardly drifts on a busy machine. tern-server runs its threads
                     one at a time and uses ~10x the CPU, so throughput, latency, CPU and memory
                     figures are not comparable; the defaults above shrink (options given are
                     kept) and start-up may take 10 minutes. Needs valgrind (scripts/install-deps)

External mode: drive a running Tern or any Temporal-compatible frontend:
  --address HOST:PORT  its frontend; the bench starts no PostgreSQL and no tern-server and reports
                     only what a client observes (no server CPU, database or RPC figures)
  --tls              TLS with the system's CA roots (implied by every option below)
  --tls-ca PATH      CA certificate(s) (PEM) that verify the server
  --tls-cert PATH    client certificate (PEM) for mTLS; needs --tls-key
  --tls-key PATH     its private key (PEM); needs --tls-cert
  --tls-server-name NAME  the name to verify the server's certificate against (default: HOST)
  --api-key KEY      sent as "Authorization: Bearer KEY" (implies TLS, as in the SDK)
  -h, --help

Env: TERN_BIN_DIR (default build/bin), PG_BIN (default newest /usr/lib/postgresql/*/bin).`;

// Options that configure the PostgreSQL and tern-server the bench starts: meaningless with
// --address.
const SERVER_OPTIONS = ['metrics', 'eager-start', 'history-bytes', 'shards', 'partitions', 'max-conns', 'log-level', 'pg-fast', 'keep',
  'callgrind', 'frontend-transport'];
// How the bench reaches an external frontend: its own tern-server has no TLS and no authorizer.
const CONNECTION_OPTIONS = ['tls', 'tls-ca', 'tls-cert', 'tls-key', 'tls-server-name', 'api-key'];
const PEM_FILES = ['tls-ca', 'tls-cert', 'tls-key'];

const usageError = (message) => Object.assign(new Error(message), { usage: true });

// The command line of a bench entry point: parseArgs's `options` plus --json and -h/--help, no
// positionals; --help prints `usage` and exits 0. Returns {values, tokens, int}: int(name, min,
// fallback) is integer option `name` (`fallback` when it is ''), or a usage error naming it.
function parseCommandLine(argv, options, usage) {
  const { values, tokens } = parseArgs({
    args: argv,
    options: {
      ...options,
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
    tokens: true, // which options were given, as opposed to defaulted
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name, min, fallback) => {
    const v = Number(values[name] === '' ? fallback : values[name]);
    if (!Number.isInteger(v) || v < min) throw usageError(`--${name} must be an integer >= ${min}`);
    return v;
  };
  return { values, tokens, int };
}

// Throws a usage error naming the option when a combination makes no sense or a file is unusable.
function checkCombinations(values, given) {
  if (values.address !== undefined) {
    // host:port, [v6]:port
    if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(values.address)) {
      throw usageError('--address must be HOST:PORT, e.g. tern.example.com:7233');
    }
    const serverOption = SERVER_OPTIONS.find((name) => given.has(name));
    if (serverOption) {
      throw usageError(`--${serverOption} cannot be used with --address: it applies to the PostgreSQL ` +
        'and tern-server the bench starts itself, and with --address it starts neither');
    }
  } else {
    const connectionOption = CONNECTION_OPTIONS.find((name) => given.has(name));
    if (connectionOption) {
      throw usageError(`--${connectionOption} needs --address: the tern-server the bench starts itself ` +
        'has no TLS and no authorization');
    }
  }
  if (given.has('tls-cert') && !given.has('tls-key')) throw usageError('--tls-cert needs --tls-key');
  if (given.has('tls-key') && !given.has('tls-cert')) throw usageError('--tls-key needs --tls-cert');
  for (const name of PEM_FILES.filter((n) => values[n] !== undefined)) {
    let text;
    try {
      text = fs.readFileSync(values[name], 'utf8');
    } catch (err) {
      throw usageError(`--${name} ${values[name]}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    }
    if (!text.includes('-----BEGIN ')) throw usageError(`--${name} ${values[name]}: no PEM block in it`);
  }
  for (const name of ['namespace', 'api-key', 'tls-server-name']) {
    if (values[name] === '') throw usageError(`--${name} must not be empty`);
  }
}

function parseOptions(argv) {
  const { values, tokens, int } = parseCommandLine(argv, {
    scenario: { type: 'string', default: 'one-activity' },
    activities: { type: 'string', default: '' },
    signals: { type: 'string', default: '50' },
    'signal-concurrency': { type: 'string', default: '5' },
    workflows: { type: 'string', default: '' },
    concurrency: { type: 'string', default: '' },
    warmup: { type: 'string', default: '' },
    slots: { type: 'string', default: '100' },
    pollers: { type: 'string', default: '0' },
    'non-sticky-ratio': { type: 'string', default: '' },
    'no-sticky': { type: 'boolean', default: false },
    'eager-activities': { type: 'string', default: 'on' },
    'eager-start': { type: 'boolean', default: false },
    'history-bytes': { type: 'boolean', default: false },
    metrics: { type: 'string', default: 'on' },
    shards: { type: 'string', default: '4' },
    partitions: { type: 'string', default: '4' },
    'max-conns': { type: 'string', default: '16' },
    'frontend-transport': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'pg-fast': { type: 'boolean', default: false },
    namespace: { type: 'string', default: 'default' },
    address: { type: 'string' },
    tls: { type: 'boolean', default: false },
    'tls-ca': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-server-name': { type: 'string' },
    'api-key': { type: 'string' },
    timeout: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    callgrind: { type: 'boolean', default: false },
  }, USAGE);
  const scenario = SCENARIOS[values.scenario];
  if (!scenario) throw usageError(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')}`);
  if (!['grpc', 'h2', undefined].includes(values['frontend-transport'])) {
    throw usageError('--frontend-transport must be grpc or h2');
  }
  checkCombinations(values, new Set(tokens.filter((t) => t.kind === 'option').map((t) => t.name)));
  // Under callgrind tern-server uses ~10x the CPU per workflow: a tenth of the workflows, fewer in
  // flight, a longer timeout.
  const defaults = { ...scenario.defaults, timeout: 60 };
  if (values.callgrind) {
    Object.assign(defaults, {
      workflows: Math.max(1, Math.round(defaults.workflows / 10)),
      concurrency: Math.min(10, defaults.concurrency),
      warmup: Math.min(10, defaults.warmup),
      timeout: 600,
    });
  }
  const opts = {
    scenarioName: values.scenario,
    scenario,
    activities: int('activities', 1, scenario.defaults.activities ?? 1),
    signals: int('signals', 1),
    signalConcurrency: int('signal-concurrency', 1),
    workflows: int('workflows', 1, defaults.workflows),
    concurrency: int('concurrency', 1, defaults.concurrency),
    warmup: int('warmup', 0, defaults.warmup),
    slots: int('slots', 1),
    pollers: int('pollers', 0),
    nonStickyRatio: values['non-sticky-ratio'],
    noSticky: values['no-sticky'],
    eagerActivities: values['eager-activities'] === 'on',
    eagerStart: values['eager-start'],
    historyBytes: values['history-bytes'],
    metrics: values.metrics === 'on',
    shards: int('shards', 1),
    partitions: int('partitions', 1),
    maxConns: int('max-conns', 1),
    frontendTransport: values['frontend-transport'],
    timeoutMs: int('timeout', 1, defaults.timeout) * 1000,
    logLevel: values['log-level'],
    pgFast: values['pg-fast'],
    namespace: values.namespace,
    address: values.address, // undefined: the bench starts its own server
    // How the client and the worker reach the frontend (lib/connection.js).
    connection: {
      tls: CONNECTION_OPTIONS.some((name) => values[name] !== undefined && values[name] !== false),
      ca: values['tls-ca'],
      cert: values['tls-cert'],
      key: values['tls-key'],
      serverName: values['tls-server-name'],
      apiKey: values['api-key'],
    },
    json: values.json,
    keep: values.keep,
    callgrind: values.callgrind,
  };
  if ((opts.shards & (opts.shards - 1)) !== 0) throw usageError('--shards must be a power of two');
  if (!['on', 'off'].includes(values.metrics)) throw usageError('--metrics must be on or off');
  if (!['on', 'off'].includes(values['eager-activities'])) throw usageError('--eager-activities must be on or off');
  if (opts.nonStickyRatio !== '' && !(Number(opts.nonStickyRatio) > 0 && Number(opts.nonStickyRatio) <= 1)) {
    throw usageError('--non-sticky-ratio must be in (0, 1]');
  }
  return opts;
}

module.exports = { parseCommandLine, parseOptions, usageError };
