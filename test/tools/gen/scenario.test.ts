// The scenario engine and its model of gnpay (docs/sessions.md): which
// packet completes a request, how G-PDUs resolve, what each GTP-C exchange emits.
import t from 'tap';
import {
  expect,
  fteidRole,
  headLength,
  httpRequest,
  LINKTYPE,
  MemorySink,
  PcapngWriter,
  PcapWriter,
  readCapture,
  Scenario,
  type SessionEvent,
  type SightingEvent,
  type UserPath,
} from '../../../packages/tools/src/gen';

const nodes = { sgsnC: '192.0.2.10', sgsnU: '192.0.2.11', ggsnC: '198.51.100.1', ggsnU: '198.51.100.2' };
const sub = (n: number, x = {}) => ({
  imsi: `26201000000000${n}`,
  msisdn: `4915100000${n}`,
  imei: null,
  apn: 'internet',
  ueIp: `10.0.0.${n}`,
  ...nodes,
  ...x,
});
const mk = () => new Scenario(new PcapWriter(new MemorySink(), { linktype: LINKTYPE.ETHERNET }), { seed: 3 });
const sightings = (s: Scenario) => s.events.filter((e): e is SightingEvent => e.type === 'sighting');
const sessions = (s: Scenario) => s.events.filter((e): e is SessionEvent => e.type === 'session');

t.test('the packet that completes a split head, whatever the delivery order', async (t) => {
  for (const order of [
    [0, 1, 2],
    [2, 0, 1],
    [0, 2, 1],
    [1, 2, 0],
  ]) {
    const s = mk();
    const p = s.createPdp(sub(1))!;
    const f = s.tcp(s.pdpPath(p));
    const before = s.packets;
    const req = httpRequest({ target: '/pay?pay_token=abcdefghijklmnopqrst', host: 'pay.example.net' });
    f.request(req, [expect('abcdefghijklmnopqrst', 'query')], { cuts: [10, 30], order });
    t.equal(s.packets, before + 3);
    const last = order.indexOf(Math.max(...order.filter((_, i) => i >= 0)));
    // the head completes when every segment has arrived: at the 3rd one written
    t.equal(sightings(s)[0]!.packet, before + 3, `order ${order.join(',')} (last written ${last})`);
  }
  const s = mk();
  const p = s.createPdp(sub(1))!;
  const f = s.tcp(s.pdpPath(p));
  const before = s.packets;
  const req = httpRequest({ target: '/pay?pay_token=abcdefghijklmnopqrst', host: 'pay.example.net' });
  // 1st, then 3rd: incomplete; a retransmission covering 1st..2nd completes it
  f.request(req, [expect('abcdefghijklmnopqrst', 'query')], {
    cuts: [10, 30],
    order: [0, 2, 1],
    retransmit: [{ after: 1, from: 5, to: 30 }],
  });
  t.equal(s.packets, before + 4);
  t.equal(sightings(s)[0]!.packet, before + 3, 'completed by the retransmission');
  t.throws(() => f.send(Buffer.from('x'), { cuts: [], order: [0, 1] }), 'order must cover the segments');
  t.throws(() => headLength(Buffer.from('GET / HTTP/1.1\r\n')));
});

t.test('keep-alive and pipelining: one sighting per request, in stream order', async (t) => {
  const s = mk();
  const p = s.createPdp(sub(1))!;
  const f = s.tcp(s.pdpPath(p));
  const a = httpRequest({ target: '/pay?pay_token=AAAAAAAAAAAAAAAAAAAA', host: 'x' });
  const b = httpRequest({ target: '/pay/BBBBBBBBBBBBBBBBBBBB', host: 'x' });
  f.send(Buffer.concat([a, b]), {
    heads: [
      { end: a.length, expects: [expect('AAAAAAAAAAAAAAAAAAAA', 'query')] },
      { end: a.length + b.length, expects: [expect('BBBBBBBBBBBBBBBBBBBB', 'path')] },
    ],
  });
  const si = sightings(s);
  t.same(
    si.map((x) => x.token),
    ['AAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBB'],
  );
  t.equal(si[0]!.packet, si[1]!.packet, 'same packet');
  t.equal(s.model.counters.requests, 2);
  // the same token in two carriers of one request: once, first carrier
  f.request(
    httpRequest({
      target: '/pay?pay_token=CCCCCCCCCCCCCCCCCCCC',
      host: 'x',
      headers: [['X-Pay-Token', 'CCCCCCCCCCCCCCCCCCCC']],
    }),
    [expect('CCCCCCCCCCCCCCCCCCCC', 'query'), expect('CCCCCCCCCCCCCCCCCCCC', 'header')],
  );
  t.equal(sightings(s).length, 3);
  t.equal(sightings(s)[2]!.carrier, 'query');
  // host tokens are reported lower-case
  s.dnsQuery(s.pdpPath(p), 'MiXeDcAsEtOkEn0123.pay.example.net', {
    expects: [expect('MiXeDcAsEtOkEn0123', 'host', 'dns')],
  });
  t.equal(sightings(s)[3]!.token, 'mixedcasetoken0123');
  f.close();
});

