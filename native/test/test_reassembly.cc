// Bounded IP fragment reassembly.
#include <doctest/doctest.h>

#include <deque>
#include <vector>

#include "bytes.h"
#include "ip_reassembly.h"

using namespace gnpay;

namespace {

constexpr uint64_t kSec = 1000000000ull;

struct Frags {
  std::deque<std::vector<uint8_t>> keep;  // the packets' bytes stay alive for the spans

  // An IPv4 fragment carrying data[off, off+len) of the datagram.
  IpPacket v4(const std::vector<uint8_t>& data, size_t off, size_t len, bool mf, uint16_t id = 0x4242,
              uint8_t proto = 17, uint8_t src_last = 1) {
    std::vector<uint8_t> b = {0x45, 0,  0, 0, uint8_t(id >> 8), uint8_t(id), 0, 0, 64, proto, 0xde,
                              0xad, 10, 0, 0, src_last,         10,          0, 0, 2};
    const size_t total = 20 + len;
    b[2] = uint8_t(total >> 8);
    b[3] = uint8_t(total);
    const uint16_t f = uint16_t((mf ? 0x2000 : 0) | (off / 8));
    b[6] = uint8_t(f >> 8);
    b[7] = uint8_t(f);
    b.insert(b.end(), data.begin() + long(off), data.begin() + long(off + len));
    keep.push_back(b);
    IpPacket p;
    AnomalyCounters an;
    REQUIRE(decode_ipv4(Span(keep.back().data(), keep.back().size()), p, an) == Status::Ok);
    REQUIRE(p.is_fragment);
    return p;
  }

  // An IPv6 fragment; the first one carries a Destination Options header in its fragmentable part.
  IpPacket v6(const std::vector<uint8_t>& frag_part, size_t off, size_t len, bool m, uint32_t id = 0x01020304) {
    std::vector<uint8_t> b = {0x60, 0, 0, 0, 0, 0, 44, 64};
    for (int i = 0; i < 16; i++) b.push_back(i == 0 ? 0x20 : i == 15 ? 1 : 0);
    for (int i = 0; i < 16; i++) b.push_back(i == 0 ? 0x20 : i == 15 ? 2 : 0);
    const uint16_t fo = uint16_t(((off / 8) << 3) | (m ? 1 : 0));
    const uint8_t fh[8] = {
        60, 0, uint8_t(fo >> 8), uint8_t(fo), uint8_t(id >> 24), uint8_t(id >> 16), uint8_t(id >> 8), uint8_t(id)};
    b.insert(b.end(), fh, fh + 8);
    b.insert(b.end(), frag_part.begin() + long(off), frag_part.begin() + long(off + len));
    const size_t plen = b.size() - 40;
    b[4] = uint8_t(plen >> 8);
    b[5] = uint8_t(plen);
    keep.push_back(b);
    IpPacket p;
    AnomalyCounters an;
    REQUIRE(decode_ipv6(Span(keep.back().data(), keep.back().size()), p, an) == Status::Ok);
    REQUIRE(p.is_fragment);
    return p;
  }
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = uint8_t(i * 7 + seed);
  return v;
}

bool same(const Span& s, const std::vector<uint8_t>& v) {
  return s.size == v.size() && std::equal(v.begin(), v.end(), s.data);
}

}  // namespace

TEST_CASE("reassembly: three IPv4 fragments in order") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto d = pattern(3000);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 0, 1480, true), 1, whole, an));
  CHECK(r.datagrams() == 1);
  CHECK(r.bytes() == 1480);
  CHECK_FALSE(r.add(f.v4(d, 1480, 1480, true), 2, whole, an));
  REQUIRE(r.add(f.v4(d, 2960, 40, false), 3, whole, an));
  CHECK(same(whole.payload, d));
  CHECK_FALSE(whole.is_fragment);
  CHECK(whole.version == 4);
  CHECK(whole.proto == 17);
  CHECK(whole.frag_id == 0x4242);
  CHECK(whole.src.v4_value() == 0x0a000001);
  CHECK(r.datagrams() == 0);
  CHECK(r.bytes() == 0);
  CHECK(r.completed() == 1);
  CHECK(an.total() == 0);
}

TEST_CASE("reassembly: fragments out of order, the header comes from the first fragment") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto d = pattern(2000, 3);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 1600, 400, false), 1, whole, an));
  CHECK_FALSE(r.add(f.v4(d, 800, 800, true), 2, whole, an));
  REQUIRE(r.add(f.v4(d, 0, 800, true), 3, whole, an));
  CHECK(same(whole.payload, d));
  CHECK(whole.frag_offset == 0);
  CHECK_FALSE(whole.more_fragments);
  CHECK(an.total() == 0);
}

