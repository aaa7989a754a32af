// Outcomes of a decoder and the named anomaly counters (Zeek "weirds").
// Truncated, malformed and unsupported are kept apart. Names are stable: they
// appear in `gnpay decode --stats`, in JSONL stats objects and in metrics.
// Add new names at the end of a layer's block; never rename or reuse one.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gnpay {

enum class Status : uint8_t {
  Ok = 0,
  Truncated,    // the bytes stop before the structure does (snaplen, short read)
  Malformed,    // the bytes are there but contradict the format (lengths that lie, bad values)
  Unsupported,  // well-formed but outside what gnpay decodes (GTPv0, unknown link type, ...)
  Ignored,      // not for us (ARP, a non-GTP UDP port): counted in stats, not an anomaly
};

enum class AnomalyKind : uint8_t { Truncated, Malformed, Unsupported, Evicted };

// X(identifier, "stable.name", kind)
#define GNPAY_ANOMALIES(X)                                            \
  /* capture files (pcap / pcapng) */                                 \
  X(PcapngUnknownBlock, "pcapng.unknown_block", Unsupported)          \
  X(PcapngBadInterface, "pcapng.bad_interface_id", Malformed)         \
  X(PcapCaplenTooLarge, "pcap.caplen_exceeds_snaplen", Malformed)     \
  /* link layer */                                                    \
  X(LinkTruncated, "link.truncated", Truncated)                       \
  X(LinkUnsupportedType, "link.unsupported_linktype", Unsupported)    \
  X(VlanTooDeep, "link.vlan_too_deep", Unsupported)                   \
  X(LinkRawBadVersion, "link.raw_bad_ip_version", Malformed)          \
  X(MplsTooDeep, "link.mpls_too_deep", Unsupported)                   \
  X(MplsNotIp, "link.mpls_not_ip", Unsupported)                       \
  /* IPv4 / IPv6 */                                                   \
  X(Ipv4Truncated, "ipv4.truncated", Truncated)                       \
  X(Ipv4BadHeaderLength, "ipv4.bad_header_length", Malformed)         \
  X(Ipv4BadTotalLength, "ipv4.bad_total_length", Malformed)           \
  X(Ipv4BadVersion, "ipv4.bad_version", Malformed)                    \
  X(Ipv6Truncated, "ipv6.truncated", Truncated)                       \
  X(Ipv6BadPayloadLength, "ipv6.bad_payload_length", Malformed)       \
  X(Ipv6ExtTruncated, "ipv6.ext_header_truncated", Truncated)         \
  X(Ipv6TooManyExt, "ipv6.too_many_ext_headers", Malformed)           \
  X(Ipv6Jumbogram, "ipv6.jumbogram", Unsupported)                     \
  X(Ipv6BadVersion, "ipv6.bad_version", Malformed)                    \
  /* outer/inner IP fragment reassembly */                            \
  X(FragBadOffset, "frag.bad_offset", Malformed)                      \
  X(FragTooLarge, "frag.datagram_too_large", Malformed)               \
  X(FragOverlap, "frag.overlap", Malformed)                           \
  X(FragEvicted, "frag.evicted", Evicted)                             \
  X(FragTimeout, "frag.timeout", Evicted)                             \
  X(FragInner, "frag.inner_fragment", Unsupported)                    \
  /* UDP / TCP */                                                     \
  X(UdpTruncated, "udp.truncated", Truncated)                         \
  X(UdpBadLength, "udp.bad_length", Malformed)                        \
  X(TcpTruncated, "tcp.truncated", Truncated)                         \
  X(TcpBadDataOffset, "tcp.bad_data_offset", Malformed)               \
  X(TcpFlowEvicted, "tcp.flow_evicted", Evicted)                      \
  X(TcpFlowTimeout, "tcp.flow_timeout", Evicted)                      \
  X(TcpHeadTooLarge, "tcp.request_head_too_large", Malformed)         \
  X(TcpOooDropped, "tcp.out_of_order_dropped", Evicted)               \
  X(TcpGapAbandoned, "tcp.gap_abandoned", Truncated)                  \
  /* GTP common / GTP-U (TS 29.281) */                                \
  X(GtpV0, "gtp.v0_unsupported", Unsupported)                         \
  X(GtpPrime, "gtp.prime_unsupported", Unsupported)                   \
  X(GtpBadVersion, "gtp.bad_version", Malformed)                      \
  X(GtpuTruncated, "gtpu.truncated", Truncated)                       \
  X(GtpuBadLength, "gtpu.bad_length", Malformed)                      \
  X(GtpuExtTruncated, "gtpu.ext_header_truncated", Truncated)         \
  X(GtpuExtZeroLength, "gtpu.ext_header_zero_length", Malformed)      \
  X(GtpuExtChainTooLong, "gtpu.ext_header_chain_too_long", Malformed) \
  X(GtpuNotGtpu, "gtpu.protocol_type_not_gtp", Malformed)             \
  X(GtpuUnknownMessage, "gtpu.unknown_message", Unsupported)          \
  X(GtpuInnerNotIp, "gtpu.inner_not_ip", Malformed)                   \
  X(GtpuNestedTunnel, "gtpu.nested_tunnel", Unsupported)              \
  /* GTPv1-C (TS 29.060) */                                           \
  X(Gtp1cTruncated, "gtpv1c.truncated", Truncated)                    \
  X(Gtp1cBadLength, "gtpv1c.bad_length", Malformed)                   \
  X(Gtp1cIeTruncated, "gtpv1c.ie_truncated", Truncated)               \
  X(Gtp1cIeBadLength, "gtpv1c.ie_bad_length", Malformed)              \
  X(Gtp1cIeUnknownTv, "gtpv1c.ie_unknown_tv", Malformed)              \
  X(Gtp1cTooManyIes, "gtpv1c.too_many_ies", Malformed)                \
  X(Gtp1cBadTbcd, "gtpv1c.bad_tbcd", Malformed)                       \
  X(Gtp1cBadApn, "gtpv1c.bad_apn", Malformed)                         \
  X(Gtp1cBadEua, "gtpv1c.bad_end_user_address", Malformed)            \
  X(Gtp1cMissingIe, "gtpv1c.missing_mandatory_ie", Malformed)         \
  X(Gtp1cUnknownMessage, "gtpv1c.unknown_message", Unsupported)       \
  X(Gtp1cUnmatchedResponse, "gtpv1c.unmatched_response", Malformed)   \
  X(Gtp1cUnknownContext, "gtpv1c.unknown_context", Unsupported)       \
  X(Gtp1cPendingEvicted, "gtpv1c.pending_request_evicted", Evicted)   \
  X(Gtp1cPendingTimeout, "gtpv1c.pending_request_timeout", Evicted)   \
  X(Gtp1cBadExtHeader, "gtpv1c.bad_ext_header", Malformed)            \
  X(Gtp1cTeidMismatch, "gtpv1c.response_teid_mismatch", Malformed)    \
  /* GTPv2-C (TS 29.274) */                                           \
  X(Gtp2cTruncated, "gtpv2c.truncated", Truncated)                    \
  X(Gtp2cBadLength, "gtpv2c.bad_length", Malformed)                   \
  X(Gtp2cIeTruncated, "gtpv2c.ie_truncated", Truncated)               \
  X(Gtp2cIeBadLength, "gtpv2c.ie_bad_length", Malformed)              \
  X(Gtp2cTooManyIes, "gtpv2c.too_many_ies", Malformed)                \
  X(Gtp2cGroupedTooDeep, "gtpv2c.grouped_ie_too_deep", Malformed)     \
  X(Gtp2cBadTbcd, "gtpv2c.bad_tbcd", Malformed)                       \
  X(Gtp2cBadApn, "gtpv2c.bad_apn", Malformed)                         \
  X(Gtp2cBadPaa, "gtpv2c.bad_paa", Malformed)                         \
  X(Gtp2cBadFteid, "gtpv2c.bad_fteid", Malformed)                     \
  X(Gtp2cMissingIe, "gtpv2c.missing_mandatory_ie", Malformed)         \
  X(Gtp2cUnknownMessage, "gtpv2c.unknown_message", Unsupported)       \
  X(Gtp2cUnmatchedResponse, "gtpv2c.unmatched_response", Malformed)   \
  X(Gtp2cUnknownContext, "gtpv2c.unknown_context", Unsupported)       \
  X(Gtp2cPendingEvicted, "gtpv2c.pending_request_evicted", Evicted)   \
  X(Gtp2cPendingTimeout, "gtpv2c.pending_request_timeout", Evicted)   \
  X(Gtp2cPiggyback, "gtpv2c.piggybacked_message", Unsupported)        \
  X(Gtp2cTeidMismatch, "gtpv2c.response_teid_mismatch", Malformed)    \
  /* subscriber / tunnel table */                                     \
  X(SessionEvicted, "session.evicted", Evicted)                       \
  X(SessionExpired, "session.expired", Evicted)                       \
  X(GsnTableFull, "session.gsn_table_full", Evicted)                  \
  X(ApnTableFull, "session.apn_table_full", Evicted)                  \
  X(SessionBearerLimit, "session.bearer_limit", Malformed)            \
  /* application layer inside the tunnel */                           \
  X(HttpBadRequestLine, "http.bad_request_line", Malformed)           \
  X(HttpBadHeader, "http.bad_header", Malformed)                      \
  X(HttpTooManyHeaders, "http.too_many_headers", Malformed)           \
  X(DnsTruncated, "dns.truncated", Truncated)                         \
  X(DnsBadName, "dns.bad_name", Malformed)                            \
  X(DnsCompressionInQuery, "dns.compression_in_question", Malformed)  \
  X(TlsTruncated, "tls.truncated", Truncated)                         \
  X(TlsBadClientHello, "tls.bad_client_hello", Malformed)             \
  X(TlsBadSni, "tls.bad_server_name", Malformed)                      \
  X(TokenInvalid, "token.invalid_value", Malformed)                   \
  X(HttpBadChunk, "http.bad_chunked_body", Malformed)                 \
  X(DnsTcpBadLength, "dns.tcp_bad_length", Malformed)                 \
  X(Http2BadFrame, "http2.bad_frame", Malformed)                      \
  X(HpackBadInteger, "hpack.bad_integer", Malformed)                  \
  X(HpackBadIndex, "hpack.bad_index", Malformed)                      \
  X(HpackBadHuffman, "hpack.bad_huffman", Malformed)                  \
  X(HpackBadString, "hpack.bad_string", Malformed)                    \
  X(HpackBadSizeUpdate, "hpack.bad_size_update", Malformed)           \
  X(HpackListTooLarge, "hpack.header_list_too_large", Malformed)

