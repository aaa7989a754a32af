// State exhaustion (hardening issue): captures that flood the engine's bounded
// tables, made by the fixture generator (`gnpay gen flood-*`, packages/tools/src/gen/large.ts)
// and decoded by the real command with small bounds. For each flood:
//  - every legitimate subscriber mixed into it still comes out: its session and
//    its sighting (same token, same MSISDN, resolved by TEID, same packet);
//  - the tables never hold more than their bounds (`stats.tables`);
//  - what was evicted is counted under its anomaly name, with the right order
//    of magnitude (flood items minus what the bound keeps);
//  - what was evicted is the oldest: packets appended after the flood (an
//    answer, a missing fragment, the end of a request head, a token on a
//    tunnel) find the newest entry still there and the oldest gone;
//  - memory: `stats.memory.tableBytes` under a bound derived from the limits
//    given on the command line, and the process peak RSS under a fixed ceiling.
// No timed assertions. Sizes keep the whole file near a minute on 2 cores.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import t from 'tap';
import type { Test } from 'tap';
import {
  createPdpResponse,
  ethernet,
  fragmentIpv4,
  gpdu,
  httpRequest,
  innerTcp,
  ipUdp,
  makeToken,
  Rng,
  TCP,
} from '../../packages/tools/src/gen';
import { CLI, GEN_CLI, ROOT } from '../helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-exhaust-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MiB = 1 << 20;

// The bounds given to `gnpay decode` (the same for every flood: each flood
// fills one table, the others must stay at their idle size).
const BOUNDS = {
  maxSessions: 50_000,
  maxPendingRequests: 1_000,
  maxFragmentDatagrams: 256,
  // below 256 x 1480 octets: the byte bound, not the datagram count, decides here
  maxFragmentBytes: 256 * 1024,
  maxTcpFlows: 1_000,
};
// Bounds not settable on the command line: engine defaults (native/engine/engine.h,
// native/engine/request_heads.h HeadLimits).
const MAX_HEAD_BYTES = 16_384;
const HEAD_ORPHAN_SLOTS = 1024;
const HEAD_ORPHAN_MAX_BYTES = 2048;
const HEAD_RECENT = 8192;
const SESSION_BLOCK = 16_384; // records per block (native/engine/session_table.h PagedVector)
const SESSION_RECORD = 128; // bytes per record

/**
 * Upper bounds of `stats.memory` derived from the limits:
 *  - sessions: the record blocks that maxSessions needs, plus for each session
 *    its index entries (<= 4 endpoints, a UE address, identities: ~7 entries of
 *    12 bytes in maps that grow 1.5x at 85% load, <= ~150 bytes) - 256 bytes
 *    allowed - plus 1 MiB for the GSN / APN interning tables;
 *  - fragments: the buffered octets (that is what fragmentBytes counts) <= maxFragmentBytes;
 *  - TCP heads: the preallocated orphan ring, replay buffer and recent-head table,
 *    plus per flow its slot, index entries (256 bytes allowed) and a head buffer
 *    of at most maxRequestHeadBytes.
 */
function memoryBounds(): { sessions: number; fragments: number; heads: number; total: number } {
  const sessions =
    Math.ceil(BOUNDS.maxSessions / SESSION_BLOCK) * SESSION_BLOCK * SESSION_RECORD + BOUNDS.maxSessions * 256 + MiB;
  const fragments = BOUNDS.maxFragmentBytes;
  const heads =
    HEAD_ORPHAN_SLOTS * (HEAD_ORPHAN_MAX_BYTES + 64) +
    16 * HEAD_ORPHAN_MAX_BYTES +
    HEAD_RECENT * 8 +
    64 * 1024 +
    BOUNDS.maxTcpFlows * (256 + MAX_HEAD_BYTES);
  return { sessions, fragments, heads, total: sessions + fragments + heads };
}