TEST_CASE("reassembly: IPv6, extension headers of the fragmentable part are skipped in the result") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  // fragmentable part: DestOpts (next UDP, 8 octets) + 1600 octets of UDP datagram
  std::vector<uint8_t> part = {17, 0, 1, 4, 0, 0, 0, 0};
  auto udp = pattern(1600, 9);
  part.insert(part.end(), udp.begin(), udp.end());
  IpPacket whole;
  CHECK_FALSE(r.add(f.v6(part, 1000, 608, false), 1, whole, an));
  REQUIRE(r.add(f.v6(part, 0, 1000, true), 2, whole, an));
  CHECK(whole.version == 6);
  CHECK(whole.proto == 17);
  CHECK(same(whole.payload, udp));
  CHECK(whole.frag_data.size == part.size());
  CHECK(whole.frag_id == 0x01020304);
  CHECK(an.total() == 0);
}

TEST_CASE("reassembly: overlaps keep the first bytes; exact duplicates are not anomalies") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto d = pattern(1600);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true), 1, whole, an));
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true), 1, whole, an));  // a duplicate (two mirror ports)
  CHECK(an.total() == 0);
  auto evil = d;
  for (size_t i = 400; i < 1200; i++) evil[i] ^= 0xff;
  CHECK_FALSE(r.add(f.v4(evil, 400, 800, true), 2, whole, an));  // overlaps [400, 800) with other bytes
  CHECK(an.get(Anomaly::FragOverlap) == 1);
  REQUIRE(r.add(f.v4(d, 1200, 400, false), 3, whole, an));
  // [0, 800) from the first fragment, [800, 1200) from the overlapping one, then the last
  for (size_t i = 0; i < 800; i++) REQUIRE(whole.payload[i] == d[i]);
  for (size_t i = 800; i < 1200; i++) REQUIRE(whole.payload[i] == evil[i]);
  for (size_t i = 1200; i < 1600; i++) REQUIRE(whole.payload[i] == d[i]);
}

TEST_CASE("reassembly: bad fragments are counted and dropped") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto d = pattern(4000);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 0, 100, true), 1, whole, an));  // not a multiple of 8 with MF
  CHECK(an.get(Anomaly::FragBadOffset) == 1);
  CHECK(r.datagrams() == 0);
  CHECK_FALSE(r.add(f.v4(d, 1000, 200, false), 1, whole, an));  // ends at 1200
  CHECK_FALSE(r.add(f.v4(d, 1200, 800, true), 1, whole, an));   // past the known end
  CHECK(an.get(Anomaly::FragBadOffset) == 2);
  CHECK_FALSE(r.add(f.v4(d, 2000, 8, false), 1, whole, an));  // another end
  CHECK(an.get(Anomaly::FragBadOffset) == 3);
  // the datagram itself is intact and completes with the right fragments
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true), 1, whole, an));
  REQUIRE(r.add(f.v4(d, 800, 200, true), 1, whole, an));
  CHECK(same(whole.payload, std::vector<uint8_t>(d.begin(), d.begin() + 1200)));
  CHECK(an.get(Anomaly::FragBadOffset) == 3);
}

TEST_CASE("reassembly: a datagram larger than 65535 octets") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto d = pattern(65600);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 65528, 16, false), 1, whole, an));
  CHECK(an.get(Anomaly::FragTooLarge) == 1);
  CHECK(r.datagrams() == 0);
}

TEST_CASE("reassembly: timeout on capture time") {
  Frags f;
  ReassemblyLimits lim;
  lim.timeout_ns = 30 * kSec;
  IpReassembler r(lim);
  AnomalyCounters an;
  auto d = pattern(1600);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 1), 0, whole, an));
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 2), 10 * kSec, whole, an));
  r.expire(30 * kSec, an);  // exactly the timeout: kept
  CHECK(r.datagrams() == 2);
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 3), 31 * kSec, whole, an));  // id 1 is now too old
  CHECK(an.get(Anomaly::FragTimeout) == 1);
  CHECK(r.datagrams() == 2);
  // the late second half of id 1 starts a new datagram, it does not complete the dropped one
  CHECK_FALSE(r.add(f.v4(d, 800, 800, false, 1), 32 * kSec, whole, an));
  r.expire(100 * kSec, an);
  CHECK(r.datagrams() == 0);
  CHECK(r.bytes() == 0);
  CHECK(an.get(Anomaly::FragTimeout) == 4);
  CHECK(r.evicted() == 4);
}

