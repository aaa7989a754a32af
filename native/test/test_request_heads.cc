// Request-head reassembly over uplink TCP segments (native/engine/request_heads.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "bytes.h"
#include "http_request.h"
#include "request_heads.h"
#include "tls_client_hello.h"
#include "token_carriers.h"

using namespace gnpay;
using Bytes = std::vector<uint8_t>;

namespace apptest {  // defined in test_http.cc
std::string public_fixture(const std::string& rel);
bool have_tshark();
std::vector<std::vector<std::string>> tshark_fields(const std::string& file, const std::string& filter,
                                                    const std::vector<std::string>& fields);
}  // namespace apptest

namespace tlstest {  // defined in test_tls.cc
Bytes ext(uint16_t type, const Bytes& body);
Bytes sni_ext(const std::string& host);
Bytes pq_key_share();
struct Hello {
  uint16_t legacy = 0x0303;
  size_t sid = 32;
  size_t suites_bytes = 32;
  size_t comp = 1;
  bool with_ext = true;
  std::vector<Bytes> exts;
};
Bytes hello_msg(const Hello& h);
Bytes records(const Bytes& msg, std::vector<size_t> sizes, uint16_t ver);
}  // namespace tlstest

namespace {

constexpr uint8_t ACK = tcpflag::kAck, PSH = tcpflag::kPsh, SYN = tcpflag::kSyn, FIN = tcpflag::kFin,
                  RST = tcpflag::kRst;
constexpr uint64_t SEC = 1000000000ull;

struct Sink : HeadSink {
  std::vector<std::pair<HeadKind, std::string>> heads;
  void on_head(HeadKind k, Span b) override {
    heads.emplace_back(k, std::string(reinterpret_cast<const char*>(b.data), b.size));
  }
  size_t http() const {
    size_t n = 0;
    for (auto& h : heads) n += h.first == HeadKind::Http;
    return n;
  }
};

FlowKey key(uint32_t n, uint64_t tunnel = 7) {
  FlowKey k;
  uint8_t src[4] = {10, uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  uint8_t dst[4] = {192, 0, 2, 80};
  k.src = IpAddr::v4(src);
  k.dst = IpAddr::v4(dst);
  k.sport = uint16_t(40000 + (n & 0x3ff));
  k.dport = 80;
  k.tunnel = tunnel;
  return k;
}

// Feeds one segment; the payload lives only during the call (as in the engine).
struct Feeder {
  RequestHeadAssembler& a;
  Sink& sink;
  AnomalyCounters& an;
  uint64_t ts = 1000 * SEC;
  void operator()(const FlowKey& k, uint32_t seq, const std::string& data, uint8_t flags = ACK | PSH) {
    std::vector<uint8_t> copy(data.begin(), data.end());
    TcpSegment s;
    s.sport = k.sport;
    s.dport = k.dport;
    s.seq = seq;
    s.flags = flags;
    s.payload = Span(copy.data(), copy.size());
    a.feed(k, s, ts, sink, an);
    std::fill(copy.begin(), copy.end(), 0xee);  // the assembler must have copied what it keeps
    ts += 1000;
  }
};

const std::string TOK = "k3jF9_a-Zq81LmN0pQr2";
std::string get_head(const std::string& path = "/pay?gnpay_token=" + TOK, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: test/1.0\r\n" + extra + "\r\n";
}

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

Bytes pq_hello_records(const std::vector<size_t>& record_sizes) {
  tlstest::Hello h;
  h.exts = {tlstest::ext(43, {4, 3, 4, 3, 3}),
            tlstest::ext(0xfe0d, Bytes(250, 0x5a)),
            tlstest::pq_key_share(),
            tlstest::ext(21, Bytes(150, 0)),
            tlstest::ext(16, gnpay_test::hex("000c02683208687474702f312e31")),
            tlstest::sni_ext("tok0123456789abcdef.pay.example.net")};
  return tlstest::records(tlstest::hello_msg(h), record_sizes, 0x0301);
}

std::string sni_of(const std::string& head) {
  TlsClientHelloInfo info;
  AnomalyCounters an;
  Span s(reinterpret_cast<const uint8_t*>(head.data()), head.size());
  if (parse_tls_client_hello(s, info, an) != Status::Ok || !info.has_sni) return "";
  return info.sni;
}

}  // namespace

TEST_CASE("heads: a whole head in one segment is parsed in place, no state") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head();
  feed(key(1), 5000, h);
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].first == HeadKind::Http);
  CHECK(sink.heads[0].second == h);
  CHECK(a.flows() == 0);
  // Two pipelined heads in one segment, then a third in the next: all of them.
  feed(key(2), 100, h + get_head("/b"));
  feed(key(2), uint32_t(100 + 2 * h.size()), get_head("/c"));
  REQUIRE(sink.heads.size() == 4);
  CHECK(sink.heads[2].second == get_head("/b"));
  CHECK(sink.heads[3].second == get_head("/c"));
  CHECK(a.flows() == 0);
  // A GET with a small body wholly in the segment: the head only, still no state.
  std::string post = "POST /u HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  feed(key(3), 1, post + "hello" + get_head("/after"));
  REQUIRE(sink.heads.size() == 6);
  CHECK(sink.heads[4].second == post);
  CHECK(sink.heads[5].second == get_head("/after"));
  CHECK(a.flows() == 0);
  CHECK(an.total() == 0);
  // A SYN makes a light flow (no buffer); it stays idle between requests and
  // goes with the FIN.
  size_t mem = a.memory_bytes();
  feed(key(4), 999, "", SYN);
  CHECK(a.flows() == 1);
  feed(key(4), 1000, h);
  CHECK(a.flows() == 1);
  CHECK(sink.heads.size() == 7);
  CHECK(a.memory_bytes() == mem);
  feed(key(4), uint32_t(1000 + h.size()), "", FIN | ACK);
  CHECK(a.flows() == 0);
  CHECK(a.memory_bytes() > 0);
}