interface Flood {
  name: string;
  gen: string[];
  /** peak RSS ceiling of the decode process; see the measurements below */
  rssCeiling: number;
  check: (t: Tap, s: Stats, gen: GenStats) => void;
  /** packets appended after the flood: the oldest entry is gone, the newest is still there */
  probe?: (p: ProbeCtx) => Probe;
}
type Tap = Test;
interface ProbeCtx {
  gen: GenStats;
  /** the predicted events (legitimate subscribers, the flooder) */
  expected: Stats[];
  tok: () => string;
}
interface Probe {
  frames: Buffer[];
  /** sightings the probe adds, and how many of them are unresolved */
  sightings: number;
  unresolved: number;
  check: (t: Tap, out: Scan, s: Stats) => void;
}
type Stats = Record<string, any>;
interface GenStats {
  floodItems: number;
  legitimateSubscribers: number;
  sessions: { created: number };
}

function anomaly(s: Stats, name: string): number {
  return (s.anomalies?.[name] as number | undefined) ?? 0;
}

/** `n` evictions for `items` flood entries into a table keeping `bound`: between 90% of the excess and the item count. */
function evictedAbout(t: Tap, n: number, items: number, bound: number, what: string): void {
  const excess = items - bound;
  t.ok(excess > 0, `${what}: the flood (${items}) exceeds the bound (${bound})`);
  t.ok(n >= 0.9 * excess && n <= items, `${what}: ${n} evicted for ${items} flood items over a bound of ${bound}`);
}

// ---- probes: what a flood evicted is its oldest entry, what it kept is its newest

const FLOODER_IMSI = '262013000999999'; // packages/tools/src/gen/large.ts: benchSub(999_999), attached before the flood

function userTunnels(session: Stats): { up: Stats; down: Stats } {
  const up = session.tunnels.find((x: Stats) => x.plane === 'user' && x.dir === 'uplink');
  const down = session.tunnels.find((x: Stats) => x.plane === 'user' && x.dir === 'downlink');
  return { up, down };
}

/** an uplink G-PDU on `session`'s user tunnel carrying `inner` */
function uplink(session: Stats, inner: Buffer): Buffer {
  const { up, down } = userTunnels(session);
  return ethernet(ipUdp(down.addr, up.addr, 2152, 2152, gpdu(up.teid, inner), { id: 7 }, { noChecksum: true }));
}

/** an uplink HTTP request with `token` in the query, from `session`'s UE */
function tokenRequest(session: Stats, token: string): Buffer {
  const req = httpRequest({ target: `/pay?pay_token=${token}`, host: 'pay.example.net' });
  return uplink(session, innerTcp(session.ueIp, '203.0.113.10', 45000, 80, req, 1, 1, TCP.ACK | TCP.PSH));
}

function sighting(out: Scan, token: string): Stats | undefined {
  return out.events.find((e) => e.type === 'sighting' && e.token === token);
}

/** flood-pending: answers to the oldest and to the newest unanswered request (packages/tools/src/gen/large.ts addressing) */
function pendingProbe({ gen }: ProbeCtx): Probe {
  const imsi = (n: number) => `99999${String(n).padStart(10, '0')}`;
  const answer = (n: number) =>
    ethernet(
      ipUdp(
        '198.51.100.1',
        `172.16.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}`,
        2123,
        2123,
        createPdpResponse({
          seq: n & 0xffff,
          teid: n,
          cause: 128,
          recovery: 1,
          teidData: 0x0d000000 + n,
          teidCp: 0x0e000000 + n,
          ueV4: '10.99.0.1',
          gsnSignalling: '198.51.100.1',
          gsnUser: '198.51.100.3',
        }),
        { id: 5 },
        { noChecksum: true },
      ),
    );
  const oldest = 1;
  const newest = gen.floodItems;
  return {
    frames: [answer(oldest), answer(newest)],
    sightings: 0,
    unresolved: 0,
    check: (t, out, s) => {
      t.equal(
        s.anomalies['gtpv1c.unmatched_response'],
        1,
        'the answer to the oldest request finds nothing: it was evicted',
      );
      t.notOk(
        out.events.some((e) => e.imsi === imsi(oldest)),
        'no session for the oldest request',
      );
      const created = out.events.filter((e) => e.type === 'session' && e.imsi === imsi(newest));
      t.same(
        created.map((e) => [e.event, e.msisdn, e.ueIp]),
        [['create', '4900000000000', '10.99.0.1']],
        'the answer to the newest request creates its session: it was kept',
      );
    },
  };
}