TEST_CASE("reassembly: bounded datagram count, oldest evicted first") {
  Frags f;
  ReassemblyLimits lim;
  lim.max_datagrams = 2;
  IpReassembler r(lim);
  AnomalyCounters an;
  auto d = pattern(1600);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 1), 1, whole, an));
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 2), 2, whole, an));
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 3), 3, whole, an));
  CHECK(an.get(Anomaly::FragEvicted) == 1);
  CHECK(r.datagrams() == 2);
  CHECK_FALSE(r.add(f.v4(d, 800, 800, false, 1), 4, whole, an));  // id 1 was evicted: starts over
  CHECK(an.get(Anomaly::FragEvicted) == 2);                       // ... evicting id 2
  REQUIRE(r.add(f.v4(d, 800, 800, false, 3), 5, whole, an));      // id 3 survives
  CHECK(same(whole.payload, d));
}

TEST_CASE("reassembly: bounded bytes, oldest evicted first") {
  Frags f;
  ReassemblyLimits lim;
  lim.max_bytes = 3000;
  IpReassembler r(lim);
  AnomalyCounters an;
  auto d = pattern(4000);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 0, 1480, true, 1), 1, whole, an));
  CHECK_FALSE(r.add(f.v4(d, 0, 1480, true, 2), 2, whole, an));
  CHECK(r.bytes() == 2960);
  CHECK_FALSE(r.add(f.v4(d, 0, 1480, true, 3), 3, whole, an));
  CHECK(an.get(Anomaly::FragEvicted) == 1);
  CHECK(r.bytes() == 2960);
  // a datagram that cannot fit on its own is dropped
  CHECK_FALSE(r.add(f.v4(d, 1480, 1480, true, 3), 4, whole, an));
  CHECK(r.bytes() == 1480 * 2);
  CHECK_FALSE(r.add(f.v4(d, 2960, 960, true, 3), 5, whole, an));
  CHECK(r.datagrams() == 0);
  CHECK(r.bytes() == 0);
  CHECK(an.get(Anomaly::FragEvicted) == 3);
}

TEST_CASE("reassembly: keys: source, protocol and id separate datagrams") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto a = pattern(1600, 1), b = pattern(1600, 2), c = pattern(1600, 3);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(a, 0, 800, true, 7, 17, 1), 1, whole, an));
  CHECK_FALSE(r.add(f.v4(b, 0, 800, true, 7, 17, 9), 1, whole, an));  // other source
  CHECK_FALSE(r.add(f.v4(c, 0, 800, true, 7, 6, 1), 1, whole, an));   // other protocol
  CHECK(r.datagrams() == 3);
  REQUIRE(r.add(f.v4(b, 800, 800, false, 7, 17, 9), 2, whole, an));
  CHECK(same(whole.payload, b));
  REQUIRE(r.add(f.v4(c, 800, 800, false, 7, 6, 1), 2, whole, an));
  CHECK(same(whole.payload, c));
  REQUIRE(r.add(f.v4(a, 800, 800, false, 7, 17, 1), 2, whole, an));
  CHECK(same(whole.payload, a));
  CHECK(an.total() == 0);
}

TEST_CASE("reassembly: truncated fragments are ignored, non-fragments refused") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto d = pattern(1600);
  IpPacket p = f.v4(d, 0, 800, true);
  p.truncated = true;
  IpPacket whole;
  CHECK_FALSE(r.add(p, 1, whole, an));
  CHECK(r.datagrams() == 0);
  IpPacket plain;
  CHECK_FALSE(r.add(plain, 1, whole, an));
  CHECK(an.total() == 0);
}

TEST_CASE("reassembly: slots are reused: many datagrams, nothing left behind") {
  Frags f;
  ReassemblyLimits lim;
  lim.max_datagrams = 4;
  IpReassembler r(lim);
  AnomalyCounters an;
  IpPacket whole;
  for (int i = 0; i < 1000; i++) {
    auto d = pattern(1000 + size_t(i % 7) * 8, uint8_t(i));
    CHECK_FALSE(r.add(f.v4(d, 0, 504, true, uint16_t(i)), uint64_t(i), whole, an));
    REQUIRE(r.add(f.v4(d, 504, d.size() - 504, false, uint16_t(i)), uint64_t(i), whole, an));
    REQUIRE(same(whole.payload, d));
    if (f.keep.size() > 8) f.keep.pop_front();
  }
  CHECK(r.completed() == 1000);
  CHECK(r.datagrams() == 0);
  CHECK(r.evicted() == 0);
  CHECK(an.total() == 0);
}

TEST_CASE("reassembly: clear() drops everything without counting") {
  Frags f;
  IpReassembler r;
  AnomalyCounters an;
  auto d = pattern(1600);
  IpPacket whole;
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 1), 1, whole, an));
  CHECK_FALSE(r.add(f.v4(d, 0, 800, true, 2), 1, whole, an));
  r.clear();
  CHECK(r.datagrams() == 0);
  CHECK(r.bytes() == 0);
  CHECK(an.total() == 0);
  CHECK_FALSE(r.add(f.v4(d, 800, 800, false, 1), 2, whole, an));
  CHECK(r.datagrams() == 1);
}
