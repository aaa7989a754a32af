// IPv4 (RFC 791) and IPv6 (RFC 8200) headers.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "bytes.h"
#include "ip.h"

using namespace gnpay;
using gnpay_test::hex;
using gnpay_test::span;

namespace {
std::string fmt(const IpAddr& a) {
  char b[64];
  size_t n = format_ip(a, b, sizeof b);
  return std::string(b, n);
}
std::string h16(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02x %02x ", (v >> 8) & 0xff, v & 0xff);
  return b;
}
// IPv4 header: version/IHL byte, total length, flags+offset field, proto; wrong checksum on purpose.
std::string v4(unsigned total, unsigned frag = 0, unsigned proto = 17, const char* vihl = "45", unsigned id = 0x1234) {
  return std::string(vihl) + " 00 " + h16(total) + h16(id) + h16(frag) + "40 " +
         (proto == 17  ? "11"
          : proto == 6 ? "06"
                       : "01") +
         " de ad 0a 00 00 01 c0 a8 01 02 ";
}
std::string v6(unsigned plen, const char* next) {
  return "60 00 00 00 " + h16(plen) + next +
         " 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 "
         "fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02 ";
}
std::string zeros(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) s += "00 ";
  return s;
}
}  // namespace

TEST_CASE("ipv4: header fields, payload trimmed to the total length (Ethernet padding removed)") {
  auto b = hex(v4(28) + "aa bb cc dd 00 08 00 00" + zeros(18));  // 18 octets of link padding
  IpPacket p;
  AnomalyCounters an;
  REQUIRE(decode_ipv4(span(b), p, an) == Status::Ok);
  CHECK(p.version == 4);
  CHECK(fmt(p.src) == "10.0.0.1");
  CHECK(fmt(p.dst) == "192.168.1.2");
  CHECK(p.proto == ipproto::kUdp);
  CHECK(p.ttl == 0x40);
  CHECK(p.payload.size == 8);
  CHECK(p.payload[0] == 0xaa);
  CHECK_FALSE(p.truncated);
  CHECK_FALSE(p.is_fragment);
  CHECK(an.total() == 0);  // the checksum (0xdead) is never verified
}

TEST_CASE("ipv4: options are skipped by IHL") {
  auto b = hex(v4(28, 0, 17, "46") + "01 01 01 00 " + "aa bb cc dd");
  IpPacket p;
  AnomalyCounters an;
  REQUIRE(decode_ipv4(span(b), p, an) == Status::Ok);
  CHECK(p.payload.size == 4);
  CHECK(p.payload[0] == 0xaa);
}

TEST_CASE("ipv4: a capture shorter than the total length is Ok, truncated, counted once") {
  auto b = hex(v4(100) + zeros(20));
  IpPacket p;
  AnomalyCounters an;
  CHECK(decode_ipv4(span(b), p, an) == Status::Ok);
  CHECK(p.truncated);
  CHECK(p.payload.size == 20);
  CHECK(an.get(Anomaly::Ipv4Truncated) == 1);
  CHECK(an.total() == 1);
}

TEST_CASE("ipv4: truncated header at every length") {
  auto full = hex(v4(20));
  for (size_t n = 0; n < 20; n++) {
    IpPacket p;
    AnomalyCounters an;
    CHECK(decode_ipv4(gnpay::Span(full.data(), n), p, an) == Status::Truncated);
    CHECK(an.get(Anomaly::Ipv4Truncated) == 1);
  }
  // options announced by IHL but cut by the capture
  auto b = hex(v4(40, 0, 17, "4a"));
  IpPacket p;
  AnomalyCounters an;
  CHECK(decode_ipv4(span(b), p, an) == Status::Truncated);
  CHECK(an.get(Anomaly::Ipv4Truncated) == 1);
}