/** flood-fragments: the missing tails of the oldest and of the newest incomplete datagram */
function fragmentsProbe({ gen }: ProbeCtx): Probe {
  const tail = (n: number) => {
    const src = `192.0.${2 + ((n >>> 16) & 0xff & 7)}.${(n >>> 8) & 0xff}`;
    const inner = innerTcp('100.64.0.1', '203.0.113.10', 40000, 443, Buffer.alloc(1460, 0x17), 1, 1, TCP.ACK);
    const whole = ipUdp(src, '198.51.100.250', 2152, 2152, gpdu(n, inner), { id: n & 0xffff }, { noChecksum: true });
    return fragmentIpv4(whole, 1500)
      .slice(1)
      .map((f) => ethernet(f));
  };
  return {
    frames: [...tail(gen.floodItems), ...tail(1)],
    sightings: 0,
    unresolved: 0,
    check: (t, _out, s) => {
      t.equal(
        s.fragments.outerReassembled,
        1,
        'only the newest datagram completes: its first fragment was kept, the oldest one was evicted',
      );
    },
  };
}

/** flood-flows: the ends of the request heads of the oldest and of the newest flood flow, each with a token */
function flowsProbe({ gen, expected, tok }: ProbeCtx): Probe {
  const flooder = expected.find((e) => e.type === 'session' && e.imsi === FLOODER_IMSI)!;
  const old = tok();
  const young = tok();
  const end = (n: number, token: string) => {
    const head = `GET /slow/${n} HTTP/1.1\r\nHost: flood.example.com\r\nX-Pad: `;
    const rest = Buffer.from(`x\r\nX-Pay-Token: ${token}\r\n\r\n`);
    return uplink(
      flooder,
      innerTcp(
        flooder.ueIp,
        '203.0.113.10',
        1024 + (n % 60000),
        80 + Math.floor(n / 60000),
        rest,
        n + head.length,
        1,
        TCP.ACK | TCP.PSH,
      ),
    );
  };
  return {
    frames: [end(1, old), end(gen.floodItems, young)],
    sightings: 1,
    unresolved: 0,
    check: (t, out) => {
      t.notOk(sighting(out, old), 'the oldest flow was evicted: the end of its head makes nothing');
      const si = sighting(out, young);
      t.same(
        si && [si.carrier, si.msisdn, si.resolvedBy],
        ['header', flooder.msisdn, 'teid'],
        'the newest flow was kept: its completed head gives the token',
      );
    },
  };
}

/** flood-teids (sessions): tokens on the flooder's tunnel (the oldest session), the first and the last legitimate subscriber's */
function sessionsProbe({ expected, tok }: ProbeCtx): Probe {
  const sessions = expected.filter((e) => e.type === 'session');
  const flooder = sessions.find((e) => e.imsi === FLOODER_IMSI)!;
  const legit = sessions.filter((e) => e.imsi !== FLOODER_IMSI);
  const first = legit[0]!;
  const last = legit[legit.length - 1]!;
  const [tf, t0, tn] = [tok(), tok(), tok()];
  return {
    frames: [tokenRequest(flooder, tf), tokenRequest(first, t0), tokenRequest(last, tn)],
    sightings: 3,
    unresolved: 2,
    check: (t, out) => {
      for (const [token, who] of [
        [tf, 'the flooder (the oldest session)'],
        [t0, 'the first legitimate subscriber'],
      ]) {
        const si = sighting(out, token!);
        t.same(si && [si.msisdn, si.resolvedBy], [null, null], `${who} was evicted: its tunnel resolves to nobody`);
      }
      const si = sighting(out, tn);
      t.same(
        si && [si.msisdn, si.resolvedBy],
        [last.msisdn, 'teid'],
        'the last legitimate subscriber was kept: resolved by TEID',
      );
    },
  };
}

