// GTP-U header (TS 29.281 s5): mandatory 8 octets, optional seq/N-PDU/next-type,
// extension-header chain (s5.2), bounded.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

// TS 29.281 s5.2 sets no limit on the extension-header chain; each header is
// at least 4 octets. The walk stops (gtpu.ext_header_chain_too_long) after a
// generous 64, which also ends a chain that loops; the types of the first 8
// are kept.
constexpr size_t kMaxGtpuExtHeaders = 64;
constexpr size_t kGtpuExtTypesKept = 8;

struct GtpuHeader {
  uint8_t flags = 0;
  uint8_t msg_type = 0;
  uint16_t length = 0;  // from the header: octets after the mandatory 8
  uint32_t teid = 0;
  bool has_seq = false;  // S flag
  uint16_t seq = 0;
  uint8_t n_ext = 0;                           // extension headers walked
  uint8_t ext_types[kGtpuExtTypesKept] = {0};  // the types of the first ones
  Span payload;                                // T-PDU for a G-PDU, IEs otherwise (after options and extension headers)
  bool truncated = false;                      // the capture holds fewer bytes than `length` announces

  void reset() { *this = GtpuHeader(); }
};

// Decodes the GTPv1 header on UDP 2152. Version must be 1 and PT 1
// (otherwise gtp.v0_unsupported / gtpu.protocol_type_not_gtp / gtp.bad_version).
// A header length beyond the datagram is Malformed (gtpu.bad_length) unless the
// UDP datagram itself was truncated by the capture (then truncated = true).
Status decode_gtpu(Span udp_payload, bool udp_truncated, GtpuHeader& out, AnomalyCounters& an);

}  // namespace gnpay