TEST_CASE("ipv4: malformed lengths and version") {
  IpPacket p;
  AnomalyCounters an;
  auto ihl = hex(v4(20, 0, 17, "44"));
  CHECK(decode_ipv4(span(ihl), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv4BadHeaderLength) == 1);
  auto tot = hex(v4(19) + "00");
  CHECK(decode_ipv4(span(tot), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv4BadTotalLength) == 1);
  auto tot2 = hex(v4(24, 0, 17, "47") + zeros(8));  // total 24 < IHL 28
  CHECK(decode_ipv4(span(tot2), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv4BadTotalLength) == 2);
  auto ver = hex(v4(20, 0, 17, "55"));
  CHECK(decode_ipv4(span(ver), p, an) == Status::Malformed);
  CHECK(decode_ip(span(ver), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv4BadVersion) == 2);
  std::vector<uint8_t> none;
  CHECK(decode_ip(span(none), p, an) == Status::Truncated);
}

TEST_CASE("ipv4: a total length of 0 (TSO capture) means the captured length") {
  auto b = hex(v4(0) + "01 02 03 04 05");
  IpPacket p;
  AnomalyCounters an;
  CHECK(decode_ipv4(span(b), p, an) == Status::Ok);
  CHECK(p.payload.size == 5);
  CHECK(an.total() == 0);
}

TEST_CASE("ipv4: fragments report MF, offset in bytes, id; frag_data is the payload") {
  IpPacket p;
  AnomalyCounters an;
  auto first = hex(v4(28, 0x2000) + zeros(8));
  REQUIRE(decode_ipv4(span(first), p, an) == Status::Ok);
  CHECK(p.is_fragment);
  CHECK(p.more_fragments);
  CHECK(p.frag_offset == 0);
  CHECK(p.frag_id == 0x1234);
  CHECK(p.frag_data.data == p.payload.data);
  CHECK(p.frag_data.size == 8);
  auto last = hex(v4(24, 0x00b9) + zeros(4));  // offset 185 * 8 = 1480
  REQUIRE(decode_ipv4(span(last), p, an) == Status::Ok);
  CHECK(p.is_fragment);
  CHECK_FALSE(p.more_fragments);
  CHECK(p.frag_offset == 1480);
  auto df = hex(v4(28, 0x4000) + zeros(8));  // DF alone is not a fragment
  REQUIRE(decode_ipv4(span(df), p, an) == Status::Ok);
  CHECK_FALSE(p.is_fragment);
  CHECK(p.frag_data.size == 0);
}

TEST_CASE("ipv6: fixed header, next header, payload trimmed to the payload length") {
  auto b = hex(v6(8, "11") + "aa bb 00 35 00 08 00 00" + zeros(6));
  IpPacket p;
  AnomalyCounters an;
  REQUIRE(decode_ipv6(span(b), p, an) == Status::Ok);
  CHECK(p.version == 6);
  CHECK(fmt(p.src) == "2001:db8::1");
  CHECK(fmt(p.dst) == "fe80::2");
  CHECK(p.proto == ipproto::kUdp);
  CHECK(p.ttl == 0x40);
  CHECK(p.payload.size == 8);
  CHECK(p.payload[0] == 0xaa);
  CHECK(decode_ip(span(b), p, an) == Status::Ok);
  CHECK(p.version == 6);
  CHECK(an.total() == 0);
}

TEST_CASE("ipv6: hop-by-hop, routing, destination options and AH are walked") {
  // HBH (8) -> Routing (16: len 1) -> DestOpts (8) -> AH (12: payload len 1) -> TCP
  std::string ext =
      "2b 00 01 04 00 00 00 00 "  // HBH, next Routing
      "3c 01 00 00 00 00 00 00 " +
      zeros(8) +                               // Routing, next DestOpts, 16 octets
      "33 00 01 04 00 00 00 00 "               // DestOpts, next AH
      "06 01 00 00 00 00 01 00 00 00 00 01 ";  // AH, next TCP, (1+2)*4 = 12 octets
  auto b = hex(v6(44 + 4, "00") + ext + "de ad be ef");
  IpPacket p;
  AnomalyCounters an;
  REQUIRE(decode_ipv6(span(b), p, an) == Status::Ok);
  CHECK(p.proto == ipproto::kTcp);
  REQUIRE(p.payload.size == 4);
  CHECK(p.payload[0] == 0xde);
  CHECK(an.total() == 0);
}

