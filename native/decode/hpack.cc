// HPACK (RFC 7541): integers (s5.1), strings (s5.2) with the Huffman code of
// Appendix B, the static table (Appendix A), the dynamic table (s2.3.2, s4)
// and the field representations (s6).
#include "hpack.h"

#include <cstring>

namespace gnpay {

namespace {

// RFC 7541 Appendix A.
struct StaticEntry {
  const char* name;
  const char* value;
};
constexpr StaticEntry kStatic[61] = {
    {":authority", ""},
    {":method", "GET"},
    {":method", "POST"},
    {":path", "/"},
    {":path", "/index.html"},
    {":scheme", "http"},
    {":scheme", "https"},
    {":status", "200"},
    {":status", "204"},
    {":status", "206"},
    {":status", "304"},
    {":status", "400"},
    {":status", "404"},
    {":status", "500"},
    {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"},
    {"accept-language", ""},
    {"accept-ranges", ""},
    {"accept", ""},
    {"access-control-allow-origin", ""},
    {"age", ""},
    {"allow", ""},
    {"authorization", ""},
    {"cache-control", ""},
    {"content-disposition", ""},
    {"content-encoding", ""},
    {"content-language", ""},
    {"content-length", ""},
    {"content-location", ""},
    {"content-range", ""},
    {"content-type", ""},
    {"cookie", ""},
    {"date", ""},
    {"etag", ""},
    {"expect", ""},
    {"expires", ""},
    {"from", ""},
    {"host", ""},
    {"if-match", ""},
    {"if-modified-since", ""},
    {"if-none-match", ""},
    {"if-range", ""},
    {"if-unmodified-since", ""},
    {"last-modified", ""},
    {"link", ""},
    {"location", ""},
    {"max-forwards", ""},
    {"proxy-authenticate", ""},
    {"proxy-authorization", ""},
    {"range", ""},
    {"referer", ""},
    {"refresh", ""},
    {"retry-after", ""},
    {"server", ""},
    {"set-cookie", ""},
    {"strict-transport-security", ""},
    {"transfer-encoding", ""},
    {"user-agent", ""},
    {"vary", ""},
    {"via", ""},
    {"www-authenticate", ""},
};

// RFC 7541 Appendix B: the code length of each symbol (256 = EOS). The code is
// canonical: codes of one length are consecutive in symbol order, each length's
// first code follows the previous length's last, shifted; so the lengths alone
// define it.
constexpr uint8_t kHuffLen[257] = {
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28,
    28, 28, 28, 6,  10, 10, 12, 13, 6,  8,  11, 10, 10, 8,  11, 8,  6,  6,  6,  5,  5,  5,  6,  6,  6,  6,  6,  6,  6,
    7,  8,  15, 6,  12, 10, 13, 6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,
    7,  8,  7,  8,  13, 19, 13, 14, 6,  15, 5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,  6,  7,  6,  5,
    5,  6,  7,  7,  7,  7,  7,  15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24,
    24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22,
    23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26,
    27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23,
    22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
};
constexpr uint16_t kEos = 256;

// Canonical decoding tables: for each length, its first code, how many codes
// and where its symbols start in `sorted` (symbols by length, then value).
struct Huffman {
  uint32_t first[31] = {0};
  uint16_t count[31] = {0};
  uint16_t offset[31] = {0};
  uint16_t sorted[257] = {0};
  Huffman() {
    uint16_t n = 0;
    for (uint8_t len = 1; len <= 30; len++) {
      offset[len] = n;
      for (uint16_t s = 0; s < 257; s++)
        if (kHuffLen[s] == len) sorted[n++] = s;
      count[len] = uint16_t(n - offset[len]);
    }
    uint32_t code = 0;
    for (uint8_t len = 1; len <= 30; len++) {
      first[len] = code;
      code = (code + count[len]) << 1;
    }
  }
};
const Huffman& huffman() {
  static const Huffman h;
  return h;
}

// s5.1: an integer with an N-bit prefix; values over 2^24 are refused.
bool read_int(ByteReader& r, uint8_t first, uint8_t prefix_bits, uint32_t& out) {
  const uint32_t max_prefix = (1u << prefix_bits) - 1;
  uint32_t v = first & max_prefix;
  if (v < max_prefix) {
    out = v;
    return true;
  }
  for (unsigned shift = 0; shift <= 21; shift += 7) {
    uint8_t b = 0;
    if (!r.u8(b)) return false;
    v += uint32_t(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (v > (1u << 24)) return false;
      out = v;
      return true;
    }
  }
  return false;
}

struct Arena {
  uint8_t* base;
  size_t cap, used = 0;
  uint8_t* take(size_t n) {
    if (n > cap - used) return nullptr;
    uint8_t* p = base + used;
    used += n;
    return p;
  }
};

// s5.2: H bit, length (7-bit prefix), octets; decoded into the arena.
Status read_string(ByteReader& r, Arena& a, Span& out, AnomalyCounters& an) {
  uint8_t first = 0;
  uint32_t len = 0;
  if (!r.u8(first) || !read_int(r, first, 7, len)) {
    an.bump(Anomaly::HpackBadInteger);
    return Status::Malformed;
  }
  Span raw;
  if (!r.span(len, raw)) {
    an.bump(Anomaly::HpackBadString);
    return Status::Malformed;
  }
  if (!(first & 0x80)) {
    uint8_t* p = a.take(raw.size);
    if (!p) {
      an.bump(Anomaly::HpackListTooLarge);
      return Status::Malformed;
    }
    if (raw.size) std::memcpy(p, raw.data, raw.size);
    out = Span(p, raw.size);
    return Status::Ok;
  }
  // a Huffman string decodes to at most 8/5 of its length
  size_t room = a.cap - a.used;
  size_t n = hpack_huffman_decode(raw, a.base + a.used, room);
  if (n == SIZE_MAX) {
    an.bump(raw.size * 8 / 5 + 1 > room ? Anomaly::HpackListTooLarge : Anomaly::HpackBadHuffman);
    return Status::Malformed;
  }
  out = Span(a.base + a.used, n);
  a.used += n;
  return Status::Ok;
}

void evict_to(HpackTable& t, size_t limit) {
  size_t drop = 0, bytes = 0;
  while (drop < t.n && t.size > limit) {
    const HpackTable::Entry& e = t.entries[drop];
    t.size -= size_t(e.name_len) + e.value_len + 32;
    bytes += size_t(e.name_len) + e.value_len;
    drop++;
  }
  if (!drop) return;
  std::memmove(t.data, t.data + bytes, t.used - bytes);
  t.used -= bytes;
  for (size_t i = drop; i < t.n; i++) {
    t.entries[i - drop] = t.entries[i];
    t.entries[i - drop].off = uint16_t(t.entries[i - drop].off - bytes);
  }
  t.n -= drop;
}

// s4.4: an entry larger than the table empties it and is not added.
void insert(HpackTable& t, Span name, Span value) {
  const size_t sz = name.size + value.size + 32;
  if (sz > t.max_size) {
    evict_to(t, 0);
    return;
  }
  evict_to(t, t.max_size - sz);
  HpackTable::Entry& e = t.entries[t.n++];
  e.off = uint16_t(t.used);
  e.name_len = uint16_t(name.size);
  e.value_len = uint16_t(value.size);
  if (name.size) std::memcpy(t.data + t.used, name.data, name.size);
  if (value.size) std::memcpy(t.data + t.used + name.size, value.data, value.size);
  t.used += name.size + value.size;
  t.size += sz;
}

// The name and value of an index (s2.3.3): 1..61 static, 62.. dynamic (newest first).
bool lookup(const HpackTable& t, uint32_t index, Span& name, Span& value) {
  if (index == 0) return false;
  if (index <= 61) {
    const StaticEntry& s = kStatic[index - 1];
    name = Span(reinterpret_cast<const uint8_t*>(s.name), std::strlen(s.name));
    value = Span(reinterpret_cast<const uint8_t*>(s.value), std::strlen(s.value));
    return true;
  }
  size_t d = index - 62;
  if (d >= t.n) return false;
  const HpackTable::Entry& e = t.entries[t.n - 1 - d];
  name = Span(t.data + e.off, e.name_len);
  value = Span(t.data + e.off + e.name_len, e.value_len);
  return true;
}

bool equals(Span s, const char* lit) {
  size_t n = std::strlen(lit);
  return s.size == n && std::memcmp(s.data, lit, n) == 0;
}

}  // namespace

size_t hpack_huffman_decode(Span in, uint8_t* out, size_t cap) {
  const Huffman& h = huffman();
  size_t n = 0;
  uint32_t code = 0;
  uint8_t len = 0;
  for (size_t i = 0; i < in.size; i++) {
    for (int bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((in[i] >> bit) & 1);
      len++;
      if (len > 30) return SIZE_MAX;
      uint32_t k = code - h.first[len];
      if (code >= h.first[len] && k < h.count[len]) {
        uint16_t sym = h.sorted[h.offset[len] + k];
        if (sym == kEos) return SIZE_MAX;  // s5.2: EOS in a string is an error
        if (n == cap) return SIZE_MAX;
        out[n++] = uint8_t(sym);
        code = 0;
        len = 0;
      }
    }
  }
  // padding: fewer than 8 bits, all ones (the most significant bits of EOS)
  if (len > 7 || code != (1u << len) - 1) return SIZE_MAX;
  return n;
}

Status decode_hpack_block(Span block, HpackTable& table, uint8_t* arena, size_t arena_size, Http2RequestHead& out,
                          AnomalyCounters& an) {
  out.reset();
  Arena a{arena, arena_size};
  ByteReader r(block);
  bool fields_seen = false;
  auto bad = [&](Anomaly x) {
    an.bump(x);
    return Status::Malformed;
  };
  // names and values are copied into the arena (a table entry may be evicted
  // later in the block); *cn / *cv: the copies
  Span cn, cv;
  auto emit = [&](Span name, Span value) -> bool {
    uint8_t* p = a.take(name.size + value.size);
    if (!p) return false;
    if (name.size) std::memmove(p, name.data, name.size);
    if (value.size) std::memmove(p + name.size, value.data, value.size);
    Span n(p, name.size), v(p + name.size, value.size);
    cn = n;
    cv = v;
    if (n.size && n[0] == ':') {
      if (equals(n, ":method"))
        out.method = v;
      else if (equals(n, ":scheme"))
        out.scheme = v;
      else if (equals(n, ":authority"))
        out.authority = v;
      else if (equals(n, ":path"))
        out.path = v;
    } else if (out.n_headers < kMaxHttpHeaders) {
      out.headers[out.n_headers++] = HttpHeaderView{n, v};
    } else {
      an.bump(Anomaly::HttpTooManyHeaders);
    }
    return true;
  };
  while (!r.empty()) {
    uint8_t b = 0;
    r.u8(b);
    uint32_t index = 0;
    if (b & 0x80) {  // s6.1 indexed field
      Span n, v;
      if (!read_int(r, b, 7, index)) return bad(Anomaly::HpackBadInteger);
      if (!lookup(table, index, n, v)) return bad(Anomaly::HpackBadIndex);
      if (!emit(n, v)) return bad(Anomaly::HpackListTooLarge);
      fields_seen = true;
      continue;
    }
    if ((b & 0xe0) == 0x20) {  // s6.3 dynamic table size update: only before the first field
      if (!read_int(r, b, 5, index)) return bad(Anomaly::HpackBadInteger);
      if (fields_seen || index > HpackTable::kMaxSize) return bad(Anomaly::HpackBadSizeUpdate);
      table.max_size = index;
      evict_to(table, index);
      continue;
    }
    // s6.2 literals: with incremental indexing (01), without (0000), never indexed (0001)
    const bool indexing = (b & 0xc0) == 0x40;
    if (!read_int(r, b, indexing ? 6 : 4, index)) return bad(Anomaly::HpackBadInteger);
    Span name, value, unused;
    if (index) {
      if (!lookup(table, index, name, unused)) return bad(Anomaly::HpackBadIndex);
    } else {
      Status st = read_string(r, a, name, an);
      if (st != Status::Ok) return st;
    }
    Status st = read_string(r, a, value, an);
    if (st != Status::Ok) return st;
    // the name may point into the table, which the insert below can move: copy first
    if (!emit(name, value)) return bad(Anomaly::HpackListTooLarge);
    fields_seen = true;
    if (indexing) insert(table, cn, cv);
  }
  return Status::Ok;
}

}  // namespace gnpay
