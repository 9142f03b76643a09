'use strict';
// Tern's monitoring artifacts, checked without a cluster: the Prometheus alert rules pass
// `promtool check rules` and their unit tests (`promtool test rules`), each alert has a test
// where it fires and one where it stays quiet, a severity, a summary, a description and a
// runbook section in docs/runbooks.md; every Grafana dashboard is a well-formed Grafana 11
// dashboard on the provisioned Prometheus data source whose queries parse and show data when
// every metric has series; and every metric the dashboards and rules read is one the server
// defines (the generated table in docs/operations.md, Temporal's names) or one the official SDKs' workers emit
// (SDK_METRICS), read with the labels those metrics carry.
//
// Run: cd tests/deploy && node --test monitoring.test.js   (needs promtool: Debian's
// `prometheus` package, or PROMTOOL=/path/to/promtool).
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { describe, it } = require('node:test');
const {
  dashboardExpressions,
  familyOf,
  kindOf,
  loadDashboards,
  loadRuleFiles,
  monitoringMetrics,
  parsePromQL,
  parseYaml,
  promqlMetricNames,
  rulesOf,
  variableQueryExpr,
} = require('./lib/metric-names');
const { documentedMetrics } = require('../sdk/lib/metrics');

const execFileP = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');
const PROM_DIR = path.join(REPO, 'deploy', 'prometheus');
const RULES_DIR = path.join(PROM_DIR, 'rules');
const PROM_TESTS_DIR = path.join(PROM_DIR, 'tests');
const GRAFANA_DIR = path.join(REPO, 'deploy', 'grafana');
const RUNBOOKS = path.join(REPO, 'docs', 'runbooks.md');
const PROMTOOL = process.env.PROMTOOL || 'promtool';

// What the server exposes: the metric table docs/operations.md holds, generated from
// common/metrics.cc (Temporal's names; counters without `_total`, histograms as
// _bucket/_sum/_count). tests/sdk/metrics.test.js holds a live scrape to the same table.
const SERVER_METRICS = Object.fromEntries(
  [...documentedMetrics()].map(([name, { type, labels }]) => [name, [type, labels]]),
);

// What the official Core-based SDKs' workers expose with their Prometheus exporter's defaults
// (prefix temporal_, no `_total`, durations in milliseconds). Scraped from the workers.
const SDK_WORKER = ['namespace', 'task_queue'];
const SDK_METRICS = {
  temporal_workflow_task_schedule_to_start_latency: ['histogram', SDK_WORKER],
  temporal_workflow_task_execution_latency: ['histogram', [...SDK_WORKER, 'workflow_type']],
  temporal_workflow_task_execution_failed: ['counter', [...SDK_WORKER, 'workflow_type', 'failure_reason']],
  temporal_workflow_task_queue_poll_succeed: ['counter', SDK_WORKER],
  temporal_workflow_task_queue_poll_empty: ['counter', SDK_WORKER],
  temporal_workflow_completed: ['counter', [...SDK_WORKER, 'workflow_type']],
  temporal_workflow_failed: ['counter', [...SDK_WORKER, 'workflow_type']],
  temporal_workflow_canceled: ['counter', [...SDK_WORKER, 'workflow_type']],
  temporal_workflow_continue_as_new: ['counter', [...SDK_WORKER, 'workflow_type']],
  temporal_activity_schedule_to_start_latency: ['histogram', [...SDK_WORKER, 'activity_type', 'workflow_type']],
  temporal_activity_execution_latency: ['histogram', [...SDK_WORKER, 'activity_type', 'workflow_type']],
  temporal_activity_execution_failed: ['counter', [...SDK_WORKER, 'activity_type', 'workflow_type']],
  temporal_activity_poll_no_task: ['counter', SDK_WORKER],
  temporal_num_pollers: ['gauge', [...SDK_WORKER, 'poller_type']],
  temporal_worker_task_slots_available: ['gauge', [...SDK_WORKER, 'worker_type']],
  temporal_worker_task_slots_used: ['gauge', [...SDK_WORKER, 'worker_type']],
  temporal_sticky_cache_size: ['gauge', SDK_WORKER],
  temporal_sticky_cache_hit: ['counter', SDK_WORKER],
  temporal_sticky_cache_miss: ['counter', SDK_WORKER],
  temporal_sticky_cache_total_forced_eviction: ['counter', SDK_WORKER],
  temporal_request: ['counter', [...SDK_WORKER, 'operation']],
  temporal_request_failure: ['counter', [...SDK_WORKER, 'operation']],
  temporal_request_latency: ['histogram', [...SDK_WORKER, 'operation']],
  temporal_long_request: ['counter', [...SDK_WORKER, 'operation']],
  temporal_long_request_failure: ['counter', [...SDK_WORKER, 'operation']],
  temporal_long_request_latency: ['histogram', [...SDK_WORKER, 'operation']],
};