enum class Anomaly : uint16_t {
#define GNPAY_X(id, name, kind) id,
  GNPAY_ANOMALIES(GNPAY_X)
#undef GNPAY_X
      Count
};

constexpr size_t kAnomalyCount = static_cast<size_t>(Anomaly::Count);

const char* anomaly_name(Anomaly a);
AnomalyKind anomaly_kind(Anomaly a);
const char* anomaly_kind_name(AnomalyKind k);

struct AnomalyCounters {
  uint64_t n[kAnomalyCount] = {0};
  uint64_t bumps = 0;  // bump() calls: whether a decoder counted anything, in one load
  void bump(Anomaly a, uint64_t by = 1) {
    n[static_cast<size_t>(a)] += by;
    bumps++;
  }
  uint64_t get(Anomaly a) const { return n[static_cast<size_t>(a)]; }
  uint64_t total() const {
    uint64_t t = 0;
    for (size_t i = 0; i < kAnomalyCount; i++) t += n[i];
    return t;
  }
  void reset() {
    for (size_t i = 0; i < kAnomalyCount; i++) n[i] = 0;
    bumps = 0;
  }
  void add(const AnomalyCounters& o) {
    for (size_t i = 0; i < kAnomalyCount; i++) n[i] += o.n[i];
    bumps += o.bumps;
  }
};

}  // namespace gnpay