TEST_CASE("ipv6: ESP and No Next Header end the walk") {
  IpPacket p;
  AnomalyCounters an;
  auto esp = hex(v6(8, "32") + zeros(8));
  REQUIRE(decode_ipv6(span(esp), p, an) == Status::Ok);
  CHECK(p.proto == ipproto::kEsp);
  CHECK(p.payload.size == 8);
  auto nonext = hex(v6(0, "3b"));
  REQUIRE(decode_ipv6(span(nonext), p, an) == Status::Ok);
  CHECK(p.proto == ipproto::kNoNext);
  CHECK(p.payload.size == 0);
}

TEST_CASE("ipv6: fragment header") {
  IpPacket p;
  AnomalyCounters an;
  // first fragment: Fragment (M=1, offset 0) then DestOpts then UDP
  auto first = hex(v6(8 + 8 + 8, "2c") + "3c 00 00 01 ca fe ba be " + "11 00 01 04 00 00 00 00 " + zeros(8));
  REQUIRE(decode_ipv6(span(first), p, an) == Status::Ok);
  CHECK(p.is_fragment);
  CHECK(p.more_fragments);
  CHECK(p.frag_offset == 0);
  CHECK(p.frag_id == 0xcafebabe);
  CHECK(p.proto == ipproto::kUdp);
  CHECK(p.frag_data.size == 16);  // DestOpts + 8 octets: what the reassembler places at 0
  CHECK(p.payload.size == 8);     // after the DestOpts
  CHECK(p.payload.data == p.frag_data.data + 8);
  // non-first fragment: offset 8 (field 0x0008: one 8-octet unit), M=0; the rest is opaque fragment data
  auto later = hex(v6(8 + 8, "2c") + "3c 00 00 08 ca fe ba be " + "11 00 01 04 00 00 00 00");
  REQUIRE(decode_ipv6(span(later), p, an) == Status::Ok);
  CHECK(p.is_fragment);
  CHECK_FALSE(p.more_fragments);
  CHECK(p.frag_offset == 8);
  CHECK(p.proto == ipproto::kDestOpts);  // the Fragment header's Next Header, not walked further
  CHECK(p.payload.size == 8);
  CHECK(p.frag_data.size == 8);
  // atomic fragment (RFC 6946): offset 0, M 0: not a fragment
  auto atomic = hex(v6(8 + 4, "2c") + "11 00 00 00 00 00 00 07 " + "01 02 03 04");
  REQUIRE(decode_ipv6(span(atomic), p, an) == Status::Ok);
  CHECK_FALSE(p.is_fragment);
  CHECK(p.proto == ipproto::kUdp);
  CHECK(p.payload.size == 4);
  CHECK(an.total() == 0);
}

TEST_CASE("ipv6: at most kMaxIpv6ExtHeaders extension headers") {
  std::string ext;
  for (size_t i = 0; i < kMaxIpv6ExtHeaders; i++) ext += "3c 00 00 00 00 00 00 00 ";
  IpPacket p;
  AnomalyCounters an;
  auto ok = hex(v6(8 * kMaxIpv6ExtHeaders, "3c") + ext);
  ok[40 + 8 * (kMaxIpv6ExtHeaders - 1)] = 59;  // the last header ends the chain
  CHECK(decode_ipv6(span(ok), p, an) == Status::Ok);
  CHECK(p.proto == ipproto::kNoNext);
  ext += "3b 00 00 00 00 00 00 00 ";
  auto bad = hex(v6(8 * (kMaxIpv6ExtHeaders + 1), "3c") + ext);
  CHECK(decode_ipv6(span(bad), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv6TooManyExt) == 1);
}

