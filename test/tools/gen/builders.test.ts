// Unit tests of the generator's packet builders, on bytes.
import t from 'tap';
import {
  apnBytes,
  canonicalIp,
  createBearerRequest,
  createPdpRequest,
  createPdpResponse,
  createSessionRequest,
  decodeTbcd,
  deletePdpRequest,
  dnsName,
  dnsQuery,
  dnsResponse,
  ethernet,
  euaValue,
  formatIpv6,
  fragmentIpv4,
  fteid,
  gtp1,
  gtp1Header,
  gtp2EchoRequest,
  gtpuEndMarker,
  gtpuErrorIndication,
  httpRequest,
  httpResponse,
  inetChecksum,
  ipTcpFast,
  ipUdp,
  ipv4,
  ipv6,
  ipv6Bytes,
  ipv6Prefix64,
  isoMicros,
  isToken,
  linkHeader,
  LINKTYPE,
  makeToken,
  msisdnV1,
  paa,
  pseudoSum,
  Rng,
  sll,
  sll2,
  tbcd,
  tcp,
  tlsClientHello,
  TV_LENGTH,
  udp,
  udpFrameFast,
  updatePdpRequest,
  updatePdpResponse,
  deletePdpResponse,
  modifyBearerRequest,
  modifyBearerResponse,
  deleteSessionRequest,
  deleteSessionResponse,
  createSessionResponse,
  createBearerResponse,
  deleteBearerRequest,
  deleteBearerResponse,
  gtp1cEchoRequest,
  gtpuEchoRequest,
  frame,
  fold16,
  sum16,
  macBytes,
  ip,
  ipTcp,
  ipUdpFast,
} from '../../../packages/tools/src/gen';

/** walks GTPv1-C IEs: [type, value][] */
function walkV1(msg: Buffer): [number, Buffer][] {
  const hdr = msg[0]! & 0x07 ? 12 : 8;
  t.equal(msg.readUInt16BE(2), msg.length - 8, 'GTPv1 length = octets after the mandatory header');
  const out: [number, Buffer][] = [];
  let o = hdr;
  while (o < msg.length) {
    const type = msg[o]!;
    if (type < 128) {
      const l = TV_LENGTH[type];
      if (l === undefined) throw new Error(`unknown TV ${type}`);
      out.push([type, msg.subarray(o + 1, o + 1 + l)]);
      o += 1 + l;
    } else {
      const l = msg.readUInt16BE(o + 1);
      out.push([type, msg.subarray(o + 3, o + 3 + l)]);
      o += 3 + l;
    }
  }
  t.equal(o, msg.length, 'IEs end with the message');
  return out;
}

/** walks GTPv2 IEs: [type, instance, value][] */
function walkV2(b: Buffer, from: number): [number, number, Buffer][] {
  const out: [number, number, Buffer][] = [];
  let o = from;
  while (o < b.length) {
    const l = b.readUInt16BE(o + 1);
    out.push([b[o]!, b[o + 3]! & 0x0f, b.subarray(o + 4, o + 4 + l)]);
    o += 4 + l;
  }
  t.equal(o, b.length);
  return out;
}

t.test('addresses', async (t) => {
  t.equal(formatIpv6(ipv6Bytes('2001:0DB8:0:0:0:0:0:1')), '2001:db8::1');
  t.equal(formatIpv6(ipv6Bytes('::')), '::');
  t.equal(formatIpv6(ipv6Bytes('::1')), '::1');
  t.equal(
    formatIpv6(ipv6Bytes('2001:db8:0:1:1:1:1:1')),
    '2001:db8:0:1:1:1:1:1',
    'a single zero group is not compressed',
  );
  t.equal(formatIpv6(ipv6Bytes('1:0:0:2:0:0:0:3')), '1:0:0:2::3', 'the longest run is compressed');
  t.equal(formatIpv6(ipv6Bytes('::ffff:192.0.2.1')), '::ffff:c000:201');
  t.equal(formatIpv6(ipv6Bytes('64:ff9b::198.51.100.7')), '64:ff9b::c633:6407');
  t.equal(canonicalIp('2001:DB8::A'), '2001:db8::a');
  t.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  t.equal(ipv6Prefix64('2001:db8:1:31::1'), ipv6Prefix64('2001:db8:1:31:a:b:c:d'));
  t.not(ipv6Prefix64('2001:db8:1:31::1'), ipv6Prefix64('2001:db8:1:32::1'));
  t.throws(() => ipv6Bytes('10.0.0.1'));
  t.throws(() => ip('nonsense', '10.0.0.1', 17, Buffer.alloc(0)));
  t.throws(() => macBytes('00:11'));
});

