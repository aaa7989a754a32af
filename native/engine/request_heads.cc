// Bounded reassembly of HTTP/1.x request heads and TLS ClientHellos from uplink
// TCP segments (see request_heads.h for the design).
//
// Layout: a preallocated array of flow slots (free list, LRU list by last
// activity, open-addressing index with linear probing and backward-shift
// deletion), a preallocated ring of out-of-order segments, and per-flow head
// buffers that are only created for heads that span segments and are reused
// with their slot.
#include "request_heads.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "flat_map.h"
#include "http_request.h"
#include "tls_client_hello.h"

namespace gnpay {

namespace {

constexpr uint32_t kNil = 0xffffffffu;
constexpr size_t kMinBuffer = 1024;
constexpr size_t kMaxChunkLine = 4096;    // chunk-size line with extensions
constexpr int32_t kMaxSeqJump = 1 << 20;  // a segment further from next_seq starts over

enum Mode : uint8_t {
  kSyn = 0,      // SYN seen, no data yet
  kBoundary,     // the next byte starts a request (or a ClientHello, a DNS message)
  kHeadHttp,     // a request head is in the buffer, incomplete
  kHeadTls,      // a ClientHello is in the buffer, incomplete
  kBodyLen,      // skipping a Content-Length body
  kBodyChunked,  // skipping a chunked body
  kLost,         // nothing to follow: the flow resyncs on a segment that starts a head
  kHeadDns,      // a DNS message over TCP (its length first) is in the buffer, incomplete
  kH2,           // an HTTP/2 connection: frames (Parse.chunk says where in one)
};

// What a connection carries, from its server port.
enum Proto : uint8_t { kProtoHead = 0, kProtoDns };

// Where an HTTP/2 connection is (Parse.chunk in kH2).
enum H2State : uint8_t { kH2Preface = 0, kH2FrameHeader, kH2Skip, kH2Headers, kH2Continuation };
constexpr char kH2Preface24[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";  // RFC 9113 s3.4
constexpr size_t kH2PrefaceLen = 24;
constexpr uint8_t kH2FrameHeaders = 1, kH2FrameContinuation = 9;
constexpr uint8_t kH2FlagEndHeaders = 0x4, kH2FlagPadded = 0x8, kH2FlagPriority = 0x20;
constexpr uint16_t kDnsPort = 53;
constexpr size_t kDnsHeaderLen = 12;

// The bytes start like the connection preface (at least "PR", so that a POST,
// PUT or PATCH is not taken for it; a lone "P" waits as an HTTP head would).
bool starts_h2_preface(Span d) {
  if (d.size < 2) return false;
  size_t n = d.size < kH2PrefaceLen ? d.size : kH2PrefaceLen;
  return std::memcmp(d.data, kH2Preface24, n) == 0;
}

enum ChunkState : uint8_t {
  kCSize = 0,
  kCExt,
  kCSizeLF,
  kCData,
  kCDataCR,
  kCDataLF,
  kCTrailerStart,
  kCTrailerLine,
  kCTrailerEndLF,
};

// The state the stateless path shares with flows.
struct Parse {
  uint8_t mode = kBoundary;
  uint8_t proto = kProtoHead;
  uint8_t chunk = kCSize;  // chunked body: where in it; HTTP/2: H2State
  uint8_t hex_digits = 0;  // HTTP/2: the current frame's flags
  uint32_t line_len = 0;   // HTTP/2: the header block gathered so far (at the start of the buffer)
  uint64_t left = 0;       // body bytes left, chunk data left, the chunk size being read; HTTP/2: frame payload left
};

struct Flow {
  FlowKey key;
  uint64_t hash = 0;
  uint64_t last_ts = 0;
  uint32_t prev = kNil, next = kNil;  // LRU list (head = most recent)
  uint32_t next_seq = 0;              // the next byte expected
  uint32_t head_seq = 0;              // sequence number of buf[0]
  Parse p;
  uint16_t n_orphans = 0;  // used ring entries with this key
  bool in_use = false;
  uint8_t* buf = nullptr;
  uint32_t cap = 0, len = 0;
  HpackTable* hpack = nullptr;  // HTTP/2 connections: the decoder's dynamic table (kept with the slot)
};

struct Orphan {
  FlowKey key;
  uint64_t hash = 0;
  uint64_t ts = 0;
  uint32_t seq = 0;
  uint32_t len = 0;
  bool used = false;
  bool fin = false;
};

inline bool key_eq(const FlowKey& a, const FlowKey& b) {
  return a.sport == b.sport && a.dport == b.dport && a.tunnel == b.tunnel && a.src == b.src && a.dst == b.dst;
}

inline uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline bool seq_le(uint32_t a, uint32_t b) { return int32_t(a - b) <= 0; }

bool ends_with_blank_line(Span d) {
  // Also a segment that is only the final CRLF / LF of a head.
  if ((d.size == 2 && d[0] == '\r' && d[1] == '\n') || (d.size == 1 && d[0] == '\n')) return true;
  if (d.size >= 2 && d[d.size - 1] == '\n' && d[d.size - 2] == '\n') return true;
  return d.size >= 3 && d[d.size - 1] == '\n' && d[d.size - 2] == '\r' && d[d.size - 3] == '\n';
}

inline int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct RequestHeadAssembler::Impl {
  HeadLimits lim;
  std::vector<Flow> flows;
  std::vector<uint32_t> free_slots;
  // The index of flows by key hash: each entry holds a flow's slot (low 32
  // bits, stored XOR kNil, so that an all-zero entry is an empty one) and
  // the upper half of its hash (a tag), so that a probe past another flow's
  // entry does not load that flow to tell them apart. Zeroed by calloc: an
  // engine starts without touching its pages. Most segments belong to no
  // flow being assembled (bulk data, bare ACKs, connections whose SYN was
  // not seen): `occupied`, one bit per entry (16 KiB for 65,536 flows),
  // answers most of those from the cache.
  struct FreeDeleter {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint64_t[], FreeDeleter> index;
  size_t index_size = 0;
  std::vector<uint64_t> occupied;
  size_t mask = 0;
  uint32_t lru_head = kNil, lru_tail = kNil;
  size_t n_flows = 0;
  uint64_t n_evicted = 0;
  size_t buffer_bytes = 0;
  size_t free_with_buf = 0;  // free slots still holding a buffer
  uint64_t seed = 0;

  std::vector<Orphan> ring;
  // Each slot's bytes are written before they are read: left uninitialised,
  // so that an engine starts without touching the ring's pages.
  std::unique_ptr<uint8_t[]> ring_data;
  size_t ring_data_size = 0;
  uint64_t ring_ins = 0, ring_tail = 0;
  size_t ring_used = 0;

  HeadSink* sink = nullptr;
  AnomalyCounters* an = nullptr;

  // Replaying a flow's orphans after a gap is abandoned (never nested).
  struct Replay {
    uint32_t seq, len;
    const uint8_t* data;
    bool fin;
  };
  std::vector<Replay> replay;
  std::vector<uint8_t> replay_data;
  bool replaying = false;

  // The fingerprints of the last lim.recent_heads heads handed over: a FIFO
  // ring (recent_next is where the next one goes, over the oldest when full)
  // and an open-addressing index of ring positions (linear probing,
  // backward-shift deletion, at most half full). Whether a head is recognised
  // depends only on the heads handed over since, never on where fingerprints
  // fall in the index.
  std::vector<uint64_t> recent;
  std::vector<uint32_t> recent_index;
  size_t recent_mask = 0;
  size_t recent_next = 0, recent_count = 0;

  explicit Impl(const HeadLimits& l) : lim(l) {
    if (lim.max_flows == 0) lim.max_flows = 1;
    if (lim.max_flows > kNil / 4) lim.max_flows = kNil / 4;
    if (lim.max_head_bytes < 16) lim.max_head_bytes = 16;
    if (lim.max_head_bytes > 0x7fffffff) lim.max_head_bytes = 0x7fffffff;
    if (lim.orphan_max_bytes > 0xffffffffu) lim.orphan_max_bytes = 0xffffffffu;
    // Slots are made as flows first need them, in the room reserved here (never
    // moved: references to a flow stay valid); the pages are touched only then,
    // so that an engine starts in no time whatever max_flows is.
    flows.reserve(lim.max_flows);
    free_slots.reserve(lim.max_flows);
    size_t isz = 16;
    while (isz < lim.max_flows * 2) isz <<= 1;
    index.reset(static_cast<uint64_t*>(std::calloc(isz, sizeof(uint64_t))));
    if (!index) throw std::bad_alloc();
    index_size = isz;
    occupied.assign((isz + 63) / 64, 0);
    mask = isz - 1;
    if (lim.orphan_slots && lim.orphan_max_bytes) {
      ring.resize(lim.orphan_slots);
      ring_data_size = lim.orphan_slots * lim.orphan_max_bytes;
      ring_data.reset(new uint8_t[ring_data_size]);
      size_t per = lim.orphans_per_flow ? lim.orphans_per_flow : 1;
      if (per > lim.orphan_slots) per = lim.orphan_slots;
      replay.reserve(per + 1);
      replay_data.resize(per * lim.orphan_max_bytes);
    }
    if (lim.recent_heads > kNil / 4) lim.recent_heads = kNil / 4;
    if (lim.recent_heads) {
      recent.assign(lim.recent_heads, 0);
      size_t r = 16;
      while (r < lim.recent_heads * 2) r <<= 1;
      recent_index.assign(r, kNil);
      recent_mask = r - 1;
    }
    // Seeded so that flow keys cannot be chosen to collide in the indexes.
    seed = lim.hash_seed ? lim.hash_seed
                         : fmix64(uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                                  uint64_t(reinterpret_cast<uintptr_t>(this)));
  }
  ~Impl() {
    for (Flow& f : flows) {
      delete[] f.buf;
      delete f.hpack;
    }
  }

  static uint8_t proto_of(const FlowKey& k) { return k.dport == kDnsPort ? kProtoDns : kProtoHead; }

  uint64_t hash_key(const FlowKey& k) const {
    uint64_t w[6];
    std::memcpy(&w[0], k.src.b, 8);
    std::memcpy(&w[1], k.src.b + 8, 8);
    std::memcpy(&w[2], k.dst.b, 8);
    std::memcpy(&w[3], k.dst.b + 8, 8);
    w[4] = (uint64_t(k.sport) << 32) | (uint64_t(k.dport) << 16) | (uint64_t(k.src.family) << 8) | k.dst.family;
    w[5] = k.tunnel;
    uint64_t h = seed;
    for (uint64_t x : w) {
      h ^= x;
      h *= 0x9e3779b97f4a7c15ULL;
      h = (h << 31) | (h >> 33);
    }
    return fmix64(h);
  }

  // ---- index ----
  static uint32_t tag_of(uint64_t h) { return uint32_t(h >> 32); }
  static uint32_t slot_of(uint64_t e) { return uint32_t(e) ^ kNil; }
  bool slot_used(size_t i) const { return (occupied[i >> 6] >> (i & 63)) & 1; }
  void set_slot(size_t i, uint32_t s) {
    index[i] = s == kNil ? 0 : (uint64_t(tag_of(flows[s].hash)) << 32) | (s ^ kNil);
    if (s == kNil)
      occupied[i >> 6] &= ~(uint64_t(1) << (i & 63));
    else
      occupied[i >> 6] |= uint64_t(1) << (i & 63);
  }

  uint32_t lookup(const FlowKey& k, uint64_t h) const {
    size_t i = size_t(h) & mask;
    if (!slot_used(i)) return kNil;
    const uint32_t tag = tag_of(h);
    for (;;) {
      uint64_t e = index[i];
      uint32_t s = slot_of(e);
      if (s == kNil) return kNil;
      if (uint32_t(e >> 32) == tag && flows[s].hash == h && key_eq(flows[s].key, k)) return s;
      i = (i + 1) & mask;
    }
  }
  void index_insert(uint32_t s) {
    size_t i = size_t(flows[s].hash) & mask;
    while (slot_of(index[i]) != kNil) i = (i + 1) & mask;
    set_slot(i, s);
  }
  void index_erase(uint32_t s) {
    size_t i = size_t(flows[s].hash) & mask;
    while (slot_of(index[i]) != s) i = (i + 1) & mask;
    set_slot(i, kNil);
    size_t j = i;
    for (;;) {  // backward-shift deletion keeps probe chains without tombstones
      j = (j + 1) & mask;
      uint32_t t = slot_of(index[j]);
      if (t == kNil) return;
      size_t home = size_t(flows[t].hash) & mask;
      bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        set_slot(i, t);
        set_slot(j, kNil);
        i = j;
      }
    }
  }

  // ---- LRU ----
  void lru_unlink(uint32_t s) {
    Flow& f = flows[s];
    if (f.prev != kNil)
      flows[f.prev].next = f.next;
    else
      lru_head = f.next;
    if (f.next != kNil)
      flows[f.next].prev = f.prev;
    else
      lru_tail = f.prev;
    f.prev = f.next = kNil;
  }
  void lru_push_front(uint32_t s) {
    Flow& f = flows[s];
    f.prev = kNil;
    f.next = lru_head;
    if (lru_head != kNil) flows[lru_head].prev = s;
    lru_head = s;
    if (lru_tail == kNil) lru_tail = s;
  }
  void touch(uint32_t s, uint64_t ts) {
    flows[s].last_ts = ts;
    if (lru_head != s) {
      lru_unlink(s);
      lru_push_front(s);
    }
  }

  // ---- flows ----
  uint32_t create(const FlowKey& k, uint64_t h, uint64_t ts) {
    if (free_slots.empty()) {
      if (flows.size() < lim.max_flows) {
        flows.emplace_back();
        free_slots.push_back(uint32_t(flows.size() - 1));
      } else {
        an->bump(Anomaly::TcpFlowEvicted);
        n_evicted++;
        release(lru_tail);
      }
    }
    uint32_t s = free_slots.back();
    free_slots.pop_back();
    Flow& f = flows[s];
    if (held(f)) free_with_buf--;
    f.key = k;
    f.hash = h;
    f.last_ts = ts;
    f.next_seq = f.head_seq = 0;
    f.p = Parse();
    f.p.proto = proto_of(k);
    f.len = 0;
    f.n_orphans = 0;
    f.in_use = true;
    index_insert(s);
    lru_push_front(s);
    n_flows++;
    adopt_orphans(s);
    return s;
  }
  void release(uint32_t s) {
    Flow& f = flows[s];
    if (!f.in_use) return;
    index_erase(s);
    lru_unlink(s);
    f.in_use = false;
    f.len = 0;
    f.n_orphans = 0;
    free_slots.push_back(s);  // the buffer stays with the slot for reuse
    if (held(f)) free_with_buf++;
    n_flows--;
  }
  static size_t held(const Flow& f) { return f.cap + (f.hpack ? sizeof(HpackTable) : 0); }
  void free_buffer(Flow& f) {
    if (!f.in_use && held(f)) free_with_buf--;
    delete[] f.buf;
    f.buf = nullptr;
    buffer_bytes -= f.cap;
    f.cap = 0;
    f.len = 0;
    if (f.hpack) {
      delete f.hpack;
      f.hpack = nullptr;
      buffer_bytes -= sizeof(HpackTable);
    }
  }
  // Frees buffers of other flows until `delta` more bytes fit in max_buffer_bytes.
  bool make_room(uint32_t s, size_t delta) {
    while (buffer_bytes + delta > lim.max_buffer_bytes) {
      // Evict the oldest flows that hold buffers (a free slot's buffer goes first).
      if (free_with_buf) {
        for (size_t i = free_slots.size(); i > 0; i--) {
          Flow& ff = flows[free_slots[i - 1]];
          if (held(ff)) {
            free_buffer(ff);
            break;
          }
        }
        continue;
      }
      uint32_t v = lru_tail;
      while (v != kNil && (v == s || held(flows[v]) == 0)) v = flows[v].prev;
      if (v == kNil) return false;
      an->bump(Anomaly::TcpFlowEvicted);
      n_evicted++;
      release(v);
      free_buffer(flows[v]);
    }
    return true;
  }
  // An HTTP/2 connection's HPACK table, empty (kept with the slot when it exists).
  bool start_h2(uint32_t s) {
    Flow& f = flows[s];
    if (!f.hpack) {
      if (!make_room(s, sizeof(HpackTable))) return false;
      f.hpack = new HpackTable();
      buffer_bytes += sizeof(HpackTable);
    }
    f.hpack->reset();
    f.len = 0;
    return true;
  }

  // Makes room for `need` bytes in s's buffer, within max_buffer_bytes.
  bool ensure_cap(uint32_t s, size_t need) {
    Flow& f = flows[s];
    if (f.cap >= need) return true;
    if (need > lim.max_head_bytes) return false;
    size_t nc = f.cap ? size_t(f.cap) * 2 : kMinBuffer;
    while (nc < need) nc *= 2;
    if (nc > lim.max_head_bytes) nc = lim.max_head_bytes;
    size_t delta = nc - f.cap;
    if (!make_room(s, delta)) return false;
    uint8_t* nb = new uint8_t[nc];
    if (f.len) std::memcpy(nb, f.buf, f.len);
    delete[] f.buf;
    f.buf = nb;
    buffer_bytes += delta;
    f.cap = uint32_t(nc);
    return true;
  }

  // ---- orphans ----
  uint8_t* orphan_bytes(size_t pos) { return ring_data.get() + pos * lim.orphan_max_bytes; }
  void drop_orphan(Orphan& o) {
    o.used = false;
    ring_used--;
    an->bump(Anomaly::TcpOooDropped);
    uint32_t s = lookup(o.key, o.hash);
    if (s != kNil && flows[s].n_orphans) flows[s].n_orphans--;
  }
  void store_orphan(const FlowKey& k, uint64_t h, uint32_t seq, Span d, bool fin, uint64_t ts, uint32_t owner) {
    if (ring.empty() || d.size > lim.orphan_max_bytes) {
      an->bump(Anomaly::TcpOooDropped);
      return;
    }
    size_t pos = size_t(ring_ins % ring.size());
    if (ring_ins - ring_tail == ring.size()) {
      if (ring[pos].used) drop_orphan(ring[pos]);
      ring_tail++;
    }
    Orphan& o = ring[pos];
    o.key = k;
    o.hash = h;
    o.ts = ts;
    o.seq = seq;
    o.len = uint32_t(d.size);
    o.fin = fin;
    o.used = true;
    std::memcpy(orphan_bytes(pos), d.data, d.size);
    ring_ins++;
    ring_used++;
    if (owner != kNil) flows[owner].n_orphans++;
  }
  void adopt_orphans(uint32_t s) {
    if (!ring_used) return;
    Flow& f = flows[s];
    for (const Orphan& o : ring)
      if (o.used && o.hash == f.hash && key_eq(o.key, f.key)) f.n_orphans++;
  }
  void purge_orphans(uint32_t s) {
    Flow& f = flows[s];
    if (!f.n_orphans) return;
    for (Orphan& o : ring)
      if (o.used && o.hash == f.hash && key_eq(o.key, f.key)) drop_orphan(o);
    f.n_orphans = 0;
  }
  void expire_orphans(uint64_t now) {
    while (ring_tail < ring_ins) {
      Orphan& o = ring[size_t(ring_tail % ring.size())];
      if (o.used) {
        if (!(now > o.ts && now - o.ts > lim.timeout_ns)) return;
        drop_orphan(o);
      }
      ring_tail++;
    }
  }

  // ---- parsing ----
  // Every head goes through here with the flow's hash and the sequence number of
  // its first byte. A head already handed over (a retransmission of a segment
  // whose flow state is gone) is not handed over again: tshark does not
  // dissect retransmitted data either.
  void emit(HeadKind k, Span bytes, uint64_t fh, uint32_t start_seq) {
    if (!recent.empty()) {
      uint64_t fp = fmix64(fh ^ (uint64_t(start_seq) * 0x9e3779b97f4a7c15ULL) ^ uint64_t(k));
      if (recent_has(fp)) return;
      recent_add(fp);
    }
    sink->on_head(k, bytes);
  }

  // ---- recent heads (a 64-bit fingerprint of flow, first sequence number and kind) ----
  size_t recent_home(uint64_t fp) const { return size_t(fp >> 32) & recent_mask; }
  bool recent_has(uint64_t fp) const {
    if (!recent_count) return false;
    for (size_t i = recent_home(fp);; i = (i + 1) & recent_mask) {
      uint32_t p = recent_index[i];
      if (p == kNil) return false;
      if (recent[p] == fp) return true;
    }
  }
  void recent_add(uint64_t fp) {
    if (recent_count == recent.size()) {
      recent_erase(uint32_t(recent_next));  // the oldest
    } else {
      recent_count++;
    }
    recent[recent_next] = fp;
    size_t i = recent_home(fp);
    while (recent_index[i] != kNil) i = (i + 1) & recent_mask;
    recent_index[i] = uint32_t(recent_next);
    recent_next = recent_next + 1 == recent.size() ? 0 : recent_next + 1;
  }
  void recent_erase(uint32_t pos) {
    size_t i = recent_home(recent[pos]);
    while (recent_index[i] != pos) i = (i + 1) & recent_mask;
    recent_index[i] = kNil;
    for (size_t j = (i + 1) & recent_mask;; j = (j + 1) & recent_mask) {
      uint32_t p = recent_index[j];
      if (p == kNil) return;
      size_t home = recent_home(recent[p]);
      // p may move into the hole at i when its home is not cyclically in (i, j]
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        recent_index[i] = p;
        recent_index[j] = kNil;
        i = j;
      }
    }
  }

  void after_http_head(Parse& p, Span head) {
    HttpFraming fr = http_request_framing(head);
    switch (fr.kind) {
      case HttpBodyKind::None:
        p.mode = kBoundary;
        break;
      case HttpBodyKind::Length:
        p.mode = kBodyLen;
        p.left = fr.length;
        break;
      case HttpBodyKind::Chunked:
        p.mode = kBodyChunked;
        p.chunk = kCSize;
        p.left = 0;
        p.hex_digits = 0;
        p.line_len = 0;
        break;
      case HttpBodyKind::Invalid:
        p.mode = kLost;
        break;  // resync on the next segment that starts a head
    }
  }

  // Chunked body (RFC 9112 s7.1): consumes from d, returns the bytes used.
  size_t run_chunked(Parse& p, Span d) {
    size_t i = 0;
    auto bad = [&]() -> size_t {
      an->bump(Anomaly::HttpBadChunk);
      p.mode = kLost;
      return d.size;
    };
    auto end_size_line = [&]() {
      if (p.left == 0) {
        p.chunk = kCTrailerStart;
        p.line_len = 0;
      } else {
        p.chunk = kCData;
      }
    };
    while (i < d.size && p.mode == kBodyChunked) {
      uint8_t c = d[i];
      switch (p.chunk) {
        case kCSize: {
          int v = hexval(c);
          if (v >= 0) {
            if (p.hex_digits >= 16) return bad();
            p.left = (p.left << 4) | uint64_t(v);
            p.hex_digits++;
            i++;
          } else if (p.hex_digits == 0) {
            return bad();
          } else if (c == ';' || c == ' ' || c == '\t') {
            p.chunk = kCExt;
            p.line_len = 0;
            i++;
          } else if (c == '\r') {
            p.chunk = kCSizeLF;
            i++;
          } else if (c == '\n') {
            i++;
            end_size_line();
          } else {
            return bad();
          }
          break;
        }
        case kCExt: {
          const void* lf = std::memchr(d.data + i, '\n', d.size - i);
          size_t n = lf ? size_t(static_cast<const uint8_t*>(lf) - (d.data + i)) : d.size - i;
          p.line_len += uint32_t(n > kMaxChunkLine ? kMaxChunkLine + 1 : n);
          if (p.line_len > kMaxChunkLine) return bad();
          i += n;
          if (lf) {
            i++;
            end_size_line();
          }
          break;
        }
        case kCSizeLF:
          if (c != '\n') return bad();
          i++;
          end_size_line();
          break;
        case kCData: {
          size_t k = d.size - i;
          if (uint64_t(k) > p.left) k = size_t(p.left);
          i += k;
          p.left -= k;
          if (p.left == 0) p.chunk = kCDataCR;
          break;
        }
        case kCDataCR:
          if (c == '\r') {
            p.chunk = kCDataLF;
          } else if (c == '\n') {
            p.chunk = kCSize;
            p.hex_digits = 0;
          } else {
            return bad();
          }
          i++;
          break;
        case kCDataLF:
          if (c != '\n') return bad();
          p.chunk = kCSize;
          p.hex_digits = 0;
          p.left = 0;
          i++;
          break;
        case kCTrailerStart:
          if (c == '\r') {
            p.chunk = kCTrailerEndLF;
            i++;
          } else if (c == '\n') {
            p.mode = kBoundary;
            i++;
          } else {
            p.chunk = kCTrailerLine;
          }
          break;
        case kCTrailerLine: {
          const void* lf = std::memchr(d.data + i, '\n', d.size - i);
          size_t n = lf ? size_t(static_cast<const uint8_t*>(lf) - (d.data + i)) : d.size - i;
          if (n > lim.max_head_bytes || p.line_len + n > lim.max_head_bytes) return bad();
          p.line_len += uint32_t(n);
          i += n;
          if (lf) {
            i++;
            p.chunk = kCTrailerStart;
          }
          break;
        }
        case kCTrailerEndLF:
          if (c != '\n') return bad();
          p.mode = kBoundary;
          i++;
          break;
      }
    }
    return i;
  }

  // Consumes d in the modes that need no buffer. Heads that lie wholly in d are
  // handed to the sink in place. When a head starts but does not end in d,
  // *tail is set to its bytes and p.mode to kHeadHttp / kHeadTls / kHeadDns.
  // When an HTTP/2 connection preface starts, p.mode becomes kH2 and *stop is
  // where it starts (the caller goes on with run_h2 on a flow).
  void run(Parse& p, Span d, Span* tail, uint64_t fh, uint32_t seq0, size_t* stop = nullptr) {
    *tail = Span();
    size_t i = 0;
    while (i < d.size) {
      switch (p.mode) {
        case kSyn:
          p.mode = kBoundary;
          break;
        case kBoundary: {
          if (p.proto == kProtoDns) {
            // RFC 7766 s8: a two-octet length, then the message
            Span rest = d.from(i);
            size_t len = rest.size >= 2 ? (size_t(rest[0]) << 8) | rest[1] : 0;
            if (rest.size >= 2 && len < kDnsHeaderLen) {
              an->bump(Anomaly::DnsTcpBadLength);
              p.mode = kLost;
              return;
            }
            if (rest.size >= 2 && 2 + len > lim.max_head_bytes) {
              an->bump(Anomaly::TcpHeadTooLarge);
              p.mode = kLost;
              return;
            }
            if (rest.size >= 2 && 2 + len <= rest.size) {
              emit(HeadKind::DnsTcp, rest.from(2).prefix(len), fh, seq0 + uint32_t(i));
              i += 2 + len;
              break;
            }
            p.mode = kHeadDns;
            *tail = rest;
            return;
          }
          while (i < d.size && (d[i] == '\r' || d[i] == '\n')) i++;
          if (i == d.size) return;
          Span rest = d.from(i);
          if (stop && starts_h2_preface(rest)) {
            p.mode = kH2;
            p.chunk = kH2Preface;
            p.left = kH2PrefaceLen;
            p.line_len = 0;
            *stop = i;
            return;
          }
          if (looks_like_http_request(rest)) {
            size_t hl = http_head_length(rest.prefix(lim.max_head_bytes));
            if (hl) {
              Span head = rest.prefix(hl);
              emit(HeadKind::Http, head, fh, seq0 + uint32_t(i));
              after_http_head(p, head);
              i += hl;
              break;
            }
            if (rest.size >= lim.max_head_bytes) {
              an->bump(Anomaly::TcpHeadTooLarge);
              p.mode = kLost;
              return;
            }
            p.mode = kHeadHttp;
            *tail = rest;
            return;
          }
          if (looks_like_tls_client_hello(rest)) {
            size_t need = tls_client_hello_needed(rest);
            if (need == kTlsNotClientHello) {
              an->bump(Anomaly::TlsBadClientHello);
              p.mode = kLost;
              return;
            }
            if (need && need <= rest.size) {
              emit(HeadKind::TlsClientHello, rest.prefix(need), fh, seq0 + uint32_t(i));
              p.mode = kLost;  // what follows a ClientHello is no head
              return;
            }
            if (need > lim.max_head_bytes || rest.size >= lim.max_head_bytes) {
              an->bump(Anomaly::TcpHeadTooLarge);
              p.mode = kLost;
              return;
            }
            p.mode = kHeadTls;
            *tail = rest;
            return;
          }
          p.mode = kLost;
          return;
        }
        case kBodyLen: {
          size_t k = d.size - i;
          if (uint64_t(k) > p.left) k = size_t(p.left);
          i += k;
          p.left -= k;
          if (p.left == 0) p.mode = kBoundary;
          break;
        }
        case kBodyChunked:
          i += run_chunked(p, d.from(i));
          break;
        default:  // kLost (head modes never get here)
          return;
      }
    }
  }

  // Appends to the head in s's buffer; returns the bytes of d used (all of d
  // while the head is still incomplete).
  size_t append_head(uint32_t s, Span d) {
    Flow& f = flows[s];
    if (f.p.mode == kHeadHttp && f.len < kH2PrefaceLen) {
      // "P" was waiting: with what follows it may be an HTTP/2 connection preface
      uint8_t probe[kH2PrefaceLen];
      size_t old = f.len, more = d.size < kH2PrefaceLen - old ? d.size : kH2PrefaceLen - old;
      if (old) std::memcpy(probe, f.buf, old);
      if (more) std::memcpy(probe + old, d.data, more);
      if (starts_h2_preface(Span(probe, old + more))) {
        f.p.mode = kH2;
        f.p.chunk = kH2Preface;
        f.p.left = kH2PrefaceLen;
        f.p.line_len = 0;
        if (!start_h2(s)) return too_large(f, d);
        run_h2(s, Span(probe, old));  // the bytes that waited (start_h2 emptied the buffer)
        return 0;                     // the caller goes on with d in kH2
      }
    }
    if (f.p.mode == kHeadHttp) {
      size_t old = f.len;
      if (old >= lim.max_head_bytes) return too_large(f, d);
      size_t take = d.size;
      if (take > lim.max_head_bytes - old) take = lim.max_head_bytes - old;
      if (!ensure_cap(s, old + take)) return too_large(f, d);
      std::memcpy(f.buf + old, d.data, take);
      f.len = uint32_t(old + take);
      Span buf(f.buf, f.len);
      if (old < 8 && !looks_like_http_request(buf)) {  // "G" + "ET /" was fine, "G" + "ARBAGE" is not
        f.p.mode = kLost;
        f.len = 0;
        return d.size;
      }
      size_t from = old >= 3 ? old - 3 : 0;
      size_t hl = http_head_length(buf.from(from));
      if (hl) {
        hl += from;
        Span head = buf.prefix(hl);
        emit(HeadKind::Http, head, f.hash, f.head_seq);
        after_http_head(f.p, head);
        f.len = 0;
        return hl - old;
      }
      if (f.len >= lim.max_head_bytes) return too_large(f, d);
      return d.size;
    }
    if (f.p.mode == kHeadDns) {
      // the two-octet length, then that many octets of message
      size_t used = 0;
      for (;;) {
        size_t need = f.len >= 2 ? 2 + ((size_t(f.buf[0]) << 8) | f.buf[1]) : 2;
        if (f.len >= 2 && need < 2 + kDnsHeaderLen) {
          an->bump(Anomaly::DnsTcpBadLength);
          f.p.mode = kLost;
          f.len = 0;
          return d.size;
        }
        if (need > lim.max_head_bytes) return too_large(f, d);
        if (f.len == need) {
          emit(HeadKind::DnsTcp, Span(f.buf + 2, need - 2), f.hash, f.head_seq);
          f.p.mode = kBoundary;
          f.len = 0;
          return used;
        }
        if (used == d.size) return used;
        size_t take = need - f.len;
        if (take > d.size - used) take = d.size - used;
        if (!ensure_cap(s, f.len + take)) return too_large(f, d);
        std::memcpy(f.buf + f.len, d.data + used, take);
        f.len += uint32_t(take);
        used += take;
      }
    }
    // kHeadTls: take bytes up to what the ClientHello needs.
    size_t used = 0;
    for (;;) {
      Span buf(f.buf, f.len);
      size_t need = tls_client_hello_needed(buf);
      if (need == kTlsNotClientHello) {
        an->bump(Anomaly::TlsBadClientHello);
        f.p.mode = kLost;
        f.len = 0;
        return d.size;
      }
      if (need && need <= f.len) {
        emit(HeadKind::TlsClientHello, buf.prefix(need), f.hash, f.head_seq);
        f.p.mode = kLost;
        f.len = 0;
        return d.size;
      }
      if (need > lim.max_head_bytes) return too_large(f, d);
      if (used == d.size) return used;
      size_t want = need ? need - f.len : 9 - f.len;
      size_t take = d.size - used;
      if (take > want) take = want;
      if (!ensure_cap(s, f.len + take)) return too_large(f, d);
      std::memcpy(f.buf + f.len, d.data + used, take);
      f.len += uint32_t(take);
      used += take;
    }
  }
  size_t too_large(Flow& f, Span d) {
    an->bump(Anomaly::TcpHeadTooLarge);
    f.p.mode = kLost;
    f.len = 0;
    return d.size;
  }

  // In-order bytes (d starts at next_seq) of a flow with state.
  void process(uint32_t s, Span d) {
    Flow& f = flows[s];
    size_t i = 0;
    while (i < d.size) {
      if (f.p.mode == kHeadHttp || f.p.mode == kHeadTls || f.p.mode == kHeadDns) {
        i += append_head(s, d.from(i));
        continue;
      }
      if (f.p.mode == kH2) {
        i += run_h2(s, d.from(i));
        continue;
      }
      if (f.p.mode == kLost) break;
      Span tail;
      size_t stop = 0;
      run(f.p, d.from(i), &tail, f.hash, f.next_seq + uint32_t(i), &stop);
      if (f.p.mode == kH2) {
        if (!start_h2(s)) {
          too_large(f, d);
          break;
        }
        i += stop;
        continue;
      }
      if (tail.size) {
        if (!ensure_cap(s, tail.size)) {
          too_large(f, tail);
        } else {
          std::memcpy(f.buf, tail.data, tail.size);
          f.len = uint32_t(tail.size);
          f.head_seq = f.next_seq + uint32_t(tail.data - d.data);
        }
      }
      break;
    }
    f.next_seq += uint32_t(d.size);
  }

  // Joins the flow's orphans that are now in order.
  void drain_orphans(uint32_t s) {
    Flow& f = flows[s];
    while (f.in_use && f.n_orphans && f.p.mode != kLost) {
      size_t pick = ring.size();
      for (size_t i = 0; i < ring.size(); i++) {
        const Orphan& o = ring[i];
        if (!o.used || o.hash != f.hash || !key_eq(o.key, f.key)) continue;
        int32_t diff = int32_t(o.seq - f.next_seq);
        if (diff <= 0 || (f.p.mode == kBodyLen && uint64_t(diff) <= f.p.left)) {
          pick = i;
          break;
        }
      }
      if (pick == ring.size()) return;
      Orphan& o = ring[pick];
      o.used = false;
      ring_used--;
      f.n_orphans--;
      Span d(orphan_bytes(pick), o.len);
      int32_t diff = int32_t(o.seq - f.next_seq);
      if (diff > 0) {  // a gap inside a Content-Length body: skipped
        f.p.left -= uint64_t(diff);
        f.next_seq = o.seq;
        if (f.p.left == 0) f.p.mode = kBoundary;
      } else if (diff < 0) {
        size_t old = size_t(uint32_t(f.next_seq - o.seq));
        d = old >= d.size ? Span() : d.from(old);
      }
      if (d.size) process(s, d);
      if (o.fin && seq_le(o.seq + o.len, f.next_seq)) {
        close(s);
        return;
      }
    }
  }

  void close(uint32_t s) {  // FIN / RST: nothing more will come
    purge_orphans(s);
    release(s);
  }
  // A flow that lost track (or whose ClientHello is through) is dropped; a flow
  // between requests stays, idle, so that its next requests are placed by
  // sequence number (retransmissions trimmed, reordering joined).
  void settle(uint32_t s) {
    Flow& f = flows[s];
    if (f.in_use && f.p.mode == kLost) release(s);
  }
  static bool pending(const Flow& f) {
    if (f.p.mode == kH2) return f.n_orphans || f.len || f.p.chunk != kH2FrameHeader;  // inside a frame
    return f.n_orphans || (f.p.mode != kBoundary && f.p.mode != kSyn && f.p.mode != kLost);
  }

  // ---- HTTP/2 (RFC 9113 s3.4 preface, s4.1 frames, s6.2 HEADERS, s6.10 CONTINUATION) ----
  // Consumes d (at the flow's next_seq); returns the bytes used (all of d).
  // The buffer holds the header block gathered so far (p.line_len octets), then
  // the current frame's header or HEADERS / CONTINUATION payload.
  size_t run_h2(uint32_t s, Span d) {
    Flow& f = flows[s];
    Parse& p = f.p;
    size_t i = 0;
    auto lost = [&](Anomaly a) {
      an->bump(a);
      p.mode = kLost;
      f.len = 0;
      return d.size;
    };
    while (i < d.size && p.mode == kH2) {
      switch (p.chunk) {
        case kH2Preface: {
          size_t k = d.size - i < p.left ? d.size - i : size_t(p.left);
          if (std::memcmp(d.data + i, kH2Preface24 + (kH2PrefaceLen - p.left), k) != 0)
            return lost(Anomaly::Http2BadFrame);
          i += k;
          p.left -= k;
          if (p.left == 0) p.chunk = kH2FrameHeader;
          break;
        }
        case kH2FrameHeader: {
          size_t have = f.len - p.line_len;
          size_t k = 9 - have;
          if (k > d.size - i) k = d.size - i;
          if (!ensure_cap(s, f.len + k)) return lost(Anomaly::TcpHeadTooLarge);
          std::memcpy(f.buf + f.len, d.data + i, k);
          f.len += uint32_t(k);
          i += k;
          if (f.len - p.line_len < 9) break;
          const uint8_t* hd = f.buf + p.line_len;
          const uint32_t len = (uint32_t(hd[0]) << 16) | (uint32_t(hd[1]) << 8) | hd[2];
          const uint8_t type = hd[3];
          p.hex_digits = hd[4];
          f.len = p.line_len;
          p.left = len;
          if (type == kH2FrameHeaders || type == kH2FrameContinuation) {
            // a CONTINUATION continues an open block; a HEADERS starts one
            if ((type == kH2FrameContinuation) != (p.line_len != 0)) return lost(Anomaly::Http2BadFrame);
            if (size_t(p.line_len) + len > lim.max_head_bytes) return lost(Anomaly::TcpHeadTooLarge);
            if (type == kH2FrameHeaders) f.head_seq = f.next_seq + uint32_t(i) - 9;
            p.chunk = type == kH2FrameHeaders ? kH2Headers : kH2Continuation;
          } else {
            if (p.line_len != 0) return lost(Anomaly::Http2BadFrame);  // s6.10: nothing between a block's frames
            p.chunk = kH2Skip;
          }
          if (len == 0 && !end_frame(s)) return lost(Anomaly::Http2BadFrame);
          break;
        }
        case kH2Skip: {
          size_t k = d.size - i < p.left ? d.size - i : size_t(p.left);
          i += k;
          p.left -= k;
          if (p.left == 0) p.chunk = kH2FrameHeader;
          break;
        }
        default: {  // kH2Headers, kH2Continuation: the payload into the buffer
          size_t k = d.size - i < p.left ? d.size - i : size_t(p.left);
          if (!ensure_cap(s, f.len + k)) return lost(Anomaly::TcpHeadTooLarge);
          std::memcpy(f.buf + f.len, d.data + i, k);
          f.len += uint32_t(k);
          i += k;
          p.left -= k;
          if (p.left == 0 && !end_frame(s)) return lost(Anomaly::Http2BadFrame);
          break;
        }
      }
    }
    return i;
  }

  // A frame's payload is complete: a header block fragment joins the block
  // (HEADERS: without its pad length, priority and padding); a block whose
  // END_HEADERS came is handed over. False when the padding lies.
  bool end_frame(uint32_t s) {
    Flow& f = flows[s];
    Parse& p = f.p;
    if (p.chunk == kH2Skip) {
      p.chunk = kH2FrameHeader;
      return true;
    }
    uint8_t* frag = f.buf + p.line_len;
    size_t n = f.len - p.line_len;
    if (p.chunk == kH2Headers) {
      size_t skip = 0, pad = 0;
      if (p.hex_digits & kH2FlagPadded) {
        if (n < 1) return false;
        pad = frag[0];
        skip = 1;
      }
      if (p.hex_digits & kH2FlagPriority) skip += 5;
      if (skip + pad > n) return false;
      n -= skip + pad;
      if (n) std::memmove(frag, frag + skip, n);
    }
    p.line_len += uint32_t(n);
    f.len = p.line_len;
    if (p.hex_digits & kH2FlagEndHeaders) {
      sink->on_http2_headers(Span(f.buf, p.line_len), *f.hpack);
      p.line_len = 0;
      f.len = 0;
    }
    p.chunk = kH2FrameHeader;
    return true;
  }

  void stateless(const FlowKey& k, uint64_t h, uint32_t seq, Span d, uint8_t flags, uint64_t ts) {
    if (d.empty()) return;
    bool fin = (flags & tcpflag::kFin) != 0;
    const uint8_t proto = proto_of(k);
    if (proto == kProtoHead && !looks_like_http_request(d) && !looks_like_tls_client_hello(d) &&
        !starts_h2_preface(d)) {
      // Perhaps the tail of a head whose first segment is late: hold it.
      if (!fin && ends_with_blank_line(d)) store_orphan(k, h, seq, d, false, ts, kNil);
      return;
    }
    Parse p;
    p.proto = proto;
    Span tail;
    size_t stop = 0;
    run(p, d, &tail, h, seq, &stop);
    if (p.mode == kH2) {
      // an HTTP/2 connection seen from its preface on: it gets a flow and a table
      if (fin) return;
      uint32_t s = create(k, h, ts);
      Flow& f = flows[s];
      f.p = p;
      f.next_seq = seq + uint32_t(stop);
      if (!start_h2(s)) {
        release(s);
        return;
      }
      process(s, d.from(stop));
      if (flows[s].in_use) settle(s);
      return;
    }
    if (fin) return;
    if (p.mode == kBoundary || p.mode == kLost) return;  // nothing pending: no state
    uint32_t s = create(k, h, ts);
    Flow& f = flows[s];
    f.p = p;
    f.next_seq = seq + uint32_t(d.size);
    if (tail.size) {
      if (!ensure_cap(s, tail.size)) {
        too_large(f, tail);
      } else {
        std::memcpy(f.buf, tail.data, tail.size);
        f.len = uint32_t(tail.size);
        f.head_seq = seq + uint32_t(tail.data - d.data);
      }
    }
    drain_orphans(s);
    settle(s);
  }

  // A ClientHello waits for bytes the client has already sent past: lost in the capture.
  bool flush_lost_hello(uint32_t s, uint32_t seq) {
    Flow& f = flows[s];
    if (f.p.mode != kHeadTls || f.len < 9) return false;
    size_t need = tls_client_hello_needed(Span(f.buf, f.len));
    if (need == 0 || need == kTlsNotClientHello) return false;
    if (int64_t(int32_t(seq - f.head_seq)) < int64_t(need)) return false;
    emit(HeadKind::TlsClientHello, Span(f.buf, f.len), f.hash, f.head_seq);
    f.p.mode = kLost;
    f.len = 0;
    return true;
  }

  void feed(const FlowKey& k, const TcpSegment& seg, uint64_t ts) {
    expire(ts);
    uint8_t fl = seg.flags;
    Span d = seg.payload;
    uint32_t seq = seg.seq;
    uint64_t h = hash_key(k);
    uint32_t s = lookup(k, h);
    if (fl & tcpflag::kRst) {
      if (s != kNil) close(s);
      return;
    }
    if (fl & tcpflag::kSyn) {
      if (fl & tcpflag::kAck) return;  // SYN-ACK: the server's side
      if (s != kNil) close(s);         // a new connection on the same 5-tuple
      s = create(k, h, ts);
      flows[s].p.mode = kSyn;
      flows[s].next_seq = seq + 1;
      seq += 1;
      if (d.empty()) return;  // data on a SYN (TCP Fast Open) follows below
    }
    segment(k, h, s, seq, d, fl, ts);
  }

  // A segment after SYN/RST handling; s is the flow (kNil when none).
  void segment(const FlowKey& k, uint64_t h, uint32_t s, uint32_t seq, Span d, uint8_t fl, uint64_t ts) {
    if (s == kNil) {
      stateless(k, h, seq, d, fl, ts);
      return;
    }
    touch(s, ts);
    Flow& f = flows[s];
    bool fin = (fl & tcpflag::kFin) != 0;
    if (d.empty()) {
      if (fin && seq_le(seq, f.next_seq)) close(s);
      return;
    }
    int32_t diff = int32_t(seq - f.next_seq);
    bool body_skip = f.p.mode == kBodyLen && diff > 0 && uint64_t(diff) <= f.p.left;
    if (!body_skip && (diff > kMaxSeqJump || diff < -kMaxSeqJump)) {
      // Far from where the flow is: another connection on the same addresses and
      // ports whose SYN was not seen. Start over.
      close(s);
      stateless(k, h, seq, d, fl, ts);
      return;
    }
    if (diff > 0) {
      if (body_skip) {
        f.p.left -= uint64_t(diff);  // a gap inside a Content-Length body does not matter
        f.next_seq = seq;
        if (f.p.left == 0) f.p.mode = kBoundary;
      } else if (flush_lost_hello(s, seq)) {
        close(s);
        stateless(k, h, seq, d, fl, ts);
        return;
      } else if (f.n_orphans >= lim.orphans_per_flow) {
        abandon(s, k, h, seq, d, fl, ts);  // the gap does not fill: capture loss
        return;
      } else {
        store_orphan(k, h, seq, d, fin, ts, s);
        return;
      }
    } else if (diff < 0) {
      size_t old = size_t(uint32_t(f.next_seq - seq));
      if (old >= d.size) {  // all retransmitted
        if (fin) close(s);
        return;
      }
      d = d.from(old);
    }
    process(s, d);
    drain_orphans(s);
    if (!flows[s].in_use) return;
    if (fin) {
      close(s);
      return;
    }
    settle(s);
  }

  // Gives up on the bytes before a gap: the flow's partial head is dropped and
  // its waiting segments are handled again in sequence order as if the flow
  // were new (each one that starts a head is parsed).
  void abandon(uint32_t s, const FlowKey& k, uint64_t h, uint32_t seq, Span d, uint8_t fl, uint64_t ts) {
    an->bump(Anomaly::TcpGapAbandoned);
    if (replaying) {
      close(s);
      stateless(k, h, seq, d, fl, ts);
      return;
    }
    Flow& f = flows[s];
    uint32_t base = f.next_seq;
    replay.clear();
    size_t cap = replay_data.size() / (lim.orphan_max_bytes ? lim.orphan_max_bytes : 1);
    for (size_t i = 0; i < ring.size(); i++) {
      Orphan& o = ring[i];
      if (!o.used || o.hash != f.hash || !key_eq(o.key, f.key)) continue;
      if (replay.size() >= cap) {
        drop_orphan(o);
        continue;
      }
      uint8_t* dst = replay_data.data() + replay.size() * lim.orphan_max_bytes;
      std::memcpy(dst, orphan_bytes(i), o.len);
      replay.push_back(Replay{o.seq, o.len, dst, o.fin});
      o.used = false;
      ring_used--;
    }
    release(s);
    replay.push_back(Replay{seq, uint32_t(d.size), d.data, (fl & tcpflag::kFin) != 0});
    std::sort(replay.begin(), replay.end(),
              [base](const Replay& a, const Replay& b) { return uint32_t(a.seq - base) < uint32_t(b.seq - base); });
    replaying = true;
    for (const Replay& r : replay) {
      uint8_t flags = uint8_t(tcpflag::kAck | (r.fin ? tcpflag::kFin : 0));
      segment(k, h, lookup(k, h), r.seq, Span(r.data, r.len), flags, ts);
    }
    replaying = false;
  }

  void expire(uint64_t now) {
    while (lru_tail != kNil) {
      const Flow& f = flows[lru_tail];
      if (!(now > f.last_ts && now - f.last_ts > lim.timeout_ns)) break;
      if (pending(f)) an->bump(Anomaly::TcpFlowTimeout);  // an idle connection just ends
      release(lru_tail);
    }
    if (!ring.empty()) expire_orphans(now);
  }

  void clear() {
    while (lru_tail != kNil) release(lru_tail);
    std::fill(recent_index.begin(), recent_index.end(), kNil);
    recent_next = recent_count = 0;
    for (Orphan& o : ring) o.used = false;
    ring_used = 0;
    ring_tail = ring_ins;
  }

  size_t memory() const {
    return sizeof(*this) + flows.capacity() * sizeof(Flow) + free_slots.capacity() * sizeof(uint32_t) +
           index_size * sizeof(uint64_t) + occupied.capacity() * sizeof(uint64_t) + ring.capacity() * sizeof(Orphan) +
           ring_data_size + replay.capacity() * sizeof(Replay) + replay_data.capacity() +
           recent.capacity() * sizeof(uint64_t) + recent_index.capacity() * sizeof(uint32_t) + buffer_bytes;
  }
};

RequestHeadAssembler::RequestHeadAssembler(const HeadLimits& limits) : impl_(new Impl(limits)) {}
RequestHeadAssembler::~RequestHeadAssembler() { delete impl_; }

void RequestHeadAssembler::feed(const FlowKey& key, const TcpSegment& seg, uint64_t ts_ns, HeadSink& sink,
                                AnomalyCounters& an) {
  impl_->sink = &sink;
  impl_->an = &an;
  impl_->feed(key, seg, ts_ns);
  impl_->sink = nullptr;
}

void RequestHeadAssembler::prefetch(const FlowKey& key) const {
  // both lines a lookup starts with, without waiting for either: reading the
  // bit here to skip the index line would stall on it
  size_t i = size_t(impl_->hash_key(key)) & impl_->mask;
  prefetch_line(&impl_->occupied[i >> 6]);
  prefetch_line(&impl_->index[i]);
}

void RequestHeadAssembler::expire(uint64_t now_ns, AnomalyCounters& an) {
  impl_->an = &an;
  impl_->expire(now_ns);
}

size_t RequestHeadAssembler::flows() const { return impl_->n_flows; }
size_t RequestHeadAssembler::orphans() const { return impl_->ring_used; }
uint64_t RequestHeadAssembler::evicted() const { return impl_->n_evicted; }
size_t RequestHeadAssembler::memory_bytes() const { return impl_->memory(); }
void RequestHeadAssembler::clear() { impl_->clear(); }

}  // namespace gnpay