// Labels every scraped series has: the scrape job and target, and service_name (set by the
// server and by deploy/prometheus/prometheus.yml's relabelling).
const TARGET_LABELS = ['job', 'instance', 'service_name'];
const PROMETHEUS_METRICS = { up: ['gauge', []] };

const CATALOG = { ...SERVER_METRICS, ...SDK_METRICS, ...PROMETHEUS_METRICS };
const HISTOGRAMS = new Set(Object.keys(CATALOG).filter((n) => CATALOG[n][0] === 'histogram'));

// The catalog entry of a series name as written (`service_latency_bucket` -> service_latency),
// or undefined; a histogram read without a suffix, or a counter with one, has no entry.
function catalogEntry(series) {
  const family = familyOf(series, HISTOGRAMS);
  const entry = CATALOG[family];
  if (!entry) return undefined;
  const isHistogram = entry[0] === 'histogram';
  if (isHistogram === (family === series)) return undefined;
  return { family, type: entry[0], labels: [...entry[1], ...TARGET_LABELS, ...(series.endsWith('_bucket') ? ['le'] : [])] };
}

async function promtool(args) {
  try {
    const { stdout, stderr } = await execFileP(PROMTOOL, args, { cwd: REPO, timeout: 60_000 });
    return `${stdout}${stderr}`;
  } catch (err) {
    if (err.code === 'ENOENT') {
      throw new Error(`${PROMTOOL} not found: install Debian's prometheus package or set PROMTOOL`);
    }
    throw new Error(`promtool ${args.join(' ')} failed:\n${err.stdout || ''}${err.stderr || ''}`);
  }
}

const ymlFiles = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.yml')).sort().map((f) => path.join(dir, f));
const rel = (file) => path.relative(REPO, file);
const alerts = () => rulesOf(loadRuleFiles(RULES_DIR)).filter(({ rule }) => rule.alert);