t.test('resolution: TEID, UE address, downlink, unresolved, ambiguous', async (t) => {
  const s = mk();
  const p = s.createPdp(sub(1))!;
  const path = s.pdpPath(p);
  const tok = 'TTTTTTTTTTTTTTTTTTTT';
  const f = s.tcp(path);
  f.downRequestLike(httpRequest({ target: `/pay?pay_token=${tok}`, host: 'x' }), [expect(tok, 'query')]);
  t.equal(sightings(s).length, 0, 'arrives at a downlink endpoint: nothing');
  t.equal(s.model.counters.requests, 0, 'and not counted');
  const other: UserPath = { ...path, teidUp: 0x1234, teidDown: 0x4321 };
  s.dnsQuery(other, `x.example.com`, { expects: [expect(tok, 'host', 'dns')] });
  t.equal(sightings(s)[0]!.resolvedBy, 'ue-ip');
  t.equal(sightings(s)[0]!.msisdn, '49151000001');
  t.equal(sightings(s)[0]!.teid, 0x1234);
  const nobody: UserPath = { ran: '192.0.2.99', core: '198.51.100.99', teidUp: 9, teidDown: 8, ueIp: '100.64.0.1' };
  s.dnsQuery(nobody, 'x.example.com', { expects: [expect(tok, 'host', 'dns')] });
  t.same([sightings(s)[1]!.resolvedBy, sightings(s)[1]!.msisdn, sightings(s)[1]!.ueIp], [null, null, '100.64.0.1']);
  // a downlink packet on an unknown tunnel towards a known UE address is downlink
  s.model.request(
    {
      outerSrc: '198.51.100.98',
      outerDst: '192.0.2.99',
      teid: 77,
      innerSrc: '203.0.113.1',
      innerDst: '10.0.0.1',
      proto: 'tcp',
      sport: 80,
      dport: 40000,
    },
    [expect(tok, 'query')],
    s.packets,
    s.lastTs,
  );
  t.equal(sightings(s).length, 2);
  // two contexts with the same address: ambiguous
  s.createPdp(sub(2, { ueIp: '10.0.0.1', apn: 'corp' }));
  s.dnsQuery(other, 'x.example.com', { expects: [expect(tok, 'host', 'dns')] });
  t.equal(sightings(s)[2]!.resolvedBy, null);
  t.equal(s.model.counters.unresolvedSightings, 2);
  // IPv6: by /64
  const s6 = mk();
  const p6 = s6.createPdp(sub(3, { ueIp: null, ueIpv6: '2001:db8:1:2::1' }))!;
  const path6 = s6.pdpPath(p6);
  s6.dnsQuery({ ...path6, teidUp: 5, ueIp: '2001:db8:1:2:aaaa::9' }, 'x.example.com', {
    expects: [expect(tok, 'host', 'dns')],
  });
  t.equal(sightings(s6)[0]!.resolvedBy, 'ue-ip');
  t.equal(sessions(s6)[0]!.ueIp, '2001:db8:1:2::1', 'IPv6-only: ueIp is the IPv6 address');
  t.equal(sessions(s6)[0]!.ueIpv6, '2001:db8:1:2::1');
  t.throws(() => s6.pdpPath({ ...p6, ueIpv6: null }), 'no UE address');
});

t.test('GTPv1 lifecycle events', async (t) => {
  const s = mk();
  t.equal(s.createPdp(sub(1), { cause: 199 }), null, 'rejected: no context');
  t.equal(s.events.length, 0);
  const p = s.createPdp(sub(1))!;
  const sec = s.createPdp(p.sub, { nsapi: 6, secondaryOf: p })!;
  t.same(
    sessions(s).map((e) => [e.event, e.bearer, e.linkedBearer]),
    [
      ['create', 5, null],
      ['create', 6, 5],
    ],
  );
  t.same(
    sessions(s)[1]!.tunnels.map((x) => x.plane + x.dir),
    ['controluplink', 'controldownlink', 'useruplink', 'userdownlink'],
  );
  s.updatePdp(p, { sgsnC: '192.0.2.20', cause: 199 });
  t.equal(sessions(s).length, 2, 'rejected update: nothing');
  s.updatePdp(p, { sgsnC: '192.0.2.20' });
  const up = sessions(s)[2]!;
  t.equal(up.event, 'update');
  t.equal(up.tunnels[1]!.addr, '192.0.2.20', 'control downlink moved');
  t.equal(up.tunnels[3]!.addr, '192.0.2.20', 'user downlink on the signalling address when no user address is given');
  s.deletePdp(sec);
  t.same(
    sessions(s)
      .slice(3)
      .map((e) => [e.event, e.bearer]),
    [['delete', 6]],
    'secondary alone',
  );
  s.deletePdp(p, { cause: 199 });
  t.equal(sessions(s).length, 4, 'rejected delete: nothing');
  // replacement: delete then create, same packet
  const again = s.createPdp(sub(1))!;
  const ev = sessions(s).slice(4);
  t.same(
    ev.map((e) => e.event),
    ['delete', 'create'],
  );
  t.equal(ev[0]!.packet, ev[1]!.packet);
  t.equal(s.model.active, 1);
  s.deletePdp(again, { teardown: true });
  t.equal(s.model.active, 0);
  t.throws(() => s.createPdp(sub(1), { secondaryOf: again }), 'secondary of a deleted primary');
  const st = s.expectedStats() as { sessions: Record<string, number>; gtpc: { v1: Record<string, number> } };
  t.same(st.sessions, { created: 3, updated: 1, deleted: 3, active: 0 });
  t.equal(st.gtpc.v1.create_pdp_context_request, 4, 'the rejected one counts too');
  t.equal(st.gtpc.v1.update_pdp_context_response, 2);
  // unmodelled creates put nothing in the model
  const m = mk();
  t.ok(m.createPdp(sub(1), { unmodelled: true }));
  t.equal(m.events.length, 0);
});

