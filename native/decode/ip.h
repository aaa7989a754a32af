// IPv4 (RFC 791) and IPv6 (RFC 8200) headers.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

namespace ipproto {
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAh = 51;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kNoNext = 59;
constexpr uint8_t kDestOpts = 60;
constexpr uint8_t kMobility = 135;
}  // namespace ipproto

constexpr size_t kMaxIpv6ExtHeaders = 8;

struct IpPacket {
  uint8_t version = 0;  // 4 or 6
  IpAddr src, dst;
  uint8_t proto = 0;  // upper-layer protocol (after IPv6 extension headers)
  uint8_t ttl = 0;
  Span payload;            // upper-layer bytes, trimmed to the header's length (link padding removed)
  bool truncated = false;  // the capture holds fewer bytes than the header announces (payload is what there is)

  // fragmentation (IPv4 flags/offset, or the IPv6 Fragment extension header)
  bool is_fragment = false;  // MF set or offset != 0
  bool more_fragments = false;
  uint32_t frag_offset = 0;  // in bytes
  uint32_t frag_id = 0;      // IPv4: 16-bit id; IPv6: 32-bit identification
  // The fragment's bytes as they sit at frag_offset in the original datagram:
  // IPv4: the same as payload; IPv6: everything after the Fragment header (in a
  // first fragment, payload starts later, after the extension headers of the
  // fragmentable part). Set for fragments only; what IpReassembler copies.
  Span frag_data;

  void reset() { *this = IpPacket(); }
};

// Outcomes:
//   Ok         header read; `truncated` says whether the capture cut the datagram
//              (counted once here as ipv4.truncated / ipv6.truncated: UDP and GTP-U
//              below are told through their *_truncated arguments and do not count it again)
//   Truncated  the header itself (or an IPv6 extension header) is cut by the capture
//   Malformed  lengths that contradict each other, wrong version, too many IPv6 extension headers
//   Unsupported  IPv6 jumbogram
// Header checksums are never verified. An IPv4 total length of 0 (TSO/GSO
// captures taken on the sending host) is read as "the captured length", as
// Wireshark does. A non-first fragment's payload is the fragment data and
// `proto` the protocol of the whole datagram. An IPv6 atomic fragment (offset
// 0, M 0) is not a fragment. Walked IPv6 extension headers: hop-by-hop,
// routing, destination options, fragment, AH (at most kMaxIpv6ExtHeaders).
// decode_ip dispatches on the version nibble (neither 4 nor 6: ipv4.bad_version).
Status decode_ipv4(Span bytes, IpPacket& out, AnomalyCounters& an);
Status decode_ipv6(Span bytes, IpPacket& out, AnomalyCounters& an);
Status decode_ip(Span bytes, IpPacket& out, AnomalyCounters& an);

}  // namespace gnpay
