// Link layers (LINKTYPE_* values from the tcpdump.org link-layer registry).
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

namespace linktype {
constexpr uint32_t kNull = 0;  // BSD loopback, host-order AF_ value
constexpr uint32_t kEthernet = 1;
constexpr uint32_t kRaw = 101;       // raw IPv4/IPv6 (version nibble)
constexpr uint32_t kRawAlt12 = 12;   // DLT_RAW on some BSDs
constexpr uint32_t kRawAlt14 = 14;   // DLT_RAW on OpenBSD
constexpr uint32_t kLoop = 108;      // OpenBSD loopback, network-order AF_ value
constexpr uint32_t kLinuxSll = 113;  // Linux cooked v1 (16-byte header)
constexpr uint32_t kIpv4 = 228;
constexpr uint32_t kIpv6 = 229;
constexpr uint32_t kLinuxSll2 = 276;  // Linux cooked v2 (20-byte header)
}  // namespace linktype

namespace ethertype {
constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kIpv6 = 0x86DD;
constexpr uint16_t kVlan = 0x8100;  // 802.1Q
constexpr uint16_t kQinQ = 0x88A8;  // 802.1ad
constexpr uint16_t kQinQOld = 0x9100;
constexpr uint16_t kMplsUnicast = 0x8847;    // RFC 3032
constexpr uint16_t kMplsMulticast = 0x8848;  // RFC 5332
}  // namespace ethertype

constexpr size_t kMaxVlanTags = 4;
constexpr size_t kMaxMplsLabels = 8;

struct LinkResult {
  uint16_t ethertype = 0;  // normalised: 0x0800 / 0x86DD for IP whatever the link type
  uint8_t vlan_depth = 0;
  uint16_t vlan_ids[kMaxVlanTags] = {0};
  uint8_t mpls_depth = 0;  // labels popped (RFC 3032 label stack entries)
  Span payload;            // the network-layer bytes

  void reset() { *this = LinkResult(); }
};

// Ok: payload is IPv4 or IPv6 (ethertype says which).
// Ignored: a valid frame that carries no IP (ARP, LLDP...).
// Truncated / Unsupported: counted in `an`.
Status decode_link(uint32_t linktype, Span frame, LinkResult& out, AnomalyCounters& an);

}  // namespace gnpay
