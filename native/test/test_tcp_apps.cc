// What the request-head assembler takes besides HTTP/1.x and TLS: DNS over
// TCP (RFC 7766) and HTTP/2 with prior knowledge (h2c, RFC 9113 s3.3), in
// segments of any size; and the engine examining both for tokens.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "bytes.h"
#include "engine.h"
#include "frames.h"
#include "hpack.h"
#include "request_heads.h"

using namespace gnpay;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr uint8_t ACK = tcpflag::kAck, PSH = tcpflag::kPsh, SYN = tcpflag::kSyn;

struct AppSink : HeadSink {
  std::vector<std::string> dns;
  std::vector<std::string> h2_paths, h2_authorities;
  size_t h2_bad = 0;
  Http2RequestHead head;
  uint8_t arena[8192];
  AnomalyCounters an;
  void on_head(HeadKind k, Span b) override {
    if (k == HeadKind::DnsTcp) dns.emplace_back(reinterpret_cast<const char*>(b.data), b.size);
  }
  void on_http2_headers(Span block, HpackTable& table) override {
    if (decode_hpack_block(block, table, arena, sizeof arena, head, an) != Status::Ok) {
      h2_bad++;
      return;
    }
    h2_paths.emplace_back(reinterpret_cast<const char*>(head.path.data), head.path.size);
    h2_authorities.emplace_back(reinterpret_cast<const char*>(head.authority.data), head.authority.size);
  }
};

FlowKey key(uint16_t dport) {
  FlowKey k;
  uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {192, 0, 2, 53};
  k.src = IpAddr::v4(src);
  k.dst = IpAddr::v4(dst);
  k.sport = 40000;
  k.dport = dport;
  k.tunnel = 1;
  return k;
}

// Feeds `stream` after a SYN in segments cut at `cuts`.
void feed(RequestHeadAssembler& a, AppSink& sink, const FlowKey& k, const Bytes& stream, std::vector<size_t> cuts,
          bool syn = true) {
  uint32_t isn = 1000;
  TcpSegment s;
  s.sport = k.sport;
  s.dport = k.dport;
  uint64_t ts = 1;
  if (syn) {
    s.seq = isn;
    s.flags = SYN;
    a.feed(k, s, ts++, sink, sink.an);
  }
  cuts.push_back(stream.size());
  size_t from = 0;
  for (size_t to : cuts) {
    Bytes part(stream.begin() + long(from), stream.begin() + long(to));
    s.seq = isn + 1 + uint32_t(from);
    s.flags = ACK | PSH;
    s.payload = Span(part.data(), part.size());
    a.feed(k, s, ts++, sink, sink.an);
    from = to;
  }
}

