// `gnpay decode --format csv|tsv|jsonl` and `--fields`; contract version 2:
// `file` on every event, TEIDs as tshark shows them.
import path from 'node:path';
import t from 'tap';
import { FIXTURES, gnpayHere } from '../helpers/cli';

const CARRIERS = ['--carrier', 'query:pay_token', '--carrier', 'host:pay.example.net', '--carrier', 'path:/pay/'];
const A = path.join(FIXTURES, 'gn-basic.pcap');
const B = path.join(FIXTURES, 'gn-ipv6.pcapng');

t.test('jsonl: file and hex TEIDs on every event of several files', async (t) => {
  const r = await gnpayHere(['decode', A, B, '--jsonl', ...CARRIERS]);
  t.equal(r.status, 0);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  events.pop();
  t.ok(events.some((e) => e.file === A) && events.some((e) => e.file === B), 'both files named');
  for (const e of events) {
    t.ok(e.file === A || e.file === B, `packet ${e.packet}: file`);
    t.equal(Object.keys(e)[Object.keys(e).indexOf('packet') + 1], 'file', 'file right after packet');
    const teids = e.type === 'session' ? e.tunnels.map((x: { teid: unknown }) => x.teid) : [e.teid];
    for (const teid of teids) t.match(teid, /^0x[0-9a-f]{8}$/, 'teid as tshark shows it');
  }
});

t.test('--fields: only those keys, in that order', async (t) => {
  const r = await gnpayHere(['decode', A, '--format', 'jsonl', '--fields', 'type,msisdn,teid,token', ...CARRIERS]);
  t.equal(r.status, 0);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const stats = lines.pop();
  t.equal(stats.type, 'stats');
  t.ok(lines.length > 0);
  for (const e of lines) t.same(Object.keys(e), ['type', 'msisdn', 'teid', 'token']);
  t.ok(
    lines.some((e) => e.type === 'sighting' && typeof e.token === 'string'),
    'sightings carry their token',
  );
  t.ok(
    lines.some((e) => e.type === 'session' && e.token === null),
    'keys an event does not have are null',
  );
});

t.test('csv and tsv: a header, one row per event', async (t) => {
  const json = await gnpayHere(['decode', A, '--jsonl', ...CARRIERS]);
  const n = json.stdout.trim().split('\n').length - 1;
  const csv = await gnpayHere([
    'decode',
    A,
    '--format',
    'csv',
    '--fields',
    'type,packet,file,msisdn,teid,token',
    ...CARRIERS,
  ]);
  t.equal(csv.status, 0);
  const rows = csv.stdout.trimEnd().split('\n');
  t.equal(rows[0], 'type,packet,file,msisdn,teid,token');
  t.equal(rows.length, n + 1, 'one row per event');
  t.match(
    rows.find((r) => r.startsWith('sighting,'))!,
    /^sighting,\d+,[^,]*gn-basic\.pcap,\d+,0x[0-9a-f]{8},\S+$/,
  );
  t.match(
    rows.find((r) => r.startsWith('session,'))!,
    /^session,\d+,[^,]+,\d+,,$/,
  );
  const tsv = await gnpayHere(['decode', A, '--format', 'tsv', ...CARRIERS]);
  t.equal(tsv.status, 0);
  const trows = tsv.stdout.replace(/\n$/, '').split('\n');
  const header = trows[0]!.split('\t');
  t.same(header.slice(0, 4), ['type', 'event', 'ts', 'packet']);
  t.ok(header.includes('tunnels') && header.includes('token') && header.includes('sni'), 'every key of every event');
  t.ok(
    trows.slice(1).every((r) => r.split('\t').length === header.length),
    'every row has every column',
  );
  const ses = trows.find((r) => r.startsWith('session\t'))!.split('\t');
  t.match(ses[header.indexOf('tunnels')], /^c-up \S+\/0x[0-9a-f]{8}/);
});

t.test('bad --format / --fields: usage errors (exit 2)', async (t) => {
  for (const args of [
    ['--format', 'xml'],
    ['--format', 'csv', '--stats'],
    ['--fields', 'type'],
    ['--format', 'csv', '--fields', 'type,nope'],
  ]) {
    const r = await gnpayHere(['decode', A, ...args]);
    t.equal(r.status, 2, args.join(' '));
  }
});