t.test('TBCD', async (t) => {
  t.same(
    [...tbcd('262011234567890')],
    [0x62, 0x02, 0x11, 0x32, 0x54, 0x76, 0x98, 0xf0],
    'odd count: F filler in the last high nibble',
  );
  t.same([...tbcd('4915')], [0x94, 0x51]);
  t.equal(decodeTbcd(tbcd('491511234567')), '491511234567');
  t.equal(decodeTbcd(tbcd('262011234567890')), '262011234567890');
  t.same([...tbcd('49a1')], [0x94, 0x1a], 'hex digits give raw nibbles (malformed fixtures)');
  t.throws(() => tbcd('4x'));
  t.same([...msisdnV1('4915')], [0x91, 0x94, 0x51], 'GTPv1 MSISDN: 0x91 then TBCD');
});

t.test('APN and DNS names', async (t) => {
  t.same(apnBytes('mms.example.com'), Buffer.from('\x03mms\x07example\x03com', 'latin1'));
  t.same(apnBytes('internet'), Buffer.from('\x08internet', 'latin1'));
  t.equal(apnBytes('').length, 0);
  t.throws(() => apnBytes('a..b'), 'empty label');
  t.throws(() => apnBytes('x'.repeat(64)), 'label over 63');
  t.same(dnsName('a.bc.'), Buffer.from('\x01a\x02bc\x00', 'latin1'));
});

t.test('tokens, time, PRNG', async (t) => {
  const r = new Rng(1);
  const a = [r.u32(), r.u32(), r.u32()];
  const r2 = new Rng(1);
  t.same([r2.u32(), r2.u32(), r2.u32()], a, 'same seed same sequence');
  t.ok(new Rng(0).u32() >= 0);
  for (let i = 0; i < 200; i++) {
    const x = r.int(3, 5);
    t.ok(x >= 3 && x <= 5);
    const tok = makeToken(r, 16 + (i % 49));
    t.ok(isToken(tok), tok);
    t.not(tok[0], '-');
    t.match(makeToken(r, 20, true), /^[a-z0-9]{20}$/);
  }
  t.equal(r.pick(['x']), 'x');
  t.equal(r.bytes(7).length, 7);
  t.match(r.digits(5), /^\d{5}$/);
  t.notOk(isToken('abcdefghijklmno'), '15 characters');
  t.notOk(isToken('abcdefgh.ijklmnop'), 'a dot');
  t.notOk(isToken('a'.repeat(65)));
  t.equal(isoMicros(1714557600, 999_999_999), '2024-05-01T10:00:00.999999Z', 'ns truncated, not rounded');
  t.equal(isoMicros(0, 1000), '1970-01-01T00:00:00.000001Z');
});