/** Appends Ethernet frames to a pcap written by the generator, 10 µs apart after its last packet. */
function appendFrames(file: string, frames: Buffer[]): void {
  const buf = fs.readFileSync(file);
  if (buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('expected a little-endian µs pcap');
  let sec = 0;
  let usec = 0;
  for (let o = 24; o + 16 <= buf.length; o += 16 + buf.readUInt32LE(o + 8)) {
    sec = buf.readUInt32LE(o);
    usec = buf.readUInt32LE(o + 4);
  }
  const recs: Buffer[] = [];
  for (const f of frames) {
    usec += 10;
    if (usec >= 1e6) {
      sec++;
      usec -= 1e6;
    }
    const h = Buffer.alloc(16);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(usec, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    recs.push(h, f);
  }
  fs.appendFileSync(file, Buffer.concat(recs));
}

// Peak RSS ceilings: each is what was measured (node, the addon, the read
// buffers, the tables) with a margin.
// Measured on the 2-core dev machine (Node 20), `decode --jsonl` with BOUNDS:
//   flood              packets  file      peak RSS  tableBytes (sessions + fragments + TCP heads)
//   pending            200k     34 MiB    128 MiB    4.30 MiB (2.00 + 0    + 2.30)
//   fragments          100k    146 MiB    240 MiB    4.55 MiB (2.00 + 0.25 + 2.30)
//   flows              200k     31 MiB    126 MiB    5.28 MiB (2.00 + 0    + 3.28)
//   teids (sessions)   525k     82 MiB    229 MiB   15.15 MiB (12.85 + 0   + 2.30)
//   teids (gpdu)      1.02M    298 MiB    391 MiB    4.30 MiB (2.00 + 0    + 2.30)
// (2 MiB of sessions is one block of 16384 records, allocated with the first
// session; 2.3 MiB of TCP heads is the preallocated orphan ring.)
const FLOODS: Flood[] = [
  {
    // Create PDP Context Requests never answered
    name: 'flood-pending',
    gen: ['--packets', '200000'],
    rssCeiling: 200 * MiB,
    check: (t, s, g) => {
      t.ok(
        s.tables.pendingRequests <= BOUNDS.maxPendingRequests,
        `pending requests ${s.tables.pendingRequests} <= ${BOUNDS.maxPendingRequests}`,
      );
      t.equal(
        s.tables.pendingRequests,
        BOUNDS.maxPendingRequests - 1,
        'the pending table is full at the end (the flood filled it; the probe answered one)',
      );
      evictedAbout(
        t,
        anomaly(s, 'gtpv1c.pending_request_evicted'),
        g.floodItems,
        BOUNDS.maxPendingRequests,
        'gtpv1c.pending_request_evicted',
      );
    },
    probe: pendingProbe,
  },
  {
    // first fragments of outer datagrams that never complete
    name: 'flood-fragments',
    gen: ['--packets', '100000'],
    rssCeiling: 320 * MiB,
    check: (t, s, g) => {
      t.ok(
        s.tables.fragments <= BOUNDS.maxFragmentDatagrams,
        `datagrams in reassembly ${s.tables.fragments} <= ${BOUNDS.maxFragmentDatagrams}`,
      );
      t.ok(
        s.tables.fragmentBytes <= BOUNDS.maxFragmentBytes,
        `fragment octets ${s.tables.fragmentBytes} <= ${BOUNDS.maxFragmentBytes}`,
      );
      t.ok(s.tables.fragmentBytes > BOUNDS.maxFragmentBytes / 2, 'the byte bound was reached');
      const n = anomaly(s, 'frag.evicted') + anomaly(s, 'frag.timeout');
      evictedAbout(t, n, g.floodItems, BOUNDS.maxFragmentDatagrams, 'frag.evicted + frag.timeout');
    },
    probe: fragmentsProbe,
  },
  {
    // TCP flows that never finish a request head
    name: 'flood-flows',
    gen: ['--packets', '200000'],
    rssCeiling: 200 * MiB,
    check: (t, s, g) => {
      t.ok(s.tables.tcpFlows <= BOUNDS.maxTcpFlows, `TCP flows ${s.tables.tcpFlows} <= ${BOUNDS.maxTcpFlows}`);
      t.equal(s.tables.tcpFlows, BOUNDS.maxTcpFlows, 'the flow table is full at the end');
      evictedAbout(t, anomaly(s, 'tcp.flow_evicted'), g.floodItems, BOUNDS.maxTcpFlows, 'tcp.flow_evicted');
    },
    probe: flowsProbe,
  },
  {
    // a Create PDP Context pair per flood item: 4 distinct TEIDs each, so 262k
    // items carry over a million distinct TEIDs into a 50k-session table
    name: 'flood-teids',
    gen: ['--packets', '525000', '--mode', 'sessions'],
    rssCeiling: 360 * MiB,
    check: (t, s, g) => {
      t.ok(s.tables.sessions <= BOUNDS.maxSessions, `sessions ${s.tables.sessions} <= ${BOUNDS.maxSessions}`);
      t.equal(s.tables.sessions, BOUNDS.maxSessions, 'the session table is full at the end');
      t.equal(s.sessions.created, g.sessions.created, 'every Create pair made a session');
      t.equal(
        anomaly(s, 'session.evicted'),
        s.sessions.created - BOUNDS.maxSessions,
        'session.evicted: every session over the bound',
      );
      t.equal(s.sessions.evicted, anomaly(s, 'session.evicted'));
      evictedAbout(t, anomaly(s, 'session.evicted'), g.floodItems, BOUNDS.maxSessions, 'session.evicted');
    },
    probe: sessionsProbe,
  },
  {
    // G-PDUs to a million distinct unknown TEIDs: nothing may be kept for them
    name: 'flood-teids',
    gen: ['--packets', '1020000', '--mode', 'gpdu'],
    rssCeiling: 560 * MiB,
    check: (t, s, g) => {
      t.equal(s.gpdu.unresolved, g.floodItems, 'every flood G-PDU unresolved');
      t.equal(
        s.tables.sessions,
        g.legitimateSubscribers + 1,
        'only the legitimate sessions (and the flooder) are held',
      );
      t.equal(s.tables.tcpFlows, 0, 'no TCP state for the flood');
      t.equal(s.sessions.evicted, 0, 'no session evicted');
      t.equal(s.anomalyKinds.evicted, 0, 'nothing evicted anywhere');
    },
  },
];

/** `gnpay decode` with its stdout streamed to a file (the sessions flood prints ~300 MB of JSONL). */
function decode(capture: string, out: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(out, 'w');
    const args = [
      'decode',
      capture,
      '--jsonl',
      '--no-progress',
      '--carrier',
      'query:pay_token',
      '--carrier',
      'header:X-Pay-Token',
      '--max-sessions',
      String(BOUNDS.maxSessions),
      '--max-pending-requests',
      String(BOUNDS.maxPendingRequests),
      '--max-fragment-datagrams',
      String(BOUNDS.maxFragmentDatagrams),
      '--max-fragment-bytes',
      String(BOUNDS.maxFragmentBytes),
      '--max-tcp-flows',
      String(BOUNDS.maxTcpFlows),
    ];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      fs.closeSync(fd);
      resolve({ status, stderr });
    });
  });
}