TEST_CASE("heads: keep-alive, every request of the connection") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  uint32_t seq = 77;
  feed(k, seq++, "", SYN);
  for (int i = 0; i < 5; i++) {
    std::string h = get_head("/r" + std::to_string(i));
    feed(k, seq, h);
    seq += uint32_t(h.size());
  }
  CHECK(sink.http() == 5);
  CHECK(sink.heads[4].second == get_head("/r4"));
  CHECK(a.flows() == 1);  // idle between requests
  // The next request's segments reversed, and a retransmission of an old one.
  std::string big = get_head("/r5", "X-Pad: " + std::string(1200, 'p') + "\r\n");
  feed(k, seq + 600, big.substr(600));
  feed(k, seq - 50, get_head("/r4").substr(get_head("/r4").size() - 50));
  feed(k, seq, big.substr(0, 600));
  REQUIRE(sink.http() == 6);
  CHECK(sink.heads[5].second == big);
  seq += uint32_t(big.size());
  feed(k, seq, "", FIN | ACK);
  CHECK(a.flows() == 0);
  CHECK(an.total() == 0);
}

TEST_CASE("heads: a head split over segments, in order") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head("/pay?gnpay_token=" + TOK, "Cookie: " + std::string(3000, 'c') + "\r\n");
  FlowKey k = key(9);
  for (size_t off = 0; off < h.size(); off += 1000) {
    CHECK(sink.heads.empty());
    feed(k, uint32_t(10 + off), h.substr(off, 1000));
  }
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].second == h);
  CHECK(a.flows() == 1);  // created for the split head, idle now
  // Split right before the final CRLF, and byte by byte.
  feed(key(11), 20000, h.substr(0, h.size() - 2));
  CHECK(sink.heads.size() == 1);
  feed(key(11), uint32_t(20000 + h.size() - 2), "\r\n");
  CHECK(sink.heads.size() == 2);
  std::string small = get_head("/x");
  for (size_t i = 0; i < small.size(); i++) feed(key(12), uint32_t(90000 + i), small.substr(i, 1));
  REQUIRE(sink.heads.size() == 3);
  CHECK(sink.heads[2].second == small);
  CHECK(a.flows() == 3);
  // A first segment of one byte that does not go on like a method.
  feed(key(10), 5, "G");
  CHECK(a.flows() == 4);
  feed(key(10), 6, "ARBAGE / HTTP/1.1\r\n\r\n");
  CHECK(sink.heads.size() == 3);
  CHECK(a.flows() == 3);
  // An idle flow that gets something else than a request is dropped.
  feed(key(12), uint32_t(90000 + small.size()), "\x17\x03\x03 not http");
  CHECK(a.flows() == 2);
  CHECK(an.total() == 0);
}

TEST_CASE("heads: a head split over segments, out of order") {
  std::string h = get_head("/pay?gnpay_token=" + TOK, "X-Pad: " + std::string(1500, 'p') + "\r\n");
  std::string p1 = h.substr(0, 700), p2 = h.substr(700, 700), p3 = h.substr(1400);
  SUBCASE("reversed after a SYN, three parts") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    FlowKey k = key(1);
    feed(k, 999, "", SYN);
    feed(k, 1000 + 1400, p3);
    feed(k, 1000 + 700, p2);
    CHECK(a.orphans() == 2);
    CHECK(sink.heads.empty());
    feed(k, 1000, p1);
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].second == h);
    CHECK(a.orphans() == 0);
    CHECK(a.flows() == 1);  // idle
    CHECK(an.total() == 0);
  }
  SUBCASE("reversed, two parts, flow seen mid-stream (no SYN)") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    FlowKey k = key(2);
    feed(k, 5000 + 1400, p3);  // ends with the blank line: held
    CHECK(a.orphans() == 1);
    CHECK(a.flows() == 0);
    feed(k, 5000, p1 + p2);
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].second == h);
    CHECK(a.orphans() == 0);
    CHECK(a.flows() == 1);
  }
  SUBCASE("the second request of a keep-alive connection, reversed") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    FlowKey k = key(3);
    std::string first = get_head("/first");
    feed(k, 1, "", SYN);
    feed(k, 2, first);
    CHECK(a.flows() == 1);
    uint32_t s2 = uint32_t(2 + first.size());
    feed(k, s2 + 700, p2 + p3);
    feed(k, s2, p1);
    REQUIRE(sink.heads.size() == 2);
    CHECK(sink.heads[1].second == h);
  }
  SUBCASE("sequence numbers wrap around 2^32") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    FlowKey k = key(4);
    uint32_t isn = 0xffffff00u;
    feed(k, isn, "", SYN);
    feed(k, isn + 1 + 1400, p3);
    feed(k, isn + 1, p1);
    feed(k, isn + 1 + 700, p2);
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].second == h);
  }
}

TEST_CASE("heads: retransmitted and overlapping segments are trimmed") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head("/pay?gnpay_token=" + TOK, "X-Pad: " + std::string(200, 'p') + "\r\n");
  FlowKey k = key(1);
  feed(k, 100, h.substr(0, 50));
  feed(k, 100, h.substr(0, 50));         // exact retransmission
  feed(k, 100, h.substr(0, 120));        // retransmission with more data
  feed(k, 100 + 30, h.substr(30, 60));   // old bytes only
  feed(k, 100 + 90, h.substr(90, 100));  // overlaps the end of what we have
  CHECK(sink.heads.empty());
  feed(k, 100 + 150, h.substr(150));  // overlaps and completes
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].second == h);
  // An out-of-order segment that overlaps what comes before it.
  feed(k, 5000, "", SYN);
  feed(k, 5001 + 80, h.substr(80));
  feed(k, 5001 + 60, h.substr(60, 40));  // orphan overlapping the first one
  feed(k, 5001, h.substr(0, 70));
  REQUIRE(sink.heads.size() == 2);
  CHECK(sink.heads[1].second == h);
  CHECK(an.total() == 0);
  CHECK(a.flows() == 1);
}

