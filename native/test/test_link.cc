// Link layers: Ethernet + VLAN tags, Linux cooked v1/v2, raw IP, 228/229, NULL, LOOP.
#include <doctest/doctest.h>

#include "bytes.h"
#include "link.h"

using namespace gnpay;
using gnpay_test::hex;
using gnpay_test::span;

namespace {
const char* kMacs = "00 05 85 a6 54 5f 00 1e df 2d 82 8e ";  // dst, src (zeek/gtp_create_pdp_ctx.pcap frame 2)
const char* kIp4 = "45 00 00 14 00 00 40 00 40 11 00 00 0a 00 00 01 0a 00 00 02";
const char* kIp6 =
    "60 00 00 00 00 00 3b 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 "
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02";

Status link(uint32_t lt, const std::string& h, LinkResult& out, AnomalyCounters& an) {
  static std::vector<uint8_t> keep;
  keep = hex(h);
  return decode_link(lt, span(keep), out, an);
}
}  // namespace

TEST_CASE("link: Ethernet IPv4 and IPv6") {
  LinkResult r;
  AnomalyCounters an;
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "08 00 " + kIp4, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv4);
  CHECK(r.vlan_depth == 0);
  REQUIRE(r.payload.size == 20);
  CHECK(r.payload[0] == 0x45);
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "86 dd " + kIp6, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv6);
  CHECK(r.payload.size == 40);
  CHECK(an.total() == 0);
}

TEST_CASE("link: 802.1Q, 802.1ad and 0x9100 tags are walked and recorded") {
  LinkResult r;
  AnomalyCounters an;
  // QinQ as in nDPI/ipv6_in_gtp.pcap: 88a8 outer, 8100 inner
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 a8 00 64 81 00 20 c8 08 00 " + kIp4, r, an) == Status::Ok);
  CHECK(r.vlan_depth == 2);
  CHECK(r.vlan_ids[0] == 100);
  CHECK(r.vlan_ids[1] == 200);  // PCP bits (0x2000) masked off
  CHECK(r.ethertype == ethertype::kIpv4);
  CHECK(r.payload.size == 20);
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "91 00 0f ff 86 dd " + kIp6, r, an) == Status::Ok);
  CHECK(r.vlan_depth == 1);
  CHECK(r.vlan_ids[0] == 0xfff);
  CHECK(r.ethertype == ethertype::kIpv6);
  CHECK(an.total() == 0);
}

TEST_CASE("link: up to kMaxVlanTags tags, one more is link.vlan_too_deep") {
  LinkResult r;
  AnomalyCounters an;
  std::string four = std::string(kMacs) + "81 00 00 01 81 00 00 02 81 00 00 03 81 00 00 04 08 00 " + kIp4;
  CHECK(link(linktype::kEthernet, four, r, an) == Status::Ok);
  CHECK(r.vlan_depth == 4);
  CHECK(r.vlan_ids[3] == 4);
  std::string five = std::string(kMacs) + "81 00 00 01 81 00 00 02 81 00 00 03 81 00 00 04 81 00 00 05 08 00 " + kIp4;
  CHECK(link(linktype::kEthernet, five, r, an) == Status::Unsupported);
  CHECK(an.get(Anomaly::VlanTooDeep) == 1);
  CHECK(an.total() == 1);
}

TEST_CASE("link: non-IP frames are Ignored without an anomaly") {
  LinkResult r;
  AnomalyCounters an;
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "08 06 00 01 08 00 06 04 00 01", r, an) == Status::Ignored);
  CHECK(r.ethertype == 0x0806);
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 cc 02 07 04", r, an) == Status::Ignored);  // LLDP
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "00 26 42 42 03", r, an) == Status::Ignored);  // 802.3 + LLC
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "81 00 00 01 08 06 00 01", r, an) == Status::Ignored);
  CHECK(an.total() == 0);
}

