// Hand-made hostile inputs for the fuzz regression folders: one folder per
// decoder under native/fuzz/regressions/, each file an input to
// gnpay::fuzz_one (first byte: the entry layer, native/fuzz/fuzz_entry.h).
// The unit tests (plain and ASan+UBSan) replay every file forever; inputs the
// fuzzer crashes on are added by `npm run fuzz` to regressions/found/.
//   node packages/tools/dist/fuzz-regressions.js [dir]   (rewrites the hand-made files; byte-identical each time)
import fs from 'node:fs';
import path from 'node:path';
import {
  ethernet,
  gpdu,
  gtp1,
  gtp2,
  httpRequest,
  ie2,
  innerTcp,
  innerUdp,
  ipUdp,
  ipv4,
  ipv6,
  IPPROTO,
  msisdnV1,
  tlsClientHello,
  tlv,
  tv,
  MemorySink,
  PcapWriter,
  PcapngWriter,
  LINKTYPE,
  dnsQuery,
  Rng,
  H2_PREFACE,
  h2Frame,
} from './gen';

const SGSN = '192.0.2.11';
const GGSN = '198.51.100.2';

/** selector 1: Ethernet frames, each with a 2-byte length */
function frames(...fs: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([1])];
  for (const f of fs) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(Math.min(f.length, 0xffff));
    parts.push(len, f.subarray(0, 0xffff));
  }
  return Buffer.concat(parts);
}
const eth = (ip: Buffer, o: Parameters<typeof ethernet>[1] = {}) => ethernet(ip, o);
const gtpc = (msg: Buffer) => eth(ipUdp('192.0.2.10', '198.51.100.1', 2123, 2123, msg, {}, { noChecksum: true }));
const gtpcBack = (msg: Buffer) => eth(ipUdp('198.51.100.1', '192.0.2.10', 2123, 2123, msg, {}, { noChecksum: true }));
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const ip4 = (a: string) => Buffer.from(a.split('.').map(Number));
const gtpu = (msg: Buffer) => eth(ipUdp(SGSN, GGSN, 2152, 2152, msg, {}, { noChecksum: true }));
const app = (b: Buffer) => Buffer.concat([Buffer.from([6]), b]);
const cat = (...b: Buffer[]) => Buffer.concat(b);
const imsiIe = tv(2, Buffer.from('2926101132547698', 'hex'));
const createReq = (ies: Buffer[]) => gtp1(16, cat(...ies), { teid: 0, seq: 0x1234 });
const req = (token: string) => httpRequest({ target: `/pay?pay_token=${token}`, host: 'pay.example.net' });
const up = (inner: Buffer) => gtpu(gpdu(0x11223344, inner));
const TOKEN = 'k3jz7q4y2m6v8w1x5c9b0n';

function captureFile(build: (w: PcapWriter) => void): Buffer {
  const sink = new MemorySink();
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET, snaplen: 128 });
  build(w);
  w.close();
  return Buffer.concat([Buffer.from([0]), sink.bytes()]);
}