interface Scan {
  /** sessions and sightings of everybody but the flood's own subscribers, in order */
  events: Stats[];
  /** session events of flood subscribers (IMSI 99998...) */
  floodSessions: number;
  distinctFloodTeids: number;
  stats: Stats | null;
}

/** Reads a JSONL file line by line; flood sessions are counted (and their TEIDs collected), not kept. */
async function scan(file: string): Promise<Scan> {
  const res: Scan = { events: [], floodSessions: 0, distinctFloodTeids: 0, stats: null };
  const teids = new Set<number>();
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    if (line.includes('"imsi":"99998')) {
      res.floodSessions++;
      // decode writes TEIDs as tshark shows them: "0x%08x" (event contract 2)
      for (const m of line.matchAll(/"teid":"0x([0-9a-f]{8})"/g)) teids.add(parseInt(m[1]!, 16));
      continue;
    }
    const e = JSON.parse(line);
    if (e.type === 'stats') res.stats = e;
    else res.events.push(e);
  }
  res.distinctFloodTeids = teids.size;
  return res;
}

/** Distinct GTP-U TEIDs in an Ethernet/IPv4/UDP pcap written by the generator (unfragmented frames). */
function distinctGpduTeids(file: string): number {
  const buf = fs.readFileSync(file);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const teids = new Set<number>();
  for (let o = 24; o + 16 <= buf.length;) {
    const incl = u32(o + 8);
    const f = o + 16;
    // Ethernet IPv4, UDP, destination port 2152, G-PDU (message type 255)
    if (incl >= 50 && buf.readUInt16BE(f + 12) === 0x0800 && buf[f + 23] === 17) {
      const ihl = (buf[f + 14]! & 0xf) * 4;
      const udp = f + 14 + ihl;
      if (buf.readUInt16BE(udp + 2) === 2152 && buf[udp + 9] === 255) teids.add(buf.readUInt32BE(udp + 12));
    }
    o = f + incl;
  }
  return teids.size;
}