TEST_CASE("link: truncated Ethernet header and VLAN tag") {
  LinkResult r;
  AnomalyCounters an;
  CHECK(link(linktype::kEthernet, "", r, an) == Status::Truncated);
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "08", r, an) == Status::Truncated);
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "81 00 00 01 08", r, an) == Status::Truncated);
  CHECK(an.get(Anomaly::LinkTruncated) == 3);
  // the header alone is fine: an empty IP payload is the IP decoder's business
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "08 00", r, an) == Status::Ok);
  CHECK(r.payload.size == 0);
}

TEST_CASE("link: Linux cooked v1 (protocol at offset 14) and v2 (protocol at offset 0)") {
  LinkResult r;
  AnomalyCounters an;
  // arkime/gtp-iphone.pcap style: packet type 0, ARPHRD_ETHER, addr len 6
  const std::string sll = "00 00 00 01 00 06 00 1e df 2d 82 8e 00 00 08 00 ";
  CHECK(link(linktype::kLinuxSll, sll + kIp4, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv4);
  CHECK(r.payload.size == 20);
  CHECK(link(linktype::kLinuxSll, "00 00 03 04 00 00 00 00 00 00 00 00 00 00 86 dd " + std::string(kIp6), r, an) ==
        Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv6);
  CHECK(link(linktype::kLinuxSll, "00 00 00 01 00 06 00 1e df 2d 82 8e 00 00 08 06 00 01", r, an) == Status::Ignored);
  CHECK(link(linktype::kLinuxSll, "00 00 00 01 00 06 00 1e df 2d 82 8e 00 00 08", r, an) == Status::Truncated);
  // SLL2: protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr(8)
  const std::string sll2 = "86 dd 00 00 00 00 00 02 00 01 04 06 00 1e df 2d 82 8e 00 00 ";
  CHECK(link(linktype::kLinuxSll2, sll2 + kIp6, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv6);
  CHECK(r.payload.size == 40);
  CHECK(link(linktype::kLinuxSll2, "08 00 00 00 00 00 00 02 00 01 04 06 00 1e df 2d 82 8e 00", r, an) ==
        Status::Truncated);
  CHECK(an.get(Anomaly::LinkTruncated) == 2);
}

TEST_CASE("link: raw IP (101, 12, 14) by version nibble, 228 and 229") {
  LinkResult r;
  AnomalyCounters an;
  for (uint32_t lt : {linktype::kRaw, linktype::kRawAlt12, linktype::kRawAlt14}) {
    CHECK(link(lt, kIp4, r, an) == Status::Ok);
    CHECK(r.ethertype == ethertype::kIpv4);
    CHECK(r.payload.size == 20);
    CHECK(link(lt, kIp6, r, an) == Status::Ok);
    CHECK(r.ethertype == ethertype::kIpv6);
  }
  CHECK(an.total() == 0);
  CHECK(link(linktype::kRaw, "55 00 00 14", r, an) == Status::Malformed);
  CHECK(an.get(Anomaly::LinkRawBadVersion) == 1);
  CHECK(link(linktype::kRaw, "", r, an) == Status::Truncated);
  CHECK(link(linktype::kIpv4, kIp4, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv4);
  CHECK(link(linktype::kIpv6, kIp6, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv6);
  CHECK(link(linktype::kIpv6, "", r, an) == Status::Truncated);
  CHECK(an.get(Anomaly::LinkTruncated) == 2);
}

TEST_CASE("link: DLT_NULL in either host byte order, LOOP in network order") {
  LinkResult r;
  AnomalyCounters an;
  CHECK(link(linktype::kNull, std::string("02 00 00 00 ") + kIp4, r, an) == Status::Ok);  // little-endian host
  CHECK(r.ethertype == ethertype::kIpv4);
  CHECK(r.payload.size == 20);
  CHECK(link(linktype::kNull, std::string("00 00 00 02 ") + kIp4, r, an) == Status::Ok);  // big-endian host
  CHECK(r.ethertype == ethertype::kIpv4);
  for (const char* af6 : {"18 00 00 00 ", "1c 00 00 00 ", "1e 00 00 00 ", "00 00 00 1e "}) {
    CHECK(link(linktype::kNull, std::string(af6) + kIp6, r, an) == Status::Ok);
    CHECK(r.ethertype == ethertype::kIpv6);
  }
  CHECK(link(linktype::kNull, "07 00 00 00 00", r, an) == Status::Ignored);  // AF_ 7: not IP
  CHECK(link(linktype::kLoop, std::string("00 00 00 02 ") + kIp4, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv4);
  CHECK(link(linktype::kLoop, std::string("00 00 00 18 ") + kIp6, r, an) == Status::Ok);
  CHECK(r.ethertype == ethertype::kIpv6);
  CHECK(an.total() == 0);
  CHECK(link(linktype::kNull, "02 00 00", r, an) == Status::Truncated);
  CHECK(link(linktype::kLoop, "00 00", r, an) == Status::Truncated);
  CHECK(an.get(Anomaly::LinkTruncated) == 2);
}

TEST_CASE("link: unknown link type is Unsupported") {
  LinkResult r;
  AnomalyCounters an;
  CHECK(link(147, kIp4, r, an) == Status::Unsupported);
  CHECK(an.get(Anomaly::LinkUnsupportedType) == 1);
}

TEST_CASE("link: the result is reset per frame") {
  LinkResult r;
  AnomalyCounters an;
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "81 00 00 07 08 00 " + kIp4, r, an) == Status::Ok);
  CHECK(r.vlan_depth == 1);
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "08 00 " + kIp4, r, an) == Status::Ok);
  CHECK(r.vlan_depth == 0);
  CHECK(r.vlan_ids[0] == 0);
}

TEST_CASE("link: an MPLS label stack (RFC 3032) is popped to the bottom label; IP by version nibble") {
  LinkResult r;
  AnomalyCounters an;
  // one label (16, TC 0, S=1, TTL 64) over IPv4
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 47 00 01 01 40 " + kIp4, r, an) == Status::Ok);
  CHECK(r.mpls_depth == 1);
  CHECK(r.ethertype == ethertype::kIpv4);
  REQUIRE(r.payload.size == 20);
  CHECK(r.payload[0] == 0x45);
  // VLAN, then two labels (S=0, S=1) over IPv6; multicast MPLS ethertype too
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "81 00 00 0a 88 48 00 01 00 40 00 02 01 40 " + kIp6, r, an) ==
        Status::Ok);
  CHECK(r.vlan_depth == 1);
  CHECK(r.mpls_depth == 2);
  CHECK(r.ethertype == ethertype::kIpv6);
  CHECK(r.payload.size == 40);
  // Linux cooked v1 with an MPLS protocol
  CHECK(link(linktype::kLinuxSll, "00 00 00 01 00 06 00 1e df 2d 82 8e 00 00 88 47 00 01 01 40 " + std::string(kIp4), r,
             an) == Status::Ok);
  CHECK(r.mpls_depth == 1);
  CHECK(an.total() == 0);
}