Bytes dns_query(const std::string& name) {
  Bytes q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(uint8_t(dot - start));
    q.insert(q.end(), name.begin() + long(start), name.begin() + long(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.insert(q.end(), {0, 1, 0, 1});
  return q;
}
Bytes with_length(const Bytes& m) {
  Bytes b = {uint8_t(m.size() >> 8), uint8_t(m.size())};
  b.insert(b.end(), m.begin(), m.end());
  return b;
}

// An HPACK literal with incremental indexing and a new name (no Huffman).
Bytes lit(const std::string& name, const std::string& value) {
  Bytes b = {0x40, uint8_t(name.size())};
  b.insert(b.end(), name.begin(), name.end());
  b.push_back(uint8_t(value.size()));
  b.insert(b.end(), value.begin(), value.end());
  return b;
}
Bytes frame(uint8_t type, uint8_t flags, uint32_t stream, const Bytes& payload) {
  Bytes f = {
      uint8_t(payload.size() >> 16), uint8_t(payload.size() >> 8), uint8_t(payload.size()), type,           flags,
      uint8_t(stream >> 24),         uint8_t(stream >> 16),        uint8_t(stream >> 8),    uint8_t(stream)};
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const std::string PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
Bytes preface() { return Bytes(PREFACE.begin(), PREFACE.end()); }

// Two requests on one connection: the second refers to the first's table
// entries (:authority at 62 after the first block, 63 after the second's path).
Bytes h2_connection(const std::string& token) {
  Bytes first = cat({{0x82, 0x86}, lit(":path", "/pay?pay_token=" + token), lit(":authority", "pay.example.net")});
  Bytes second = cat({{0x82, 0x86}, {0xbe}, lit(":path", "/pay/" + token)});  // 62: :authority
  // the first block split over HEADERS (padded, with priority) and a CONTINUATION
  Bytes h1 = cat({{3}, {0, 0, 0, 0, 16}, Bytes(first.begin(), first.begin() + 10), {0, 0, 0}});
  Bytes c1(first.begin() + 10, first.end());
  return cat({preface(), frame(4, 0, 0, {}), frame(1, 0x8 | 0x20, 1, h1), frame(9, 0x4, 1, c1),
              frame(0, 0x1, 1, Bytes(300, 'x')), frame(1, 0x4 | 0x1, 3, second)});
}

}  // namespace

TEST_CASE("tcp apps: DNS messages over TCP to port 53, whole, split and two in one segment") {
  RequestHeadAssembler a;
  AppSink sink;
  Bytes one = with_length(dns_query("tok0123456789abcdef.pay.example.net"));
  Bytes two = with_length(dns_query("second0123456789.pay.example.net"));
  feed(a, sink, key(53), cat({one, two}), {1, 7, one.size() + 3});
  REQUIRE(sink.dns.size() == 2);
  CHECK(sink.dns[0].size() == one.size() - 2);
  CHECK(sink.dns[1].find("second0123456789") != std::string::npos);
  // a message shorter than a DNS header
  AppSink bad;
  RequestHeadAssembler b;
  feed(b, bad, key(53), {0, 3, 1, 2, 3}, {});
  CHECK(bad.dns.empty());
  CHECK(bad.an.get(Anomaly::DnsTcpBadLength) == 1);
  // the same bytes to another port are not DNS
  AppSink other;
  RequestHeadAssembler c;
  feed(c, other, key(8053), one, {});
  CHECK(other.dns.empty());
}

TEST_CASE("tcp apps: HTTP/2 with prior knowledge: header blocks across frames, segments and the HPACK table") {
  const std::string token = "h2tok0123456789abcdef";
  Bytes conn = h2_connection(token);
  for (std::vector<size_t> cuts : {std::vector<size_t>{}, std::vector<size_t>{1, 3, 24, 30, 40, 41, 100},
                                   std::vector<size_t>{3, 24, 30, 40, 41, 100}, std::vector<size_t>{20, 33}}) {
    RequestHeadAssembler a;
    AppSink sink;
    feed(a, sink, key(80), conn, cuts);
    INFO("bad blocks " << sink.h2_bad << " anomalies " << sink.an.total() << " flows " << a.flows());
    for (size_t i = 0; i < kAnomalyCount; i++)
      if (sink.an.n[i]) INFO(anomaly_name(Anomaly(i)));
    REQUIRE(sink.h2_paths.size() == 2);
    CHECK(sink.h2_paths[0] == "/pay?pay_token=" + token);
    CHECK(sink.h2_authorities[0] == "pay.example.net");
    CHECK(sink.h2_paths[1] == "/pay/" + token);
    CHECK(sink.h2_authorities[1] == "pay.example.net");  // from the dynamic table
    CHECK(sink.an.total() == 0);
  }
  // without the SYN: the preface starts the flow
  RequestHeadAssembler a;
  AppSink sink;
  feed(a, sink, key(80), conn, {50}, false);
  CHECK(sink.h2_paths.size() == 2);
}

TEST_CASE("tcp apps: HTTP/2 framing that lies drops the flow, counted") {
  Bytes block = cat({{0x82, 0x86}, lit(":path", "/x")});
  // a CONTINUATION without HEADERS
  RequestHeadAssembler a;
  AppSink sink;
  feed(a, sink, key(80), cat({preface(), frame(9, 0x4, 1, block)}), {});
  CHECK(sink.h2_paths.empty());
  CHECK(sink.an.get(Anomaly::Http2BadFrame) == 1);
  CHECK(a.flows() == 0);
  // padding longer than the frame
  RequestHeadAssembler b;
  AppSink s2;
  feed(b, s2, key(80), cat({preface(), frame(1, 0x8 | 0x4, 1, {200, 1, 2})}), {});
  CHECK(s2.an.get(Anomaly::Http2BadFrame) == 1);
  // a header block larger than max_head_bytes
  HeadLimits lim;
  lim.max_head_bytes = 64;
  RequestHeadAssembler c(lim);
  AppSink s3;
  feed(c, s3, key(80), cat({preface(), frame(1, 0x4, 1, Bytes(100, 0x82))}), {});
  CHECK(s3.an.get(Anomaly::TcpHeadTooLarge) == 1);
  // a preface that goes wrong in its second segment
  RequestHeadAssembler d;
  AppSink s4;
  std::string bad = "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n";
  feed(d, s4, key(80), Bytes(bad.begin(), bad.end()), {16});
  CHECK(s4.an.get(Anomaly::Http2BadFrame) == 1);
  // wrong from the start: not a preface, not a request; nothing counted
  RequestHeadAssembler e;
  AppSink s5;
  feed(e, s5, key(80), Bytes(bad.begin(), bad.end()), {});
  CHECK(s5.an.total() == 0);
  CHECK(e.flows() == 0);
}

TEST_CASE("tcp apps: the engine finds tokens in DNS over TCP and in HTTP/2 requests") {
  EngineOptions opt;
  opt.carriers.add_spec("query:pay_token", 15);
  opt.carriers.add_spec("host:pay.example.net", 20);
  opt.carriers.add_spec("path:/pay/", 10);
  Engine eng(opt);
  EventSink sink;
  uint64_t n = 0;
  const uint8_t SGSN[4] = {192, 0, 2, 1}, GGSN[4] = {192, 0, 2, 2}, UE[4] = {10, 0, 0, 1}, SRV[4] = {203, 0, 113, 9};
  auto send = [&](uint16_t dport, uint32_t seq, uint8_t flags, const Bytes& payload) {
    std::string p(payload.begin(), payload.end());
    gnpay_test::Bytes inner = gnpay_test::ipv4_tcp(UE, SRV, 41000, dport, seq, flags, p);
    gnpay_test::Bytes ip = gnpay_test::ipv4_udp(SGSN, GGSN, 2152, 2152, gnpay_test::gtpu(0x77, inner));
    CaptureFrame f;
    f.data = Span(ip.data(), ip.size());
    f.caplen = f.origlen = uint32_t(ip.size());
    f.linktype = 101;
    f.ts_ns = 1000000000ull * (1700000000 + n);
    eng.process(f, ++n, 0, sink);
  };
  Bytes dns = with_length(dns_query("dnstcptoken0123456.pay.example.net"));
  send(53, 1, ACK | PSH, dns);
  const std::string token = "h2tok0123456789abcdef";
  send(80, 1, ACK | PSH, h2_connection(token));
  std::vector<std::string> seen;
  for (const Event& e : sink.events)
    if (e.type == EventType::Sighting)
      seen.emplace_back(std::string(e.match.token, e.match.len) + "/" + via_name(e.via));
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == "dnstcptoken0123456/dns");
  CHECK(seen[1] == token + "/http");  // the query of the first request
  CHECK(seen[2] == token + "/http");  // the path of the second
  CHECK(eng.stats().requests == 3);
}
