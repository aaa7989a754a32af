// The Grafana dashboard (ops/grafana/dashboards/gnpay.json) against what a
// running daemon really exports: every metric a panel queries has samples in a
// scrape of `gnpay run` (a replay of a Gn capture for the decode, association
// and payment side; live on the loopback interface, as root, for the capture
// side), or is a recording rule of ops/prometheus/gnpay-rules.yml.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, spawnDaemon, tmpDir, until } from '../e2e/harness';

interface Panel {
  type: string;
  id: number;
  title: string;
  datasource?: { uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ expr: string; refId: string }>;
}
const dash = JSON.parse(readFileSync(join(ROOT, 'ops', 'grafana', 'dashboards', 'gnpay.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
};
const recorded = new Set(
  (parse(readFileSync(join(ROOT, 'ops', 'prometheus', 'gnpay-rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ record?: string }> }> }).groups
    .flatMap((g) => g.rules)
    .filter((r) => r.record)
    .map((r) => r.record!),
);

/** The metric names a PromQL expression reads (histograms by their _bucket series). */
function metricsOf(expr: string): string[] {
  return [...expr.matchAll(/\b((?:gnpay|process|nodejs)[a-z0-9_:]*)\b/g)].map((m) => m[1]!);
}

const queried = new Map<string, string[]>();
for (const p of dash.panels) for (const tg of p.targets ?? []) for (const m of metricsOf(tg.expr)) queried.set(m, [...(queried.get(m) ?? []), p.title]);

t.test('the dashboard is provisioning-ready', async (t) => {
  t.equal(dash.uid, 'gnpay-overview', 'a fixed uid (links and provisioning updates keep working)');
  t.same(
    dash.templating.list.map((v) => [v.name, v.type]),
    [
      ['datasource', 'datasource'],
      ['instance', 'query'],
    ],
    'no __inputs to resolve by hand: the data source is a variable',
  );
  const ids = dash.panels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const titles = dash.panels.filter((p) => p.type === 'row').map((p) => p.title);
  t.same(titles, ['Overview', 'Capture', 'Decode', 'Association', 'Payments', 'Webhooks', 'API and process']);
  for (const p of dash.panels.filter((x) => x.type !== 'row')) {
    t.equal(p.datasource?.uid, '${datasource}', `${p.title}: the datasource variable`);
    t.ok((p.targets ?? []).length > 0, `${p.title}: queries something`);
    for (const tg of p.targets ?? []) t.match(tg.expr, /instance=~"\$instance"/, `${p.title}: filtered by $instance`);
  }
  for (const m of queried.keys()) if (m.includes(':')) t.ok(recorded.has(m), `${m} is a recording rule`);
});

function samples(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{| )/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

t.test('every metric a panel queries is in a scrape of a running daemon', async (t) => {
  const dir = tmpDir(t);
  const seen = new Set<string>();
  // the decode, association and payment side: a capture replayed (the daemon keeps serving after it)
  const replay = await spawnDaemon(t, ['--db', join(dir, 'r.db'), '--listen', '127.0.0.1:0', '--ops-listen', '127.0.0.1:0', '--read', join(ROOT, 'fixtures', 'gn-basic.pcap')]);
  await until(() => replay.logs.some((l) => l.msg === 'source finished'), 20_000, 'the replay');
  for (const s of samples(await (await fetch(`${replay.opsUrl}/metrics`)).text())) seen.add(s);
  replay.child.kill('SIGTERM');
  await replay.exited;

  // the capture side: live on the loopback interface (packet sockets need root or
  // CAP_NET_RAW; live capture belongs to the full suite, npm run test:full)
  const root = process.getuid?.() === 0 && process.env.GNPAY_TEST_FULL === '1';
  if (root) {
    const cfg = join(dir, 'live.json');
    writeFileSync(cfg, JSON.stringify({ checkpoint: { intervalSeconds: 1 } }));
    const live = await spawnDaemon(t, ['--db', join(dir, 'l.db'), '--listen', '127.0.0.1:0', '--ops-listen', '127.0.0.1:0', '--interface', 'lo', '--config', cfg]);
    const text = await until(async () => {
      const s = await (await fetch(`${live.opsUrl}/metrics`)).text();
      return /\ngnpay_checkpoint_last_success_timestamp_seconds \d/.test(s) ? s : null;
    }, 15_000, 'a checkpoint');
    for (const s of samples(text)) seen.add(s);
    live.child.kill('SIGTERM');
    await live.exited;
  }
  const liveOnly = /^gnpay_(capture_|checkpoint_)/;
  for (const [m, panels] of queried) {
    if (recorded.has(m)) continue;
    if (!root && liveOnly.test(m)) {
      t.comment(`${m}: live capture only, checked by npm run test:full as root`);
      continue;
    }
    t.ok(seen.has(m), `${m} (${[...new Set(panels)].join('; ')}) is exported`);
  }
});
