'use strict';
// Which metrics Tern's Grafana dashboards (deploy/grafana/dashboards/*.json) and Prometheus
// rules (deploy/prometheus/rules/*.yml) read, so tests can hold them against the metrics the
// server really exposes. Dependency-free: a PromQL scanner that is exact about what is a
// metric name (not a function, aggregation, keyword, label, duration or string) without
// building a full AST, and a reader for the block-style YAML subset the rule files use.
//
//   const { monitoringMetrics, familyOf } = require('./lib/metric-names');
//   const m = monitoringMetrics();            // m.server, m.sdk, m.prometheus: Set of names
//   familyOf('service_latency_bucket', histograms)  // 'service_latency'
//
// Names are returned as written in the expressions (`service_latency_bucket`); familyOf maps a
// histogram's `_bucket`/`_sum`/`_count` series to the histogram given the set of histograms.

const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const DASHBOARDS_DIR = path.join(REPO, 'deploy', 'grafana', 'dashboards');
const RULES_DIR = path.join(REPO, 'deploy', 'prometheus', 'rules');

// Series Prometheus makes itself rather than scrapes from a target.
const PROMETHEUS_SERIES = new Set([
  'up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling',
  'scrape_series_added', 'ALERTS', 'ALERTS_FOR_STATE',
]);
// The official SDKs' worker metrics all start with this prefix.
const SDK_PREFIX = 'temporal_';

const AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk',
  'topk', 'quantile', 'limitk', 'limit_ratio',
]);
// Keywords followed by a parenthesised list of label names.
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:[a-zA-Z]+(?:\d+[a-zA-Z]+)*)?)/;

// Index just past the string literal starting at expr[i] (", ' or `).
function skipString(expr, i) {
  const quote = expr[i];
  for (let j = i + 1; j < expr.length; j++) {
    if (expr[j] === '\\' && quote !== '`') j++;
    else if (expr[j] === quote) return j + 1;
  }
  throw new Error(`unterminated string in PromQL: ${expr}`);
}

// Index just past the bracket closing the one at expr[i], skipping strings inside.
function skipBalanced(expr, i) {
  const open = expr[i];
  const close = { '(': ')', '[': ']', '{': '}' }[open];
  let depth = 0;
  for (let j = i; j < expr.length; j++) {
    const c = expr[j];
    if (c === '"' || c === "'" || c === '`') { j = skipString(expr, j) - 1; continue; }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return j + 1;
  }
  throw new Error(`unbalanced ${open} in PromQL: ${expr}`);
}

function unquote(literal) {
  if (literal[0] === '`') return literal.slice(1, -1);
  if (literal[0] === "'") return JSON.parse(`"${literal.slice(1, -1).replace(/"/g, '\\"').replace(/\\'/g, "'")}"`);
  return JSON.parse(literal);
}

// The matchers of a `{...}` block: [{label, op, value}].
function parseMatchers(block, expr) {
  const matchers = [];
  let rest = block.slice(1, -1).trim();
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*/.exec(rest);
    if (!m || !/["'`]/.test(rest[m[0].length])) throw new Error(`cannot read label matchers ${block} in PromQL: ${expr}`);
    const end = skipString(rest, m[0].length);
    matchers.push({ label: m[1], op: m[2], value: unquote(rest.slice(m[0].length, end)) });
    rest = rest.slice(end).trim().replace(/^,\s*/, '');
  }
  return matchers;
}

// Scans one PromQL expression. Returns
//   selectors: [{name, labels}] for every vector selector (labels: the matchers' label names),
//   groupings: label names from by/without/on/ignoring/group_left/group_right lists,
//   unresolved: selectors whose name is a regex on __name__ (cannot be checked by name).
// Grafana variables ($var, ${var}, [[var]]) are tolerated wherever they stand in for a value.
function parsePromQL(expr) {
  const selectors = [];
  const groupings = [];
  const unresolved = [];
  let i = 0;
  const peek = (from) => {
    let j = from;
    while (j < expr.length && /\s/.test(expr[j])) j++;
    return j;
  };
  while (i < expr.length) {
    const c = expr[i];
    const rest = expr.slice(i);
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { // comment to end of line
      const nl = expr.indexOf('\n', i);
      i = nl < 0 ? expr.length : nl + 1;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') { i = skipString(expr, i); continue; }
    if (c === '[') { i = skipBalanced(expr, i); continue; } // range, subquery, [[grafana var]]
    if (c === '$') { // Grafana variable
      const m = /^\$(\{[^}]*\}|[a-zA-Z0-9_]+)/.exec(rest);
      if (!m) throw new Error(`stray $ in PromQL: ${expr}`);
      i += m[0].length;
      continue;
    }
    if (c === '{') { // a selector with no name before it: {__name__="x", ...}
      const end = skipBalanced(expr, i);
      const matchers = parseMatchers(expr.slice(i, end), expr);
      const byName = matchers.find((m) => m.label === '__name__');
      const labels = matchers.filter((m) => m.label !== '__name__').map((m) => m.label);
      if (byName && byName.op === '=') selectors.push({ name: byName.value, labels });
      else unresolved.push(expr.slice(i, end));
      i = end;
      continue;
    }
    const num = /^[0-9.]/.test(c) && NUMBER.exec(rest);
    if (num) { i += num[0].length; continue; }
    const id = IDENT.exec(rest);
    if (id) {
      const word = id[0];
      const next = peek(i + word.length);
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        i = next;
        if (expr[next] === '(') {
          const end = skipBalanced(expr, next);
          groupings.push(...expr.slice(next + 1, end - 1).split(',').map((s) => s.trim()).filter(Boolean));
          i = end;
        }
        continue;
      }
      if (KEYWORDS.has(lower) || AGGREGATIONS.has(word) || expr[next] === '(') {
        i += word.length; // operator, keyword or function call
        continue;
      }
      // A metric name, perhaps with matchers.
      let labels = [];
      i += word.length;
      if (expr[next] === '{') {
        const end = skipBalanced(expr, next);
        const matchers = parseMatchers(expr.slice(next, end), expr);
        if (matchers.some((m) => m.label === '__name__')) throw new Error(`metric name given twice in PromQL: ${expr}`);
        labels = matchers.map((m) => m.label);
        i = end;
      }
      selectors.push({ name: word, labels });
      continue;
    }
    i++; // operator or punctuation
  }
  return { selectors, groupings, unresolved };
}

