// Ground truth: real public GTP captures (../shared/fixtures/public, not in
// this repository) and what tshark decodes in them (oracle/*.tsv, see INDEX.md,
// and tshark itself for its request/response pairing). Where gnpay and tshark
// disagree on a field, gnpay is wrong until shown otherwise.
// Skips visibly when ../shared is absent (e.g. on a fresh clone elsewhere); the
// transaction part skips visibly when tshark is not installed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openCapture } from '../../src/native';
import type { DecodeEvent, RequestEvent, SessionEvent } from '../../src/native/types';

// ../shared next to the repository, or next to one of its parent folders (a git worktree)
function findShared(): string | null {
  let dir = path.resolve(__dirname, '..', '..');
  for (let i = 0; i < 4; i++) {
    const p = path.join(path.dirname(dir), 'shared', 'fixtures', 'public');
    if (fs.existsSync(path.join(p, 'oracle'))) return p;
    dir = path.dirname(dir);
  }
  return null;
}

const PUBLIC = findShared();
const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

type Row = Record<string, string>;

function readTsv(file: string): Row[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('##'));
  if (lines.length === 0) return [];
  const head = lines[0]!.split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const r: Row = {};
    head.forEach((h, i) => (r[h] = cells[i] ?? ''));
    return r;
  });
}

async function decodeAll(file: string): Promise<{ events: DecodeEvent[]; stats: Record<string, any> }> {
  const cap = openCapture({ files: [file], carriers: ['query:gnpay_token'], requests: true });
  const events: DecodeEvent[] = [];
  try {
    for await (const batch of cap) events.push(...batch);
    return { events, stats: cap.stats() as Record<string, any> };
  } finally {
    await cap.close();
  }
}

// The events of one session: its create, then the updates that name the same
// control endpoint (same hop, same context) until it is deleted or replaced.
function lifecycle(sessions: SessionEvent[], created: SessionEvent): SessionEvent[] {
  const key = (e: SessionEvent) => {
    const c = e.tunnels.find((x) => x.plane === 'control' && x.dir === 'downlink');
    return c ? `${c.addr}/${c.teid}/${e.bearer}` : null;
  };
  const k = key(created);
  const out = [created];
  for (const e of sessions) {
    if (e.packet <= created.packet || key(e) !== k) continue;
    if (e.event !== 'update') break;
    out.push(e);
  }
  return out;
}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');
const USER_IFACES = new Set(['0', '1', '2', '3', '4', '5', '15', '16']);

// ---------------------------------------------------------------------------
// tshark's transaction tracking: the sessions its request/response pairs leave open.

const TSHARK_FIELDS = [
  'frame.number',
  'ip.dst',
  'ipv6.dst',
  'gtp.flags.version',
  'gtp.message',
  'gtp.teid',
  'gtp.teid_cp',
  'gtp.nsapi',
  'gtp.cause',
  'gtp.tear_ind',
  'gtp.gsn_ipv4',
  'gtp.gsn_ipv6',
  'gtp.response_to',
  'gtpv2.message_type',
  'gtpv2.teid',
  'gtpv2.ebi',
  'gtpv2.cause',
  'gtpv2.f_teid_interface_type',
  'gtpv2.f_teid_gre_key',
  'gtpv2.f_teid_v4',
  'gtpv2.f_teid_v6',
  'gtpv2.f_teid_ipv4',
  'gtpv2.f_teid_ipv6',
  'gtpv2.response_to',
  'e212.imsi',
];
type TRow = Record<string, string[]>;