// tshark (the oracle) does not dissect a retransmitted request: neither do we,
// even once the flow's state is gone.
TEST_CASE("heads: a retransmitted head is handed over once") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head();
  feed(key(1), 100, h);
  feed(key(1), 100, h);  // mid-stream flow, no state at all
  CHECK(sink.heads.size() == 1);
  feed(key(2), 99, "", SYN);
  feed(key(2), 100, h + get_head("/2"));
  feed(key(2), 100, h + get_head("/2"));  // both pipelined heads again
  CHECK(sink.heads.size() == 3);
  feed(key(2), uint32_t(100 + h.size()), get_head("/2"));  // the second one alone
  CHECK(sink.heads.size() == 3);
  feed(key(3), 10, h.substr(0, 40));
  feed(key(3), 50, h.substr(40));
  feed(key(3), 10, h.substr(0, 40));  // a split head retransmitted after it was through
  feed(key(3), 50, h.substr(40));
  CHECK(sink.heads.size() == 4);
  std::string ch = as_string(pq_hello_records({16384}));
  feed(key(4), 7, "", SYN);
  feed(key(4), 8, ch.substr(0, 1000));
  feed(key(4), 1008, ch.substr(1000));
  feed(key(4), 8, ch.substr(0, 1000));  // the ClientHello retransmitted
  feed(key(4), 1008, ch.substr(1000));
  CHECK(sink.heads.size() == 5);
  // The same bytes at another sequence number are another request.
  feed(key(1), uint32_t(100 + h.size()), h);
  CHECK(sink.heads.size() == 6);
  HeadLimits off;
  off.recent_heads = 0;
  RequestHeadAssembler b(off);
  Feeder feed_b{b, sink, an};
  feed_b(key(1), 100, h);
  feed_b(key(1), 100, h);
  CHECK(sink.heads.size() == 8);
}

namespace {

// Heads handed over (one per flow, each at sequence number 100) for `rounds`
// passes over the same n flows, as when one engine replays a capture twice.
size_t heads_over_passes(uint64_t seed, size_t recent, size_t n, int rounds) {
  HeadLimits lim;
  lim.hash_seed = seed;
  lim.recent_heads = recent;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  for (int r = 0; r < rounds; r++)
    for (size_t i = 0; i < n; i++) feed(key(uint32_t(i)), 100, get_head("/r" + std::to_string(i)));
  return sink.heads.size();
}

}  // namespace

TEST_CASE("heads: which repeated heads are recognised does not depend on the hash seed") {
  const uint64_t seeds[] = {1, 2, 3, 0x9e3779b97f4a7c15ULL, 0xdeadbeefULL, 12345678901ULL, ~0ULL, 42};
  for (uint64_t seed : seeds) {
    CAPTURE(seed);
    // Within the window (the last recent_heads heads), every repeat is recognised.
    CHECK(heads_over_passes(seed, 8192, 3000, 2) == 3000);
    CHECK(heads_over_passes(seed, 8192, 8192, 3) == 8192);
    CHECK(heads_over_passes(seed, 16, 16, 4) == 16);
    // One more than the window: each head was forgotten by the time it comes again.
    CHECK(heads_over_passes(seed, 16, 17, 2) == 34);
    CHECK(heads_over_passes(seed, 1, 1, 3) == 1);
    CHECK(heads_over_passes(seed, 1, 2, 2) == 4);
  }
}

TEST_CASE("heads: the recent-heads window forgets the oldest head first") {
  for (uint64_t seed : {uint64_t(5), uint64_t(77), uint64_t(0xabcdef)}) {
    CAPTURE(seed);
    HeadLimits lim;
    lim.hash_seed = seed;
    lim.recent_heads = 4;
    RequestHeadAssembler a(lim);
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    std::string h = get_head();
    for (uint32_t i = 1; i <= 4; i++) feed(key(i), 100, h);  // window: 1 2 3 4
    CHECK(sink.heads.size() == 4);
    feed(key(1), 100, h);  // recognised; a repeat does not move in the window
    CHECK(sink.heads.size() == 4);
    feed(key(5), 100, h);  // window: 2 3 4 5
    CHECK(sink.heads.size() == 5);
    feed(key(1), 100, h);  // forgotten: handed over again (window: 3 4 5 1)
    CHECK(sink.heads.size() == 6);
    feed(key(2), 100, h);  // forgotten too (window: 4 5 1 2)
    CHECK(sink.heads.size() == 7);
    for (uint32_t i : {4u, 5u, 1u, 2u}) feed(key(i), 100, h);
    CHECK(sink.heads.size() == 7);
    a.clear();  // clear forgets every head
    feed(key(4), 100, h);
    CHECK(sink.heads.size() == 8);
    // The same flow and sequence number as another kind of head is another head.
    std::string ch = as_string(pq_hello_records({16384}));
    feed(key(4), 100, ch);
    CHECK(sink.heads.size() == 9);
  }
}

TEST_CASE("heads: a flow first seen mid-stream starts at a segment that starts a head") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  feed(k, 1000, "tail of some body GET /pay?gnpay_token=" + TOK + " HTTP/1.1\r\n");
  CHECK(a.orphans() == 0);
  feed(k, 2000, "HTTP/1.1 200 OK\r\n\r\n");  // not a request: no head (it ends like one, so it is held a while)
  CHECK(sink.heads.empty());
  CHECK(a.flows() == 0);
  CHECK(a.orphans() == 1);
  feed(k, 3000, get_head());
  CHECK(sink.heads.size() == 1);
  // A head whose start we never see: its tail is held, then expires, nothing is made of it.
  feed(key(2), 50, "x: y\r\n\r\n");
  CHECK(a.orphans() == 2);
  a.expire(feed.ts + 200 * SEC, an);
  CHECK(a.orphans() == 0);
  CHECK(an.get(Anomaly::TcpOooDropped) == 2);
  CHECK(sink.heads.size() == 1);
}

TEST_CASE("heads: a Content-Length body is skipped, even when it holds request text") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  std::string fake = "GET /pay?gnpay_token=" + TOK + " HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string body = fake + std::string(1000, 'b') + fake + fake;
  std::string post =
      "POST /upload HTTP/1.1\r\nHost: shop.example.com\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  std::string after = get_head("/after");
  std::string stream = post + body + after;
  // The body's segments each start with request text.
  uint32_t seq = 500;
  feed(k, seq, post + body.substr(0, 10));
  CHECK(a.flows() == 1);  // the body goes on
  size_t off = post.size() + 10;
  size_t cut2 = post.size() + fake.size() + 1000;  // a segment that starts with "GET /pay?..."
  feed(k, uint32_t(seq + off), stream.substr(off, cut2 - off));
  feed(k, uint32_t(seq + cut2), stream.substr(cut2, fake.size()));
  feed(k, uint32_t(seq + cut2 + fake.size()), stream.substr(cut2 + fake.size()));
  REQUIRE(sink.heads.size() == 2);
  CHECK(sink.heads[0].second == post);
  CHECK(sink.heads[1].second == after);
  CHECK(a.flows() == 1);
  CHECK(an.total() == 0);
  // The whole exchange retransmitted: nothing new.
  size_t half = stream.size() / 2;
  feed(k, seq, stream.substr(0, half));
  feed(k, uint32_t(seq + half), stream.substr(half));
  CHECK(sink.heads.size() == 2);
}