t.test('IPv4, IPv6, UDP, TCP checksums', async (t) => {
  const p = ipv4('192.0.2.1', '198.51.100.2', 17, Buffer.alloc(10), { id: 0x1234, ttl: 30, df: true });
  t.equal(p.length, 30);
  t.equal(inetChecksum(p, 0, 20), 0, 'IPv4 header checksum verifies');
  t.equal(p.readUInt16BE(4), 0x1234);
  t.equal(p.readUInt16BE(6), 0x4000, 'DF');
  t.throws(() => ipv4('192.0.2.1', '192.0.2.2', 17, Buffer.alloc(8), { fragOffset: 3 }));
  const u = udp('2001:db8::1', '2001:db8::2', 1000, 53, Buffer.from('hello'));
  t.equal(
    inetChecksum(u, 0, u.length, pseudoSum('2001:db8::1', '2001:db8::2', 17, u.length)),
    0,
    'UDP over IPv6 checksum verifies',
  );
  const u4 = udp('192.0.2.1', '192.0.2.2', 1, 2, Buffer.from('odd'), {});
  t.equal(
    inetChecksum(u4, 0, u4.length, pseudoSum('192.0.2.1', '192.0.2.2', 17, u4.length)),
    0,
    'UDP over IPv4, odd length',
  );
  t.equal(udp('192.0.2.1', '192.0.2.2', 1, 2, Buffer.alloc(4), { noChecksum: true }).readUInt16BE(6), 0);
  t.equal(udp('192.0.2.1', '192.0.2.2', 1, 2, Buffer.alloc(4), { length: 4 }).readUInt16BE(4), 4, 'length override');
  const seg = tcp('10.0.0.1', '203.0.113.1', 40000, 80, Buffer.from('GET / HTTP/1.1\r\n\r\n'), {
    seq: 0xfffffff0,
    ack: 7,
    flags: 0x18,
    mss: 1360,
  });
  t.equal(
    inetChecksum(seg, 0, seg.length, pseudoSum('10.0.0.1', '203.0.113.1', 6, seg.length)),
    0,
    'TCP checksum verifies',
  );
  t.equal(seg[12]! >> 4, 6, 'data offset with the MSS option');
  t.equal(seg.readUInt32BE(4), 0xfffffff0);
  const fast = ipTcpFast(
    '10.0.0.1',
    '203.0.113.1',
    40000,
    80,
    Buffer.from('x'),
    { seq: 1, ack: 2, flags: 0x18 },
    9,
    true,
  );
  t.same(
    fast,
    ipv4(
      '10.0.0.1',
      '203.0.113.1',
      6,
      tcp('10.0.0.1', '203.0.113.1', 40000, 80, Buffer.from('x'), { seq: 1, ack: 2, flags: 0x18 }),
      { id: 9, df: true },
    ),
    'fast builder = general builder (IPv4)',
  );
  const fast6 = ipTcpFast('2001:db8::1', '2001:db8::2', 1, 2, Buffer.from('y'), { seq: 1, mss: 1200 });
  t.same(
    fast6,
    ipv6(
      '2001:db8::1',
      '2001:db8::2',
      6,
      tcp('2001:db8::1', '2001:db8::2', 1, 2, Buffer.from('y'), { seq: 1, mss: 1200 }),
    ),
    'fast builder = general builder (IPv6)',
  );
  t.same(
    ipUdpFast('10.0.0.1', '10.0.0.2', 5, 53, Buffer.from('q'), 3),
    ipv4('10.0.0.1', '10.0.0.2', 17, udp('10.0.0.1', '10.0.0.2', 5, 53, Buffer.from('q')), { id: 3 }),
  );
  t.same(
    ipUdpFast('2001:db8::1', '2001:db8::2', 5, 53, Buffer.from('q')),
    ipv6('2001:db8::1', '2001:db8::2', 17, udp('2001:db8::1', '2001:db8::2', 5, 53, Buffer.from('q'))),
  );
  t.same(
    ipTcp('10.0.0.1', '10.0.0.2', 1, 2, Buffer.alloc(0), { seq: 5 }),
    ipv4('10.0.0.1', '10.0.0.2', 6, tcp('10.0.0.1', '10.0.0.2', 1, 2, Buffer.alloc(0), { seq: 5 })),
  );
  const v6 = ipv6('2001:db8::1', '2001:db8::2', 17, Buffer.alloc(3), { hopLimit: 9, flowLabel: 5 });
  t.equal(v6[0]! >> 4, 6);
  t.equal(v6.readUInt16BE(4), 3);
  t.equal(v6[7], 9);
});