t.test('GTPv2 events', async (t) => {
  const s = new Scenario(new PcapngWriter(new MemorySink(), { interfaces: [{ linktype: LINKTYPE.ETHERNET }] }), {
    seed: 4,
  });
  const n = { sgwC: '192.0.2.50', sgwU: '192.0.2.51', pgwC: '198.51.100.50', pgwU: '198.51.100.51' };
  const su = {
    imsi: '001010000000001',
    msisdn: null,
    mei: null,
    apn: 'internet',
    ueIp: '10.60.0.1',
    iface: 's5' as const,
    ...n,
  };
  t.equal(s.createSession(su, { cause: 64 }), null, 'rejected');
  const pdn = s.createSession(su)!;
  t.same(
    sessions(s)[0]!.tunnels.map((x) => x.plane + x.dir),
    ['controluplink', 'controldownlink', 'useruplink', 'userdownlink'],
  );
  t.equal(sessions(s)[0]!.msisdn, null);
  const b6 = s.createBearer(pdn, { ebi: 6 });
  t.same([sessions(s)[1]!.bearer, sessions(s)[1]!.linkedBearer, sessions(s)[1]!.tunnels.length], [6, 5, 4]);
  s.bearerPath(pdn, b6);
  s.createSession(su);
  t.same(
    sessions(s)
      .slice(2)
      .map((e) => [e.event, e.bearer]),
    [
      ['delete', 5],
      ['delete', 6],
      ['create', 5],
    ],
    'replacement removes the whole PDN connection first',
  );
  const s11 = s.createSession({
    ...su,
    imsi: '001010000000002',
    iface: 's11',
    mmeC: '192.0.2.60',
    enbU: '192.0.2.70',
  })!;
  t.throws(() => s.bearerPath(s11), 'no eNodeB endpoint before Modify Bearer');
  s.modifyBearer(s11);
  t.ok(s.bearerPath(s11));
  t.equal(s.model.active, 2);
});

t.test('F-TEID interface types (TS 29.274 Table 8.22-1 as docs/sessions.md maps them)', async (t) => {
  const m: Record<number, string | null> = {};
  for (let i = 0; i < 20; i++) {
    const r = fteidRole(i);
    m[i] = r ? `${r.plane}-${r.dir}` : null;
  }
  t.same(m, {
    0: 'user-downlink',
    1: 'user-uplink',
    2: 'user-downlink',
    3: 'user-uplink',
    4: 'user-downlink',
    5: 'user-uplink',
    6: 'control-downlink',
    7: 'control-uplink',
    8: null,
    9: null,
    10: 'control-downlink',
    11: 'control-uplink',
    12: null,
    13: null,
    14: null,
    15: 'user-downlink',
    16: 'user-uplink',
    17: 'control-downlink',
    18: null,
    19: null,
  });
});

t.test('clock and transports', async (t) => {
  const sink = new MemorySink();
  const s = new Scenario(new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET, nanos: true }), {
    seed: 1,
    startSec: 100,
    startNsec: 999_999_500,
    stepNs: 1000,
  });
  t.same(s.now, [100, 999_999_500]);
  s.tick();
  t.same(s.now, [101, 500]);
  s.setClock(200, 7);
  const p = s.createPdp(sub(1), { t: { vlans: [7], snap: 60 } })!;
  s.udpData(s.pdpPath(p), 'up', '203.0.113.1', 1, 2, Buffer.alloc(10), { gtpSeq: 5, ext: [{ type: 0xc0 }] });
  s.udpData(s.pdpPath(p), 'down', '203.0.113.1', 1, 2, Buffer.alloc(1600), { mtu: 1500 });
  s.fastFrame(Buffer.alloc(60));
  const r = readCapture(sink.bytes());
  t.equal(r.frames[0]!.tsSec, 200);
  t.equal(r.frames[0]!.tsNsec, 7);
  t.equal(r.frames[0]!.data.length, 60, 'snap');
  t.ok(r.frames[0]!.origLen > 60);
  t.equal(r.frames[0]!.data.readUInt16BE(12), 0x8100);
  t.equal(r.frames.length, 2 + 1 + 2 + 1);
  t.equal(s.fragmentsReassembled, 1);
  t.equal(s.gtpu.g_pdu, 2);
});
