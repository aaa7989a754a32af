// The shipped Prometheus rules: promtool accepts them, every alert has a unit
// test that fires (promtool test rules on ops/prometheus/tests), and every
// gnpay metric they use is one the daemon defines (docs/metrics.md).
// Regenerate the promtool test file from tests/cases.yml:
//   GNPAY_UPDATE_RULE_TESTS=1 npx tap test/ops/prometheus.test.ts
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { metricCatalogue } from '../../src/ops/metric-docs';
import { ROOT } from '../e2e/harness';

const DIR = join(ROOT, 'ops', 'prometheus');
const RULES = join(DIR, 'gnpay-rules.yml');
const TESTS = join(DIR, 'tests', 'gnpay-rules.test.yml');
const BASE = { job: 'gnpay', instance: 'p1:9464' };

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface Case {
  alert: string;
  series: Record<string, string>;
  eval: string;
  fires: Array<{ labels: Record<string, string>; summary: string }>;
}

const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const alerts = new Map(rules.filter((r) => r.alert).map((r) => [r.alert!, r]));

function withBase(series: string): string {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(series);
  if (!m) throw new Error(`bad series ${series}`);
  const labels = [...(m[2] ? [m[2]] : []), ...Object.entries(BASE).map(([k, v]) => `${k}="${v}"`)];
  return `${m[1]}{${labels.join(',')}}`;
}

/** The promtool test file of the cases: expected annotations are the alert's own description and runbook, and the case's summary. */
function promtoolTests(): string {
  const { cases } = parse(readFileSync(join(DIR, 'tests', 'cases.yml'), 'utf8')) as { cases: Case[] };
  const tests = cases.map((c) => {
    const rule = alerts.get(c.alert);
    if (!rule) throw new Error(`cases.yml: no alert ${c.alert} in gnpay-rules.yml`);
    return {
      name: `${c.alert}: ${c.fires.length ? 'fires' : 'does not fire'}`,
      interval: '1m',
      input_series: Object.entries(c.series).map(([series, values]) => ({ series: withBase(series), values })),
      alert_rule_test: [
        {
          eval_time: c.eval,
          alertname: c.alert,
          exp_alerts: c.fires.map((f) => ({
            exp_labels: { instance: BASE.instance, ...f.labels },
            exp_annotations: { summary: f.summary, description: rule.annotations!.description, runbook: rule.annotations!.runbook },
          })),
        },
      ],
    };
  });
  const doc = { rule_files: ['../gnpay-rules.yml'], evaluation_interval: '30s', tests };
  return `# Generated from cases.yml by test/ops/prometheus.test.ts (GNPAY_UPDATE_RULE_TESTS=1); run: promtool test rules ${'ops/prometheus/tests/gnpay-rules.test.yml'}\n${stringify(doc, { lineWidth: 0 })}`;
}

const promtool = ['/usr/bin/promtool', '/bin/promtool'].find((p) => existsSync(p));

t.test('the promtool test file is generated from cases.yml', async (t) => {
  const text = promtoolTests();
  if (process.env.GNPAY_UPDATE_RULE_TESTS) writeFileSync(TESTS, text);
  t.equal(readFileSync(TESTS, 'utf8'), text, 'ops/prometheus/tests/gnpay-rules.test.yml is up to date (GNPAY_UPDATE_RULE_TESTS=1 to regenerate)');
  const { cases } = parse(readFileSync(join(DIR, 'tests', 'cases.yml'), 'utf8')) as { cases: Case[] };
  for (const name of alerts.keys()) t.ok(cases.some((c) => c.alert === name && c.fires.length > 0), `${name} has a test where it fires`);
  for (const [name, r] of alerts) {
    t.ok(r.annotations?.summary && r.annotations.description && r.annotations.runbook, `${name} has a summary, a description and a runbook`);
    t.notMatch(`${r.annotations?.description}${r.annotations?.runbook}`, /\{\{/, `${name}: description and runbook are static text`);
  }
});

t.test('every gnpay metric the rules use is defined by the daemon', async (t) => {
  const known = new Set(metricCatalogue().flatMap((m) => (m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name])));
  const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record!));
  for (const r of rules) {
    for (const [name] of r.expr.matchAll(/\b(?:gnpay|nodejs|process)_[a-z0-9_]+\b/g)) {
      t.ok(known.has(name) || recorded.has(name), `${r.alert ?? r.record}: ${name} exists`);
    }
  }
});

t.test('promtool check rules and promtool test rules', { skip: promtool ? false : 'promtool not installed (Debian package prometheus)' }, async (t) => {
  const check = spawnSync(promtool!, ['check', 'rules', RULES], { encoding: 'utf8' });
  t.equal(check.status, 0, `promtool check rules: ${check.stdout}${check.stderr}`);
  t.match(check.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  const test = spawnSync(promtool!, ['test', 'rules', TESTS], { encoding: 'utf8', cwd: join(DIR, 'tests') });
  t.equal(test.status, 0, `promtool test rules:\n${test.stdout}${test.stderr}`);
});

t.test("the metric classes gnpay loads one by one are prom-client's own", async (t) => {
  const prom = await import('prom-client');
  const own = await import('../../src/prom');
  t.equal(own.Registry, prom.Registry, 'Registry');
  t.equal(own.Counter, prom.Counter, 'Counter');
  t.equal(own.Gauge, prom.Gauge, 'Gauge');
  t.equal(own.Histogram, prom.Histogram, 'Histogram');
  const registry = new own.Registry();
  own.collectDefaultMetrics({ register: registry });
  const text = await registry.metrics();
  t.match(text, /^process_cpu_user_seconds_total /m, 'the default collectors, loaded on demand');
  t.match(text, /^nodejs_eventloop_lag_seconds /m);
});