const mem = memoryBounds();
t.comment(
  `memory bounds derived from ${JSON.stringify(BOUNDS)}: sessions ${(mem.sessions / MiB).toFixed(1)} MiB, ` +
    `fragments ${(mem.fragments / MiB).toFixed(2)} MiB, TCP heads ${(mem.heads / MiB).toFixed(1)} MiB, total ${(mem.total / MiB).toFixed(1)} MiB`,
);

for (const [i, flood] of FLOODS.entries()) {
  const label = `${flood.name} ${flood.gen.join(' ')}`;
  t.test(label, async (t) => {
    const dir = path.join(tmp, String(i));
    fs.mkdirSync(dir);
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const cap = path.join(dir, 'flood.pcap');
    const exp = path.join(dir, 'expected.jsonl');
    const genStats = path.join(dir, 'gen.json');
    const out = path.join(dir, 'out.jsonl');

    const g = spawnSync(
      process.execPath,
      [GEN_CLI, flood.name, '-o', cap, '--expected', exp, '--stats', genStats, ...flood.gen],
      { cwd: ROOT, encoding: 'utf8' },
    );
    t.equal(g.status, 0, `gen-cli ${label}: ${g.stderr}`);
    const gen = JSON.parse(fs.readFileSync(genStats, 'utf8')) as GenStats;
    t.ok(gen.legitimateSubscribers >= 10, `${gen.legitimateSubscribers} legitimate subscribers mixed in`);

    const expected = await scan(exp);
    const rng = new Rng(100 + i);
    const probe = flood.probe?.({ gen, expected: expected.events, tok: () => makeToken(rng, 24) });
    if (probe) appendFrames(cap, probe.frames);

    const r = await decode(cap, out);
    t.equal(r.status, 0, `gnpay decode exits 0 ${r.stderr}`);
    const actual = await scan(out);
    const s = actual.stats;
    if (!s) {
      t.fail('no stats line');
      return;
    }

    // the legitimate subscribers: every session and sighting predicted, as predicted
    const sightings = expected.events.filter((e) => e.type === 'sighting');
    t.equal(sightings.length, gen.legitimateSubscribers, 'one predicted sighting per legitimate subscriber');
    const key = (e: Stats) => `${e.type}/${e.packet}`;
    const got = new Map(actual.events.map((e) => [key(e), e]));
    const wrong: string[] = [];
    for (const e of expected.events) {
      const a = got.get(key(e));
      if (!a) wrong.push(`missing ${e.type} at packet ${e.packet} (${e.msisdn})`);
      else if (e.type === 'sighting') {
        // same token, same subscriber, same tunnel, resolved by TEID
        const want = [e.token, e.msisdn, e.imsi, e.teid, 'teid'];
        const have = [a.token, a.msisdn, a.imsi, a.teid, a.resolvedBy];
        if (JSON.stringify(want) !== JSON.stringify(have))
          wrong.push(`sighting at packet ${e.packet}: ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`);
      } else if (JSON.stringify({ ...a, file: undefined }) !== JSON.stringify(e)) {
        // (the prediction has no `file`: the capture is named at decode time)
        wrong.push(`session at packet ${e.packet}: ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`);
      }
    }
    t.same(
      wrong,
      [],
      `the ${expected.events.length} predicted sessions and sightings of the legitimate subscribers are all there`,
    );
    t.ok(
      sightings.every((e) => e.resolvedBy === 'teid' && e.msisdn),
      'predicted: resolved by TEID, with an MSISDN',
    );
    t.equal(s.sightings, gen.legitimateSubscribers + (probe?.sightings ?? 0), 'no other sighting');
    t.equal(s.unresolvedSightings, probe?.unresolved ?? 0, 'no other unresolved sighting');
    probe?.check(t, actual, s);
    t.equal(actual.floodSessions, expected.floodSessions, 'every flood session announced as predicted');

    // how many distinct TEIDs the flood used
    if (flood.gen.includes('sessions')) {
      t.ok(actual.distinctFloodTeids >= 1_000_000, `${actual.distinctFloodTeids} distinct TEIDs in the flood sessions`);
    } else if (flood.gen.includes('gpdu')) {
      const n = distinctGpduTeids(cap);
      t.ok(n >= 1_000_000, `${n} distinct TEIDs in the flood G-PDUs`);
    }

    // bounds, on every table (a flood of one kind must leave the others idle)
    t.ok(s.tables.sessions <= BOUNDS.maxSessions, 'sessions within the bound');
    t.ok(s.tables.pendingRequests <= BOUNDS.maxPendingRequests, 'pending requests within the bound');
    t.ok(s.tables.fragments <= BOUNDS.maxFragmentDatagrams, 'fragments within the bound');
    t.ok(s.tables.fragmentBytes <= BOUNDS.maxFragmentBytes, 'fragment bytes within the bound');
    t.ok(s.tables.tcpFlows <= BOUNDS.maxTcpFlows, 'TCP flows within the bound');
    t.equal(s.tables.maxSessions, BOUNDS.maxSessions, 'the bound given is the bound used');
    t.equal(s.tables.maxPendingRequests, BOUNDS.maxPendingRequests, 'the bound given is the bound used');
    flood.check(t, s, gen);

    // memory
    const m = s.memory;
    t.comment(
      `${label}: ${s.packets} packets, file ${(fs.statSync(cap).size / MiB).toFixed(0)} MiB, ` +
        `tableBytes ${(m.tableBytes / MiB).toFixed(2)} MiB (sessions ${(m.sessionBytes / MiB).toFixed(2)}, ` +
        `fragments ${(m.fragmentBytes / MiB).toFixed(2)}, tcp ${(m.tcpFlowBytes / MiB).toFixed(2)}), ` +
        `peak RSS ${(m.peakRssBytes / MiB).toFixed(0)} MiB`,
    );
    t.equal(m.tableBytes, m.sessionBytes + m.fragmentBytes + m.tcpFlowBytes);
    t.ok(m.sessionBytes <= mem.sessions, `sessionBytes ${m.sessionBytes} <= ${mem.sessions}`);
    t.ok(m.fragmentBytes <= mem.fragments, `fragmentBytes ${m.fragmentBytes} <= ${mem.fragments}`);
    t.ok(m.tcpFlowBytes <= mem.heads, `tcpFlowBytes ${m.tcpFlowBytes} <= ${mem.heads}`);
    t.ok(m.tableBytes <= mem.total, `tableBytes ${m.tableBytes} <= ${mem.total} (derived from the bounds)`);
    t.ok(m.peakRssBytes > 0 && m.peakRssBytes < flood.rssCeiling, `peak RSS ${m.peakRssBytes} < ${flood.rssCeiling}`);
  });
}