TEST_CASE("heads: a gap inside a Content-Length body is skipped") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  std::string post = "POST /u HTTP/1.1\r\nContent-Length: 3000\r\n\r\n";
  feed(k, 0, post + std::string(100, 'a'));
  // Bytes 100..1999 of the body were lost in the capture; later body bytes come.
  feed(k, uint32_t(post.size() + 2000), std::string(1000, 'z'));
  feed(k, uint32_t(post.size() + 3000), get_head("/next"));
  REQUIRE(sink.heads.size() == 2);
  CHECK(sink.heads[1].second == get_head("/next"));
  // The lost body bytes, retransmitted late: old for the idle flow, ignored.
  feed(k, uint32_t(post.size() + 100), "GET /late HTTP/1.1\r\n\r\n");
  CHECK(sink.heads.size() == 2);
  // Without flow state (another probe start) such a segment would count: the
  // mid-stream rule. A segment far from the flow's position starts over too.
  feed(k, uint32_t(post.size() + 3000 + (4u << 20)), get_head("/far"));
  CHECK(sink.heads.size() == 3);
}

TEST_CASE("heads: a chunked body is skipped by its framing") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  std::string fake = "GET /pay?gnpay_token=" + TOK + " HTTP/1.1\r\n\r\n";
  std::string post = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  char sz[16];
  snprintf(sz, sizeof sz, "%zx", fake.size());
  std::string body = std::string(sz) + ";ext=1\r\n" + fake + "\r\n" + "A\r\n0123456789\r\n" + std::string(sz) + "\n" +
                     fake + "\n" + "0\r\nTrailer: " + fake.substr(0, 20) + "\r\n\r\n";
  std::string stream = post + body + get_head("/after");
  // Every split point: whatever the segmentation, the same two heads come out.
  for (size_t cut : {size_t(10), post.size(), post.size() + 3, post.size() + 12, post.size() + 30,
                     post.size() + body.size() - 3, post.size() + body.size()}) {
    sink.heads.clear();
    FlowKey kk = key(uint32_t(100 + cut));
    feed(kk, 1, stream.substr(0, cut));
    size_t mid = cut + (stream.size() - cut) / 2;
    feed(kk, uint32_t(1 + cut), stream.substr(cut, mid - cut));
    feed(kk, uint32_t(1 + mid), stream.substr(mid));
    REQUIRE_MESSAGE(sink.heads.size() == 2, cut);
    CHECK(sink.heads[0].second == post);
    CHECK(sink.heads[1].second == get_head("/after"));
  }
  CHECK(an.total() == 0);
  // Bad chunk framing: counted, and the flow resyncs on a segment that starts a request.
  sink.heads.clear();
  size_t flows_before = a.flows();
  feed(k, 1, post + "zz\r\n" + fake);
  CHECK(an.get(Anomaly::HttpBadChunk) == 1);
  CHECK(sink.heads.size() == 1);
  CHECK(a.flows() == flows_before);
  feed(k, uint32_t(1 + post.size() + 4 + fake.size()), get_head("/resync"));
  CHECK(sink.heads.size() == 2);
  // Chunk data not followed by CRLF, and an over-long chunk size.
  feed(key(2), 1, post + "3\r\nabcX\r\n");
  feed(key(3), 1, post + "11111111111111111\r\n");
  CHECK(an.get(Anomaly::HttpBadChunk) == 3);
}

TEST_CASE("heads: bad Content-Length: the head comes out, the rest resyncs") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  std::string bad = "POST /x HTTP/1.1\r\nContent-Length: 12a\r\n\r\n";
  std::string fake = "GET /pay?gnpay_token=" + TOK + " HTTP/1.1\r\n\r\n";
  feed(k, 1, bad + fake);
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].second == bad);
  CHECK(a.flows() == 0);
  std::string conflict = "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 500\r\n\r\n";
  feed(k, 1000, conflict + fake);
  CHECK(sink.heads.size() == 2);
  feed(k, uint32_t(1000 + conflict.size() + fake.size()), get_head());
  CHECK(sink.heads.size() == 3);
}

