// UDP (RFC 768) and TCP (RFC 9293) headers. Checksums are never verified.
#include "l4.h"

namespace gnpay {

Status decode_udp(Span bytes, bool ip_truncated, UdpDatagram& out, AnomalyCounters& an) {
  out = UdpDatagram();
  ByteReader r(bytes);
  uint16_t len = 0, csum = 0;
  if (!r.be16(out.sport) || !r.be16(out.dport) || !r.be16(len) || !r.be16(csum)) {
    if (ip_truncated) {
      an.bump(Anomaly::UdpTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::UdpBadLength);  // a complete IP payload too short for a UDP header
    return Status::Malformed;
  }
  if (len < 8) {
    an.bump(Anomaly::UdpBadLength);
    return Status::Malformed;
  }
  const size_t want = size_t(len) - 8;
  if (want > r.remaining()) {
    if (!ip_truncated) {
      an.bump(Anomaly::UdpBadLength);
      return Status::Malformed;
    }
    out.truncated = true;  // counted by the IP layer
    out.payload = r.rest();
    return Status::Ok;
  }
  r.span(want, out.payload);
  return Status::Ok;
}

Status decode_tcp(Span bytes, bool ip_truncated, TcpSegment& out, AnomalyCounters& an) {
  out = TcpSegment();
  ByteReader r(bytes);
  uint8_t off_res = 0, flags = 0;
  uint16_t win = 0, csum = 0, urg = 0;
  if (!r.be16(out.sport) || !r.be16(out.dport) || !r.be32(out.seq) || !r.be32(out.ack) || !r.u8(off_res) ||
      !r.u8(flags) || !r.be16(win) || !r.be16(csum) || !r.be16(urg)) {
    if (ip_truncated) {
      an.bump(Anomaly::TcpTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::TcpBadDataOffset);  // a complete IP payload too short for a TCP header
    return Status::Malformed;
  }
  out.flags = flags;
  const size_t hlen = size_t(off_res >> 4) * 4;
  if (hlen < 20) {
    an.bump(Anomaly::TcpBadDataOffset);
    return Status::Malformed;
  }
  if (!r.skip(hlen - 20)) {
    if (ip_truncated) {
      an.bump(Anomaly::TcpTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::TcpBadDataOffset);
    return Status::Malformed;
  }
  out.payload = r.rest();
  return Status::Ok;
}

Status decode_tcp(Span bytes, TcpSegment& out, AnomalyCounters& an) {
  return decode_tcp(bytes, /*ip_truncated=*/true, out, an);
}

}  // namespace gnpay
