// The on-demand scenarios (bench, floods, demo) and the generator's command line
// (packages/tools/src/gen-cli.ts), at small sizes.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import {
  bench,
  demoCapture,
  dissect,
  flood,
  gpduInner,
  inetChecksum,
  pseudoSum,
  readCapture,
  runScenario,
  SCENARIOS,
  type SightingEvent,
  TcpTemplate,
  urlTokens,
  DEFAULT_CARRIERS,
} from '../../../packages/tools/src/gen';
import { main, runGen, UsageError } from '../../../packages/tools/src/gen-cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-large-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const quiet = new Writable({ write: (_c, _e, cb) => cb() });

function checksumsValid(t: Tap, frame: Buffer, linktype: number): void {
  const d = dissect(linktype, frame)!;
  const inner = gpduInner(d);
  if (!inner || inner[0]! >> 4 !== 4 || d.fragOffset || d.moreFragments) return;
  const ihl = (inner[0]! & 0xf) * 4;
  t.equal(inetChecksum(inner, 0, ihl), 0, 'inner IPv4 checksum');
  if (inner[9] === 6) {
    const src = Array.from(inner.subarray(12, 16)).join('.');
    const dst = Array.from(inner.subarray(16, 20)).join('.');
    t.equal(
      inetChecksum(inner, ihl, inner.length, pseudoSum(src, dst, 6, inner.length - ihl)),
      0,
      'inner TCP checksum',
    );
  }
}
type Tap = typeof t;

t.test('TcpTemplate patches ids, seq/ack and every checksum', async (t) => {
  const tpl = new TcpTemplate(
    '192.0.2.1',
    '198.51.100.1',
    0x1234,
    '10.0.0.1',
    '203.0.113.1',
    40000,
    443,
    Buffer.alloc(1001, 0x17),
  );
  for (const [id, seq, ack] of [
    [1, 0, 0],
    [0xffff, 0xffffffff, 0xfffffffe],
    [77, 123456789, 987654321],
  ]) {
    const f = tpl.patch(id!, id! + 1, seq!, ack!);
    t.equal(inetChecksum(f, 14, 34), 0, 'outer IPv4 checksum');
    t.equal(f.readUInt16BE(18), id);
    checksumsValid(t as unknown as Tap, f, 1);
  }
});

t.test('bench: counts, sightings, checksums, streaming', async (t) => {
  const r = bench({ packets: 20000, seed: 11 });
  const st = r.stats as Record<string, any>;
  t.ok(st.packets >= 20000 && st.packets < 20100, `stops just past the target (${st.packets})`);
  const cap = readCapture(r.capture!);
  t.equal(cap.frames.length, st.packets);
  const si = r.events.filter((e): e is SightingEvent => e.type === 'sighting');
  t.equal(si.length, st.sightings);
  t.ok(si.length > 5, 'token requests');
  t.equal(st.sessions.created, st.subscribers);
  t.ok(st.gtpc.v2.create_session_request > 0, 'some GTPv2 subscribers');
  t.ok(st.fragments.reassembled > 0, 'some fragmentation');
  t.equal(st.unresolvedSightings, 0);
  for (const e of si) {
    const d = dissect(1, cap.frames[e.packet - 1]!.data)!;
    t.equal(d.gtp?.teid ?? e.teid, e.teid, 'sighting at a G-PDU of its TEID');
    t.equal(e.resolvedBy, 'teid');
  }
  let checked = 0;
  for (const f of cap.frames.slice(0, 3000)) {
    checksumsValid(t as unknown as Tap, f.data, 1);
    checked++;
  }
  t.ok(checked > 0);
  // streamed to files, pcapng
  const out = path.join(tmp, 'bench.pcapng');
  const exp = path.join(tmp, 'bench.jsonl');
  const seen: string[] = [];
  const r2 = bench({
    packets: 5000,
    seed: 11,
    out,
    expected: exp,
    format: 'pcapng',
    onEvent: (e) => seen.push(e.type),
  });
  t.equal(r2.capture, undefined);
  t.equal(r2.events.length, 0, 'not kept in memory when streamed');
  const lines = fs.readFileSync(exp, 'utf8').trim().split('\n');
  t.equal(lines.length, seen.length);
  t.equal(readCapture(fs.readFileSync(out)).format, 'pcapng');
});

t.test('floods keep the legitimate subscribers', async (t) => {
  for (const kind of ['pending', 'fragments', 'flows', 'teids'] as const) {
    for (const mode of kind === 'teids' ? (['sessions', 'gpdu'] as const) : ([undefined] as const)) {
      const r = flood(kind, { packets: 4000, subscribers: 3, mode });
      const st = r.stats as Record<string, any>;
      const si = r.events.filter((e): e is SightingEvent => e.type === 'sighting');
      t.equal(st.legitimateSubscribers, 3, `${kind} ${mode ?? ''}`);
      t.equal(si.length, 3, 'one sighting per legitimate subscriber');
      t.ok(si.every((e) => e.resolvedBy === 'teid' && e.msisdn));
      t.ok(st.floodItems > 1000, `flood items ${st.floodItems}`);
      const cap = readCapture(r.capture!);
      t.equal(cap.frames.length, st.packets);
    }
  }
});