t.test('sum16: the 32-bit fast path equals the byte loop at every alignment', async (t) => {
  const r = new Rng(9);
  const ref = (b: Uint8Array, s: number, e: number, acc: number) => {
    let x = acc;
    let i = s;
    for (; i + 1 < e; i += 2) x += (b[i]! << 8) | b[i + 1]!;
    if (i < e) x += b[i]! << 8;
    return x;
  };
  let bad = 0;
  for (let n = 0; n < 2000; n++) {
    const b = r.bytes(2100).subarray(r.int(0, 3));
    const s = r.int(0, 100);
    const e = r.int(s, b.length);
    if (fold16(sum16(b, s, e, 5)) !== fold16(ref(b, s, e, 5))) bad++;
  }
  t.equal(bad, 0);
  const ff = Buffer.alloc(4000, 0xff);
  t.equal(fold16(sum16(ff)), fold16(ref(ff, 0, ff.length, 0)), 'carries');
});

t.test('IPv4 fragmentation at an MTU', async (t) => {
  const inner = Buffer.alloc(1500, 0xab);
  const whole = ipUdp(
    '192.0.2.1',
    '198.51.100.1',
    2152,
    2152,
    Buffer.concat([Buffer.alloc(8), inner]),
    { id: 77 },
    { noChecksum: true },
  );
  t.equal(whole.length, 1536);
  const frags = fragmentIpv4(whole, 1500);
  t.equal(frags.length, 2);
  t.equal(frags[0]!.length, 1500);
  t.equal(frags[0]!.readUInt16BE(6), 0x2000, 'first: MF, offset 0');
  t.equal((frags[1]!.readUInt16BE(6) & 0x1fff) * 8, 1480, 'second: offset 1480 (a multiple of 8)');
  t.equal(frags[1]!.readUInt16BE(6) & 0x2000, 0, 'last: no MF');
  for (const f of frags) {
    t.equal(inetChecksum(f, 0, 20), 0, 'fragment header checksum');
    t.equal(f.readUInt16BE(4), 77, 'same id');
    t.equal(f.readUInt16BE(2), f.length, 'total length');
  }
  t.same(Buffer.concat(frags.map((f) => f.subarray(20))), whole.subarray(20), 'payloads join up');
  t.equal(fragmentIpv4(whole, 2000).length, 1, 'fits: unchanged');
  t.equal(fragmentIpv4(whole, 600).length, 3);
  t.throws(() => fragmentIpv4(whole, 20));
});

t.test('link layers', async (t) => {
  const p = ipv4('192.0.2.1', '192.0.2.2', 17, Buffer.alloc(8));
  const e = ethernet(p, { vlans: [200, 300], qinq: true });
  t.equal(e.readUInt16BE(12), 0x88a8, 'outer tag 802.1ad');
  t.equal(e.readUInt16BE(14), 200);
  t.equal(e.readUInt16BE(16), 0x8100, 'inner tag 802.1Q');
  t.equal(e.readUInt16BE(18), 300);
  t.equal(e.readUInt16BE(20), 0x0800);
  t.equal(ethernet(p, { vlans: [5] }).readUInt16BE(12), 0x8100);
  t.equal(ethernet(ipv6('::1', '::2', 17, Buffer.alloc(0))).readUInt16BE(12), 0x86dd);
  const s1 = sll(p);
  t.equal(s1.length, 16 + p.length);
  t.equal(s1.readUInt16BE(14), 0x0800);
  const s2 = sll2(ipv6('::1', '::2', 17, Buffer.alloc(0)));
  t.equal(s2.readUInt16BE(0), 0x86dd);
  t.equal(s2[11], 6);
  t.same(frame(p, { linktype: LINKTYPE.RAW }), p);
  t.throws(() => frame(p, { linktype: 9999 }));
  t.equal(linkHeader({ linktype: LINKTYPE.LINUX_SLL2 }, 6).length, 20);
  t.equal(linkHeader({ linktype: LINKTYPE.ETHERNET, eth: { vlans: [1] } }, 4).length, 18);
  const lh = linkHeader({ linktype: LINKTYPE.ETHERNET }, 4);
  const gh = gtp1Header(255, 3, { teid: 9 });
  t.same(
    udpFrameFast(lh, '192.0.2.1', '192.0.2.2', 2152, 2152, gh, Buffer.from('abc'), 5),
    ethernet(
      ipUdp(
        '192.0.2.1',
        '192.0.2.2',
        2152,
        2152,
        gtp1(255, Buffer.from('abc'), { teid: 9 }),
        { id: 5 },
        { noChecksum: true },
      ),
    ),
    'fast G-PDU frame = general builders',
  );
  const lh6 = linkHeader({ linktype: LINKTYPE.LINUX_SLL }, 6);
  t.same(
    udpFrameFast(
      lh6,
      '2001:db8::1',
      '2001:db8::2',
      2152,
      2152,
      gtp1Header(255, 1, { teid: 1, seq: 3 }),
      Buffer.from('z'),
      5,
    ),
    sll(ipUdp('2001:db8::1', '2001:db8::2', 2152, 2152, gtp1(255, Buffer.from('z'), { teid: 1, seq: 3 }))),
    'fast G-PDU frame over IPv6 (UDP checksum computed)',
  );
});

