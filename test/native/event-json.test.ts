// The engine writes events as JSON text in C++ (native/engine/event_json.cc).
// Its strings must be what JavaScript makes of the same bytes: ill-formed
// UTF-8 replaced the way Node's decoder does (U+FFFD per maximal subpart),
// control characters, quotes and backslashes escaped as JSON.stringify does.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Engine } from '../../src/native';
import { gpdu } from '../../packages/tools/src/gen/gtp';
import { ethernet, ipTcp, ipUdp, TCP } from '../../packages/tools/src/gen/net';

function requestFrame(target: Buffer, host: Buffer, seq: number): Buffer {
  const head = Buffer.concat([Buffer.from('GET /'), target, Buffer.from(' HTTP/1.1\r\nHost: '), host, Buffer.from('\r\n\r\n')]);
  const inner = ipTcp('10.9.0.1', '203.0.113.9', 40000 + (seq % 20000), 80, head, { seq: 1000, ack: 1, flags: TCP.ACK | TCP.PSH });
  return ethernet(ipUdp('192.0.2.10', '198.51.100.10', 2152, 2152, gpdu(0x1234, inner)));
}

// bytes a request target may hold (> 0x20, not DEL), weighted towards UTF-8 edge cases
function randomTargetBytes(rnd: () => number, n: number): Buffer {
  const pick = [0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90, 0x22, 0x5c, 0x41];
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rnd() < 0.7 ? pick[Math.floor(rnd() * pick.length)]! : 0x21 + Math.floor(rnd() * 0xde);
  for (let i = 0; i < n; i++) if (b[i] === 0x7f) b[i] = 0x41;
  return b;
}

t.test('request strings: what Node makes of the bytes, escaped as JSON.stringify does', async (t) => {
  const engine = new Engine({ carriers: ['query:pay_token'], requests: true });
  t.teardown(() => engine.close());
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const valid = ['é', '€', '𝄞', 'ü"\\x', '\u2028'].map((s) => Buffer.from(s));
  let checked = 0;
  for (let i = 0; i < 400; i++) {
    const target = i < valid.length ? valid[i] : randomTargetBytes(rnd, 1 + Math.floor(rnd() * 12));
    // Host values may carry tabs and other controls after the first byte
    const host = Buffer.concat([Buffer.from('h'), i % 3 === 0 ? Buffer.from([0x09, 0x01, 0x1f, 0x22, 0x5c]) : Buffer.alloc(0), randomTargetBytes(rnd, 3)]);
    const events = engine.processFrame(requestFrame(target!, host, i), 1, 1_700_000_000e9 + i * 1000, i + 1);
    const req = events.find((e) => e.type === 'request');
    if (!req || req.type !== 'request') continue;
    checked++;
    t.equal(req.target, '/' + target!.toString('utf8'), `target ${target!.toString('hex')}`);
    if (req.host !== null) t.equal(req.host, host.toString('utf8').trim(), `host ${host.toString('hex')}`);
  }
  t.ok(checked > 300, `${checked} requests checked`);
});

t.test('every event carries exactly the keys of event_fields.def, in its order', async (t) => {
  const { eventFieldTable } = await import('../../src/ops/event-contract');
  const { openCapture } = await import('../../src/native');
  const table = eventFieldTable();
  const fixtures = path.join(__dirname, '..', '..', 'fixtures');
  const seen = new Set<string>();
  for (const f of fs.readdirSync(fixtures).filter((f) => /\.(pcap|pcapng)$/.test(f))) {
    const cap = openCapture({ files: [path.join(fixtures, f)], carriers: ['query:pay_token', 'query:gnpay_token', 'host:pay.example.net'], payHosts: ['pay.example.net', 'example.com'], requests: true });
    try {
      for await (const batch of cap) {
        for (const e of batch) {
          seen.add(e.type);
          const keys = table[e.type]!.map((x) => x.key);
          t.same(Object.keys(e), keys, `${f} packet ${e.packet} ${e.type}`);
          if (e.type === 'session')
            for (const tu of e.tunnels)
              t.same(Object.keys(tu), table.tunnel!.map((x) => x.key).filter((k) => k !== 'bearer' || tu.plane === 'user'), 'tunnel keys');
        }
      }
    } catch {
      // corrupt-block: what was decoded before the damage is checked all the same
    } finally {
      await cap.close();
    }
  }
  t.same([...seen].sort(), ['hello', 'request', 'session', 'sighting'], 'every event type seen');
});