TEST_CASE("link: MPLS malformed variants: too deep, truncated stack, not IP below it") {
  LinkResult r;
  AnomalyCounters an;
  std::string eight;
  for (int i = 0; i < 8; i++) eight += i == 7 ? "00 01 01 40 " : "00 01 00 40 ";
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 47 " + eight + kIp4, r, an) == Status::Ok);
  CHECK(r.mpls_depth == 8);
  std::string nine;
  for (int i = 0; i < 9; i++) nine += "00 01 00 40 ";
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 47 " + nine + kIp4, r, an) == Status::Unsupported);
  CHECK(an.get(Anomaly::MplsTooDeep) == 1);
  // a stack that never reaches its bottom before the frame ends
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 47 00 01 00 40 00 01", r, an) == Status::Truncated);
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 47 00 01 01 40", r, an) == Status::Truncated);
  CHECK(an.get(Anomaly::LinkTruncated) == 2);
  // a pseudowire control word (0000) and Ethernet over MPLS below the stack: not IP
  CHECK(link(linktype::kEthernet, std::string(kMacs) + "88 47 00 01 01 40 00 00 00 00 " + kMacs + "08 00 " + kIp4, r,
             an) == Status::Unsupported);
  CHECK(an.get(Anomaly::MplsNotIp) == 1);
  CHECK(an.total() == 4);
}
