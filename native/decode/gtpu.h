// GTP-U header (TS 29.281 s5): mandatory 8 octets, optional seq/N-PDU/next-type,
// extension-header chain (s5.2), bounded.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

constexpr size_t kMaxGtpuExtHeaders = 8;

struct GtpuHeader {
  uint8_t flags = 0;
  uint8_t msg_type = 0;
  uint16_t length = 0;     // from the header: octets after the mandatory 8
  uint32_t teid = 0;
  bool has_seq = false;    // S flag
  uint16_t seq = 0;
  uint8_t n_ext = 0;       // extension headers walked
  uint8_t ext_types[kMaxGtpuExtHeaders] = {0};
  Span payload;            // T-PDU for a G-PDU, IEs otherwise (after options and extension headers)
  bool truncated = false;  // the capture holds fewer bytes than `length` announces

  void reset() { *this = GtpuHeader(); }
};

// Decodes the GTPv1 header on UDP 2152. Version must be 1 and PT 1
// (otherwise gtp.v0_unsupported / gtpu.protocol_type_not_gtp / gtp.bad_version).
// A header length beyond the datagram is Malformed (gtpu.bad_length) unless the
// UDP datagram itself was truncated by the capture (then truncated = true).
Status decode_gtpu(Span udp_payload, bool udp_truncated, GtpuHeader& out, AnomalyCounters& an);

}  // namespace gnpay