TEST_CASE("heads: TLS ClientHello over several segments and records") {
  SUBCASE("one record, three segments, in order") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    Bytes ch = pq_hello_records({16384});
    REQUIRE(ch.size() > 1800);
    std::string s = as_string(ch);
    FlowKey k = key(1);
    feed(k, 41, "", SYN);
    feed(k, 42, s.substr(0, 700));
    feed(k, 742, s.substr(700, 700));
    CHECK(sink.heads.empty());
    CHECK(a.flows() == 1);
    feed(k, 1442,
         s.substr(1400) + std::string("\x14\x03\x03\x00\x01\x01", 6));  // + ChangeCipherSpec in the same segment
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].first == HeadKind::TlsClientHello);
    CHECK(sink.heads[0].second == s);
    CHECK(sni_of(sink.heads[0].second) == "tok0123456789abcdef.pay.example.net");
    CHECK(a.flows() == 0);
    feed(k, uint32_t(1442 + s.size() - 1400 + 6),
         std::string("\x17\x03\x03\x00\x05hello", 10));  // application data: nothing
    CHECK(sink.heads.size() == 1);
    CHECK(an.total() == 0);
  }
  SUBCASE("two records, three segments, reversed") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    Bytes ch = pq_hello_records({1000});
    std::string s = as_string(ch);
    FlowKey k = key(2);
    feed(k, 0xfffffff0u, "", SYN);
    uint32_t b = 0xfffffff1u;
    feed(k, b + 1300, s.substr(1300));
    feed(k, b + 600, s.substr(600, 700));
    feed(k, b, s.substr(0, 600));
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].second == s);
    CHECK(sni_of(sink.heads[0].second) == "tok0123456789abcdef.pay.example.net");
  }
  SUBCASE("a mid-stream ClientHello split, first part first") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    std::string s = as_string(pq_hello_records({16384}));
    FlowKey k = key(3);
    feed(k, 10, s.substr(0, 4));  // shorter than a record header + handshake header
    feed(k, 14, s.substr(4, 1400));
    feed(k, 1414, s.substr(1404));
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].second == s);
  }
  SUBCASE("what starts like a ClientHello and is not one") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    std::string s = as_string(pq_hello_records({1000}));
    std::string broken = s;
    broken[1005] = 23;  // the second record is application data
    feed(key(4), 1, broken.substr(0, 1200));
    CHECK(an.get(Anomaly::TlsBadClientHello) == 1);
    CHECK(a.flows() == 0);
    feed(key(5), 1, s.substr(0, 3));
    feed(key(5), 4, std::string("\x00\x05\x02\x00\x00\x00", 6));  // a ServerHello type
    CHECK(an.get(Anomaly::TlsBadClientHello) == 2);
    CHECK(sink.heads.empty());
    CHECK(a.flows() == 0);
  }
  SUBCASE("the rest of a ClientHello lost in the capture: what was seen is handed over") {
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    Feeder feed{a, sink, an};
    tlstest::Hello h;
    h.exts = {tlstest::sni_ext("tok0123456789abcdef.pay.example.net"), tlstest::pq_key_share()};
    std::string s = as_string(tlstest::records(tlstest::hello_msg(h), {16384}, 0x0301));
    FlowKey k = key(6);
    feed(k, 1, "", SYN);
    feed(k, 2, s.substr(0, 1000));
    // Bytes 1000.. never captured; the client's next flight comes after the ClientHello.
    feed(k, uint32_t(2 + s.size()), std::string("\x14\x03\x03\x00\x01\x01", 6));
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].second == s.substr(0, 1000));
    TlsClientHelloInfo info;
    AnomalyCounters an2;
    Span sp(reinterpret_cast<const uint8_t*>(sink.heads[0].second.data()), 1000);
    REQUIRE(parse_tls_client_hello(sp, info, an2) == Status::Ok);
    CHECK(info.truncated);
    CHECK(std::string(info.sni) == "tok0123456789abcdef.pay.example.net");
    CHECK(a.flows() == 0);
  }
}

TEST_CASE("heads: FIN and RST drop the flow") {
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head();
  feed(key(1), 1, h.substr(0, 20));
  CHECK(a.flows() == 1);
  feed(key(1), 21, "", RST | ACK);
  CHECK(a.flows() == 0);
  feed(key(1), 21, h.substr(20));
  CHECK(sink.heads.empty());
  feed(key(2), 1, h.substr(0, 20));
  feed(key(2), 21, h.substr(20), FIN | ACK | PSH);  // the last bytes ride on the FIN
  CHECK(sink.heads.size() == 1);
  CHECK(a.flows() == 0);
  feed(key(3), 1, h.substr(0, 20));
  feed(key(3), 21, "", FIN | ACK);
  CHECK(a.flows() == 0);
  // SYN-ACK is the server's side: ignored. A SYN with data (TCP Fast Open) is parsed.
  feed(key(4), 1, "", SYN | ACK);
  CHECK(a.flows() == 0);
  feed(key(5), 100, h, SYN);
  CHECK(sink.heads.size() == 2);
  CHECK(a.flows() == 1);
  feed(key(5), uint32_t(101 + h.size()), "", FIN | ACK);
  CHECK(a.flows() == 0);
}

TEST_CASE("heads: max_head_bytes, then resync") {
  HeadLimits lim;
  lim.max_head_bytes = 1024;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  std::string big = "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n";
  feed(k, 1, big.substr(0, 600));
  feed(k, 601, big.substr(600, 600));
  CHECK(an.get(Anomaly::TcpHeadTooLarge) == 1);
  CHECK(a.flows() == 0);
  feed(k, 1201, big.substr(1200));  // the rest of the huge head is not a head start
  CHECK(sink.heads.empty());
  feed(k, uint32_t(1 + big.size()), get_head());
  CHECK(sink.heads.size() == 1);
  // In one segment too; exactly max_head_bytes is still fine.
  feed(key(2), 1, big);
  CHECK(an.get(Anomaly::TcpHeadTooLarge) == 2);
  std::string exact = "GET /" + std::string(1024 - 18, 'e') + " HTTP/1.1\r\n\r\n";
  REQUIRE(exact.size() == 1024);
  feed(key(3), 1, exact);
  feed(key(4), 1, exact.substr(0, 1000));
  feed(key(4), 1001, exact.substr(1000));
  CHECK(sink.heads.size() == 3);
  // A ClientHello larger than max_head_bytes.
  std::string ch = as_string(pq_hello_records({16384}));
  size_t before = a.flows();
  feed(key(5), 1, ch.substr(0, 500));
  CHECK(an.get(Anomaly::TcpHeadTooLarge) == 3);
  CHECK(a.flows() == before);
}

TEST_CASE("heads: idle timeout on capture time") {
  HeadLimits lim;
  lim.timeout_ns = 30 * SEC;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head();
  feed(key(1), 1, h.substr(0, 30));
  feed(key(2), 1, h.substr(0, 30));
  CHECK(a.flows() == 2);
  feed.ts += 20 * SEC;
  feed(key(2), 31, h.substr(30, 5));  // key 2 stays active
  a.expire(feed.ts + 15 * SEC, an);
  CHECK(a.flows() == 1);
  CHECK(an.get(Anomaly::TcpFlowTimeout) == 1);
  feed.ts += 16 * SEC;
  feed(key(1), 31, h.substr(30));  // too late: the start is gone
  feed(key(2), 36, h.substr(35));
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].second == h);
  // Feeding later packets expires idle flows too (no separate call needed).
  feed(key(3), 1, h.substr(0, 30));
  feed.ts += 31 * SEC;
  feed(key(4), 1, h);
  CHECK(a.flows() == 0);
  CHECK(an.get(Anomaly::TcpFlowTimeout) == 2);
}

