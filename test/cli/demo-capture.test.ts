// The capture `gnpay demo` replays (src/cli/demo-capture.ts): the probe sees
// one GTPv1 subscriber attach and its phone's request to the pay URL: the
// ClientHello with the given random for https:, the token for http:.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { demoCapture } from '../../src/cli/demo-capture';
import { gnpayHere } from '../helpers/cli';

const random = Buffer.from('5a'.repeat(32), 'hex');
const sub = { msisdn: '491701234567', imsi: '262017000000001', startSec: 1_700_000_000 };

async function decode(t: Test, file: string, args: string[]): Promise<Array<Record<string, unknown>>> {
  const r = await gnpayHere(['decode', file, '--jsonl', '--no-progress', ...args]);
  t.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

t.test('https: the session, then the ClientHello with its random and SNI', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-demo-capture-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.pcap');
  const bytes = demoCapture({ url: 'https://pay.example.net/pay/AAAAAAAAAAAAAAAAAAAAAAAA', random, out: file, ...sub });
  t.same(fs.readFileSync(file), bytes, 'written and returned');
  const events = await decode(t, file, ['--pay-host', 'pay.example.net']);
  const session = events.find((e) => e.type === 'session');
  t.match(session, { msisdn: sub.msisdn, imsi: sub.imsi, ueIp: '10.45.0.2' });
  const hellos = events.filter((e) => e.type === 'hello');
  t.equal(hellos.length, 1);
  t.match(hellos[0], {
    random: random.toString('hex'),
    sni: 'pay.example.net',
    msisdn: sub.msisdn,
    resolvedBy: 'teid',
    request: 2,
  });
});

t.test('http: the token in the query is a sighting of the subscriber', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-demo-capture-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'c.pcap');
  demoCapture({ url: 'http://pay.example.net/pay?pay_token=BBBBBBBBBBBBBBBBBBBBBBBB', out: file, ...sub });
  const s = (await decode(t, file, ['--carrier', 'query:pay_token'])).filter((e) => e.type === 'sighting');
  t.equal(s.length, 1);
  t.match(s[0], {
    token: 'BBBBBBBBBBBBBBBBBBBBBBBB',
    carrier: 'query',
    via: 'http',
    msisdn: sub.msisdn,
    host: 'pay.example.net',
    request: 2,
  });
});

t.test('a pay URL that is not http(s) or a random of the wrong size is refused', async (t) => {
  t.throws(() => demoCapture({ url: 'ftp://pay.example.net/x', ...sub }), /http: or https:/);
  t.throws(() => demoCapture({ url: 'https://pay.example.net/x', random: Buffer.alloc(8), ...sub }), RangeError);
});
