// `hello` events (docs/events.md): a ClientHello to a pay host is reported
// with its client random, SNI, tunnel subscriber and GSN addresses; other
// hosts are not; sightings carry their request's host and number.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { demoCapture } from '../../packages/tools/src/gen';
import { gnpayHere } from '../helpers/cli';

const random = Buffer.from('8f'.repeat(16) + '01'.repeat(16), 'hex');

t.test('gnpay decode --pay-host reports the ClientHello random of the pay host', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-hello-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'demo.pcap');
  demoCapture({
    payUrl: 'https://pay.example.net/o/{token}',
    msisdn: '491701234567',
    imsi: '262017000000001',
    random,
    out: file,
    startSec: 1_700_000_000,
  });
  const r = await gnpayHere([
    'decode',
    file,
    '--jsonl',
    '--no-progress',
    '--pay-host',
    'Pay.Example.net',
    '--carrier',
    'host:pay.example.net',
  ]);
  t.equal(r.status, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const hellos = events.filter((e) => e.type === 'hello');
  t.equal(hellos.length, 1);
  const h = hellos[0];
  t.same(Object.keys(h), [
    'type',
    'ts',
    'packet',
    'file',
    'random',
    'sni',
    'msisdn',
    'imsi',
    'ueIp',
    'dst',
    'teid',
    'gsnSrc',
    'gsnDst',
    'resolvedBy',
    'request',
  ]);
  t.equal(h.random, random.toString('hex'));
  t.equal(h.sni, 'pay.example.net');
  t.equal(h.msisdn, '491701234567');
  t.equal(h.resolvedBy, 'teid');
  t.equal(h.gsnSrc, '192.0.2.11');
  t.equal(h.gsnDst, '198.51.100.2');
  t.equal(h.request, 2, 'the DNS query was request 1');

  const table = await gnpayHere(['decode', file, '--no-progress', '--pay-host', 'pay.example.net']);
  t.match(table.stdout, /hello .*pay\.example\.net random 8f8f8f8f8f8f8f8f/);

  const none = await gnpayHere(['decode', file, '--jsonl', '--no-progress', '--pay-host', 'other.example.net']);
  t.notOk(none.stdout.includes('"type":"hello"'), 'another pay host: no hello');
  const bad = await gnpayHere(['decode', file, '--pay-host', 'not a host']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /not a DNS name/);
});

t.test('sightings name their request and host', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-hello-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'demo.pcap');
  const d = demoCapture({
    payUrl: 'http://pay.example.net/pay?pay_token={token}',
    msisdn: '491701234567',
    imsi: '262017000000001',
    out: file,
  });
  const r = await gnpayHere(['decode', file, '--jsonl', '--no-progress', '--carrier', 'query:pay_token']);
  const s = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'sighting');
  t.equal(s.length, 1);
  t.equal(s[0].token, d.token);
  t.equal(s[0].host, 'pay.example.net');
  t.equal(s[0].request, 2);
});
