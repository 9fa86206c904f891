import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The metric names a PromQL expression selects, e.g.
 *   metricNames('sum by (le) (rate(http_request_duration_seconds_bucket{route!~"/metrics"}[5m])) > 0.5')
 *   → ['http_request_duration_seconds_bucket']
 *
 * Not a parser: it removes what cannot be a metric name — string literals, label matchers {…}, ranges
 * and subqueries […], the label lists of by/without/on/ignoring/group_left/group_right, Grafana variables —
 * then keeps every remaining identifier (and any exact {__name__="…"}) that is not called like a function (`rate(`, `sum(`) and is not
 * a keyword (and, or, unless, bool, offset, …) or part of a number or duration (1e3, 5m). An identifier
 * it keeps by mistake shows up as a series that does not exist, so the test using it fails loudly
 * rather than passing quietly; test/unit/promql-names.test.ts pins its behaviour.
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  // A selector by name alone: {__name__="x"}.
  for (const match of expr.matchAll(/__name__\s*=\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"/g)) names.add(match[1]);
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  // `sum(x) by (le)` is handled above; `group_left` / `group_right` may also stand without a list.
  rest = rest.replace(/\b(?:group_left|group_right)\b/g, ' ');
  for (const match of rest.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (match[2] || KEYWORDS.has(match[1].toLowerCase())) continue;
    names.add(match[1]);
  }
  return [...names].sort();
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'inf', 'nan', 'atan2']);

/**
 * The selector of a Grafana `label_values(<selector>, label)` variable query (what Grafana sends to
 * /api/v1/series); '' for `label_values(label)`; undefined when the query is not label_values().
 */
export function labelValuesSelector(query: string): string | undefined {
  const labelValues = /^\s*label_values\s*\((.*)\)\s*$/s.exec(query);
  if (!labelValues) return undefined;
  const args = labelValues[1];
  // The selector is everything before the last top-level comma; a single argument is a label name only.
  let depth = 0;
  let split = -1;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) split = i;
  }
  return split < 0 ? '' : args.slice(0, split).trim();
}

/** A Grafana variable query: `label_values(<selector>, label)` names the selector's metric; `label_values(label)` none. */
export function variableQueryMetricNames(query: string): string[] {
  const selector = labelValuesSelector(query);
  if (selector !== undefined) return selector ? metricNames(selector) : [];
  return metricNames(query.replace(/^\s*query_result\s*\((.*)\)\s*$/s, '$1'));
}

export interface NamedExpression {
  /** Where it comes from, e.g. `rules/orders-api.yml ApiHighErrorRate` or `orders-api.json "Latency" B`. */
  source: string;
  expr: string;
  names: string[];
}

/** Every alert and recording rule expression of the rule files in `dir`. */
export function ruleExpressions(dir: string): NamedExpression[] {
  const out: NamedExpression[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(join(dir, file), 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] };
    for (const group of doc.groups) {
      for (const rule of group.rules) out.push({ source: `rules/${file} ${rule.alert ?? rule.record}`, expr: String(rule.expr), names: metricNames(String(rule.expr)) });
    }
  }
  return out;
}

interface GrafanaPanel {
  title?: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: GrafanaPanel[];
}

/** Every query of the dashboards' panels (rows' nested panels included) and of their query variables. */
export function dashboardExpressions(dir: string): NamedExpression[] {
  const out: NamedExpression[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels: GrafanaPanel[]; templating?: { list: { name: string; type: string; query?: unknown; definition?: string }[] } };
    const visit = (panels: GrafanaPanel[]) => {
      for (const panel of panels) {
        for (const target of panel.targets ?? []) if (target.expr) out.push({ source: `${file} "${panel.title}" ${target.refId}`, expr: target.expr, names: metricNames(target.expr) });
        visit(panel.panels ?? []);
      }
    };
    visit(dashboard.panels);
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type !== 'query') continue;
      const query = typeof variable.query === 'string' ? variable.query : ((variable.query as { query?: string } | undefined)?.query ?? variable.definition ?? '');
      out.push({ source: `${file} variable $${variable.name}`, expr: query, names: variableQueryMetricNames(query) });
    }
  }
  return out;
}