/** folder -> file -> bytes */
export function regressionInputs(): Record<string, Record<string, Buffer>> {
  const rng = new Rng(2026);
  const ipv6ExtChain = (() => {
    // 20 hop-by-hop-like destination options headers chained before UDP
    let payload = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])]);
    const hdrs: Buffer[] = [];
    for (let i = 0; i < 20; i++) hdrs.push(Buffer.from([i === 19 ? IPPROTO.UDP : 60, 0, 1, 4, 0, 0, 0, 0]));
    payload = Buffer.concat([...hdrs, payload]);
    return eth(ipv6('2001:db8::1', '2001:db8::2', 60, payload));
  })();
  const frag = (off: number, mf: boolean, id: number, len: number, fill = 0x41) =>
    eth(ipv4(SGSN, GGSN, IPPROTO.UDP, Buffer.alloc(len, fill), { id, fragOffset: off, mf }));
  const bigTlvChain = cat(...Array.from({ length: 300 }, () => tlv(0xfe, Buffer.alloc(0))));
  const tbcdBad = Buffer.from([0x91, 0x94, 0x51, 0xa1, 0x32, 0x54]);
  const dnsLoop = (() => {
    const h = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    // a name that is a pointer to itself
    return cat(h, Buffer.from([0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01]));
  })();
  const tlsLying = (() => {
    const ch = tlsClientHello({ sni: `${TOKEN}.pay.example.net`, rng });
    const b = Buffer.from(ch);
    b.writeUInt16BE(0xffff, 3); // record length past the data
    return b;
  })();
  const tcpSeg = (flags: number, delta: number, payload: Buffer, flow = 0) =>
    cat(Buffer.from([flags, delta & 0xff, payload.length, flow]), payload);
  return {
    capture_file: {
      'pcap-caplen-over-snaplen': (() => {
        // the writer clamps to its snaplen: raise caplen (and the data) behind its back
        const b = captureFile((w) => w.packet(gtpc(createReq([imsiIe])), 1, 0));
        const file = b.subarray(1);
        const frame = file.subarray(40);
        const rec = Buffer.from(file.subarray(24, 40));
        rec.writeUInt32LE(frame.length + 200, 8);
        rec.writeUInt32LE(frame.length + 200, 12);
        return cat(Buffer.from([0]), file.subarray(0, 24), rec, frame, Buffer.alloc(200));
      })(),
      'pcap-record-cut': (() => {
        const b = captureFile((w) => w.packet(gtpc(createReq([imsiIe])), 1, 0));
        return b.subarray(0, b.length - 7);
      })(),
      'pcapng-unknown-block': (() => {
        const sink = new MemorySink();
        const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET }] });
        w.packet(up(innerTcp('10.0.0.1', '203.0.113.80', 40000, 80, req(TOKEN), 1, 1, 0x18)), 1, 0);
        w.close();
        const block = Buffer.alloc(16);
        block.writeUInt32LE(0x0bad0bad, 0);
        block.writeUInt32LE(16, 4);
        block.writeUInt32LE(16, 12);
        return cat(Buffer.from([0]), sink.bytes(), block);
      })(),
    },
    link: {
      'vlan-five-tags': frames(eth(ipUdp(SGSN, GGSN, 2152, 2152, Buffer.alloc(8)), { vlans: [1, 2, 3, 4, 5] })),
      'mpls-nine-labels': frames(
        eth(ipUdp(SGSN, GGSN, 2152, 2152, Buffer.alloc(8)), { mpls: [1, 2, 3, 4, 5, 6, 7, 8, 9] }),
      ),
      'mpls-pseudowire-and-cut-stack': frames(
        cat(
          ethernet(Buffer.alloc(0), { mpls: [16] }),
          Buffer.alloc(4),
          eth(ipUdp(SGSN, GGSN, 2152, 2152, Buffer.alloc(8))),
        ),
        ethernet(Buffer.alloc(0), { mpls: [16, 17] }).subarray(0, 18),
      ),
      'raw-ip-bad-version': Buffer.concat([Buffer.from([2, 0, 4]), Buffer.from([0x75, 0, 0, 0])]),
    },
    ip: {
      'ipv4-header-length-4': frames(eth(ipv4(SGSN, GGSN, IPPROTO.UDP, Buffer.alloc(20))).fill(0x44, 14, 15)),
      'ipv4-total-length-past-frame': frames(
        eth(ipv4(SGSN, GGSN, IPPROTO.UDP, Buffer.alloc(8), { totalLength: 1400 })),
      ),
      'ipv6-twenty-extension-headers': frames(ipv6ExtChain),
    },
    ip_reassembly: {
      'overlapping-fragments-that-differ': frames(
        frag(0, true, 7, 64),
        frag(8, true, 7, 64, 0x42),
        frag(56, false, 7, 16),
      ),
      'offset-past-64k': frames(frag(65528, false, 8, 64), frag(0, true, 8, 64)),
      'first-fragments-never-completed': frames(...Array.from({ length: 40 }, (_, i) => frag(0, true, 100 + i, 32))),
    },
    l4: {
      'udp-length-4': frames(eth(ipUdp(SGSN, GGSN, 2152, 2152, Buffer.alloc(16), {}, { length: 4 }))),
      'tcp-data-offset-3': frames(
        up(innerTcp('10.0.0.1', '203.0.113.80', 40000, 80, req(TOKEN), 1, 1, 0x18).fill(0x30, 32, 33)),
      ),
    },
    gtpu: {
      'extension-header-length-0': frames(
        gtpu(gpdu(0x1, Buffer.alloc(20), { ext: [{ type: 0x85, content: Buffer.alloc(0), lengthField: 0 }] })),
      ),
      'gtp-in-gtp': frames(
        up(
          innerUdp(
            '10.0.0.1',
            GGSN,
            2152,
            2152,
            gpdu(0x2, innerTcp('10.0.0.2', '203.0.113.80', 40000, 80, req(TOKEN), 1, 1, 0x18)),
          ),
        ),
      ),
      'length-past-datagram': frames(gtpu(gtp1(255, Buffer.alloc(8), { teid: 3, length: 2000 }))),
      'extension-header-chain-65': frames(
        gtpu(
          gpdu(0x4, Buffer.alloc(20), {
            ext: Array.from({ length: 65 }, () => ({ type: 0xc0, content: Buffer.from([0, 1]) })),
          }),
        ),
      ),
    },
    gtpv1c: {
      'zero-length-tlv-ies': frames(gtpc(createReq([imsiIe, bigTlvChain]))),
      'unknown-tv-ie': frames(gtpc(createReq([imsiIe, Buffer.from([0x70, 1, 2, 3])]))),
      'response-without-request': frames(
        gtpc(gtp1(17, cat(tv(1, Buffer.from([128])), tv(16, Buffer.from([0, 0, 0, 9]))), { teid: 0x99, seq: 0x4242 })),
      ),
    },
    gtpv2c: {
      'bearer-context-inner-past-outer': frames(
        gtpc(
          gtp2(
            32,
            cat(
              ie2(1, Buffer.from('2926101132547698', 'hex')),
              ie2(93, cat(ie2(73, Buffer.from([5])), ie2(87, Buffer.alloc(40), 0, 200))),
            ),
            { seq: 7 },
          ),
        ),
      ),
      'grouped-ie-nesting': frames(gtpc(gtp2(32, ie2(93, ie2(93, ie2(93, ie2(93, Buffer.alloc(4))))), { seq: 8 }))),
      'fteid-address-cut': frames(gtpc(gtp2(32, ie2(87, Buffer.from([0x8a, 0, 0, 0, 1, 192, 0])), { seq: 9 }))),
    },
    tracker: {
      // a primary PDP context and 12 secondaries: at most 11 contexts in a group
      'secondaries-past-the-bound': frames(
        gtpc(
          createReq([
            imsiIe,
            tv(16, u32(0x1000)),
            tv(17, u32(0x1001)),
            tv(20, Buffer.from([5])),
            tlv(133, ip4('192.0.2.10')),
            tlv(133, ip4('192.0.2.10')),
          ]),
        ),
        gtpcBack(
          gtp1(
            17,
            cat(
              tv(1, Buffer.from([128])),
              tv(16, u32(0x2000)),
              tv(17, u32(0x2001)),
              tlv(133, ip4('198.51.100.1')),
              tlv(133, ip4('198.51.100.1')),
            ),
            { teid: 0x1001, seq: 0x1234 },
          ),
        ),
        ...[1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13].flatMap((n) => [
          gtpc(
            gtp1(
              16,
              cat(
                tv(16, u32(0x1100 + n)),
                tv(20, Buffer.from([n])),
                tv(20, Buffer.from([5])),
                tlv(133, ip4('192.0.2.10')),
                tlv(133, ip4('192.0.2.10')),
              ),
              { teid: 0x2001, seq: 0x2000 + n },
            ),
          ),
          gtpcBack(
            gtp1(
              17,
              cat(
                tv(1, Buffer.from([128])),
                tv(16, u32(0x2100 + n)),
                tlv(133, ip4('198.51.100.1')),
                tlv(133, ip4('198.51.100.1')),
              ),
              { teid: 0x1001, seq: 0x2000 + n },
            ),
          ),
        ]),
      ),
      // a Create Session Response whose header TEID is not the requester's
      'response-teid-mismatch': frames(
        gtpc(
          gtp2(
            32,
            cat(
              ie2(1, Buffer.from('2926101132547698', 'hex')),
              ie2(87, Buffer.from([0x8a, 0, 0, 0, 7, 192, 0, 2, 10])),
            ),
            { seq: 11, teid: 0 },
          ),
        ),
        gtpcBack(
          gtp2(33, cat(ie2(2, Buffer.from([16, 0])), ie2(87, Buffer.from([0x8b, 0, 0, 0, 8, 198, 51, 100, 1]))), {
            seq: 11,
            teid: 9,
          }),
        ),
      ),
      // a piggybacked message that announces yet another one (TS 29.274 s5.1 allows one)
      'piggyback-chain': frames(
        gtpc(
          cat(
            gtp2(33, ie2(2, Buffer.from([16, 0])), { seq: 12, teid: 1, piggyback: true }),
            gtp2(95, ie2(73, Buffer.from([5])), { seq: 13, teid: 1, piggyback: true }),
            gtp2(95, ie2(73, Buffer.from([5])), { seq: 14, teid: 1 }),
          ),
        ),
      ),
      // a Delete Session for a tunnel nobody created
      'delete-session-unknown-tunnel': frames(
        gtpc(gtp2(36, ie2(73, Buffer.from([5])), { seq: 15, teid: 0x5555 })),
        gtpcBack(gtp2(37, ie2(2, Buffer.from([16, 0])), { seq: 15, teid: 0x6666 })),
      ),
    },
    tbcd: {
      'msisdn-digit-0xa': frames(gtpc(createReq([imsiIe, tlv(134, tbcdBad)]))),
      'msisdn-empty-and-long': frames(
        gtpc(createReq([imsiIe, tlv(134, Buffer.from([0x91])), msisdnV1('4915112345678901234567890')])),
      ),
    },
    dns_query: {
      'compression-pointer-to-itself': app(dnsLoop),
      'label-longer-than-63': app(
        cat(
          dnsQuery(1, 'x.example.net').subarray(0, 12),
          Buffer.from([64]),
          Buffer.alloc(64, 0x61),
          Buffer.from([0, 0, 1, 0, 1]),
        ),
      ),
      'in-a-tunnel-name-cut': frames(
        up(innerUdp('10.0.0.1', '192.0.2.53', 40000, 53, dnsQuery(2, `${TOKEN}.pay.example.net`).subarray(0, 30))),
      ),
    },
    http_request: {
      'thousand-headers': app(
        cat(
          Buffer.from('GET /pay?pay_token=' + TOKEN + ' HTTP/1.1\r\n'),
          Buffer.from('X: y\r\n'.repeat(1000)),
          Buffer.from('\r\n'),
        ),
      ),
      'header-without-colon-and-no-version': app(Buffer.from(`GET /pay/${TOKEN}\r\nHost pay.example.net\r\n\r\n`)),
    },
    tls_client_hello: {
      'record-length-lies': app(tlsLying),
      'sni-empty-name': app(Buffer.from(tlsClientHello({ sni: '', rng }))),
    },
    request_heads: {
      'sequence-wraparound': cat(
        Buffer.from([7]),
        tcpSeg(0x02, 0, Buffer.alloc(0)),
        tcpSeg(0x18, 0x7f, req(TOKEN).subarray(0, 40)),
        tcpSeg(0x18, 0x80, req(TOKEN).subarray(40, 90)),
      ),
      'out-of-order-ring-overflow': cat(
        Buffer.from([7]),
        ...Array.from({ length: 60 }, (_, i) => tcpSeg(0x18, 40 + (i % 50), Buffer.from('GET /x'), i % 16)),
      ),
      // HTTP/2 prior knowledge: a CONTINUATION with no HEADERS before it (http2.bad_frame)
      'h2-continuation-without-headers': frames(
        up(
          innerTcp(
            '10.0.0.1',
            '203.0.113.80',
            40000,
            8000,
            cat(H2_PREFACE, h2Frame(9, 4, 1, Buffer.from([0x82]))),
            1,
            1,
            0x18,
          ),
        ),
      ),
      // HTTP/2 frames whose padding is longer than the frame, cut in odd places
      'h2-padding-past-frame': cat(
        Buffer.from([7]),
        tcpSeg(0x02, 0, Buffer.alloc(0)),
        tcpSeg(0x18, 1, H2_PREFACE.subarray(0, 2)),
        tcpSeg(0x18, 0, cat(H2_PREFACE.subarray(2), h2Frame(1, 0x0c, 1, Buffer.from([250, 0x82, 0x86])))),
      ),
      // DNS over TCP (flow bit 0x40: port 53): a length shorter than a DNS header, then one past the bound
      'dns-tcp-bad-lengths': cat(
        Buffer.from([7]),
        tcpSeg(0x18, 0, Buffer.from([0, 3, 1, 2, 3]), 0x40),
        tcpSeg(0x18, 0, Buffer.from([0xff, 0xff, 1, 2]), 0x41),
      ),
    },
    hpack: {
      'integer-past-2-to-the-24': app(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])),
      'huffman-eos-and-long-padding': app(Buffer.from([0x41, 0x84, 0xff, 0xff, 0xff, 0xff, 0x41, 0x82, 0x07, 0xff])),
      'size-update-after-field-and-dynamic-index': app(
        Buffer.from([0x82, 0x3f, 0xe1, 0x1f, 0xbe, 0x40, 0x01, 0x61, 0x7f, 0x7f]),
      ),
    },
    pay_hosts: {
      'sni-case-dots-and-lookalikes': app(cat(Buffer.from(tlsClientHello({ sni: `${TOKEN}.PAY.Example.NET.`, rng })))),
      'hello-on-unknown-tunnel-and-evil-suffix': frames(
        up(
          innerTcp(
            '10.0.0.1',
            '203.0.113.7',
            40000,
            443,
            tlsClientHello({ sni: 'pay.example.net', rng, random: Buffer.alloc(32, 0xab) }),
            1,
            1,
            0x18,
          ),
        ),
        up(
          innerTcp(
            '10.0.0.1',
            '203.0.113.7',
            40001,
            443,
            tlsClientHello({ sni: 'evilpay.example.net', rng }),
            1,
            1,
            0x18,
          ),
        ),
        up(
          innerTcp(
            '10.0.0.1',
            '203.0.113.7',
            40002,
            443,
            tlsClientHello({ sni: 'pay.example.net.evil.test', rng }),
            1,
            1,
            0x18,
          ),
        ),
      ),
    },
    token_carriers: {
      'bad-percent-escapes-and-long-token': app(
        Buffer.from(
          `GET /pay?pay_token=%zz${'a'.repeat(70)}&pay_token=%4${TOKEN} HTTP/1.1\r\nHost: ${TOKEN}.evilpay.example.net\r\nCookie: pay_token=${'b'.repeat(65)}\r\n\r\n`,
        ),
      ),
    },
  };
}

