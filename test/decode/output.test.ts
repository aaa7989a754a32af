// `gnpay decode` as an engineer runs it: the readable table, the --stats
// summary, --requests, and the exit codes of bad usage (2) and of unreadable
// or corrupt captures (3).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FIXTURES, gnpay, gnpayHere } from '../helpers/cli';

const CARRIERS = ['--carrier', 'query:pay_token', '--carrier', 'host:pay.example.net', '--carrier', 'path:/pay/'];

t.test('the table: one row per event, subscriber columns, then the summary', async (t) => {
  const r = await gnpayHere(['decode', path.join(FIXTURES, 'gn-basic.pcap'), ...CARRIERS]);
  t.equal(r.status, 0);
  const lines = r.stdout.split('\n');
  t.match(lines[0], /^PACKET\s+TIME \(UTC\)\s+EVENT\s+MSISDN\s+IMSI\s+DETAILS/);
  t.ok(
    lines.some((l) =>
      /^6\s+2024-05-01 10:00:00\.006000\s+session create\s+4915112340001\s+262011234567001\s+gtpv1 apn internet ue 10\.45\.0\.3 bearer 5 \[c-up /.test(
        l,
      ),
    ),
    'a session row',
  );
  t.ok(
    lines.some((l) =>
      /\ssighting\s+4915112340001\s+.*query via http token cXKgpEx58BW1n2UGfjabJKPM .* by teid/.test(l),
    ),
    'a sighting row',
  );
  t.match(r.stdout, /Sessions\n\s+created\s+3/);
  t.match(r.stdout, /Token sightings\n\s+sightings\s+\d+/);
});

t.test('--stats: the summary only', async (t) => {
  const r = await gnpayHere(['decode', path.join(FIXTURES, 'malformed.pcap'), '--stats', ...CARRIERS]);
  t.equal(r.status, 0);
  t.notMatch(r.stdout, /PACKET\s+TIME/);
  t.match(r.stdout, /^Capture: .*malformed\.pcap/);
  t.match(r.stdout, /GTPv1-C messages\n\s+create_pdp_context_request/);
  t.match(r.stdout, /Anomalies\n(\s+\S+\s+\d+\n)+/);
  t.match(r.stdout, /gtpv1c\.bad_tbcd\s+1/);
  const clean = await gnpayHere(['decode', path.join(FIXTURES, 'gn-basic.pcap'), '--stats', ...CARRIERS]);
  t.match(clean.stdout, /Anomalies\n\s+token\.invalid_value/);
});

t.test('--requests: every uplink request, token or not', async (t) => {
  const r = await gnpayHere(['decode', path.join(FIXTURES, 'gn-basic.pcap'), '--requests', ...CARRIERS]);
  t.match(r.stdout, /request http\s+\S+\s+\S+\s+GET \S+ \/\S*/);
  t.match(r.stdout, /request dns\s+\S+\s+\S+\s+\S+\.pay\.example\.net from /);
  t.match(r.stdout, /request tls-sni/);
  const j = await gnpayHere(['decode', path.join(FIXTURES, 'gn-basic.pcap'), '--requests', '--jsonl', ...CARRIERS]);
  const reqs = j.stdout
    .split('\n')
    .filter((l) => l.includes('"type":"request"'))
    .map((l) => JSON.parse(l));
  t.ok(reqs.length >= 10, `${reqs.length} request events`);
  t.same(Object.keys(reqs[0]), [
    'type',
    'ts',
    'packet',
    'file',
    'via',
    'method',
    'host',
    'target',
    'name',
    'ueIp',
    'dst',
    'teid',
    'imsi',
    'msisdn',
    'resolvedBy',
    'proto',
    'sport',
    'dport',
    'communityId',
  ]);
});

t.test('decode --help lists the keys of each event type', async (t) => {
  const r = await gnpay(['decode', '--help']);
  t.equal(r.status, 0);
  t.match(r.stdout, /Event keys \(for --fields/);
  t.match(r.stdout, / {2}sighting: type, ts, packet, file, token, .*, dst, proto, sport, dport, communityId\n/);
  t.match(r.stdout, / {2}request \(with --requests\): type, ts, .*, resolvedBy, proto, sport, dport, communityId\n/);
  t.match(r.stdout, / {2}session: type, event, ts, .*, tunnels\n/);
});

t.test('bad usage exits 2 with a message', async (t) => {
  const both = await gnpayHere(['decode', path.join(FIXTURES, 'gn-basic.pcap'), '--jsonl', '--stats']);
  t.equal(both.status, 2);
  t.match(both.stderr, /--jsonl and --stats cannot be combined/);
  const carrier = await gnpayHere(['decode', path.join(FIXTURES, 'gn-basic.pcap'), '--carrier', 'url:x']);
  t.equal(carrier.status, 2);
  t.match(carrier.stderr, /unknown kind "url"/);
  const none = await gnpayHere(['decode']);
  t.equal(none.status, 2);
  const limit = await gnpayHere(['decode', path.join(FIXTURES, 'gn-basic.pcap'), '--max-sessions', '0']);
  t.equal(limit.status, 2);
  t.match(limit.stderr, /--max-sessions must be a positive integer/);
});

t.test('an unreadable or foreign file exits 3 and says why', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-out-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const missing = await gnpayHere(['decode', path.join(dir, 'nope.pcap')]);
  t.equal(missing.status, 3);
  t.match(missing.stderr, /cannot read .*nope\.pcap: ENOENT/);
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'this is not a capture, just some text long enough\n');
  const foreign = await gnpayHere(['decode', text, '--jsonl']);
  t.equal(foreign.status, 3);
  t.match(foreign.stderr, /notes\.txt: .*(magic|not a pcap|pcapng)/i);
  const lines = foreign.stdout.trim().split('\n');
  t.equal(JSON.parse(lines[lines.length - 1]!).type, 'stats', 'the stats line is still printed');
  const folder = await gnpayHere(['decode', dir]);
  t.equal(folder.status, 3);
  t.match(folder.stderr, /not a regular file/);
});
