// `gnpay decode --imsi/--msisdn/--ue-ip`: the printed events are the selected
// subscribers'; --write usage errors. What --write writes is checked with
// tshark in write.slow.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FIXTURES, gnpay } from '../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-select-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('selection without --write filters the events; usage errors', async (t) => {
  const input = path.join(FIXTURES, 'gn-basic.pcap');
  const r = await gnpay(['decode', input, '--jsonl', '--no-progress', '--ue-ip', '10.45.0.5', '--requests']);
  t.equal(r.status, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  events.pop();
  t.ok(events.length > 3);
  t.ok(
    events.every((e) => e.ueIp === '10.45.0.5'),
    'the events of 10.45.0.5',
  );
  t.ok(events.some((e) => e.type === 'request') && events.some((e) => e.type === 'session'));

  const noSel = await gnpay(['decode', input, '--write', path.join(dir, 'x.pcapng')]);
  t.equal(noSel.status, 2);
  t.match(noSel.stderr, /--write needs --imsi, --msisdn or --ue-ip/);
  const badImsi = await gnpay(['decode', input, '--imsi', '26201x', '--write', path.join(dir, 'x.pcapng')]);
  t.equal(badImsi.status, 2);
  t.match(badImsi.stderr, /IMSI "26201x" must be 5 to 15 digits/);
  const badIp = await gnpay(['decode', input, '--ue-ip', '10.45.0.300']);
  t.equal(badIp.status, 2);
  t.match(badIp.stderr, /not an IPv4 or IPv6 address/);
  const cannot = await gnpay([
    'decode',
    input,
    '--imsi',
    '262011234567002',
    '--write',
    path.join(dir, 'no', 'such', 'dir.pcapng'),
  ]);
  t.equal(cannot.status, 1);
  t.match(cannot.stderr, /cannot create .*dir\.pcapng: No such file or directory/);
});