t.test('demo: the three payUrl forms', async (t) => {
  const base = { msisdn: '491511234567', imsi: '262011234567890', startSec: 1714557600 };
  const q = demoCapture({
    ...base,
    payUrl: 'http://pay.example.net/pay?pay_token={token}',
    token: 'AbCdEfGhIjKlMnOpQrSt',
  });
  t.same(
    q.events
      .filter((e) => e.type === 'sighting')
      .map((e) => [(e as SightingEvent).carrier, (e as SightingEvent).via, (e as SightingEvent).token]),
    [['query', 'http', 'AbCdEfGhIjKlMnOpQrSt']],
  );
  t.equal(q.url, 'http://pay.example.net/pay?pay_token=AbCdEfGhIjKlMnOpQrSt');
  const h = demoCapture({ ...base, payUrl: 'https://{token}.pay.example.net/', detach: true });
  t.match(h.token, /^[a-z0-9]{24}$/, 'host-safe token');
  t.same(
    h.events.filter((e) => e.type === 'sighting').map((e) => (e as SightingEvent).via),
    ['dns', 'tls-sni'],
  );
  t.same(
    h.events.filter((e) => e.type === 'session').map((e) => (e as { event: string }).event),
    ['create', 'delete'],
  );
  const p = demoCapture({ ...base, payUrl: 'http://pay.example.net/pay/{token}', format: 'pcapng' });
  t.same(
    p.events.filter((e) => e.type === 'sighting').map((e) => (e as SightingEvent).carrier),
    ['path'],
  );
  t.equal(readCapture(p.capture!).format, 'pcapng');
  const ip = demoCapture({ ...base, payUrl: 'https://192.0.2.80/pay?pay_token={token}' });
  t.equal(ip.events.filter((e) => e.type === 'sighting').length, 0, 'HTTPS to an address: nothing visible');
  t.throws(() => demoCapture({ ...base, payUrl: 'ftp://x/{token}' }));
  const u = (s: string, via: 'http' | 'dns' | 'tls-sni' = 'http') =>
    urlTokens(DEFAULT_CARRIERS, new URL(s), via).map((e) => `${e.carrier}:${e.token}`);
  // the same token in query and path: once (first carrier); the host one is lower-case, so another string
  t.same(u('http://ABCDEFGHIJKLMNOPQ.pay.example.net/pay/ABCDEFGHIJKLMNOPQ?pay_token=ABCDEFGHIJKLMNOPQ&x=%zz'), [
    'query:ABCDEFGHIJKLMNOPQ',
    'host:abcdefghijklmnopq',
  ]);
  t.same(u('http://pay.example.net/pay/ABCDEFGHIJKLMNOPQ'), ['path:ABCDEFGHIJKLMNOPQ']);
  t.same(u('http://x.evilpay.example.net/?a&pay_token=short', 'dns'), []);
  t.same(u('http://abcdefghijklmnopq.pay.example.net/', 'dns'), ['host:abcdefghijklmnopq']);
});

t.test('gen-cli', async (t) => {
  t.ok(SCENARIOS.length >= 14);
  const out = path.join(tmp, 'basic.pcap');
  const exp = path.join(tmp, 'basic.jsonl');
  const stats = path.join(tmp, 'basic.json');
  runGen('gn-basic', { output: out, expected: exp, stats }, quiet);
  const committed = path.join(__dirname, '..', '..', '..', 'fixtures');
  t.ok(fs.readFileSync(out).equals(fs.readFileSync(path.join(committed, 'gn-basic.pcap'))));
  t.equal(fs.readFileSync(exp, 'utf8'), fs.readFileSync(path.join(committed, 'gn-basic.expected.jsonl'), 'utf8'));
  t.same(
    JSON.parse(fs.readFileSync(stats, 'utf8')),
    JSON.parse(fs.readFileSync(path.join(committed, 'gn-basic.expected-stats.json'), 'utf8')),
  );
  runGen(
    'bench',
    { output: path.join(tmp, 'b.pcap'), expected: path.join(tmp, 'b.jsonl'), packets: 3000, seed: 2 },
    quiet,
  );
  t.ok(fs.statSync(path.join(tmp, 'b.jsonl')).size > 0);
  let said = '';
  runGen(
    'demo',
    { output: path.join(tmp, 'd.pcap'), payUrl: 'https://{token}.pay.example.net/' },
    new Writable({ write: (c, _e, cb) => ((said += c), cb()) }),
  );
  t.match(said, /demo: \d+ packets, \d+ bytes .* token [a-z0-9]{24}/);
  t.throws(() => runGen('nope', { output: out }, quiet), UsageError);
  t.throws(() => runGen('gn-basic', { output: out, format: 'pcapng' }, quiet), UsageError);
  t.throws(() => runGen('bench', { output: out, format: 'erf' }, quiet), UsageError);
  t.throws(() => runGen('flood-teids', { output: out, mode: 'x' }, quiet), UsageError);
  t.throws(() => runGen('demo', { output: out, payUrl: 'http://x/' }, quiet), UsageError);
  t.throws(() => runScenario('nope', {}));
  // through the command line parser (its output silenced; assertions after, so tap's own output is not)
  const origOut = process.stdout.write;
  const origErr = process.stderr.write;
  process.stdout.write = () => true;
  process.stderr.write = () => true;
  let codes: number[];
  try {
    codes = [
      main([
        'node',
        'gen-cli',
        'flood-pending',
        '-o',
        path.join(tmp, 'f.pcap'),
        '--packets',
        '2000',
        '--subscribers',
        '2',
        '--seed',
        '9',
      ]),
      main([
        'node',
        'gen-cli',
        'demo',
        '-o',
        path.join(tmp, 'd2.pcap'),
        '--msisdn',
        '491700000001',
        '--imsi',
        '262019999999999',
        '--token',
        'AAAAAAAAAAAAAAAAAAAAAAAA',
      ]),
      main(['node', 'gen-cli', 'bench', '-o', path.join(tmp, 'x.pcap'), '--seed', '-1']),
    ];
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
  }
  t.same(codes, [0, 0, 2], 'flood-pending and demo exit 0; a bad seed is a usage error (2)');
});
