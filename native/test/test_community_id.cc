// SHA-1 (FIPS 180-4) and Community ID v1 (corelight/community-id-spec).
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "community_id.h"
#include "sha1.h"

using namespace gnpay;

namespace {
std::string sha1_hex(const std::string& s, size_t chunk = 0) {
  Sha1 h;
  if (chunk == 0)
    h.update(s.data(), s.size());
  else
    for (size_t i = 0; i < s.size(); i += chunk) h.update(s.data() + i, std::min(chunk, s.size() - i));
  uint8_t d[kSha1Len];
  h.finish(d);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

IpAddr ip(const char* text) {
  uint8_t b[16];
  if (std::strchr(text, ':')) {
    REQUIRE(inet_pton(AF_INET6, text, b) == 1);
    return IpAddr::v6(b);
  }
  REQUIRE(inet_pton(AF_INET, text, b) == 1);
  return IpAddr::v4(b);
}

std::string cid(const char* s, const char* d, uint8_t proto, uint16_t sp, uint16_t dp, uint16_t seed = 0) {
  char out[kCommunityIdLen + 1];
  size_t n = community_id_v1(ip(s), ip(d), proto, sp, dp, seed, out);
  CHECK(n == std::strlen(out));
  return out;
}
}  // namespace

TEST_CASE("sha1: the FIPS 180 examples (one block, two blocks, a million 'a')") {
  CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  const std::string two =
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 448 bits: padding needs a 2nd block
  CHECK(sha1_hex(two) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(sha1_hex(two, 7) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(sha1_hex(std::string(1000000, 'a'), 4096) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK(sha1_hex(std::string(64, 'x'), 1) == sha1_hex(std::string(64, 'x')));
}

// baseline/baseline_deflt.json of corelight/community-id-spec (seed 0, base64)
TEST_CASE("community id: the spec's baseline values (TCP, UDP, SCTP, ICMP, ICMPv6, IPv6, other)") {
  // TCP over IPv4, both directions
  CHECK(cid("128.232.110.120", "66.35.250.204", 6, 34855, 80) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK(cid("66.35.250.204", "128.232.110.120", 6, 80, 34855) == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  // TCP over IPv6
  CHECK(cid("2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 6, 63943, 25) ==
        "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  CHECK(cid("2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 6, 25, 63943) ==
        "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  // UDP (DNS)
  CHECK(cid("192.168.1.52", "8.8.8.8", 17, 54585, 53) == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(cid("8.8.8.8", "192.168.1.52", 17, 53, 54585) == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  // SCTP
  CHECK(cid("192.168.170.8", "192.168.170.56", 132, 7, 7) == "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
  CHECK(cid("192.168.170.56", "192.168.170.8", 132, 7, 7) == "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
  // ICMP: echo request and reply (type, code), time exceeded (one-way)
  CHECK(cid("192.168.0.89", "192.168.0.1", 1, 8, 0) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  CHECK(cid("192.168.0.1", "192.168.0.89", 1, 0, 8) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  CHECK(cid("10.0.0.1", "10.0.0.2", 1, 11, 0) == "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
  // ICMPv6: neighbor solicitation / advertisement, echo, unreachable, router solicitation / advertisement
  CHECK(cid("fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136) == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
  CHECK(cid("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 135) == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
  CHECK(cid("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 135, 136) == "1:zavyT/cezQr1fmImYCwYnMXbgck=");
  CHECK(cid("fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 136, 135) == "1:zavyT/cezQr1fmImYCwYnMXbgck=");
  CHECK(cid("3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0) == "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=");
  CHECK(cid("3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 1, 4) ==
        "1:hLZd0XGWojozrvxqE0dWB1iM6R0=");
  CHECK(cid("3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 58, 128, 129) == "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=");
  CHECK(cid("3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 129, 128) == "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=");
  CHECK(cid("fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 134) == "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=");
  CHECK(cid("fe80::260:97ff:fe07:69ea", "ff02::1", 58, 134, 133) == "1:pkvHqCL88/tg1k4cPigmZXUtL00=");
  // RSVP (46): no ports
  CHECK(cid("10.1.12.1", "10.1.12.2", 46, 0, 0) == "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
  CHECK(cid("10.1.12.2", "10.1.12.1", 46, 0, 0) == "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
}

TEST_CASE("community id: equal addresses are ordered by port; a seed changes the ID; mixed families give none") {
  CHECK(cid("10.0.0.1", "10.0.0.1", 6, 1234, 80) == cid("10.0.0.1", "10.0.0.1", 6, 80, 1234));
  CHECK(cid("10.0.0.1", "127.0.0.1", 6, 1234, 80) == cid("127.0.0.1", "10.0.0.1", 6, 80, 1234));
  CHECK(cid("10.0.0.1", "127.0.0.1", 6, 1234, 80, 1) != cid("10.0.0.1", "127.0.0.1", 6, 1234, 80));
  char out[kCommunityIdLen + 1] = {'x'};
  CHECK(community_id_v1(ip("10.0.0.1"), ip("::1"), 6, 1, 2, 0, out) == 0);
  CHECK(out[0] == 0);
  CHECK(community_id_v1(IpAddr(), IpAddr(), 6, 1, 2, 0, out) == 0);
}