TEST_CASE("heads: max_flows evicts the oldest") {
  HeadLimits lim;
  lim.max_flows = 4;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head();
  for (uint32_t i = 1; i <= 5; i++) feed(key(i), 1, h.substr(0, 30));
  CHECK(a.flows() == 4);
  CHECK(a.evicted() == 1);
  CHECK(an.get(Anomaly::TcpFlowEvicted) == 1);
  for (uint32_t i = 1; i <= 5; i++) feed(key(i), 31, h.substr(30));
  CHECK(sink.heads.size() == 4);  // key 1 was the oldest
  CHECK(a.flows() == 4);          // idle now
  for (uint32_t i = 2; i <= 5; i++) feed(key(i), uint32_t(1 + h.size()), "", FIN | ACK);
  CHECK(a.flows() == 0);
  // Activity keeps a flow young.
  for (uint32_t i = 11; i <= 14; i++) feed(key(i), 1, h.substr(0, 30));
  feed(key(11), 31, h.substr(30, 2));
  feed(key(19), 1, h.substr(0, 30));  // evicts key 12, not key 11
  feed(key(11), 33, h.substr(32));
  feed(key(12), 31, h.substr(30));
  CHECK(sink.heads.size() == 5);
  CHECK(a.evicted() == 2);
  // Same addresses and ports in another tunnel are another flow.
  feed(key(20, 1), 1, h.substr(0, 30));
  feed(key(20, 2), 1, h.substr(0, 30));
  feed(key(20, 1), 31, h.substr(30));
  CHECK(sink.heads.size() == 6);
}

TEST_CASE("heads: the orphan ring is bounded") {
  HeadLimits lim;
  lim.orphan_slots = 2;
  lim.orphan_max_bytes = 100;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head("/pay?gnpay_token=" + TOK, "X-Pad: " + std::string(300, 'p') + "\r\n");
  FlowKey k = key(1);
  feed(k, 0, "", SYN);
  feed(k, 1 + 200, h.substr(200, 150));  // larger than orphan_max_bytes: not held
  CHECK(an.get(Anomaly::TcpOooDropped) == 1);
  CHECK(a.orphans() == 0);
  feed(k, 1 + 50, h.substr(50, 50));
  feed(k, 1 + 100, h.substr(100, 50));
  CHECK(a.orphans() == 2);
  feed(k, 1 + 150, h.substr(150, 50));  // overwrites the oldest
  CHECK(an.get(Anomaly::TcpOooDropped) == 2);
  CHECK(a.orphans() == 2);
  feed(k, 1, h.substr(0, 50));  // joins 100..200 only after 50..100, which was dropped: a gap stays
  CHECK(sink.heads.empty());
  CHECK(a.flows() == 1);
  feed(k, 1 + 50, h.substr(50));  // the retransmission fills it all
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].second == h);
  CHECK(a.orphans() == 0);
}

TEST_CASE("heads: a gap that never fills is taken as capture loss") {
  HeadLimits lim;
  lim.orphans_per_flow = 2;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  FlowKey k = key(1);
  std::string h = get_head();
  feed(k, 1, h.substr(0, 20));  // the rest of this head is lost
  uint32_t s = uint32_t(1 + h.size());
  std::string n1 = get_head("/n1"), n2 = get_head("/n2"), n3 = get_head("/n3");
  feed(k, s, n1);
  feed(k, uint32_t(s + n1.size()), n2);
  CHECK(sink.heads.empty());
  CHECK(a.orphans() == 2);
  feed(k, uint32_t(s + n1.size() + n2.size()), n3);
  // The partial head is given up; the waiting segments are parsed in order.
  CHECK(an.get(Anomaly::TcpGapAbandoned) == 1);
  CHECK(an.get(Anomaly::TcpOooDropped) == 0);
  REQUIRE(sink.heads.size() == 3);
  CHECK(sink.heads[0].second == n1);
  CHECK(sink.heads[1].second == n2);
  CHECK(sink.heads[2].second == n3);
  CHECK(a.orphans() == 0);
  CHECK(a.flows() == 0);
  // The same with a head split across the waiting segments, arriving reversed.
  FlowKey k2 = key(2);
  feed(k2, 1, h.substr(0, 20));
  std::string m = get_head("/m", "X-Pad: " + std::string(100, 'p') + "\r\n");
  uint32_t b = uint32_t(1 + h.size() + 10);  // 10 more bytes lost
  feed(k2, b + 60, m.substr(60));
  feed(k2, b, m.substr(0, 60));
  CHECK(sink.heads.size() == 3);
  feed(k2, uint32_t(b + m.size()), n1);
  CHECK(an.get(Anomaly::TcpGapAbandoned) == 2);
  REQUIRE(sink.heads.size() == 5);
  CHECK(sink.heads[3].second == m);
  CHECK(sink.heads[4].second == n1);
}

TEST_CASE("heads: many concurrent flows through the index") {
  HeadLimits lim;
  lim.max_flows = 8192;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string h = get_head();
  const uint32_t n = 6000;
  for (uint32_t i = 0; i < n; i++) feed(key(i), 1, h.substr(0, 40));
  CHECK(a.flows() == n);
  // Complete them in a scrambled order (exercises deletion from the index).
  for (uint32_t j = 0; j < n; j++) {
    uint32_t i = uint32_t((uint64_t(j) * 2654435761u) % n);  // a permutation: gcd(2654435761 mod n, n) = 1
    feed(key(i), 41, h.substr(40));
  }
  CHECK(sink.heads.size() == n);
  CHECK(a.flows() == n);  // idle between requests
  // Close them in another scrambled order (exercises deletion from the index).
  for (uint32_t j = 0; j < n; j += 2) {
    uint32_t i = uint32_t((uint64_t(j) * 40507u) % n);  // gcd(40507, 6000) = 1
    feed(key(i), uint32_t(1 + h.size()), "", FIN | ACK);
  }
  CHECK(a.flows() == n / 2);
  for (uint32_t i = 0; i < n; i++) feed(key(i), uint32_t(1 + h.size()), get_head("/2"));  // next requests
  CHECK(sink.heads.size() == n + n);
  CHECK(an.total() == 0);
  a.clear();
  CHECK(a.flows() == 0);
}