t.test('GTPv1 header and GTP-U messages (TS 29.281)', async (t) => {
  const g = gtp1(255, Buffer.from('ab'), { teid: 0x01020304 });
  t.same([...g.subarray(0, 8)], [0x30, 0xff, 0, 2, 1, 2, 3, 4]);
  const s = gtp1(255, Buffer.from('ab'), { teid: 1, seq: 0x1234 });
  t.equal(s[0], 0x32, 'S flag');
  t.equal(s.readUInt16BE(2), 6, 'length counts the optional 4 octets');
  t.equal(s.readUInt16BE(8), 0x1234);
  t.equal(gtp1(255, Buffer.alloc(0), { teid: 1, npdu: 7 })[0], 0x31, 'PN flag');
  const e = gtp1(255, Buffer.from('ab'), {
    teid: 1,
    ext: [
      { type: 0xc0, content: Buffer.from([0, 1]) },
      { type: 0x85, content: Buffer.from([0, 9]) },
    ],
  });
  t.equal(e[0], 0x34, 'E flag');
  t.equal(e[11], 0xc0, 'next type in the optional field');
  t.equal(e[12], 1, 'first ext length 1 (4 octets)');
  t.equal(e[15], 0x85, 'chained to the second');
  t.equal(e[19], 0, 'end of chain');
  t.equal(e.readUInt16BE(2), e.length - 8);
  t.equal(
    gtp1(255, Buffer.alloc(0), { teid: 1, ext: [{ type: 0xc0, lengthField: 0 }] })[12],
    0,
    'zero length ext (malformed fixtures)',
  );
  t.equal(gtp1(255, Buffer.alloc(4), { teid: 1, length: 900 }).readUInt16BE(2), 900, 'lying length');
  t.same(gtp1Header(255, 10, { teid: 1, seq: 2 }), gtp1(255, Buffer.alloc(10), { teid: 1, seq: 2 }).subarray(0, 12));
  t.same(
    gtp1Header(255, 10, { teid: 1, ext: [{ type: 0xc0 }] }),
    gtp1(255, Buffer.alloc(10), { teid: 1, ext: [{ type: 0xc0 }] }).subarray(0, 16),
  );
  t.equal(gtpuEchoRequest(5)[1], 1);
  t.equal(gtpuEndMarker(9)[1], 254);
  const ei = walkV1(gtpuErrorIndication(1, 0xabcd, '192.0.2.1'));
  t.same(
    ei.map(([ty]) => ty),
    [16, 133],
  );
  t.equal(gtp1cEchoRequest(3).readUInt16BE(8), 3);
});