/**
 * What decoding each capture-shaped input (entry layers 0 and 1) must count,
 * checked by test/native/fuzz-regressions.slow.test.ts: the file is a regression of
 * that decoder only if it reaches that decoder's outcome.
 */
export const EXPECTED_ANOMALY: Record<string, string> = {
  'capture_file/pcap-caplen-over-snaplen': 'pcap.caplen_exceeds_snaplen',
  'capture_file/pcapng-unknown-block': 'pcapng.unknown_block',
  'link/vlan-five-tags': 'link.vlan_too_deep',
  'link/mpls-nine-labels': 'link.mpls_too_deep',
  'link/mpls-pseudowire-and-cut-stack': 'link.mpls_not_ip',
  'ip/ipv4-header-length-4': 'ipv4.bad_header_length',
  'ip/ipv4-total-length-past-frame': 'ipv4.truncated',
  'ip/ipv6-twenty-extension-headers': 'ipv6.too_many_ext_headers',
  'ip_reassembly/overlapping-fragments-that-differ': 'frag.overlap',
  'ip_reassembly/offset-past-64k': 'frag.datagram_too_large',
  'ip_reassembly/first-fragments-never-completed': 'frag.timeout',
  'l4/udp-length-4': 'udp.bad_length',
  'l4/tcp-data-offset-3': 'tcp.bad_data_offset',
  'gtpu/extension-header-length-0': 'gtpu.ext_header_zero_length',
  'gtpu/gtp-in-gtp': 'gtpu.nested_tunnel',
  'gtpu/length-past-datagram': 'gtpu.bad_length',
  'gtpu/extension-header-chain-65': 'gtpu.ext_header_chain_too_long',
  'tracker/secondaries-past-the-bound': 'session.bearer_limit',
  'tracker/response-teid-mismatch': 'gtpv2c.response_teid_mismatch',
  'tracker/piggyback-chain': 'gtpv2c.piggybacked_message',
  'tracker/delete-session-unknown-tunnel': 'gtpv2c.unknown_context',
  'gtpv1c/zero-length-tlv-ies': 'gtpv1c.too_many_ies',
  'gtpv1c/unknown-tv-ie': 'gtpv1c.ie_unknown_tv',
  'gtpv1c/response-without-request': 'gtpv1c.unmatched_response',
  'gtpv2c/bearer-context-inner-past-outer': 'gtpv2c.ie_bad_length',
  'gtpv2c/grouped-ie-nesting': 'gtpv2c.grouped_ie_too_deep',
  'gtpv2c/fteid-address-cut': 'gtpv2c.bad_fteid',
  'tbcd/msisdn-digit-0xa': 'gtpv1c.bad_tbcd',
  'tbcd/msisdn-empty-and-long': 'gtpv1c.bad_tbcd',
  'dns_query/in-a-tunnel-name-cut': 'dns.truncated',
  'request_heads/h2-continuation-without-headers': 'http2.bad_frame',
};

/** The decoders (native/decode/<name>.cc) and engine parts (native/engine/<name>.cc) that each have a regression folder. */
export const DECODERS = [
  'capture_file',
  'link',
  'ip',
  'ip_reassembly',
  'l4',
  'gtpu',
  'gtpv1c',
  'gtpv2c',
  'tbcd',
  'dns_query',
  'http_request',
  'tls_client_hello',
  'request_heads',
  'token_carriers',
  'pay_hosts',
  'tracker',
  'hpack',
];

export function writeRegressionInputs(dir: string): string[] {
  const written: string[] = [];
  for (const [folder, files] of Object.entries(regressionInputs())) {
    fs.mkdirSync(path.join(dir, folder), { recursive: true });
    for (const [name, bytes] of Object.entries(files)) {
      const p = path.join(dir, folder, name);
      fs.writeFileSync(p, bytes);
      written.push(p);
    }
  }
  return written;
}

if (require.main === module) {
  const dir = process.argv[2] ?? path.resolve(__dirname, '..', '..', '..', 'native', 'fuzz', 'regressions');
  for (const p of writeRegressionInputs(dir)) console.log(p);
}
