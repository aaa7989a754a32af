// Sanity of the committed fixtures' expectations against their own bytes:
// every event points at a real packet with the right timestamp, session
// events at accepted GTP-C responses, sightings at G-PDUs of the right TEID
// whose flow carries the token; key order and completeness per docs/events.md.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  dissect,
  FIXTURES,
  gpduInner,
  innerTcpPayload,
  isoMicros,
  readCapture,
  type ReadFrame,
} from '../../../packages/tools/src/gen';

const dir = path.join(__dirname, '..', '..', '..', 'fixtures');

const SESSION_KEYS = [
  'type',
  'event',
  'ts',
  'packet',
  'gtp',
  'imsi',
  'msisdn',
  'imei',
  'apn',
  'ueIp',
  'ueIpv6',
  'bearer',
  'linkedBearer',
  'tunnels',
];
const SIGHTING_KEYS = [
  'type',
  'ts',
  'packet',
  'token',
  'carrier',
  'via',
  'msisdn',
  'imsi',
  'imei',
  'apn',
  'ueIp',
  'teid',
  'resolvedBy',
  'host',
  'request',
  'dst',
  'proto',
  'sport',
  'dport',
  'communityId',
];
const RESPONSES_V1 = new Set([17, 19, 21]);
const RESPONSES_V2 = new Set([33, 35, 37, 96, 100, 171, 212]);

