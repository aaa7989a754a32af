// tshark (the oracle) decodes what the generator says it wrote: GTP IEs
// (IMSI, MSISDN, IMEI, APN, EUA/PAA, TEIDs, GSN addresses / F-TEIDs) of every
// session event, and the HTTP host/URI/header, DNS name or TLS SNI holding
// the token of every sighting, at the packet the sighting names, and the
// Community ID of the inner flow (tshark's communityid post-dissector) of every
// sighting predicted and of every request `gnpay decode --requests` reports.
import t from 'tap';
import type { Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, demoCapture, FIXTURES, flood } from '../../../packages/tools/src/gen';
import { gnpay } from '../../helpers/cli';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasTshark) {
  t.plan(0, 'tshark is not installed');
} else {
  const dir = path.join(__dirname, '..', '..', '..', 'fixtures');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-tshark-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const FIELDS = [
    'frame.number',
    'ip.src',
    'ip.dst',
    'udp.srcport',
    'udp.dstport',
    'gtp.message',
    'gtp.seq_number',
    'e212.imsi',
    'e164.msisdn',
    'gtp.ext_imeisv',
    'gtp.apn',
    'gtp.user_ipv4',
    'gtp.user_ipv6',
    'gtp.teid_data',
    'gtp.teid_cp',
    'gtp.gsn_ipv4',
    'gtp.gsn_ipv6',
    'gtpv2.message_type',
    'gtpv2.seq',
    'gtpv2.mei',
    'gtpv2.apn',
    'gtpv2.pdn_addr_and_prefix.ipv4',
    'gtpv2.pdn_addr_and_prefix.ipv6',
    'gtpv2.f_teid_interface_type',
    'gtpv2.f_teid_gre_key',
    'gtpv2.f_teid_v4',
    'gtpv2.f_teid_v6',
    'gtpv2.f_teid_ipv4',
    'gtpv2.f_teid_ipv6',
    'gtp.teid',
    'gtp.response_to',
    'gtpv2.response_to',
    'http.host',
    'http.request.uri',
    'http.request.line',
    'http2.headers.path',
    'http2.headers.authority',
    'dns.qry.name',
    'dns.flags.response',
    'tls.handshake.extensions_server_name',
    'communityid',
  ];

  type Row = Record<string, string[]>;
  // GTP-C on ports other than 2123 (many-sockets: MME and SGSN sockets, an SGW answering from another port)
  const DECODE_AS: Record<string, string[]> = {
    'many-sockets': [...[40001, 40002, 40003, 40004, 2124, 41001, 41002].map((p) => `udp.port==${p},gtp`)],
    // HTTP/2 with prior knowledge inside the tunnel
    'tcp-apps': ['tcp.port==8000,http2'],
  };
  const tshark = (file: string, name = ''): Map<number, Row> => {
    const out = execFileSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        '-o',
        'tcp.reassemble_out_of_order:TRUE',
        '--enable-protocol',
        'communityid',
        ...(DECODE_AS[name] ?? []).flatMap((d) => ['-d', d]),
        '-T',
        'fields',
        '-E',
        'separator=\t',
        '-E',
        'aggregator=|',
        '-E',
        'occurrence=a',
        ...FIELDS.flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const rows = new Map<number, Row>();
    for (const line of out.split('\n')) {
      if (!line) continue;
      const cols = line.split('\t');
      const row: Row = {};
      FIELDS.forEach((f, i) => (row[f] = cols[i] ? cols[i].split('|') : []));
      rows.set(Number(cols[0]), row);
    }
    return rows;
  };
  // expected events carry TEIDs as decode writes them ("0x%08x", event contract 2); numbers are formatted the same way
  const hex = (n: number | string) =>
    typeof n === 'string' ? n.toLowerCase() : `0x${n.toString(16).padStart(8, '0')}`;

  // the F-TEIDs of a message: interface type, TEID and its addresses (one or two)
  const fteidsOf = (r: Row) => {
    let v4 = 0;
    let v6 = 0;
    return r['gtpv2.f_teid_gre_key']!.map((key, i) => {
      const addrs: string[] = [];
      if (r['gtpv2.f_teid_v4']![i] === '1' || r['gtpv2.f_teid_v4']![i] === 'True')
        addrs.push(r['gtpv2.f_teid_ipv4']![v4++]!);
      if (r['gtpv2.f_teid_v6']![i] === '1' || r['gtpv2.f_teid_v6']![i] === 'True')
        addrs.push(r['gtpv2.f_teid_ipv6']![v6++]!);
      return { key, addrs, iface: Number(r['gtpv2.f_teid_interface_type']![i]) };
    });
  };

  // The request a response answers: tshark's pairing; where tshark has none (tshark 4.0 pairs only
  // within one UDP conversation, while TS 29.274 s4.2.2.2 lets a node answer from another port, and it
  // does not track Release Access Bearers) the request with the same sequence number that the
  // requester's socket (the response's destination address and port) sent last before it.
  const requestOf = (rows: Map<number, Row>, row: Row, gtp: number): Row | undefined => {
    const to = gtp === 1 ? row['gtp.response_to'] : row['gtpv2.response_to'];
    if (to!.length) return rows.get(Number(to![0]));
    const type = gtp === 1 ? Number(row['gtp.message']![0]) - 1 : Number(row['gtpv2.message_type']![0]) - 1;
    const seq = gtp === 1 ? row['gtp.seq_number']![0] : row['gtpv2.seq']![0];
    const frame = Number(row['frame.number']![0]);
    return [...rows.values()]
      .filter(
        (r) =>
          Number(r['frame.number']![0]) < frame &&
          (gtp === 1 ? Number(r['gtp.message']![0]) : Number(r['gtpv2.message_type']![0])) === type &&
          (gtp === 1 ? r['gtp.seq_number']![0] : r['gtpv2.seq']![0]) === seq &&
          r['ip.src']![0] === row['ip.dst']![0] &&
          r['udp.srcport']![0] === row['udp.dstport']![0],
      )
      .pop();
  };

  const check = (t: Test, name: string, file: string, events: Record<string, unknown>[]) => {
    const rows = tshark(file, name);
    // what a Create Session that continues a known PDN connection (SGW relocation) does not carry comes from it
    const known = new Map<string, Record<string, any>>();
    let sessions = 0;
    let sightings = 0;
    for (const e of events as Record<string, any>[]) {
      const row = rows.get(e.packet)!;
      if (e.type === 'session') {
        // every session event is at a response to a request of the right type
        const req = requestOf(rows, row, e.gtp);
        t.ok(req, `${name} #${e.packet}: the ${e.event} is at a response to request #${req?.['frame.number']![0]}`);
        if (req && e.gtp === 2 && e.event === 'create' && e.linkedBearer !== null) {
          // a dedicated bearer: its user-plane F-TEIDs are in the response or its request
          const fteids = [req, row].flatMap(fteidsOf);
          for (const tu of e.tunnels.filter((x: any) => x.plane === 'user'))
            t.ok(
              fteids.some((f) => f.key === hex(tu.teid) && f.addrs.includes(tu.addr)),
              `dedicated bearer F-TEID ${tu.dir} ${tu.addr} ${hex(tu.teid)}`,
            );
        }
      }
      if (e.type === 'session' && e.event === 'create' && e.linkedBearer === null) {
        sessions++;
        if (e.gtp === 1) {
          t.same(row['gtp.message'], ['0x11'], `${name} #${e.packet}: Create PDP Context Response`);
          const req = requestOf(rows, row, 1)!;
          t.ok(req, 'its request');
          t.same(req['e212.imsi'], [e.imsi], 'IMSI');
          t.same(req['e164.msisdn'], e.msisdn ? [e.msisdn] : [], 'MSISDN');
          t.same(req['gtp.ext_imeisv'], e.imei ? [e.imei] : [], 'IMEI(SV)');
          t.same(req['gtp.apn'], [e.apn], 'APN');
          const ue = [...row['gtp.user_ipv4']!, ...row['gtp.user_ipv6']!];
          if (e.ueIp) t.ok(ue.includes(e.ueIp), `UE address ${e.ueIp} in the EUA`);
          if (e.ueIpv6) t.ok(ue.includes(e.ueIpv6), `UE IPv6 ${e.ueIpv6} in the EUA`);
          const gsn = (r: Row) => [...r['gtp.gsn_ipv4']!, ...r['gtp.gsn_ipv6']!];
          for (const tu of e.tunnels) {
            const r = tu.dir === 'uplink' ? row : req;
            const teids = tu.plane === 'control' ? r['gtp.teid_cp'] : r['gtp.teid_data'];
            t.ok(teids!.includes(hex(tu.teid)), `${tu.plane} ${tu.dir} TEID ${hex(tu.teid)}`);
            t.ok(gsn(r).includes(tu.addr), `${tu.plane} ${tu.dir} address ${tu.addr}`);
          }
        } else {
          t.same(row['gtpv2.message_type']![0], '33', `${name} #${e.packet}: Create Session Response`);
          const req = requestOf(rows, row, 2)!;
          t.ok(req && req['gtpv2.message_type']![0] === '32', 'its request');
          const before = known.get(e.imsi);
          t.same(req['e212.imsi'], [e.imsi], 'IMSI');
          if (req['e164.msisdn']!.length || !before) t.same(req['e164.msisdn'], e.msisdn ? [e.msisdn] : [], 'MSISDN');
          else t.equal(e.msisdn, before.msisdn, 'MSISDN of the PDN connection it continues');
          t.same(req['gtpv2.mei'], [e.imei], 'MEI');
          t.same(req['gtpv2.apn'], [e.apn], 'APN');
          const paa = [...row['gtpv2.pdn_addr_and_prefix.ipv4']!, ...row['gtpv2.pdn_addr_and_prefix.ipv6']!];
          if (paa.length || !before) {
            if (e.ueIp) t.ok(paa.includes(e.ueIp), 'PAA');
            if (e.ueIpv6) t.ok(paa.includes(e.ueIpv6), 'PAA IPv6');
          } else t.equal(e.ueIp, before.ueIp, 'UE address of the PDN connection it continues');
          const fteids = [req, row].flatMap(fteidsOf);
          for (const tu of e.tunnels)
            t.ok(
              fteids.some((f) => f.key === hex(tu.teid) && f.addrs.includes(tu.addr)),
              `F-TEID ${tu.plane} ${tu.dir} ${tu.addr} ${hex(tu.teid)}`,
            );
          known.set(e.imsi, e);
        }
      } else if (e.type === 'sighting') {
        sightings++;
        t.same(
          row['communityid'],
          [e.communityId],
          `${name} #${e.packet}: Community ID ${e.communityId} of the inner flow`,
        );
        const teids = row['gtp.teid']!;
        if (teids.length) t.ok(teids.includes(hex(e.teid)), `${name} #${e.packet}: G-PDU TEID ${hex(e.teid)}`);
        const lower = (a: string[]) => a.map((x) => x.toLowerCase());
        if (e.via === 'http') {
          const h2 = row['http2.headers.path']!.length > 0; // an HTTP/2 request: its pseudo-header fields
          const where =
            e.carrier === 'host'
              ? lower(h2 ? row['http2.headers.authority']! : row['http.host']!)
              : e.carrier === 'query' || e.carrier === 'path'
                ? h2
                  ? row['http2.headers.path']
                  : row['http.request.uri']
                : row['http.request.line'];
          t.ok(
            where!.some((v) => v.includes(e.token)),
            `${name} #${e.packet}: tshark sees token ${e.token} in the HTTP ${e.carrier}`,
          );
        } else if (e.via === 'dns') {
          t.same(row['dns.flags.response'], ['0'], 'a DNS query');
          t.ok(
            lower(row['dns.qry.name']!).some((v) => v.startsWith(`${e.token}.`)),
            `${name} #${e.packet}: tshark sees ${e.token} in the query name`,
          );
        } else {
          t.ok(
            lower(row['tls.handshake.extensions_server_name']!).some((v) => v.startsWith(`${e.token}.`)),
            `${name} #${e.packet}: tshark sees ${e.token} in the SNI`,
          );
        }
      }
    }
    t.ok(sessions + sightings > 0);
  };

  for (const fx of FIXTURES) {
    if (fx.name === 'malformed' || fx.name === 'corrupt-block') continue;
    t.test(`tshark agrees with ${fx.file}`, async (t) => {
      const events = fs
        .readFileSync(path.join(dir, `${fx.name}.expected.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      check(t, fx.name, path.join(dir, fx.file), events);
    });
  }

  // every request gnpay reports: its Community ID is the one tshark computes for that frame's inner flow
  t.test('tshark computes the Community ID of every request gnpay decode reports', async (t) => {
    let n = 0;
    for (const fx of FIXTURES) {
      if (fx.name === 'malformed' || fx.name === 'corrupt-block') continue;
      const file = path.join(dir, fx.file);
      const r = await gnpay([
        'decode',
        file,
        '--requests',
        '--format',
        'jsonl',
        '--fields',
        'type,packet,proto,sport,dport,communityId',
      ]);
      t.equal(r.status, 0, `${fx.name}: decoded`);
      const rows = tshark(file, fx.name);
      for (const e of r.stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l))) {
        if (e.type !== 'request') continue;
        n++;
        const row = rows.get(e.packet)!;
        t.same(
          row['communityid'],
          [e.communityId],
          `${fx.name} #${e.packet}: ${e.proto} ${e.sport} > ${e.dport} ${e.communityId}`,
        );
      }
    }
    t.ok(n > 50, `${n} requests compared`);
  });

  t.test('tshark agrees with the demo capture (every payUrl form)', async (t) => {
    for (const payUrl of [
      'http://pay.example.net/pay?pay_token={token}',
      'https://{token}.pay.example.net/',
      'http://pay.example.net/pay/{token}',
    ]) {
      const out = path.join(tmp, 'demo.pcap');
      const r = demoCapture({
        payUrl,
        msisdn: '491511234567',
        imsi: '262011234567890',
        imei: '3534900698733001',
        out,
        startSec: 1714557600,
      });
      t.ok(r.events.filter((e) => e.type === 'sighting').length >= 1, `${payUrl}: sightings predicted`);
      check(t, payUrl, out, r.events);
    }
  });

  t.test('tshark agrees with patched flood templates and the bench', async (t) => {
    for (const kind of ['teids', 'pending'] as const) {
      const out = path.join(tmp, `flood-${kind}.pcap`);
      const r = flood(kind, { packets: 600, subscribers: 2, out });
      check(t, `flood-${kind}`, out, r.events);
      if (kind === 'pending') {
        const imsis = execFileSync(
          'tshark',
          ['-n', '-r', out, '-Y', 'gtp.message==0x10', '-T', 'fields', '-e', 'e212.imsi'],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        )
          .trim()
          .split('\n');
        t.equal(new Set(imsis).size, imsis.length, 'every pending request has its own IMSI');
        t.ok(imsis.length > 400);
      }
    }
    const out = path.join(tmp, 'bench.pcap');
    const r = bench({ packets: 3000, out });
    check(t, 'bench', out, r.events);
    const warn = execFileSync('tshark', ['-n', '-r', out, '-q', '-z', 'expert,error'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    t.notMatch(warn, /Malformed|Checksum/i, 'no malformed packet or bad checksum in the bench capture');
  });

  t.test('tshark sees the malformed fixture as malformed where it should', async (t) => {
    const out = execFileSync('tshark', ['-n', '-r', path.join(dir, 'malformed.pcap')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    t.match(out, /Malformed|Bogus|bad|unreassembled|Unknown/i);
    t.match(out, /GTP'|GTPv0|GTP <CDR>|Data record transfer/i, "GTP' / GTPv0 recognised");
  });
}