function tsharkRows(file: string): Map<number, TRow> {
  const r = spawnSync(
    'tshark',
    [
      '-n',
      '-r',
      file,
      '-Y',
      '(gtp && gtp.message != 0xff) || gtpv2',
      '-T',
      'fields',
      '-E',
      'separator=\t',
      '-E',
      'aggregator=|',
      '-E',
      'occurrence=a',
      ...TSHARK_FIELDS.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const rows = new Map<number, TRow>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const row: TRow = {};
    TSHARK_FIELDS.forEach((f, i) => (row[f] = cols[i] ? cols[i].split('|') : []));
    rows.set(Number(cols[0]), row);
  }
  return rows;
}

interface OpenSession {
  frame: number; // the response that created it
  gtp: 1 | 2;
  imsi: string;
  bearer: string;
  ctrl: string[]; // "addr/teid" of both control endpoints
}

const truthy = (v: string | undefined) => v === '1' || v === 'True';

/**
 * The sessions tshark's request/response pairing leaves open, by the rules of
 * the specs applied to tshark's fields: an accepted Create PDP Context /
 * Create Session opens one (its control endpoints: the requester's TEID-C /
 * sender F-TEID and the responder's); an accepted Delete PDP Context / Delete
 * Session closes those whose control endpoint its header TEID names at its
 * destination (the Linked EBI, when present, picks among them); a Create for
 * the same IMSI and bearer on the same hop replaces the old one. Also returns
 * the frames of the accepted deletes that closed something.
 */
function tsharkOpen(rows: Map<number, TRow>): { open: OpenSession[]; deletes: Map<number, number> } {
  const open: OpenSession[] = [];
  const deletes = new Map<number, number>();
  const fteids = (r: TRow) => {
    let v4 = 0;
    let v6 = 0;
    return r['gtpv2.f_teid_gre_key']!.map((key, i) => {
      const addr = truthy(r['gtpv2.f_teid_v4']![i])
        ? r['gtpv2.f_teid_ipv4']![v4++]
        : truthy(r['gtpv2.f_teid_v6']![i])
          ? r['gtpv2.f_teid_ipv6']![v6++]
          : '';
      if (truthy(r['gtpv2.f_teid_v4']![i]) && truthy(r['gtpv2.f_teid_v6']![i])) v6++;
      return { iface: Number(r['gtpv2.f_teid_interface_type']![i]), ep: `${addr}/${Number(key)}` };
    });
  };
  const dst = (r: TRow) => r['ip.dst']![0] ?? r['ipv6.dst']![0] ?? '';
  for (const [frame, r] of rows) {
    const v1 = r['gtp.flags.version']![0] === '1' && r['gtp.message']!.length > 0;
    const v2 = r['gtpv2.message_type']!.length > 0;
    if (!v1 && !v2) continue;
    const type = v1 ? Number(r['gtp.message']![0]) : Number(r['gtpv2.message_type']![0]);
    const to = v1 ? r['gtp.response_to'] : r['gtpv2.response_to'];
    if (!to!.length) continue;
    const req = rows.get(Number(to![0]));
    if (!req) continue;
    const cause = Number((v1 ? r['gtp.cause'] : r['gtpv2.cause'])![0]);
    const accepted = v1 ? cause >= 128 && cause <= 191 : cause >= 16 && cause <= 63;
    if (!accepted) continue;
    if ((v1 && type === 0x11) || (v2 && type === 33)) {
      let s: OpenSession;
      if (v1) {
        if (Number(req['gtp.teid']![0]) !== 0) continue; // a secondary context: not a session of its own
        s = {
          frame,
          gtp: 1,
          imsi: req['e212.imsi']![0] ?? '',
          bearer: req['gtp.nsapi']![0] ?? '',
          ctrl: [
            `${req['gtp.gsn_ipv4']![0] ?? req['gtp.gsn_ipv6']![0]}/${Number(req['gtp.teid_cp']![0])}`,
            `${r['gtp.gsn_ipv4']![0] ?? r['gtp.gsn_ipv6']![0]}/${Number(r['gtp.teid_cp']![0])}`,
          ],
        };
      } else {
        // the requester's control F-TEID (MME, SGSN, SGW on S5/S8); the responder's (SGW on S11, else the PGW)
        const mine = fteids(req).find((f) => f.iface === 6 || f.iface === 10 || f.iface === 17);
        const rs = fteids(r);
        const theirs = rs.find((f) => f.iface === 11) ?? rs.find((f) => f.iface === 7);
        s = {
          frame,
          gtp: 2,
          imsi: req['e212.imsi']![0] ?? '',
          bearer: req['gtpv2.ebi']![0] ?? '',
          ctrl: [mine?.ep ?? '', theirs?.ep ?? ''],
        };
      }
      // a Create for the same IMSI and bearer on the same hop replaces the old session
      for (let i = open.length - 1; i >= 0; i--) {
        const o = open[i]!;
        const hop = (x: OpenSession) => x.ctrl.map((c) => c.split('/')[0]).join('|');
        if (o.gtp === s.gtp && o.imsi === s.imsi && o.bearer === s.bearer && (s.gtp === 1 || hop(o) === hop(s)))
          open.splice(i, 1);
      }
      open.push(s);
    } else if ((v1 && type === 0x15) || (v2 && type === 37)) {
      const ep = `${dst(req)}/${Number((v1 ? req['gtp.teid'] : req['gtpv2.teid'])![0])}`;
      const lbi = v2 ? req['gtpv2.ebi']![0] : undefined;
      let closed = 0;
      for (let i = open.length - 1; i >= 0; i--) {
        const o = open[i]!;
        if (o.gtp !== (v1 ? 1 : 2) || !o.ctrl.includes(ep)) continue;
        if (lbi !== undefined && o.bearer !== lbi) continue;
        if (
          v1 &&
          !truthy(req['gtp.tear_ind']![0]) &&
          req['gtp.nsapi']![0] !== undefined &&
          req['gtp.nsapi']![0] !== o.bearer
        )
          continue;
        open.splice(i, 1);
        closed++;
      }
      if (closed) deletes.set(frame, closed);
    }
  }
  return { open, deletes };
}

/** the primary contexts gnpay leaves active, by the packet that created them */
function gnpayOpen(sessions: SessionEvent[]): Map<string, number> {
  const key = (e: SessionEvent) => {
    const up = e.tunnels.find((x) => x.plane === 'control' && x.dir === 'uplink');
    const down = e.tunnels.find((x) => x.plane === 'control' && x.dir === 'downlink');
    return `${e.imsi}|${e.bearer}|${up?.addr}/${up?.teid}|${down?.addr}/${down?.teid}`;
  };
  const open = new Map<string, number>();
  for (const e of sessions) {
    if (e.linkedBearer !== null) continue;
    const k = key(e);
    if (e.event === 'create') open.set(k, e.packet);
    else if (e.event === 'delete') open.delete(k);
    else if (!open.has(k)) {
      // an update that moved a control endpoint: the same context under its new key
      const [imsi, bearer, up, down] = k.split('|');
      for (const [old, pkt] of open) {
        const [i, b, u, d] = old.split('|');
        if (i === imsi && b === bearer && (u === up || d === down)) {
          open.delete(old);
          open.set(k, pkt);
          break;
        }
      }
    }
  }
  return open;
}

if (!PUBLIC) {
  t.skip('../shared/fixtures/public is absent: public-capture agreement not checked', () => {});
} else {
  const ORACLE = path.join(PUBLIC, 'oracle');
  // every capture that has an oracle folder
  const captures: string[] = [];
  for (const dir of fs.readdirSync(ORACLE)) {
    for (const name of fs.readdirSync(path.join(ORACLE, dir))) {
      const o = path.join(ORACLE, dir, name);
      if (fs.existsSync(path.join(o, 'subscribers.tsv'))) captures.push(path.join(dir, name));
      else if (fs.statSync(o).isDirectory())
        for (const sub of fs.readdirSync(o))
          if (fs.existsSync(path.join(o, sub, 'subscribers.tsv'))) captures.push(path.join(dir, name, sub));
    }
  }

  t.test('every public capture has an oracle and decodes without error', async (t) => {
    t.ok(captures.length >= 20, `found ${captures.length} oracle folders`);
  });

  for (const rel of captures) {
    const capFile = path.join(PUBLIC, rel);
    if (!fs.existsSync(capFile)) continue;
    const dir = path.join(ORACLE, rel);
    t.test(rel, async (t) => {
      const { events, stats } = await decodeAll(capFile);
      const sessions = events.filter((e): e is SessionEvent => e.type === 'session');
      const requests = events.filter((e): e is RequestEvent => e.type === 'request' && e.via === 'http');

      // 1. subscribers: one Create PDP Context / Create Session pair each
      const subs = readTsv(path.join(dir, 'subscribers.tsv')).filter((r) => r.ver !== 'v0'); // GTPv0 is not decoded
      const v2msgs = readTsv(path.join(dir, 'gtpc_v2.tsv'));
      for (const s of subs) {
        const created = sessions.find((e) => e.event === 'create' && e.packet === Number(s.resp_frame));
        if (!t.ok(created, `session confirmed by frame ${s.resp_frame}`)) continue;
        const c = created!;
        t.equal(c.imsi, s.imsi || null, `imsi of frame ${s.resp_frame}`);
        t.equal(c.msisdn, s.msisdn || null, `msisdn of frame ${s.resp_frame}`);
        t.equal(c.apn, s.apn || null, `apn of frame ${s.resp_frame}`);
        const [ip4, ip6] = s.ue_ip!.split(',');
        t.equal(c.ueIp, ip4 || null, `UE address of frame ${s.resp_frame}`);
        if (ip6) t.equal(c.ueIpv6, ip6, `UE IPv6 address of frame ${s.resp_frame}`);
        if (s.ver === 'v1') {
          const up = c.tunnels.find((x) => x.plane === 'user' && x.dir === 'uplink');
          const down = c.tunnels.find((x) => x.plane === 'user' && x.dir === 'downlink');
          t.equal(down && hex(down.teid), s.dl_teid_data, 'downlink TEID Data I (SGSN)');
          t.equal(up && hex(up.teid), s.ul_teid_data, 'uplink TEID Data I (GGSN)');
        } else {
          // every TEID gnpay lists is one tshark saw; every user-plane F-TEID tshark saw is listed
          const ours = new Set<string>();
          for (const e of lifecycle(sessions, c)) for (const x of e.tunnels) ours.add(hex(x.teid));
          const theirs = new Set(s.all_teids_or_tid!.split(',').filter((x) => x));
          for (const x of ours) t.ok(theirs.has(x), `TEID ${x} of frame ${s.resp_frame} is in tshark's decoding`);
          for (const m of v2msgs.filter(
            (m) => m['frame.number'] === s.req_frame || m['frame.number'] === s.resp_frame,
          )) {
            const types = m['gtpv2.f_teid_interface_type']!.split(',');
            const keys = m['gtpv2.f_teid_gre_key']!.split(',');
            types.forEach((ty, i) => {
              if (USER_IFACES.has(ty) && keys[i] && keys[i] !== '0x00000000')
                t.ok(
                  ours.has(keys[i]),
                  `user-plane F-TEID ${keys[i]} (type ${ty}, frame ${m['frame.number']}) is listed`,
                );
            });
          }
        }
      }
      t.equal(
        sessions.filter((e) => e.event === 'create' && e.linkedBearer === null).length,
        subs.filter((s) => {
          const cause = Number(s.cause!.split(',')[0]);
          return s.ver === 'v1' ? cause >= 128 && cause <= 191 : cause >= 16 && cause <= 63;
        }).length,
        'as many confirmed sessions as tshark pairs with an accepted cause',
      );

      // 2. HTTP requests inside the tunnels, with the subscriber they belong to
      for (const h of readTsv(path.join(dir, 'gtpu_http.tsv'))) {
        const r = requests.find((e) => e.packet === Number(h.frame));
        if (!t.ok(r, `HTTP request in frame ${h.frame}`)) continue;
        t.equal(r!.method, h.method, `method, frame ${h.frame}`);
        t.equal(r!.host, h.host, `host, frame ${h.frame}`);
        t.equal(r!.target, h.uri, `target, frame ${h.frame}`);
        t.equal(r!.ueIp, h.inner_src, `UE address, frame ${h.frame}`);
        t.equal(hex(r!.teid), h.teid, `TEID, frame ${h.frame}`);
        t.equal(r!.imsi, h.imsi || null, `subscriber IMSI, frame ${h.frame}`);
        t.equal(r!.msisdn, h.msisdn || null, `subscriber MSISDN, frame ${h.frame}`);
      }

      // 3. G-PDUs: tshark counts one per (reassembled) GTP-U message, as gnpay does
      // GTPv0 G-PDUs (identified by a TID, not a 0x TEID) are not decoded
      const flows = readTsv(path.join(dir, 'gtpu_flows.tsv')).filter((f) => f.teid_or_tid!.startsWith('0x'));
      const tsharkGpdu = flows.reduce((a, f) => a + Number(f.packets), 0);
      t.equal(stats.gtpu.g_pdu ?? 0, tsharkGpdu, 'G-PDU count agrees with tshark');

      // 4. GTPv1/GTPv2 control messages (GTPv0 excluded: not decoded, counted as an anomaly)
      const v1 = readTsv(path.join(dir, 'gtpc_v1.tsv')).filter((m) => m['gtp.flags.version'] === '1');
      const oursV1 =
        Object.values(stats.gtpc.v1 as Record<string, number>).reduce((a, b) => a + b, 0) +
        Object.entries(stats.gtpu as Record<string, number>)
          .filter(([k]) => k !== 'g_pdu')
          .reduce((a, [, b]) => a + b, 0);
      t.equal(oursV1, v1.length, 'GTPv1 signalling message count agrees with tshark');
      const oursV2 = Object.values(stats.gtpc.v2 as Record<string, number>).reduce((a, b) => a + b, 0);
      t.equal(oursV2, v2msgs.length, 'GTPv2 message count agrees with tshark');

      // 5. deletes and the sessions left open, against tshark's request/response pairing
      if (!hasTshark) {
        t.skip('tshark is not installed: deletes and open sessions not compared', () => {});
        return;
      }
      const truth = tsharkOpen(tsharkRows(capFile));
      for (const [frame, closed] of truth.deletes) {
        const ours = sessions.filter(
          (e) => e.event === 'delete' && e.linkedBearer === null && e.packet === frame,
        ).length;
        t.equal(
          ours,
          closed,
          `the Delete answered in frame ${frame} removes ${closed} session(s), as tshark's pairs say`,
        );
      }
      const open = gnpayOpen(sessions);
      t.same(
        [...open.values()].sort((a, b) => a - b),
        truth.open.map((s) => s.frame).sort((a, b) => a - b),
        `sessions active at the end: those tshark's transaction tracking leaves open (${truth.open.length})`,
      );
      t.equal(stats.anomalies?.['gtpv1c.unmatched_response'] ?? 0, 0, 'no GTPv1 response without its request');
      t.comment(
        `${rel}: creates ${sessions.filter((e) => e.event === 'create').length}, updates ${sessions.filter((e) => e.event === 'update').length}, ` +
          `deletes ${sessions.filter((e) => e.event === 'delete').length}, open ${open.size} (tshark ${truth.open.length}), ` +
          `unknown_context v1/v2 ${stats.anomalies?.['gtpv1c.unknown_context'] ?? 0}/${stats.anomalies?.['gtpv2c.unknown_context'] ?? 0}, ` +
          `unmatched v1/v2 ${stats.anomalies?.['gtpv1c.unmatched_response'] ?? 0}/${stats.anomalies?.['gtpv2c.unmatched_response'] ?? 0}`,
      );
    });
  }
}
