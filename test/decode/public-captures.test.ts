// Ground truth: real public GTP captures (../shared/fixtures/public, not in
// this repository) and what tshark decodes in them (oracle/*.tsv, see INDEX.md).
// Where gnpay and tshark disagree on a field, gnpay is wrong until shown otherwise.
// Skips cleanly when ../shared is absent (e.g. on a fresh clone elsewhere).
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openCapture } from '../../src/native';
import type { DecodeEvent, RequestEvent, SessionEvent } from '../../src/native/types';

const PUBLIC = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'public');
const ORACLE = path.join(PUBLIC, 'oracle');

type Row = Record<string, string>;

function readTsv(file: string): Row[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0 && !l.startsWith('##'));
  if (lines.length === 0) return [];
  const head = lines[0].split('\t');
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

if (!fs.existsSync(ORACLE)) {
  t.pass('../shared/fixtures/public is absent: public-capture agreement skipped');
} else {
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
        const [ip4, ip6] = s.ue_ip.split(',');
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
          const theirs = new Set(s.all_teids_or_tid.split(',').filter((x) => x));
          for (const x of ours) t.ok(theirs.has(x), `TEID ${x} of frame ${s.resp_frame} is in tshark's decoding`);
          for (const m of v2msgs.filter((m) => m['frame.number'] === s.req_frame || m['frame.number'] === s.resp_frame)) {
            const types = m['gtpv2.f_teid_interface_type'].split(',');
            const keys = m['gtpv2.f_teid_gre_key'].split(',');
            types.forEach((ty, i) => {
              if (USER_IFACES.has(ty) && keys[i] && keys[i] !== '0x00000000')
                t.ok(ours.has(keys[i]), `user-plane F-TEID ${keys[i]} (type ${ty}, frame ${m['frame.number']}) is listed`);
            });
          }
        }
      }
      t.equal(
        sessions.filter((e) => e.event === 'create').length,
        subs.filter((s) => {
          const cause = Number(s.cause.split(',')[0]);
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
      const flows = readTsv(path.join(dir, 'gtpu_flows.tsv')).filter((f) => f.teid_or_tid.startsWith('0x'));
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
    });
  }
}
