// GTP-U header (TS 29.281 s5.1) and extension-header chain (s5.2).
#include "gtpu.h"

#include "gtp_constants.h"

namespace gnpay {

namespace {
bool is_gtpu_message(uint8_t t) {
  switch (t) {
    case gtp1::msg::kEchoRequest:
    case gtp1::msg::kEchoResponse:
    case gtp1::msg::kErrorIndication:
    case gtp1::msg::kSupportedExtensionHeadersNotification:
    case gtp1::msg::kTunnelStatus:
    case gtp1::msg::kEndMarker:
    case gtp1::msg::kGpdu:
      return true;
    default:
      return false;
  }
}
}  // namespace

Status decode_gtpu(Span udp_payload, bool udp_truncated, GtpuHeader& out, AnomalyCounters& an) {
  out.reset();  // nothing of the previous packet survives (extension headers included)
  ByteReader r(udp_payload);

  auto header_short = [&]() {
    if (udp_truncated) {
      an.bump(Anomaly::GtpuTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::GtpuBadLength);  // a complete datagram too short for the header
    return Status::Malformed;
  };

  uint8_t flags = 0;
  if (!r.u8(flags)) return header_short();
  const uint8_t version = flags >> gtp1::kVersionShift;
  if (version == 0) {
    an.bump(Anomaly::GtpV0);
    return Status::Unsupported;
  }
  if (version != 1) {
    an.bump(Anomaly::GtpBadVersion);
    return Status::Malformed;
  }
  if ((flags & gtp1::kFlagPt) == 0) {  // GTP' on the GTP-U port
    an.bump(Anomaly::GtpuNotGtpu);
    return Status::Malformed;
  }
  out.flags = flags;
  if (!r.u8(out.msg_type) || !r.be16(out.length) || !r.be32(out.teid)) return header_short();

  Span msg = r.rest();
  if (out.length > msg.size) {
    if (!udp_truncated) {
      an.bump(Anomaly::GtpuBadLength);
      return Status::Malformed;
    }
    out.truncated = true;
  } else {
    msg = msg.prefix(out.length);  // octets after the message (padding) are not ours
  }
  ByteReader m(msg);

  // Past the message: cut by the capture, or a length that lies.
  auto ext_short = [&]() {
    if (out.truncated) {
      an.bump(Anomaly::GtpuExtTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::GtpuBadLength);
    return Status::Malformed;
  };

  if (flags & (gtp1::kFlagE | gtp1::kFlagS | gtp1::kFlagPn)) {
    if (out.length < gtp1::kOptionalLen) {
      an.bump(Anomaly::GtpuBadLength);
      return Status::Malformed;
    }
    uint8_t npdu = 0, next = 0;
    if (!m.be16(out.seq) || !m.u8(npdu) || !m.u8(next)) {
      an.bump(Anomaly::GtpuTruncated);  // length >= 4, so only the capture can cut here
      return Status::Truncated;
    }
    out.has_seq = (flags & gtp1::kFlagS) != 0;
    if (!out.has_seq) out.seq = 0;
    if (flags & gtp1::kFlagE) {
      // s5.2.1: length in 4-octet units including the length octet and the
      // next-type octet; the last octet of each header is the next type.
      while (next != 0) {
        if (out.n_ext == kMaxGtpuExtHeaders) {
          an.bump(Anomaly::GtpuExtChainTooLong);
          return Status::Malformed;
        }
        if (out.n_ext < kGtpuExtTypesKept) out.ext_types[out.n_ext] = next;
        out.n_ext++;
        uint8_t units = 0;
        if (!m.u8(units)) return ext_short();
        if (units == 0) {
          an.bump(Anomaly::GtpuExtZeroLength);
          return Status::Malformed;
        }
        if (!m.skip(size_t(units) * 4 - 2) || !m.u8(next)) return ext_short();
      }
    }
  }
  out.payload = m.rest();
  if (!is_gtpu_message(out.msg_type)) {
    an.bump(Anomaly::GtpuUnknownMessage);
    return Status::Unsupported;
  }
  return Status::Ok;
}

}  // namespace gnpay