TEST_CASE("ipv6: an extension header past the payload length is malformed; past the capture, truncated") {
  IpPacket p;
  AnomalyCounters an;
  // DestOpts says 16 octets, payload length 8, capture complete
  auto lie = hex(v6(8, "3c") + "11 01 00 00 00 00 00 00");
  CHECK(decode_ipv6(span(lie), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv6BadPayloadLength) == 1);
  // payload length 24 but the capture stops inside the DestOpts
  auto cut = hex(v6(24, "3c") + "11 01 00 00 00 00 00 00");
  CHECK(decode_ipv6(span(cut), p, an) == Status::Truncated);
  CHECK(an.get(Anomaly::Ipv6Truncated) == 1);
  CHECK(an.get(Anomaly::Ipv6ExtTruncated) == 1);
  // a Fragment header longer than the payload length
  auto fcut = hex(v6(3, "2c") + "11 00 00");
  CHECK(decode_ipv6(span(fcut), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv6BadPayloadLength) == 2);
}

TEST_CASE("ipv6: payload past the capture is Ok and truncated; header cut; jumbogram; version") {
  IpPacket p;
  AnomalyCounters an;
  auto big = hex(v6(1000, "11") + zeros(30));
  CHECK(decode_ipv6(span(big), p, an) == Status::Ok);
  CHECK(p.truncated);
  CHECK(p.payload.size == 30);
  CHECK(an.get(Anomaly::Ipv6Truncated) == 1);
  auto hdr = hex(v6(0, "11"));
  for (size_t n = 0; n < 40; n++) {
    AnomalyCounters a2;
    CHECK(decode_ipv6(gnpay::Span(hdr.data(), n), p, a2) == Status::Truncated);
    CHECK(a2.get(Anomaly::Ipv6Truncated) == 1);
  }
  auto jumbo = hex(v6(0, "00") + "11 00 c2 04 00 01 00 00");
  CHECK(decode_ipv6(span(jumbo), p, an) == Status::Unsupported);
  CHECK(an.get(Anomaly::Ipv6Jumbogram) == 1);
  auto v4hdr = hex(v4(20));
  CHECK(decode_ipv6(span(v4hdr), p, an) == Status::Malformed);
  CHECK(an.get(Anomaly::Ipv6BadVersion) == 1);
}

TEST_CASE("format_ip: IPv4 dotted, IPv6 per RFC 5952") {
  auto v6addr = [](const char* h) {
    auto b = hex(h);
    return fmt(IpAddr::v6(b.data()));
  };
  uint8_t a4[4] = {10, 100, 200, 34};
  CHECK(fmt(IpAddr::v4(a4)) == "10.100.200.34");
  uint8_t z4[4] = {0, 0, 0, 0};
  CHECK(fmt(IpAddr::v4(z4)) == "0.0.0.0");
  uint8_t m4[4] = {255, 255, 255, 255};
  CHECK(fmt(IpAddr::v4(m4)) == "255.255.255.255");
  CHECK(v6addr("00000000000000000000000000000000") == "::");
  CHECK(v6addr("00000000000000000000000000000001") == "::1");
  CHECK(v6addr("20010db8000000000000000000000001") == "2001:db8::1");
  CHECK(v6addr("cafe0000000000000000000000000002") == "cafe::2");
  CHECK(v6addr("20010db8000000010000000000000001") == "2001:db8:0:1::1");
  CHECK(v6addr("20010db8000000000001000000000001") == "2001:db8::1:0:0:1");  // leftmost on ties
  CHECK(v6addr("20010db8000100010001000100010001") == "2001:db8:1:1:1:1:1:1");
  CHECK(v6addr("20010db8000000010001000100010001") == "2001:db8:0:1:1:1:1:1");  // one zero group: not compressed
  CHECK(v6addr("20010db80000000000000000000a0000") == "2001:db8::a:0");
  CHECK(v6addr("fe800000000000000000000000000000") == "fe80::");
  CHECK(v6addr("ABCD00000000000000000000000000EF") == "abcd::ef");
  CHECK(v6addr("00010000000000000000000000000000") == "1::");
  CHECK(v6addr("00000000000100000000000000000000") == "0:0:1::");  // longest run wins over the first
  CHECK(fmt(IpAddr()) == "");
  char small[5];
  CHECK(format_ip(IpAddr::v4(a4), small, sizeof small) == 4);
  CHECK(std::string(small) == "10.1");
}