// Every metric name in a PromQL expression, in order of first use.
function promqlMetricNames(expr) {
  return [...new Set(parsePromQL(expr).selectors.map((s) => s.name))];
}

// The PromQL inside a Grafana Prometheus variable query: label_values(<expr>, label) reads
// <expr>; label_values(label), label_names() and metrics(regex) read no series by name.
function variableQueryExpr(query) {
  const q = query.trim();
  let m = /^label_values\(\s*(.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/s.exec(q);
  if (m) return m[1];
  if (/^label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/.test(q) || /^(label_names|metrics)\(/.test(q)) return '';
  m = /^query_result\((.*)\)$/s.exec(q);
  if (m) return m[1];
  return q;
}

// Every PromQL expression of a dashboard: [{where, expr, legendFormat?}].
function dashboardExpressions(dashboard) {
  const out = [];
  const visit = (panels, trail) => {
    for (const panel of panels || []) {
      const where = `${trail} / panel ${JSON.stringify(panel.title)}`;
      for (const target of panel.targets || []) {
        if (target.expr) out.push({ where: `${where} ${target.refId}`, expr: target.expr, legendFormat: target.legendFormat });
      }
      visit(panel.panels, trail); // panels inside collapsed rows
    }
  };
  visit(dashboard.panels, dashboard.uid);
  for (const v of (dashboard.templating && dashboard.templating.list) || []) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : (v.query && v.query.query) || v.definition || '';
    const expr = variableQueryExpr(query);
    if (expr) out.push({ where: `${dashboard.uid} / variable ${v.name}`, expr });
  }
  return out;
}

// ---------------------------------------------------------------- YAML (block-style subset)

// Reads the YAML that Prometheus rule and promtool test files are written in: block mappings
// and sequences, literal (|) and folded (>) block scalars, quoted and plain scalars, and
// single-line flow collections of plain or quoted scalars ([], {a: b, c: []}). Scalars stay
// strings. Anything else (anchors, multi-line plain or flow values, tags) is an error naming
// the line, so a file outside the subset fails loudly instead of being misread.
function parseYaml(text, file = 'yaml') {
  const lines = text.split('\n').map((raw, n) => ({ raw, no: n + 1 }));
  let pos = 0;
  const fail = (line, why) => { throw new Error(`${file}:${line ? line.no : 'EOF'}: ${why}`); };
  const content = (line) => stripComment(line.raw).trimEnd();
  const indentOf = (line) => line.raw.length - line.raw.trimStart().length;
  const skipBlank = () => { while (pos < lines.length && content(lines[pos]).trim() === '') pos++; };

  function stripComment(s) {
    let quote = null;
    for (let j = 0; j < s.length; j++) {
      const c = s[j];
      if (quote) {
        if (c === quote) {
          if (quote === "'" && s[j + 1] === "'") j++;
          else quote = null;
        } else if (c === '\\' && quote === '"') j++;
      } else if (c === '"' || c === "'") {
        if (j === 0 || /[\s:[{,-]/.test(s[j - 1])) quote = c;
      } else if (c === '#' && (j === 0 || /\s/.test(s[j - 1]))) return s.slice(0, j);
    }
    return s;
  }

  function scalar(s, line) {
    s = s.trim();
    if (s.startsWith('"')) {
      try { return JSON.parse(s); } catch { fail(line, `bad double-quoted scalar ${s}`); }
    }
    if (s.startsWith("'")) {
      if (!/^'(?:[^']|'')*'$/.test(s)) fail(line, `bad single-quoted scalar ${s}`);
      return s.slice(1, -1).replace(/''/g, "'");
    }
    if (s.startsWith('[') || s.startsWith('{')) return flow(s, line);
    if (/^[&*!|>%@`]/.test(s)) fail(line, `unsupported YAML: ${s}`);
    return s === '' || s === '~' || s === 'null' ? null : s;
  }

  // Splits a flow collection's body on top-level commas.
  function splitFlow(body, line) {
    const parts = [];
    let depth = 0;
    let quote = null;
    let start = 0;
    for (let j = 0; j < body.length; j++) {
      const c = body[j];
      if (quote) { if (c === quote) quote = null; continue; }
      if (c === '"' || c === "'") quote = c;
      else if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
      else if (c === ',' && depth === 0) { parts.push(body.slice(start, j)); start = j + 1; }
    }
    if (depth !== 0 || quote) fail(line, `unbalanced flow collection ${body}`);
    parts.push(body.slice(start));
    return parts.map((p) => p.trim()).filter((p) => p !== '');
  }

  function flow(s, line) {
    const close = s[0] === '[' ? ']' : '}';
    if (!s.endsWith(close)) fail(line, `flow collection must end on its line: ${s}`);
    const items = splitFlow(s.slice(1, -1), line);
    if (s[0] === '[') return items.map((it) => scalar(it, line));
    const map = {};
    for (const it of items) {
      const m = /^("[^"]*"|'[^']*'|[^:'"]+):(?:\s+(.*))?$/.exec(it);
      if (!m) fail(line, `bad flow mapping entry ${it}`);
      map[scalar(m[1], line)] = scalar(m[2] || '', line);
    }
    return map;
  }

  // Lines of a block scalar whose key or dash sits at parentIndent.
  function blockScalar(header, parentIndent, line) {
    const m = /^([|>])([+-]?)$/.exec(header);
    if (!m) fail(line, `unsupported block scalar header ${header}`);
    const body = [];
    let indent = null;
    while (pos < lines.length) {
      const l = lines[pos];
      if (l.raw.trim() === '') { body.push(''); pos++; continue; }
      const ind = indentOf(l);
      if (ind <= parentIndent) break;
      if (indent === null) indent = ind;
      if (ind < indent) fail(l, 'block scalar line less indented than its first line');
      body.push(l.raw.slice(indent));
      pos++;
    }
    while (body.length && body[body.length - 1] === '') body.pop();
    let text;
    if (m[1] === '|') {
      text = body.join('\n');
    } else { // folded: lines join with a space, blank lines become newlines
      text = '';
      for (let j = 0; j < body.length; j++) {
        if (body[j] === '') text += '\n';
        else text += (j > 0 && body[j - 1] !== '' ? ' ' : '') + body[j];
      }
    }
    return m[2] === '-' ? text : `${text}\n`;
  }

  // The value that starts on the lines after a key or dash at parentIndent.
  function nested(parentIndent, allowSameIndentSeq) {
    skipBlank();
    if (pos >= lines.length) return null;
    const l = lines[pos];
    const ind = indentOf(l);
    const isSeq = /^-(\s|$)/.test(content(l).trimStart());
    if (ind > parentIndent || (allowSameIndentSeq && ind === parentIndent && isSeq)) return block(ind);
    return null;
  }

  // A mapping or sequence whose lines start at column `indent`.
  function block(indent) {
    skipBlank();
    return /^-(\s|$)/.test(content(lines[pos]).slice(indent)) ? sequence(indent) : mapping(indent);
  }

  function sequence(indent) {
    const items = [];
    for (;;) {
      skipBlank();
      if (pos >= lines.length) break;
      const l = lines[pos];
      const text = content(l);
      if (indentOf(l) !== indent || !/^-(\s|$)/.test(text.slice(indent))) {
        if (indentOf(l) > indent) fail(l, 'unexpected indentation in sequence');
        break;
      }
      const after = text.slice(indent + 1);
      const rest = after.trimStart();
      const col = indent + 1 + (after.length - rest.length);
      if (rest === '') { pos++; items.push(nested(indent, false)); continue; }
      if (/^[|>][+-]?$/.test(rest)) { pos++; items.push(blockScalar(rest, indent, l)); continue; }
      if (isKeyLine(rest)) { items.push(mapping(col, rest)); continue; }
      pos++;
      items.push(scalar(rest, l));
    }
    return items;
  }

  function isKeyLine(s) {
    return /^("[^"]*"|'[^']*'|[^\s'"{[\]#][^:#]*?):(\s|$)/.test(s) && !/^[[{]/.test(s);
  }

  function mapping(indent, first) {
    const map = {};
    let firstLine = first !== undefined;
    for (;;) {
      if (!firstLine) skipBlank();
      if (pos >= lines.length) break;
      const l = lines[pos];
      let text;
      if (firstLine) {
        text = first;
      } else {
        if (indentOf(l) !== indent) {
          if (indentOf(l) > indent) fail(l, 'unexpected indentation in mapping');
          break;
        }
        text = content(l).slice(indent);
        if (/^-(\s|$)/.test(text)) break;
      }
      firstLine = false;
      const m = /^("[^"]*"|'[^']*'|[^\s'"][^:]*?):(?:\s+(.*))?$/.exec(text);
      if (!m) fail(l, `expected "key: value", got ${text}`);
      const key = scalar(m[1], l);
      if (Object.prototype.hasOwnProperty.call(map, key)) fail(l, `duplicate key ${key}`);
      const value = (m[2] || '').trim();
      pos++;
      if (value === '') map[key] = nested(indent, true);
      else if (/^[|>][+-]?$/.test(value)) map[key] = blockScalar(value, indent, l);
      else map[key] = scalar(value, l);
    }
    return map;
  }

  skipBlank();
  if (pos >= lines.length) return null;
  if (indentOf(lines[pos]) !== 0) fail(lines[pos], 'document must start at column 0');
  const doc = block(0);
  skipBlank();
  if (pos < lines.length) fail(lines[pos], 'unexpected content');
  return doc;
}

// ---------------------------------------------------------------- files

function listFiles(dir, ext) {
  return fs.readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => path.join(dir, f));
}

function loadDashboards(dir = DASHBOARDS_DIR) {
  return listFiles(dir, '.json').map((file) => ({ file, dashboard: JSON.parse(fs.readFileSync(file, 'utf8')) }));
}

function loadRuleFiles(dir = RULES_DIR) {
  return listFiles(dir, '.yml').map((file) => ({ file, doc: parseYaml(fs.readFileSync(file, 'utf8'), file) }));
}

// Every rule of every group: [{file, group, rule}].
function rulesOf(ruleFiles) {
  const out = [];
  for (const { file, doc } of ruleFiles) {
    for (const group of (doc && doc.groups) || []) {
      for (const rule of group.rules || []) out.push({ file, group: group.name, rule });
    }
  }
  return out;
}

// The metric a series name belongs to: a histogram's _bucket/_sum/_count series map to the
// histogram when it is one of `histograms`; any other name is its own family.
function familyOf(name, histograms) {
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return m && histograms.has(m[1]) ? m[1] : name;
}

function kindOf(name) {
  if (PROMETHEUS_SERIES.has(name)) return 'prometheus';
  return name.startsWith(SDK_PREFIX) ? 'sdk' : 'server';
}

// What the dashboards and rules read:
//   expressions: [{file, where, expr, legendFormat?, ...parsePromQL(expr)}]
//   server / sdk / prometheus: Set of series names as written (server: Tern's own metrics,
//     sdk: temporal_* metrics of SDK workers, prometheus: series Prometheus makes, like `up`)
//   unresolved: [{where, selector}] selectors that match names by regex.
function monitoringMetrics({ dashboardsDir = DASHBOARDS_DIR, rulesDir = RULES_DIR } = {}) {
  const expressions = [];
  for (const { file, dashboard } of loadDashboards(dashboardsDir)) {
    for (const e of dashboardExpressions(dashboard)) expressions.push({ file, ...e, ...parsePromQL(e.expr) });
  }
  for (const { file, group, rule } of rulesOf(loadRuleFiles(rulesDir))) {
    const where = `${path.basename(file)} / ${group} / ${rule.alert || rule.record}`;
    expressions.push({ file, where, expr: rule.expr, ...parsePromQL(rule.expr) });
  }
  const result = { expressions, server: new Set(), sdk: new Set(), prometheus: new Set(), unresolved: [] };
  for (const e of expressions) {
    for (const s of e.selectors) result[kindOf(s.name)].add(s.name);
    for (const u of e.unresolved) result.unresolved.push({ where: e.where, selector: u });
  }
  return result;
}

module.exports = {
  DASHBOARDS_DIR,
  PROMETHEUS_SERIES,
  RULES_DIR,
  SDK_PREFIX,
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
};