for (const fx of FIXTURES) {
  t.test(fx.name, async (t) => {
    const cap = readCapture(fs.readFileSync(path.join(dir, fx.file)));
    const stats = JSON.parse(fs.readFileSync(path.join(dir, `${fx.name}.expected-stats.json`), 'utf8'));
    const lines = fs.readFileSync(path.join(dir, `${fx.name}.expected.jsonl`), 'utf8').split('\n');
    t.equal(lines.pop(), '', 'file ends with a newline');
    // TEIDs are printed as tshark shows them ("0x" + 8 hex digits); numbers below
    t.ok(
      lines.every((l) => !/"teid":\d/.test(l)),
      'TEIDs as "0x…" strings',
    );
    const events = lines.map((l) =>
      JSON.parse(l, (k, v) =>
        k === 'teid' && typeof v === 'string' && /^0x[0-9a-f]{8}$/.test(v) ? parseInt(v, 16) : v,
      ),
    );
    t.ok(events.length > 0, 'has events');
    t.notOk(
      events.some((e) => e.type === 'stats'),
      'no stats line in the JSONL',
    );
    if (stats.corruptAt) {
      t.ok(cap.error, 'the reader stops at the damage');
      t.equal(cap.error!.offset, stats.corruptAt.offset, 'damage offset');
      t.equal(cap.error!.index, stats.corruptAt.packet, 'damage packet number');
      t.equal(cap.frames.length, stats.packets, 'packets before the damage');
    } else {
      t.equal(cap.error, null, 'capture reads to the end');
      t.equal(cap.frames.length, stats.packets, 'packet count');
    }
    t.same(stats.carriers, [
      'query:pay_token',
      'path:/pay/',
      'host:pay.example.net',
      'header:X-Pay-Token',
      'cookie:pay_token',
    ]);

    let last = 0;
    let sightings = 0;
    let unresolved = 0;
    const counts = { create: 0, update: 0, delete: 0 };
    for (const e of events) {
      t.ok(e.packet >= last, `packet order at ${e.packet}`);
      last = e.packet;
      const f: ReadFrame = cap.frames[e.packet - 1]!;
      t.ok(f, `packet ${e.packet} exists`);
      t.not(f.tsSec, null, 'events never come from a packet without timestamp (SPB)');
      t.equal(e.ts, isoMicros(f.tsSec!, f.tsNsec!), `ts of packet ${e.packet}`);
      const d = dissect(f.linktype, f.data)!;
      if (e.type === 'session') {
        t.same(Object.keys(e), SESSION_KEYS, 'session keys in contract order');
        counts[e.event as 'create']++;
        t.ok(d.gtp, 'session event at a GTP-C packet');
        const ver = d.gtp!.flags >> 5;
        t.equal(ver, e.gtp, 'GTP version');
        t.ok((ver === 1 ? RESPONSES_V1 : RESPONSES_V2).has(d.gtp!.type), `packet ${e.packet} is a response`);
        t.ok(/^\d{5,15}$/.test(e.imsi), 'imsi digits');
        for (const tu of e.tunnels) {
          t.same(
            Object.keys(tu),
            tu.plane === 'user' ? ['plane', 'dir', 'addr', 'teid', 'bearer'] : ['plane', 'dir', 'addr', 'teid'],
          );
          t.ok(Number.isInteger(tu.teid) && tu.teid >= 0 && tu.teid <= 0xffffffff, 'teid is a uint32');
        }
        const order = e.tunnels.map((x: { plane: string; dir: string }) => `${x.plane}-${x.dir}`);
        const rank = (s: string) => ['control-uplink', 'control-downlink', 'user-uplink', 'user-downlink'].indexOf(s);
        t.same(
          order,
          [...order].sort((a: string, b: string) => rank(a) - rank(b)),
          'tunnel slots in contract order',
        );
      } else {
        t.same(Object.keys(e), SIGHTING_KEYS, 'sighting keys in contract order');
        sightings++;
        if (e.resolvedBy === null) {
          unresolved++;
          t.equal(e.msisdn, null);
          t.equal(e.imsi, null);
        }
        t.ok(/^[A-Za-z0-9_-]{16,64}$/.test(e.token), 'token syntax');
        if (e.carrier === 'host') t.equal(e.token, e.token.toLowerCase(), 'host tokens are lower-case');
        // the completing packet is a G-PDU of that TEID, or a later fragment of one
        if (d.gtp) {
          t.equal(d.gtp.type, 255, 'G-PDU');
          t.equal(d.gtp.teid, e.teid, 'teid');
        } else {
          t.ok(d.fragOffset > 0, 'a non-first fragment');
        }
        // the token's bytes are in this packet or an earlier one (split heads, fragments)
        const needle = Buffer.from(e.token);
        let found = 0;
        for (let i = e.packet - 1; i >= 0 && !found; i--) {
          const data = cap.frames[i]!.data;
          const hay = e.carrier === 'host' ? Buffer.from(data.toString('latin1').toLowerCase(), 'latin1') : data;
          if (hay.includes(needle)) found = i + 1;
        }
        if (!found) {
          // a head split over TCP segments: rebuild the uplink streams of that TEID by sequence number
          const streams = new Map<string, { seq: number; payload: Buffer }[]>();
          for (const f2 of cap.frames.slice(0, e.packet)) {
            const d2 = dissect(f2.linktype, f2.data);
            const inner = d2 && d2.gtp?.teid === e.teid ? gpduInner(d2) : null;
            const tcp = inner ? innerTcpPayload(inner) : null;
            if (!tcp || !tcp.payload.length) continue;
            const k = `${tcp.sport}>${tcp.dport}`;
            if (!streams.has(k)) streams.set(k, []);
            streams.get(k)!.push(tcp);
          }
          for (const segs of streams.values()) {
            const base = Math.min(...segs.map((x) => x.seq));
            const buf = Buffer.alloc(Math.max(...segs.map((x) => x.seq - base + x.payload.length)));
            for (const x of segs) x.payload.copy(buf, x.seq - base);
            if (buf.includes(needle)) found = e.packet;
          }
        }
        t.ok(found > 0, `token ${e.token} is in the capture at or before packet ${e.packet}`);
      }
    }
    t.equal(sightings, stats.sightings, 'sightings counter');
    t.equal(unresolved, stats.unresolvedSightings, 'unresolved counter');
    t.same(
      counts,
      { create: stats.sessions.created, update: stats.sessions.updated, delete: stats.sessions.deleted },
      'session counters',
    );
    if (stats.gtpc) {
      let n = 0;
      for (const f of cap.frames) {
        const d = dissect(f.linktype, f.data);
        if (!d?.gtp || d.dport === 2152 || d.sport === 2152) continue;
        n++;
        if (d.gtp.flags >> 5 === 2 && d.gtp.flags & 0x10) n++; // a piggybacked message follows (TS 29.274 s5.1)
      }
      const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
      t.equal(n, sum(stats.gtpc.v1) + sum(stats.gtpc.v2), 'GTP-C message count');
    }
  });
}