t.test('GTPv1-C messages (TS 29.060)', async (t) => {
  const req = createPdpRequest({
    seq: 9,
    imsi: '262011234567890',
    recovery: 1,
    selectionMode: 0,
    teidData: 0x1111,
    teidCp: 0x2222,
    nsapi: 5,
    pdpType: 'ipv4',
    apn: 'internet',
    pco: Buffer.from([0x80]),
    gsnSignalling: '192.0.2.1',
    gsnUser: '192.0.2.2',
    msisdn: '491511234567',
    imei: '3534900698733001',
  });
  t.equal(req[1], 16, 'Create PDP Context Request is 16');
  const ies = walkV1(req);
  const types = ies.map(([ty]) => ty);
  t.same(types, [2, 14, 15, 16, 17, 20, 128, 131, 132, 133, 133, 134, 135, 154], 'IEs in the spec order');
  t.same(
    [...types].sort((a, b) => a - b),
    types,
    'ascending types',
  );
  t.equal(ies[0]![1].length, 8, 'IMSI 8 octets');
  t.same([...ies[6]![1]], [0xf1, 0x21], 'EUA: IETF, IPv4, empty address');
  t.same(ies[9]![1], Buffer.from([192, 0, 2, 1]), 'GSN Address signalling first');
  t.same(ies[10]![1], Buffer.from([192, 0, 2, 2]), 'then user');
  t.equal(ies[11]![1][0], 0x91, 'MSISDN TON/NPI');
  t.equal(decodeTbcd(ies[13]![1]), '3534900698733001');
  const sec = walkV1(
    createPdpRequest({
      seq: 1,
      teid: 5,
      teidData: 1,
      nsapi: 6,
      linkedNsapi: 5,
      gsnSignalling: '192.0.2.1',
      gsnUser: null,
      tft: Buffer.from([0x21]),
    }),
  );
  t.same(
    sec.map(([ty]) => ty),
    [16, 20, 20, 133, 135, 137],
    'secondary: NSAPI then Linked NSAPI, one GSN Address',
  );
  t.same([sec[1]![1][0], sec[2]![1][0]], [6, 5]);
  const resp = walkV1(
    createPdpResponse({
      seq: 9,
      teid: 0x2222,
      cause: 128,
      recovery: 1,
      teidData: 3,
      teidCp: 4,
      ueV4: '10.0.0.1',
      ueV6: '2001:db8::1',
      gsnSignalling: '198.51.100.1',
      gsnUser: '198.51.100.2',
    }),
  );
  t.same(
    resp.map(([ty]) => ty),
    [1, 8, 14, 16, 17, 127, 128, 132, 133, 133, 135],
  );
  t.equal(resp[6]![1].length, 22, 'EUA IPv4v6: 2 + 4 + 16');
  t.equal(resp[6]![1][1], 0x8d);
  const rej = walkV1(createPdpResponse({ seq: 9, teid: 1, cause: 199, recovery: 1 }));
  t.same(
    rej.map(([ty]) => ty),
    [1, 14],
    'a rejection carries Cause and Recovery only',
  );
  t.same([...euaValue(null, '2001:db8::1')].slice(0, 2), [0xf1, 0x57]);
  t.same(
    walkV1(
      updatePdpRequest({
        seq: 1,
        teid: 2,
        imsi: '26201',
        recovery: 1,
        teidData: 1,
        teidCp: 2,
        nsapi: 5,
        gsnSignalling: '192.0.2.1',
        gsnUser: '192.0.2.2',
      }),
    ).map(([ty]) => ty),
    [2, 14, 16, 17, 20, 133, 133, 135],
  );
  t.same(
    walkV1(
      updatePdpResponse({
        seq: 1,
        teid: 2,
        cause: 128,
        recovery: 1,
        teidData: 1,
        teidCp: 2,
        chargingId: 3,
        gsnSignalling: '198.51.100.1',
        gsnUser: '198.51.100.2',
      }),
    ).map(([ty]) => ty),
    [1, 14, 16, 17, 127, 133, 133, 135],
  );
  t.same(walkV1(deletePdpRequest({ seq: 1, teid: 2, nsapi: 5, teardown: true })), [
    [19, Buffer.from([0xff])],
    [20, Buffer.from([5])],
  ]);
  t.same(
    walkV1(deletePdpResponse({ seq: 1, teid: 2, cause: 128 })).map(([ty]) => ty),
    [1],
  );
});

