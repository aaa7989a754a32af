#include "fuzz_entry.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dns_query.h"
#include "engine.h"
#include "event_json.h"
#include "hpack.h"
#include "http_request.h"
#include "tls_client_hello.h"

namespace gnpay {
namespace {

EngineOptions make_small_options() {
  EngineOptions o;
  o.limits.max_sessions = 64;
  o.limits.max_pending = 16;
  o.limits.pending_timeout_ns = 5ull * 1000000000ull;
  o.limits.outer_fragments.max_datagrams = 8;
  o.limits.outer_fragments.max_bytes = 64 * 1024;
  o.limits.inner_fragments.max_datagrams = 8;
  o.limits.inner_fragments.max_bytes = 64 * 1024;
  o.limits.heads.max_flows = 16;
  o.limits.heads.orphan_slots = 8;
  o.limits.heads.orphans_per_flow = 4;
  o.limits.heads.max_head_bytes = 4096;
  o.limits.heads.max_buffer_bytes = 64 * 1024;
  // Every input builds fresh engines (inputs stay independent), so their
  // preallocated tables are zero-filled per input: the default recent-head
  // table (8192 fingerprints, 64 KiB) and a 16 x 2 KiB orphan ring + replay
  // buffer cost ~60% of an execution under ASan. Small ones run the same code
  // (retransmission filter, orphan ring, gap-as-loss) and overflow sooner.
  o.limits.heads.recent_heads = 64;
  const char* specs[] = {"query:pay_token", "path:/pay/", "host:pay.example.net", "header:X-Pay-Token",
                         "cookie:pay_token"};
  for (const char* s : specs) o.carriers.add_spec(s, std::strlen(s));
  o.pay_hosts.add("pay.example.net", 15);
  o.emit_requests = true;
  return o;
}

// Built once (carrier specs parsed once); every engine copies it, so inputs stay independent.
const EngineOptions& small_options() {
  static const EngineOptions o = make_small_options();
  return o;
}

void check_events(const EventSink& sink) {
  // events must be well-formed: bounded counts, NUL-terminated texts
  for (const Event& e : sink.events) {
    if (e.n_tunnels > kMaxEventTunnels) __builtin_trap();
    if (e.match.len > kMaxTokenLen) __builtin_trap();
    if (std::memchr(e.target, 0, sizeof e.target) == nullptr) __builtin_trap();
    if (std::memchr(e.name, 0, sizeof e.name) == nullptr) __builtin_trap();
    if (std::memchr(e.host, 0, sizeof e.host) == nullptr) __builtin_trap();
    // and written as one JSON line: an object, no raw control character before its newline
    std::string json;
    EventJsonStyle style;
    style.hex_teids = (e.packet & 1) != 0;
    append_event_json(e, json, style);
    if (json.size() < 3 || json[0] != '{' || json[json.size() - 2] != '}' || json.back() != '\n') __builtin_trap();
    for (size_t i = 0; i + 1 < json.size(); i++)
      if (static_cast<unsigned char>(json[i]) < 0x20) __builtin_trap();
  }
}

// The reader thread's path (process_glanced() with each frame's glance) must
// give what process() gives: the same events, the same counts.
void check_same(const Engine& a, const EventSink& sa, const Engine& b, const EventSink& sb) {
  if (std::memcmp(&a.stats(), &b.stats(), sizeof(EngineStats)) != 0) __builtin_trap();
  if (sa.events.size() != sb.events.size()) __builtin_trap();
  std::string ja, jb;
  for (const Event& e : sa.events) append_event_json(e, ja);
  for (const Event& e : sb.events) append_event_json(e, jb);
  if (ja != jb) __builtin_trap();
}

void run_capture(Span file) {
  Engine eng(small_options()), glanced(small_options());
  CaptureFileParser parser;
  EventSink sink, glanced_sink;
  if (!parser.open(file)) return;
  CaptureFrame f;
  AnomalyCounters scratch, parse_anomalies;
  size_t n = 0;
  while (n++ < 10000 && parser.next(f, parse_anomalies) == ReadStatus::Frame) {
    Engine::prefetch_frame(f);
    const TunnelGlance g = glance_gpdu(f, scratch);  // its anomalies are not the engine's
    eng.prefetch_tunnel(g);
    eng.prefetch_plain_gpdu(f);
    eng.process(f, parser.packets(), 0, sink);
    glanced.process_glanced(f, g, parser.packets(), 0, glanced_sink);
  }
  check_events(sink);
  check_same(eng, sink, glanced, glanced_sink);
  std::vector<uint8_t> cp;
  eng.export_sessions(cp);
  Engine again(small_options());
  const char* err = nullptr;
  again.import_sessions(Span(cp.data(), cp.size()), 0, 0, &err);
  if (err) __builtin_trap();  // our own checkpoint must always read back
}

void run_frames(uint32_t linktype, Span rest) {
  Engine eng(small_options()), glanced(small_options());
  EventSink sink, glanced_sink;
  ByteReader r(rest);
  uint64_t ts = 1700000000ull * 1000000000ull;
  uint64_t packet = 0;
  AnomalyCounters scratch;
  while (!r.empty()) {
    uint16_t len = 0;
    Span frame;
    if (!r.be16(len)) break;
    if (!r.span(len, frame)) frame = r.rest(), r.skip(r.remaining());
    CaptureFrame f;
    f.data = frame;
    f.caplen = f.origlen = uint32_t(frame.size);
    f.linktype = linktype;
    f.ts_ns = ts;
    ts += (len & 0xFF) * 100000000ull;  // sometimes large steps: timeouts run
    Engine::prefetch_frame(f);
    const TunnelGlance g = glance_gpdu(f, scratch);  // its anomalies are not the engine's
    eng.prefetch_tunnel(g);
    eng.prefetch_plain_gpdu(f);
    eng.process(f, ++packet, 0, sink);
    glanced.process_glanced(f, g, packet, 0, glanced_sink);
  }
  check_events(sink);
  check_same(eng, sink, glanced, glanced_sink);
  // importing a damaged checkpoint must fail cleanly, never crash
  const char* err = nullptr;
  eng.import_sessions(rest, 0, 0, &err);
}

void run_app(Span rest) {
  AnomalyCounters an;
  const EngineOptions& o = small_options();
  HttpRequestHead head;
  size_t hl = http_head_length(rest);
  if (hl > 0 && parse_http_request_head(rest.prefix(hl), head, an) == Status::Ok) {
    TokenMatches m;
    match_http_request(o.carriers, head, m, an);
  }
  DnsQuery q;
  if (parse_dns_query(rest, q, an) == Status::Ok && !q.is_response) {
    TokenMatches m;
    match_hostname(o.carriers, Span(reinterpret_cast<const uint8_t*>(q.name), q.name_len), Via::Dns, m, an);
  }
  TlsClientHelloInfo tls;
  tls_client_hello_needed(rest);
  if (parse_tls_client_hello(rest, tls, an) == Status::Ok && tls.has_sni) {
    TokenMatches m;
    Span sni(reinterpret_cast<const uint8_t*>(tls.sni), tls.sni_len);
    match_hostname(o.carriers, sni, Via::TlsSni, m, an);
    o.pay_hosts.matches(sni);
  }
  o.pay_hosts.matches(rest.prefix(300));  // any bytes as a name
  // HPACK: the bytes as two header blocks of one connection (the second sees the first's table)
  static HpackTable table;
  static uint8_t arena[2048];
  table.reset();
  Http2RequestHead h2;
  decode_hpack_block(rest, table, arena, sizeof arena, h2, an);
  decode_hpack_block(rest.from(rest.size / 2), table, arena, sizeof arena, h2, an);
  uint8_t huff[64];
  hpack_huffman_decode(rest.prefix(32), huff, sizeof huff);
}

struct NullSink : HeadSink {
  void on_head(HeadKind kind, Span bytes) override {
    AnomalyCounters an;
    if (kind == HeadKind::Http) {
      HttpRequestHead h;
      parse_http_request_head(bytes, h, an);
    } else if (kind == HeadKind::DnsTcp) {
      DnsQuery q;
      parse_dns_query(bytes, q, an);
    } else {
      TlsClientHelloInfo t;
      parse_tls_client_hello(bytes, t, an);
    }
  }
  void on_http2_headers(Span block, HpackTable& table) override {
    AnomalyCounters an;
    Http2RequestHead h;
    uint8_t arena[1024];
    decode_hpack_block(block, table, arena, sizeof arena, h, an);
  }
};

void run_tcp(Span rest) {
  HeadLimits lim = small_options().limits.heads;
  RequestHeadAssembler a(lim);
  NullSink sink;
  AnomalyCounters an;
  ByteReader r(rest);
  uint32_t seq = 1000;
  uint64_t ts = 0;
  while (!r.empty()) {
    uint8_t flags = 0, delta = 0, len = 0, flow = 0;
    if (!r.u8(flags) || !r.u8(delta) || !r.u8(len) || !r.u8(flow)) break;
    Span payload;
    if (!r.span(len, payload)) payload = r.rest(), r.skip(r.remaining());
    FlowKey k;
    uint8_t a4[4] = {10, 0, 0, uint8_t(flow & 3)};
    uint8_t b4[4] = {192, 0, 2, 1};
    k.src = IpAddr::v4(a4);
    k.dst = IpAddr::v4(b4);
    k.sport = uint16_t(40000 + (flow >> 2));
    k.dport = (flow & 0x40) ? 53 : 80;  // DNS over TCP, or HTTP/1.x, TLS and HTTP/2
    TcpSegment s;
    s.flags = flags;
    s.seq = seq + uint32_t(int8_t(delta));
    s.payload = payload;
    ts += uint64_t(flow) * 1000000000ull;
    a.feed(k, s, ts, sink, an);
    seq = s.seq + uint32_t(payload.size);
  }
  if (a.flows() > lim.max_flows) __builtin_trap();
}

}  // namespace

int fuzz_one(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Span rest(data + 1, size - 1);
  static const uint32_t kLink[] = {1, 101, 113, 276, 0};
  uint8_t sel = data[0] % 8;
  switch (sel) {
    case 0:
      run_capture(rest);
      break;
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
      run_frames(kLink[sel - 1], rest);
      break;
    case 6:
      run_app(rest);
      break;
    case 7:
      run_tcp(rest);
      break;
  }
  return 0;
}

}  // namespace gnpay