TEST_CASE("heads: a flood of flows that never finish a head stays bounded") {
  HeadLimits lim;
  lim.max_flows = 10000;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  TcpSegment seg;
  seg.flags = ACK | PSH;
  std::string partial = "GET /pay?gnpay_token=" + TOK + " HTTP/1.1\r\nHost: flood.example\r\n";
  seg.payload = Span(reinterpret_cast<const uint8_t*>(partial.data()), partial.size());
  size_t mem_at_20k = 0;
  const uint32_t n = 1000000;
  uint64_t ts = 1;
  for (uint32_t i = 0; i < n; i++) {
    FlowKey k = key(i, 1000 + (i >> 20));
    seg.seq = i * 7919u;
    a.feed(k, seg, ts++, sink, an);
    if (i == 20000) mem_at_20k = a.memory_bytes();
    if ((i & 0xffff) == 0) REQUIRE(a.flows() <= lim.max_flows);
  }
  CHECK(a.flows() == lim.max_flows);
  CHECK(a.evicted() == n - lim.max_flows);
  CHECK(an.get(Anomaly::TcpFlowEvicted) == n - lim.max_flows);
  CHECK(a.memory_bytes() == mem_at_20k);  // reached its ceiling early, no growth after
  CHECK(a.memory_bytes() < 40u * 1024 * 1024);
  CHECK(sink.heads.empty());
  // A legitimate request afterwards still comes out, split or whole.
  std::string h = get_head();
  FlowKey good = key(123456789, 1);
  TcpSegment s1, s2;
  s1.flags = s2.flags = ACK | PSH;
  s1.seq = 1;
  s1.payload = Span(reinterpret_cast<const uint8_t*>(h.data()), 30);
  s2.seq = 31;
  s2.payload = Span(reinterpret_cast<const uint8_t*>(h.data()) + 30, h.size() - 30);
  a.feed(good, s1, ts++, sink, an);
  a.feed(good, s2, ts++, sink, an);
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].second == h);
}

TEST_CASE("heads: the total of head buffers is capped by max_buffer_bytes") {
  HeadLimits lim;
  lim.max_flows = 1000;
  lim.max_head_bytes = 16384;
  lim.max_buffer_bytes = 64 * 1024;
  RequestHeadAssembler a(lim);
  Sink sink;
  AnomalyCounters an;
  Feeder feed{a, sink, an};
  std::string big = "GET /" + std::string(9000, 'a');  // each needs a 16 KiB buffer
  size_t base = RequestHeadAssembler(lim).memory_bytes();
  for (uint32_t i = 0; i < 50; i++) feed(key(i), 1, big);
  CHECK(a.memory_bytes() <= base + lim.max_buffer_bytes);
  CHECK(a.flows() <= 4);
  CHECK(a.evicted() >= 46);
  // The newest flows are the ones kept, and they still complete.
  feed(key(49), uint32_t(1 + big.size()), " HTTP/1.1\r\n\r\n");
  REQUIRE(sink.heads.size() == 1);
  CHECK(sink.heads[0].second == big + " HTTP/1.1\r\n\r\n");
}

namespace {
struct Rng {
  uint64_t x;
  uint32_t next() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return uint32_t(x >> 11);
  }
  uint32_t below(uint32_t n) { return next() % n; }
};

// A keep-alive stream of random requests (small and large heads, Content-Length
// and chunked bodies that hold request text) and the heads it must yield.
std::string random_stream(Rng& r, std::vector<std::string>& heads) {
  std::string fake = "GET /pay?gnpay_token=" + TOK + " HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string out;
  uint32_t n = 1 + r.below(6);
  for (uint32_t i = 0; i < n; i++) {
    switch (r.below(4)) {
      case 0: {
        std::string h = get_head("/r" + std::to_string(r.next()));
        heads.push_back(h);
        out += h;
        break;
      }
      case 1: {
        std::string h = get_head("/big", "Cookie: " + std::string(1000 + r.below(4000), 'c') + "\r\n");
        heads.push_back(h);
        out += h;
        break;
      }
      case 2: {
        std::string body;
        while (body.size() < r.below(3000)) body += r.below(2) ? fake : std::string(1 + r.below(200), 'b');
        std::string h = "POST /u HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        heads.push_back(h);
        out += h + body;
        if (r.below(3) == 0) out += "\r\n";  // a stray CRLF after a body (RFC 9112 s2.2)
        break;
      }
      default: {
        std::string h = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        heads.push_back(h);
        out += h;
        uint32_t chunks = r.below(4);
        for (uint32_t c = 0; c < chunks; c++) {
          std::string data = r.below(2) ? fake : std::string(1 + r.below(1500), 'd');
          char sz[24];
          snprintf(sz, sizeof sz, r.below(2) ? "%zx" : "%zX", data.size());
          out += std::string(sz) + (r.below(3) == 0 ? ";name=\"v\"" : "") + "\r\n" + data + "\r\n";
        }
        out += r.below(3) == 0 ? "0\r\nX-Trailer: " + fake.substr(0, 30) + "\r\n\r\n" : "0\r\n\r\n";
        break;
      }
    }
  }
  return out;
}
}  // namespace