t.test('GTPv2-C messages (TS 29.274)', async (t) => {
  const m = createSessionRequest({
    seq: 0x010203,
    imsi: '001010000000001',
    msisdn: '491701000001',
    mei: '3569380356400001',
    apn: 'internet',
    senderC: { iface: 6, teid: 0xaabbccdd, addr: '192.0.2.50' },
    pdn: 'ipv4v6',
    bearers: [{ ebi: 5, fteids: [{ iface: 4, teid: 7, addr: '192.0.2.51', instance: 2 }] }],
  });
  t.equal(m[0], 0x48, 'version 2, T flag');
  t.equal(m[1], 32);
  t.equal(m.readUInt16BE(2), m.length - 4, 'length after the first 4 octets');
  t.equal(m.readUInt32BE(4), 0, 'initial request: TEID 0');
  t.equal(m.readUIntBE(8, 3), 0x010203, '24-bit sequence');
  const ies = walkV2(m, 12);
  t.same(
    ies.map(([ty]) => ty),
    [1, 76, 75, 83, 82, 87, 71, 128, 99, 79, 127, 72, 93],
  );
  t.equal(decodeTbcd(ies[1]![2]), '491701000001', 'MSISDN: TBCD without TON octet');
  const f = ies[5]![2];
  t.equal(f[0], 0x80 | 6, 'F-TEID: V4 flag and interface type');
  t.equal(f.readUInt32BE(1), 0xaabbccdd);
  t.equal(ies[9]![2][0], 3, 'PAA IPv4v6');
  t.equal(ies[9]![2].length, 22);
  const bc = walkV2(ies[12]![2], 0);
  t.same(
    bc.map(([ty, inst]) => [ty, inst]),
    [
      [73, 0],
      [87, 2],
      [80, 0],
    ],
    'grouped Bearer Context: EBI, F-TEID (instance 2), QoS',
  );
  const f6 = fteid({ iface: 5, teid: 1, addr: '2001:db8::1' });
  t.equal(f6[4], 0x40 | 5, 'V6 flag');
  t.equal(f6.length, 4 + 1 + 4 + 16);
  t.equal(fteid({ iface: 5, teid: 1, addr: '192.0.2.1', addr6: '2001:db8::1' }).length, 4 + 1 + 4 + 4 + 16);
  t.equal(paa(null, '2001:db8::', 56)[5], 56, 'IPv6 prefix length');
  t.equal(paa('10.0.0.1')[4], 1);
  const resp = createSessionResponse({
    seq: 1,
    teid: 9,
    cause: 16,
    fteids: [{ iface: 7, teid: 1, addr: '198.51.100.1' }],
    ueV4: '10.0.0.1',
    bearers: [{ ebi: 5, fteids: [{ iface: 5, teid: 2, addr: '198.51.100.2' }] }],
  });
  t.same(
    walkV2(resp, 12).map(([ty]) => ty),
    [2, 87, 79, 127, 93],
  );
  t.same(
    walkV2(
      modifyBearerRequest({
        seq: 1,
        teid: 2,
        senderC: { iface: 6, teid: 1, addr: '192.0.2.1' },
        bearers: [{ ebi: 5, fteids: [] }],
      }),
      12,
    ).map(([ty]) => ty),
    [87, 93],
  );
  t.same(
    walkV2(
      modifyBearerResponse({ seq: 1, teid: 2, cause: 16, msisdn: '49', bearers: [{ ebi: 5, fteids: [] }] }),
      12,
    ).map(([ty]) => ty),
    [2, 76, 93],
  );
  t.same(
    walkV2(deleteSessionRequest({ seq: 1, teid: 2, ebi: 5 }), 12).map(([ty]) => ty),
    [73],
  );
  t.same(
    walkV2(deleteSessionResponse({ seq: 1, teid: 2, cause: 16 }), 12).map(([ty]) => ty),
    [2],
  );
  const cb = walkV2(
    createBearerRequest({ seq: 1, teid: 2, linkedEbi: 5, fteids: [{ iface: 5, teid: 3, addr: '198.51.100.1' }] }),
    12,
  );
  t.same(
    cb.map(([ty]) => ty),
    [73, 93],
  );
  t.same(
    walkV2(cb[1]![2], 0).map(([ty]) => ty),
    [73, 84, 87, 80],
    'EBI 0, TFT, F-TEID, QoS',
  );
  t.same(
    walkV2(createBearerResponse({ seq: 1, teid: 2, cause: 16, ebi: 6, fteids: [] }), 12).map(([ty]) => ty),
    [2, 93],
  );
  const db = walkV2(deleteBearerRequest({ seq: 1, teid: 2, ebis: [6, 7] }), 12);
  t.same(
    db.map(([ty, inst]) => [ty, inst]),
    [
      [73, 1],
      [73, 1],
    ],
    'EPS Bearer IDs: instance 1',
  );
  t.same(
    walkV2(deleteBearerResponse({ seq: 1, teid: 2, cause: 16, ebis: [6] }), 12).map(([ty]) => ty),
    [2, 93],
  );
  const echo = gtp2EchoRequest(7);
  t.equal(echo[0], 0x40, 'no T flag');
  t.equal(echo.readUIntBE(4, 3), 7);
});

