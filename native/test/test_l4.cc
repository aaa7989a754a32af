// UDP (RFC 768) and TCP (RFC 9293) headers.
#include <doctest/doctest.h>

#include "bytes.h"
#include "l4.h"

using namespace gnpay;
using gnpay_test::hex;
using gnpay_test::span;

TEST_CASE("udp: ports, payload trimmed to the UDP length") {
  // zeek/gtp_create_pdp_ctx.pcap frame 2: 34273 -> 2123, length 0x99 (we cut the payload short
  // here and fix the length to 12 to keep the test small), plus 3 octets of trailing bytes
  auto b = hex("85 e1 08 4b 00 0c c6 b3 32 10 00 89 01 02 03");
  UdpDatagram u;
  AnomalyCounters an;
  REQUIRE(decode_udp(span(b), false, u, an) == Status::Ok);
  CHECK(u.sport == 34273);
  CHECK(u.dport == port::kGtpC);
  CHECK(u.payload.size == 4);
  CHECK(u.payload[0] == 0x32);
  CHECK_FALSE(u.truncated);
  CHECK(an.total() == 0);
}

TEST_CASE("udp: length below 8 or past a complete IP payload is udp.bad_length") {
  UdpDatagram u;
  AnomalyCounters an;
  auto small = hex("00 35 00 35 00 07 00 00");
  CHECK(decode_udp(span(small), false, u, an) == Status::Malformed);
  auto zero = hex("00 35 00 35 00 00 00 00");
  CHECK(decode_udp(span(zero), false, u, an) == Status::Malformed);
  auto big = hex("00 35 00 35 00 20 00 00 01 02");
  CHECK(decode_udp(span(big), false, u, an) == Status::Malformed);
  CHECK(an.get(Anomaly::UdpBadLength) == 3);
  CHECK(an.total() == 3);
}

TEST_CASE("udp: length past a truncated capture is Ok and truncated, not counted again") {
  UdpDatagram u;
  AnomalyCounters an;
  auto big = hex("08 68 08 68 05 dc 00 00 30 ff 05 d4");
  REQUIRE(decode_udp(span(big), true, u, an) == Status::Ok);
  CHECK(u.truncated);
  CHECK(u.payload.size == 4);
  CHECK(u.dport == port::kGtpU);
  CHECK(an.total() == 0);
}

TEST_CASE("udp: header cut: truncated when the capture cut it, malformed otherwise") {
  auto b = hex("08 68 08 68 00 10 00");
  for (size_t n = 0; n < 8; n++) {
    UdpDatagram u;
    AnomalyCounters an;
    CHECK(decode_udp(Span(b.data(), n), true, u, an) == Status::Truncated);
    CHECK(an.get(Anomaly::UdpTruncated) == 1);
    CHECK(decode_udp(Span(b.data(), n), false, u, an) == Status::Malformed);
    CHECK(an.get(Anomaly::UdpBadLength) == 1);
  }
}

TEST_CASE("tcp: header with options, flags, payload") {
  // 49152 -> 80, seq 1, ack 2, data offset 6 (one MSS option), PSH|ACK
  auto b = hex("c0 00 00 50 00 00 00 01 00 00 00 02 60 18 ff ff 00 00 00 00 02 04 05 b4 47 45 54 20");
  TcpSegment t;
  AnomalyCounters an;
  REQUIRE(decode_tcp(span(b), false, t, an) == Status::Ok);
  CHECK(t.sport == 49152);
  CHECK(t.dport == 80);
  CHECK(t.seq == 1);
  CHECK(t.ack == 2);
  CHECK(t.flags == (tcpflag::kPsh | tcpflag::kAck));
  REQUIRE(t.payload.size == 4);
  CHECK(t.payload[0] == 'G');
  REQUIRE(decode_tcp(span(b), t, an) == Status::Ok);  // 3-argument form
  CHECK(t.payload.size == 4);
  CHECK(an.total() == 0);
}

TEST_CASE("tcp: bad data offset, truncated header and options") {
  TcpSegment t;
  AnomalyCounters an;
  auto low = hex("c0 00 00 50 00 00 00 01 00 00 00 02 40 02 ff ff 00 00 00 00");
  CHECK(decode_tcp(span(low), false, t, an) == Status::Malformed);
  CHECK(an.get(Anomaly::TcpBadDataOffset) == 1);
  auto opts = hex("c0 00 00 50 00 00 00 01 00 00 00 02 f0 02 ff ff 00 00 00 00 02 04 05 b4");
  CHECK(decode_tcp(span(opts), false, t, an) == Status::Malformed);  // 60-octet header in 24 complete octets
  CHECK(an.get(Anomaly::TcpBadDataOffset) == 2);
  CHECK(decode_tcp(span(opts), true, t, an) == Status::Truncated);
  CHECK(decode_tcp(span(opts), t, an) == Status::Truncated);
  CHECK(an.get(Anomaly::TcpTruncated) == 2);
  for (size_t n = 0; n < 20; n++) {
    AnomalyCounters a2;
    CHECK(decode_tcp(Span(low.data(), n), true, t, a2) == Status::Truncated);
    CHECK(a2.get(Anomaly::TcpTruncated) == 1);
  }
}