TEST_CASE("heads: random segmentation, reordering and retransmissions give the same heads") {
  Rng r{0x9e3779b97f4a7c15ull};
  RequestHeadAssembler a;
  Sink sink;
  AnomalyCounters an;
  for (uint32_t iter = 0; iter < 400; iter++) {
    std::vector<std::string> want;
    std::string stream = random_stream(r, want);
    // Segments of 1..1400 bytes (often small near the edges of heads).
    std::vector<std::pair<uint32_t, uint32_t>> segs;  // (offset, length)
    for (uint32_t off = 0; off < stream.size();) {
      uint32_t len = r.below(4) == 0 ? 1 + r.below(40) : 1 + r.below(1400);
      if (len > stream.size() - off) len = uint32_t(stream.size() - off);
      segs.emplace_back(off, len);
      off += len;
    }
    bool syn = iter % 4 != 0;  // without a SYN: in order only (the mid-stream rule)
    if (syn) {
      for (size_t i = 0; i + 1 < segs.size(); i += 3) {  // shuffle within windows of three
        size_t w = std::min<size_t>(3, segs.size() - i);
        for (size_t k = w; k > 1; k--) std::swap(segs[i + k - 1], segs[i + r.below(uint32_t(k))]);
      }
    }
    FlowKey k = key(iter, 99);
    uint32_t isn = r.next();
    sink.heads.clear();
    Feeder feed{a, sink, an};
    if (syn) feed(k, isn, "", SYN);
    for (size_t i = 0; i < segs.size(); i++) {
      feed(k, isn + 1 + segs[i].first, stream.substr(segs[i].first, segs[i].second));
      if (syn && r.below(8) == 0) {  // a retransmission of something sent before, possibly re-cut
        auto& old = segs[r.below(uint32_t(i + 1))];
        uint32_t extra = r.below(2) ? r.below(200) : 0;
        uint32_t len = std::min<uint32_t>(old.second + extra, uint32_t(stream.size() - old.first));
        feed(k, isn + 1 + old.first, stream.substr(old.first, len));
      }
    }
    std::vector<std::string> got;
    for (auto& h : sink.heads) got.push_back(h.second);
    REQUIRE_MESSAGE(got == want, "iteration " << iter << " syn " << syn);
    feed(k, uint32_t(isn + 1 + stream.size()), "", FIN | ACK);
  }
  CHECK(a.flows() == 0);
  CHECK(an.get(Anomaly::HttpBadChunk) == 0);
  CHECK(an.get(Anomaly::TcpHeadTooLarge) == 0);
  CHECK(an.get(Anomaly::TcpGapAbandoned) == 0);
}

// Golden: zeek/gtp1_gn_normal_incl_fragmentation.pcap, the UE's side of the
// connection (SYN, ACK, two data segments, FIN...) with real sequence numbers:
// the 2100-byte head spans two segments, the first one outer-fragmented.
TEST_CASE("heads: golden flows from public captures") {
  if (!apptest::have_tshark()) {
    MESSAGE("skipped: tshark absent");
    return;
  }
  std::string f = apptest::public_fixture("zeek/gtp1_gn_normal_incl_fragmentation.pcap");
  if (!f.empty()) {
    auto rows =
        apptest::tshark_fields(f, "tcp.srcport==1923", {"frame.number", "tcp.seq_raw", "tcp.flags", "tcp.payload"});
    auto uri = apptest::tshark_fields(f, "http.request", {"http.request.uri"});
    REQUIRE(rows.size() >= 4);
    REQUIRE(uri.size() == 1);
    for (int order = 0; order < 2; order++) {
      RequestHeadAssembler a;
      Sink sink;
      AnomalyCounters an;
      std::vector<std::vector<std::string>> rs = rows;
      if (order == 1) {  // the two data segments swapped
        std::vector<size_t> data;
        for (size_t i = 0; i < rs.size(); i++)
          if (!rs[i][3].empty()) data.push_back(i);
        REQUIRE(data.size() == 2);
        std::swap(rs[data[0]], rs[data[1]]);
      }
      std::string completed_by;
      for (auto& r : rs) {
        Bytes payload = gnpay_test::hex(r[3]);
        TcpSegment seg;
        seg.seq = uint32_t(std::stoul(r[1]));
        seg.flags = uint8_t(std::stoul(r[2], nullptr, 16));
        seg.payload = Span(payload.data(), payload.size());
        FlowKey k = key(1);
        size_t before = sink.heads.size();
        a.feed(k, seg, 1, sink, an);
        if (sink.heads.size() > before) completed_by = r[0];
      }
      REQUIRE(sink.heads.size() == 1);
      CHECK(completed_by == (order == 0 ? "7" : "5"));  // the packet that completed the head
      static HttpRequestHead h;
      AnomalyCounters an2;
      const std::string& head = sink.heads[0].second;
      REQUIRE(parse_http_request_head(Span(reinterpret_cast<const uint8_t*>(head.data()), head.size()), h, an2) ==
              Status::Ok);
      CHECK(std::string(reinterpret_cast<const char*>(h.target.data), h.target.size) == uri[0][0]);
      CHECK(an.total() == 0);
      CHECK(a.flows() == 0);
    }
  }
  // nDPI/ja3_lots_of_cipher_suites_2_anon.pcap: the client side from the SYN; the
  // ClientHello comes out once, then the ClientKeyExchange/CCS/Finished are no heads.
  f = apptest::public_fixture("nDPI/ja3_lots_of_cipher_suites_2_anon.pcap");
  if (!f.empty()) {
    auto rows = apptest::tshark_fields(f, "tcp.dstport==443", {"tcp.seq_raw", "tcp.flags", "tcp.payload"});
    auto sni = apptest::tshark_fields(f, "tls.handshake.type==1", {"tls.handshake.extensions_server_name"});
    REQUIRE(sni.size() == 1);
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    for (auto& r : rows) {
      Bytes payload = gnpay_test::hex(r[2]);
      TcpSegment seg;
      seg.seq = uint32_t(std::stoul(r[0]));
      seg.flags = uint8_t(std::stoul(r[1], nullptr, 16));
      seg.payload = Span(payload.data(), payload.size());
      a.feed(key(1), seg, 1, sink, an);
    }
    REQUIRE(sink.heads.size() == 1);
    CHECK(sink.heads[0].first == HeadKind::TlsClientHello);
    CHECK(sni_of(sink.heads[0].second) == sni[0][0]);
    CHECK(an.total() == 0);
  }
  // nDPI/tls_change_cipher.pcap: a TLS flow seen mid-stream: nothing to report.
  f = apptest::public_fixture("nDPI/tls_change_cipher.pcap");
  if (!f.empty()) {
    auto rows = apptest::tshark_fields(f, "tcp.dstport==443", {"tcp.seq_raw", "tcp.flags", "tcp.payload"});
    REQUIRE(rows.size() >= 10);
    RequestHeadAssembler a;
    Sink sink;
    AnomalyCounters an;
    for (auto& r : rows) {
      Bytes payload = gnpay_test::hex(r[2]);
      TcpSegment seg;
      seg.seq = uint32_t(std::stoul(r[0]));
      seg.flags = uint8_t(std::stoul(r[1], nullptr, 16));
      seg.payload = Span(payload.data(), payload.size());
      a.feed(key(1), seg, 1, sink, an);
    }
    CHECK(sink.heads.empty());
    CHECK(a.flows() == 0);
  }
}