t.test('HTTP, DNS, TLS', async (t) => {
  const r = httpRequest({ method: 'POST', target: '/x', host: 'h', body: 'abc', headers: [['A', 'b']] });
  const s = r.toString('latin1');
  t.match(s, /^POST \/x HTTP\/1\.1\r\nHost: h\r\n/);
  t.match(s, /Content-Length: 3\r\n\r\nabc$/);
  t.notMatch(httpRequest({ target: '/', host: null, userAgent: null }).toString(), /Host|User-Agent/);
  t.notMatch(httpRequest({ target: '/', body: 'x', contentLength: false }).toString(), /Content-Length/);
  t.match(httpResponse({ status: 404, reason: 'Not Found' }).toString(), /^HTTP\/1\.1 404 Not Found\r\n/);
  const q = dnsQuery(0x1234, 'Abc.pay.example.net', 28);
  t.equal(q.readUInt16BE(0), 0x1234);
  t.equal(q.readUInt16BE(2) & 0x8000, 0, 'QR clear');
  t.equal(q.readUInt16BE(4), 1);
  t.same(q.subarray(12, 12 + 21), dnsName('Abc.pay.example.net'));
  t.equal(q.readUInt16BE(q.length - 4), 28);
  const resp = dnsResponse(1, 'a.b', ['192.0.2.1', '2001:db8::1']);
  t.equal(resp.readUInt16BE(2) & 0x8000, 0x8000, 'QR set');
  t.equal(resp.readUInt16BE(6), 2);
  for (const pq of [false, true]) {
    const ch = tlsClientHello({ sni: 'tok.pay.example.net', pq, rng: new Rng(3) });
    t.equal(ch[0], 22, 'handshake record');
    t.equal(ch.readUInt16BE(3), ch.length - 5, 'record length');
    t.equal(ch[5], 1, 'ClientHello');
    t.equal(ch.readUIntBE(6, 3), ch.length - 9, 'handshake length');
    // find the server_name extension by walking the hello
    let o = 9 + 2 + 32;
    o += 1 + ch[o]!;
    o += 2 + ch.readUInt16BE(o);
    o += 1 + ch[o]!;
    const end = o + 2 + ch.readUInt16BE(o);
    o += 2;
    let sni = '';
    let exts = 0;
    while (o < end) {
      const ty = ch.readUInt16BE(o);
      const l = ch.readUInt16BE(o + 2);
      if (ty === 0) sni = ch.subarray(o + 9, o + 4 + l).toString();
      o += 4 + l;
      exts++;
    }
    t.equal(o, end, 'extensions end where announced');
    t.equal(sni, 'tok.pay.example.net');
    t.ok(exts > 8);
    if (pq)
      t.ok(ch.length > 1360 + 100, `a post-quantum key share makes the hello span two segments (${ch.length} bytes)`);
    else t.ok(ch.length < 1360);
  }
  t.equal(tlsClientHello({ sni: null }).includes(Buffer.from('pay.example')), false);
});
