// HPACK encoding (RFC 7541) and HTTP/2 framing (RFC 9113) for h2c captures:
// a client's connection preface, SETTINGS and HEADERS frames whose header
// blocks use the static table, the dynamic table (entries the previous blocks
// added) and Huffman coding, as real clients do.

// RFC 7541 Appendix A.
const STATIC: [string, string][] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

// RFC 7541 Appendix B: code lengths (256 = EOS); the code is canonical, so it follows from them.
const HUFF_LEN = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6,
  5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23,
  22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22,
  23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26,
  20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27,
  27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27,
  27, 27, 27, 26, 30,
];

const HUFF_CODE: number[] = (() => {
  const order = [...HUFF_LEN.keys()].sort((a, b) => HUFF_LEN[a]! - HUFF_LEN[b]! || a - b);
  const codes = new Array<number>(257);
  let code = 0;
  order.forEach((s, i) => {
    if (i > 0) code = (code + 1) * 2 ** (HUFF_LEN[s]! - HUFF_LEN[order[i - 1]!]!);
    codes[s] = code;
  });
  return codes;
})();

/** RFC 7541 s5.2 Huffman coding of a string, padded with ones. */
export function huffmanEncode(s: Buffer): Buffer {
  const bits: number[] = [];
  for (const c of s) for (let b = HUFF_LEN[c]! - 1; b >= 0; b--) bits.push(Math.floor(HUFF_CODE[c]! / 2 ** b) % 2);
  while (bits.length % 8) bits.push(1);
  const out = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

/** RFC 7541 s5.1 integer with an N-bit prefix; `first` holds the bits above the prefix */
function int(first: number, prefixBits: number, v: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (v < max) return [first | v];
  const out = [first | max];
  v -= max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function str(s: string, huffman: boolean): number[] {
  const raw = Buffer.from(s, 'latin1');
  const h = huffman ? huffmanEncode(raw) : raw;
  return [...int(huffman ? 0x80 : 0, 7, h.length), ...h];
}

/** A client's HPACK encoder: one per connection (its dynamic table mirrors the decoder's). */
export class HpackEncoder {
  private dynamic: [string, string][] = []; // newest first
  private size = 0;

  constructor(
    private huffman = true,
    private maxSize = 4096,
    /** names whose values are sent without Huffman coding */
    private plain: string[] = [],
  ) {}

  private index(name: string, value: string): { full: number; name: number } {
    let nameIdx = 0;
    for (let i = 0; i < STATIC.length; i++) {
      if (STATIC[i]![0] !== name) continue;
      if (STATIC[i]![1] === value) return { full: i + 1, name: i + 1 };
      if (!nameIdx) nameIdx = i + 1;
    }
    for (let i = 0; i < this.dynamic.length; i++) {
      if (this.dynamic[i]![0] !== name) continue;
      if (this.dynamic[i]![1] === value) return { full: STATIC.length + 1 + i, name: nameIdx || STATIC.length + 1 + i };
      if (!nameIdx) nameIdx = STATIC.length + 1 + i;
    }
    return { full: 0, name: nameIdx };
  }

  private add(name: string, value: string): void {
    const sz = name.length + value.length + 32;
    this.dynamic.unshift([name, value]);
    this.size += sz;
    while (this.size > this.maxSize) {
      const [n, v] = this.dynamic.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }

  /**
   * A header block: fields found whole in a table are indexed; the others are
   * literals with incremental indexing (so that the next block can refer to
   * them), `never` names never indexed.
   */
  block(fields: [string, string][], never: string[] = []): Buffer {
    const out: number[] = [];
    for (const [name, value] of fields) {
      const ix = this.index(name, value);
      if (ix.full) {
        out.push(...int(0x80, 7, ix.full));
        continue;
      }
      const noIndex = never.includes(name);
      out.push(...int(noIndex ? 0x10 : 0x40, noIndex ? 4 : 6, ix.name));
      if (!ix.name) out.push(...str(name, this.huffman));
      out.push(...str(value, this.huffman && !this.plain.includes(name)));
      if (!noIndex) this.add(name, value);
    }
    return Buffer.from(out);
  }
}

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** RFC 9113 s4.1 frame: length, type, flags, stream, payload */
export function h2Frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

export const H2 = {
  DATA: 0,
  HEADERS: 1,
  SETTINGS: 4,
  CONTINUATION: 9,
  END_STREAM: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export interface H2Request {
  method?: string;
  path: string;
  authority: string;
  headers?: [string, string][];
  /** split the header block: HEADERS (padded, with priority) + CONTINUATION, at this offset (true: halfway) */
  split?: boolean | number;
}

/**
 * A client's h2c connection with prior knowledge (RFC 9113 s3.3): the preface,
 * SETTINGS, then each request's HEADERS (and CONTINUATION) on streams 1, 3,
 * 5... Returns the bytes and, for each request, the offset where its header
 * block ends (the request is complete there).
 */
export function h2cRequests(
  reqs: H2Request[],
  o: { huffman?: boolean; plain?: string[] } = {},
): { data: Buffer; ends: number[] } {
  const enc = new HpackEncoder(o.huffman ?? true, 4096, o.plain ?? []);
  const parts: Buffer[] = [H2_PREFACE, h2Frame(H2.SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100]))];
  const ends: number[] = [];
  let len = parts.reduce((a, b) => a + b.length, 0);
  reqs.forEach((r, i) => {
    const stream = 1 + 2 * i;
    const block = enc.block(
      [
        [':method', r.method ?? 'GET'],
        [':scheme', 'http'],
        [':path', r.path],
        [':authority', r.authority],
        ...(r.headers ?? []),
      ],
      ['cookie'],
    );
    const frames: Buffer[] = [];
    if (r.split && block.length > 4) {
      const cut = typeof r.split === 'number' ? r.split : Math.floor(block.length / 2);
      const pad = 2;
      const first = Buffer.concat([Buffer.from([pad, 0, 0, 0, 0, 15]), block.subarray(0, cut), Buffer.alloc(pad)]);
      frames.push(h2Frame(H2.HEADERS, H2.PADDED | H2.PRIORITY | H2.END_STREAM, stream, first));
      frames.push(h2Frame(H2.CONTINUATION, H2.END_HEADERS, stream, block.subarray(cut)));
    } else {
      frames.push(h2Frame(H2.HEADERS, H2.END_HEADERS | H2.END_STREAM, stream, block));
    }
    for (const f of frames) {
      parts.push(f);
      len += f.length;
    }
    ends.push(len);
  });
  return { data: Buffer.concat(parts), ends };
}

/** RFC 7766 s8: a DNS message over TCP, after its two-octet length */
export function dnsOverTcp(message: Buffer): Buffer {
  const h = Buffer.alloc(2);
  h.writeUInt16BE(message.length);
  return Buffer.concat([h, message]);
}
