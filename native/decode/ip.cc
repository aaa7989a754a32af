// IPv4 (RFC 791) and IPv6 (RFC 8200) header decoding. Checksums are never verified.
#include "ip.h"

namespace gnpay {

Status decode_ipv4(Span bytes, IpPacket& out, AnomalyCounters& an) {
  out.reset();
  ByteReader r(bytes);
  uint8_t vihl = 0;
  if (!r.u8(vihl)) {
    an.bump(Anomaly::Ipv4Truncated);
    return Status::Truncated;
  }
  if ((vihl >> 4) != 4) {
    an.bump(Anomaly::Ipv4BadVersion);
    return Status::Malformed;
  }
  out.version = 4;
  const size_t ihl = size_t(vihl & 0x0F) * 4;
  if (ihl < 20) {
    an.bump(Anomaly::Ipv4BadHeaderLength);
    return Status::Malformed;
  }
  uint8_t tos = 0, ttl = 0, proto = 0;
  uint16_t total = 0, id = 0, frag = 0, csum = 0;
  uint8_t src[4], dst[4];
  if (!r.u8(tos) || !r.be16(total) || !r.be16(id) || !r.be16(frag) || !r.u8(ttl) || !r.u8(proto) || !r.be16(csum) ||
      !r.copy(src, 4) || !r.copy(dst, 4)) {
    an.bump(Anomaly::Ipv4Truncated);
    return Status::Truncated;
  }
  out.src.set_v4(src);
  out.dst.set_v4(dst);
  out.ttl = ttl;
  out.proto = proto;

  size_t total_len = total;
  if (total_len == 0) total_len = bytes.size;  // TSO/GSO capture: the length is the captured one
  if (total_len < ihl) {
    an.bump(Anomaly::Ipv4BadTotalLength);
    return Status::Malformed;
  }
  if (!r.skip(ihl - 20)) {  // options cut by the capture
    an.bump(Anomaly::Ipv4Truncated);
    return Status::Truncated;
  }
  size_t end = total_len;
  if (end > bytes.size) {
    end = bytes.size;
    out.truncated = true;
    an.bump(Anomaly::Ipv4Truncated);
  }
  bytes.sub(ihl, end - ihl, out.payload);  // ihl <= end: checked above

  const bool mf = (frag & 0x2000) != 0;
  const uint32_t offset = uint32_t(frag & 0x1FFF) * 8;
  if (mf || offset != 0) {
    out.is_fragment = true;
    out.more_fragments = mf;
    out.frag_offset = offset;
    out.frag_id = id;
    out.frag_data = out.payload;
  }
  return Status::Ok;
}

Status decode_ipv6(Span bytes, IpPacket& out, AnomalyCounters& an) {
  out.reset();
  ByteReader r(bytes);
  uint8_t b0 = 0;
  if (!r.peek_u8(b0)) {
    an.bump(Anomaly::Ipv6Truncated);
    return Status::Truncated;
  }
  if ((b0 >> 4) != 6) {
    an.bump(Anomaly::Ipv6BadVersion);
    return Status::Malformed;
  }
  out.version = 6;
  uint32_t vtcfl = 0;
  uint16_t plen = 0;
  uint8_t next = 0, hlim = 0;
  uint8_t src[16], dst[16];
  if (!r.be32(vtcfl) || !r.be16(plen) || !r.u8(next) || !r.u8(hlim) || !r.copy(src, 16) || !r.copy(dst, 16)) {
    an.bump(Anomaly::Ipv6Truncated);
    return Status::Truncated;
  }
  out.src = IpAddr::v6(src);
  out.dst = IpAddr::v6(dst);
  out.ttl = hlim;
  out.proto = next;
  if (plen == 0 && next == ipproto::kHopByHop) {  // RFC 2675 jumbogram
    an.bump(Anomaly::Ipv6Jumbogram);
    return Status::Unsupported;
  }
  size_t end = plen;
  const size_t avail = bytes.size - 40;
  if (end > avail) {
    end = avail;
    out.truncated = true;
    an.bump(Anomaly::Ipv6Truncated);
  }
  Span body;
  bytes.sub(40, end, body);
  ByteReader w(body);

  // An extension header that does not fit: cut by the capture, or a payload length that lies.
  auto ext_short = [&]() {
    if (out.truncated) {
      an.bump(Anomaly::Ipv6ExtTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::Ipv6BadPayloadLength);
    return Status::Malformed;
  };

  uint8_t nh = next;
  size_t walked = 0;
  for (;;) {
    const bool ext = nh == ipproto::kHopByHop || nh == ipproto::kRouting || nh == ipproto::kDestOpts ||
                     nh == ipproto::kFragment || nh == ipproto::kAh;
    if (!ext) break;
    if (walked == kMaxIpv6ExtHeaders) {
      an.bump(Anomaly::Ipv6TooManyExt);
      return Status::Malformed;
    }
    walked++;
    if (nh == ipproto::kFragment) {
      uint8_t fnext = 0, reserved = 0;
      uint16_t offm = 0;
      uint32_t ident = 0;
      if (!w.u8(fnext) || !w.u8(reserved) || !w.be16(offm) || !w.be32(ident)) return ext_short();
      const uint32_t offset = uint32_t(offm >> 3) * 8;
      const bool m = (offm & 1) != 0;
      if (offset != 0 || m) {  // offset 0 and M 0 is an atomic fragment (RFC 6946): not a fragment
        out.is_fragment = true;
        out.more_fragments = m;
        out.frag_offset = offset;
        out.frag_id = ident;
        out.frag_data = w.rest();
        if (offset != 0) {  // the rest is fragment data: headers inside it are not ours to walk
          out.proto = fnext;
          out.payload = w.rest();
          return Status::Ok;
        }
      }
      nh = fnext;
      continue;
    }
    uint8_t nxt = 0, len = 0;
    if (!w.u8(nxt) || !w.u8(len)) return ext_short();
    const size_t total = nh == ipproto::kAh ? (size_t(len) + 2) * 4 : (size_t(len) + 1) * 8;
    if (!w.skip(total - 2)) return ext_short();
    nh = nxt;
  }
  out.proto = nh;
  out.payload = w.rest();
  return Status::Ok;
}

Status decode_ip(Span bytes, IpPacket& out, AnomalyCounters& an) {
  if (bytes.empty()) {
    out.reset();
    an.bump(Anomaly::Ipv4Truncated);
    return Status::Truncated;
  }
  switch (bytes[0] >> 4) {
    case 4:
      return decode_ipv4(bytes, out, an);
    case 6:
      return decode_ipv6(bytes, out, an);
    default:
      out.reset();
      an.bump(Anomaly::Ipv4BadVersion);
      return Status::Malformed;
  }
}

}  // namespace gnpay