// A Grafana query as plain PromQL: interval variables become 5m, other variables match all.
function grafanaToPromQL(expr) {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m').replace(/\$\{?[a-zA-Z0-9_]+\}?/g, '.*');
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
function headingAnchors(markdown) {
  const anchors = new Set();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) anchors.add(m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

describe('PromQL metric-name extraction', () => {
  const cases = [
    ['sum by (operation) (rate(service_requests{service_name="frontend", operation=~"Poll.*"}[5m]))', ['service_requests']],
    ['histogram_quantile(0.99, sum(rate(service_latency_bucket[$__rate_interval])) by (le, operation))', ['service_latency_bucket']],
    ['a / on (x) group_left (y) b offset 5m', ['a', 'b']],
    ['(sum(up{job="tern"}) or vector(0)) == 0', ['up']],
    ['count_values("version", build_information) > bool 1e3', ['build_information']],
    ['{__name__="process_open_fds", job="tern"} / process_max_fds', ['process_open_fds', 'process_max_fds']],
    ['max_over_time(deriv(sum(approximate_backlog_count)[1h:5m])[1h30m:])', ['approximate_backlog_count']],
    ['label_replace(up, "dst", "$1", "instance", "(.*):.*")', ['up']],
    ['sum without (instance) (rate(x_total[1h])) * -1.5e-3 + NaN > Inf', ['x_total']],
    ['topk(5, sum by (namespace) (poll_success{namespace=~"$namespace", taskqueue=~"${taskqueue}"}))', ['poll_success']],
    ['sum(rate(a{l="}{[("}[5m])) unless on() b @ start()', ['a', 'b']],
  ];
  for (const [expr, names] of cases) {
    it(expr, () => assert.deepEqual(promqlMetricNames(expr), names));
  }

  it('reports label names of matchers and by/on lists', () => {
    const p = parsePromQL('sum by (service_name, operation) (rate(service_errors{namespace="x"}[5m])) / ignoring(le) b');
    assert.deepEqual(p.selectors, [{ name: 'service_errors', labels: ['namespace'] }, { name: 'b', labels: [] }]);
    assert.deepEqual(p.groupings, ['service_name', 'operation', 'le']);
  });

  it('reports a regex on __name__ as unresolved rather than guessing', () => {
    const p = parsePromQL('sum(rate({__name__=~"service_.*"}[5m]))');
    assert.deepEqual(p.selectors, []);
    assert.deepEqual(p.unresolved, ['{__name__=~"service_.*"}']);
  });

  it('reads the series of Grafana variable queries', () => {
    assert.equal(variableQueryExpr('label_values(service_requests{a="b, c"}, namespace)'), 'service_requests{a="b, c"}');
    assert.equal(variableQueryExpr('label_values(namespace)'), '');
    assert.equal(variableQueryExpr('query_result(topk(3, x))'), 'topk(3, x)');
  });

  it('maps histogram series to their histogram and leaves other names alone', () => {
    const h = new Set(['service_latency', 'state_transition_count']);
    assert.equal(familyOf('service_latency_bucket', h), 'service_latency');
    assert.equal(familyOf('state_transition_count_count', h), 'state_transition_count');
    assert.equal(familyOf('shard_closed_count', h), 'shard_closed_count');
    assert.equal(familyOf('state_transition_count', h), 'state_transition_count');
  });

  it('reads the YAML subset of rule files and fails loudly outside it', () => {
    const doc = parseYaml([
      'groups: # comment',
      '  - name: g',
      '    rules:',
      "      - alert: A # c",
      '        expr: |',
      '          sum(x)',
      '            > 1',
      '        labels: {severity: warning, b: []}',
      '        annotations:',
      "          summary: 'it''s {{ $value }}'",
      '          description: >-',
      '            two',
      '            lines',
      '      - record: r',
      '        expr: "y # not a comment"',
    ].join('\n'));
    assert.deepEqual(doc, { groups: [{ name: 'g', rules: [
      { alert: 'A', expr: 'sum(x)\n  > 1\n', labels: { severity: 'warning', b: [] },
        annotations: { summary: "it's {{ $value }}", description: 'two lines' } },
      { record: 'r', expr: 'y # not a comment' },
    ] }] });
    assert.throws(() => parseYaml('a:\n  b: 1\n   c: 2\n', 'x.yml'), /x\.yml:3/);
    assert.throws(() => parseYaml('a: &anchor 1\n', 'x.yml'), /unsupported/);
  });
});

describe('Prometheus alert rules', () => {
  it('pass promtool check rules, which finds the rules this test reads', async () => {
    const files = ymlFiles(RULES_DIR);
    assert.ok(files.length > 0, 'no rule files');
    const out = await promtool(['check', 'rules', ...files.map(rel)]);
    const counted = {};
    for (const m of out.matchAll(/Checking (\S+)\n\s+SUCCESS: (\d+) rules found/g)) counted[m[1]] = Number(m[2]);
    const read = {};
    for (const { file } of rulesOf(loadRuleFiles(RULES_DIR))) read[rel(file)] = (read[rel(file)] || 0) + 1;
    assert.deepEqual(read, counted, out);
  });

  it('pass their promtool unit tests', async () => {
    const files = ymlFiles(PROM_TESTS_DIR);
    assert.ok(files.length > 0, 'no promtool test files');
    const out = await promtool(['test', 'rules', ...files.map(rel)]);
    assert.equal((out.match(/SUCCESS/g) || []).length, files.length, out);
  });

  it('each alert has a unit test where it fires and one where it stays quiet', () => {
    const covered = new Set();
    const seen = {};
    for (const file of ymlFiles(PROM_TESTS_DIR)) {
      const doc = parseYaml(fs.readFileSync(file, 'utf8'), file);
      for (const r of doc.rule_files) covered.add(path.resolve(path.dirname(file), r));
      for (const test of doc.tests) {
        for (const t of test.alert_rule_test || []) {
          seen[t.alertname] = seen[t.alertname] || { fires: false, quiet: false };
          if ((t.exp_alerts || []).length > 0) seen[t.alertname].fires = true;
          else seen[t.alertname].quiet = true;
        }
      }
    }
    for (const file of ymlFiles(RULES_DIR)) assert.ok(covered.has(file), `${rel(file)} is in no test's rule_files`);
    const names = alerts().map(({ rule }) => rule.alert);
    assert.deepEqual(Object.keys(seen).filter((a) => !names.includes(a)), [], 'tests of alerts that do not exist');
    for (const name of names) {
      assert.ok(seen[name] && seen[name].fires, `${name}: no test where it fires`);
      assert.ok(seen[name].quiet, `${name}: no test where it stays quiet`);
    }
  });

  it('each alert has a unique name, a severity, a summary, a description and a runbook', () => {
    const anchors = headingAnchors(fs.readFileSync(RUNBOOKS, 'utf8'));
    const names = new Set();
    for (const { file, rule } of alerts()) {
      const where = `${rel(file)}: ${rule.alert}`;
      assert.ok(!names.has(rule.alert), `${where}: defined twice`);
      names.add(rule.alert);
      assert.match((rule.labels || {}).severity || '', /^(critical|warning)$/, `${where}: severity`);
      const a = rule.annotations || {};
      assert.ok(a.summary && a.summary.trim(), `${where}: summary`);
      assert.ok(a.description && a.description.trim(), `${where}: description`);
      const m = /^docs\/runbooks\.md#([a-z0-9_-]+)$/.exec(a.runbook_url || '');
      assert.ok(m, `${where}: runbook_url ${a.runbook_url} is not docs/runbooks.md#anchor`);
      assert.equal(m[1], rule.alert.toLowerCase(), `${where}: runbook anchor is not the alert's own section`);
      assert.ok(anchors.has(m[1]), `${where}: docs/runbooks.md has no heading for #${m[1]}`);
    }
  });

  it('docs/runbooks.md has no section for an alert that does not exist', () => {
    const names = new Set(alerts().map(({ rule }) => rule.alert));
    const sections = fs.readFileSync(RUNBOOKS, 'utf8').split('\n')
      .map((l) => /^##\s+((?:Tern|Temporal)[A-Za-z]+)\s*$/.exec(l)).filter(Boolean).map((m) => m[1]);
    assert.deepEqual(sections.filter((s) => !names.has(s)), []);
  });
});

describe('Grafana dashboards', () => {
  const dashboards = loadDashboards();
  const datasource = parseYaml(
    fs.readFileSync(path.join(GRAFANA_DIR, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
  ).datasources.find((d) => d.type === 'prometheus');

  it('exist, with unique uids and titles', () => {
    assert.ok(dashboards.length >= 4, 'expected the overview, matching, history and worker dashboards');
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    const titles = dashboards.map(({ dashboard }) => dashboard.title);
    assert.deepEqual([...new Set(uids)], uids, 'duplicate uid');
    assert.deepEqual([...new Set(titles)], titles, 'duplicate title');
  });

  it('hold PromQL that Prometheus parses', async (t) => {
    // Every panel and variable query as a recording rule, Grafana's variables replaced by
    // values, through promtool's parser.
    const exprs = dashboards.flatMap(({ dashboard }) => dashboardExpressions(dashboard));
    const rules = exprs.map((e, i) => [
      `      - record: dashboard_expr_${i}`,
      `        expr: ${JSON.stringify(grafanaToPromQL(e.expr))}`,
    ].join('\n'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-dashboards-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'dashboards.yml');
    fs.writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n${rules.join('\n')}\n`);
    try {
      await promtool(['check', 'rules', file]);
    } catch (err) {
      const index = /dashboard_expr_(\d+)/.exec(err.message);
      throw new Error(index ? `${exprs[index[1]].where}: ${exprs[index[1]].expr}\n${err.message}` : err.message);
    }
  });

  it('show data in every panel when every catalog metric has series', async (t) => {
    // Synthetic series for every metric of the catalog, with every label it carries, on each
    // Tern service; then each panel and variable query as an alert on absent(<query>), which
    // promtool must find quiet: the query returns something.
    const series = [];
    const value = { operation: 'StartWorkflowExecution', namespace: 'default', task_type: 'Workflow', worker_type: 'WorkflowWorker' };
    for (const [name, [type, labels]] of Object.entries(CATALOG)) {
      const services = kindOf(name) === 'sdk' ? [null] : ['frontend', 'history', 'matching', 'worker'];
      for (const service of services) {
        const ls = { job: service ? 'tern' : 'workers', instance: '10.0.0.1:9090', ...(service ? { service_name: service } : {}) };
        for (const l of labels) ls[l] = value[l] || 'x';
        const sel = (suffix, extra = {}) => `${name}${suffix}{${Object.entries({ ...ls, ...extra }).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
        if (type === 'histogram') {
          series.push([sel('_bucket', { le: '0.1' }), '0+1x10'], [sel('_bucket', { le: '1' }), '0+5x10'],
            [sel('_bucket', { le: '+Inf' }), '0+10x10'], [sel('_sum'), '0+3x10'], [sel('_count'), '0+10x10']);
        } else {
          series.push([sel(''), type === 'counter' ? '0+10x10' : '5x10']);
        }
      }
    }
    const exprs = dashboards.flatMap(({ dashboard }) => dashboardExpressions(dashboard));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-dashboards-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'rules.yml'), `groups:\n  - name: dashboards\n    rules:\n${exprs.map((e, i) => [
      `      - alert: DashboardQueryEmpty${i}`,
      `        expr: ${JSON.stringify(`absent(${grafanaToPromQL(e.expr)})`)}`,
    ].join('\n')).join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'test.yml'), [
      'rule_files: [rules.yml]',
      'evaluation_interval: 1m',
      'tests:',
      '  - interval: 1m',
      '    input_series:',
      ...series.map(([s, v]) => `      - {series: ${JSON.stringify(s)}, values: "${v}"}`),
      '    alert_rule_test:',
      ...exprs.map((_, i) => `      - {eval_time: 10m, alertname: DashboardQueryEmpty${i}, exp_alerts: []}`),
    ].join('\n') + '\n');
    try {
      await promtool(['test', 'rules', path.join(dir, 'test.yml')]);
    } catch (err) {
      const empty = [...err.message.matchAll(/alertname: DashboardQueryEmpty(\d+)/g)].map((m) => exprs[m[1]]);
      throw new Error(empty.length ? `queries with no data:\n${empty.map((e) => `  ${e.where}: ${e.expr}`).join('\n')}` : err.message);
    }
  });

  for (const { file, dashboard: d } of dashboards) {
    describe(path.basename(file), () => {
      const panels = [];
      const walk = (list) => { for (const p of list || []) { panels.push(p); walk(p.panels); } };
      walk(d.panels);

      it('is a Grafana dashboard with panels that query Prometheus', () => {
        assert.match(d.uid || '', /^[a-zA-Z0-9_-]{1,40}$/, 'uid');
        assert.ok(typeof d.title === 'string' && d.title.length > 0, 'title');
        assert.ok(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 36, 'schemaVersion');
        assert.equal(d.id, undefined, 'a provisioned dashboard must not carry a database id');
        assert.ok(panels.some((p) => p.type !== 'row'), 'no panels');
        const ids = panels.map((p) => p.id);
        assert.deepEqual([...new Set(ids)], ids, 'duplicate panel id');
        for (const p of panels) {
          assert.ok(Number.isInteger(p.id) && p.type && p.title, `panel ${JSON.stringify(p.title)}: id, type, title`);
          const g = p.gridPos || {};
          assert.ok(g.w > 0 && g.h > 0 && g.x >= 0 && g.x + g.w <= 24 && g.y >= 0, `panel ${p.title}: gridPos`);
          if (p.type === 'row' || p.type === 'text') continue;
          assert.ok(Array.isArray(p.targets) && p.targets.length > 0, `panel ${p.title}: no targets`);
          const refIds = p.targets.map((t) => t.refId);
          assert.deepEqual([...new Set(refIds)], refIds, `panel ${p.title}: duplicate refId`);
          for (const t of p.targets) assert.ok(t.expr && t.expr.trim(), `panel ${p.title} ${t.refId}: no expr`);
        }
      });

      it('lays out panels without overlap', () => {
        const boxes = panels.filter((p) => p.gridPos).map((p) => ({ title: p.title, ...p.gridPos }));
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i];
            const b = boxes[j];
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            assert.ok(!overlap, `${a.title} overlaps ${b.title}`);
          }
        }
      });

      it('uses only the provisioned Prometheus data source', () => {
        const refs = [];
        const visit = (node, trail) => {
          if (Array.isArray(node)) node.forEach((v, i) => visit(v, `${trail}[${i}]`));
          else if (node && typeof node === 'object') {
            for (const [k, v] of Object.entries(node)) {
              if (k === 'datasource') refs.push({ trail, v });
              else visit(v, `${trail}.${k}`);
            }
          }
        };
        visit(d, d.uid);
        assert.ok(refs.length > 0);
        for (const { trail, v } of refs) {
          if (trail.startsWith(`${d.uid}.annotations`) && v.type === 'grafana') continue; // built-in annotations
          assert.deepEqual(v, { type: 'prometheus', uid: datasource.uid }, `${trail}: datasource`);
        }
      });

      it('defines every template variable its queries use', () => {
        const vars = new Set(((d.templating || {}).list || []).map((v) => v.name));
        const exprs = panels.flatMap((p) => (p.targets || []).map((t) => t.expr))
          .concat(((d.templating || {}).list || []).map((v) => (v.query && v.query.query) || v.query || ''));
        for (const expr of exprs) {
          for (const m of String(expr).matchAll(/\$\{?([a-zA-Z0-9_]+)/g)) {
            if (m[1].startsWith('__')) continue; // $__rate_interval and other built-ins
            assert.ok(vars.has(m[1]), `${d.uid}: $${m[1]} is not a variable of the dashboard (${expr})`);
          }
        }
      });
    });
  }
});

describe('metric names the dashboards and rules read', () => {
  const used = monitoringMetrics();

  it('resolve every selector to a name', () => {
    assert.deepEqual(used.unresolved, []);
  });

  it('are server metrics Tern emits, under their type\'s series names', () => {
    assert.ok(used.server.size > 30, 'suspiciously few server metrics found');
    const unknown = [...used.server].filter((s) => !catalogEntry(s) || kindOf(catalogEntry(s).family) !== 'server');
    assert.deepEqual(unknown, [], 'not in SERVER_METRICS (or a histogram read without _bucket/_sum/_count, or a counter with one)');
  });

  it('are SDK worker metrics the official SDKs emit', () => {
    assert.ok(used.sdk.size > 10, 'suspiciously few SDK metrics found');
    const unknown = [...used.sdk].filter((s) => !catalogEntry(s) || !SDK_METRICS[catalogEntry(s).family]);
    assert.deepEqual(unknown, [], 'not in SDK_METRICS');
  });

  it('leave nothing else but Prometheus\'s own `up`', () => {
    assert.deepEqual([...used.prometheus], ['up']);
  });

  it('are read with labels those metrics carry', () => {
    for (const e of used.expressions) {
      const allowed = new Set(e.selectors.flatMap((s) => (catalogEntry(s.name) || { labels: [] }).labels));
      for (const s of e.selectors) {
        for (const l of s.labels) assert.ok(allowed.has(l), `${e.where}: ${s.name} has no label ${l}`);
      }
      for (const l of e.groupings) assert.ok(allowed.has(l), `${e.where}: groups by ${l}, which none of its metrics has`);
      for (const m of (e.legendFormat || '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
        assert.ok(allowed.has(m[1]), `${e.where}: legend uses ${m[1]}, which none of its metrics has`);
      }
    }
  });
});
