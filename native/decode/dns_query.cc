// DNS queries (RFC 1035 s4.1.1, s4.1.2): header and the first question's name.
#include "dns_query.h"

namespace gnpay {

Status parse_dns_query(Span udp_payload, DnsQuery& out, AnomalyCounters& an) {
  out.reset();
  ByteReader r(udp_payload);
  uint16_t flags = 0;
  uint16_t ancount = 0, nscount = 0, arcount = 0;
  if (!r.be16(out.id) || !r.be16(flags) || !r.be16(out.qdcount) || !r.be16(ancount) || !r.be16(nscount) ||
      !r.be16(arcount)) {
    an.bump(Anomaly::DnsTruncated);
    return Status::Truncated;
  }
  out.is_response = (flags & 0x8000) != 0;
  out.opcode = uint8_t((flags >> 11) & 0x0f);
  if (out.is_response) return Status::Ok;  // never decoded: only what the subscriber asks counts
  if (out.qdcount == 0) return Status::Ignored;

  size_t len = 0;  // dotted length so far
  for (;;) {
    uint8_t lab = 0;
    if (!r.u8(lab)) {
      an.bump(Anomaly::DnsTruncated);
      out.name_len = 0;
      out.name[0] = 0;
      return Status::Truncated;
    }
    if (lab == 0) break;
    if ((lab & 0xc0) == 0xc0) {  // compression pointer: nothing to point back to in a query's question
      an.bump(Anomaly::DnsCompressionInQuery);
      out.name_len = 0;
      out.name[0] = 0;
      return Status::Malformed;
    }
    if (lab & 0xc0) {  // 0x40 / 0x80: obsolete extended label types, or a label over 63
      an.bump(Anomaly::DnsBadName);
      out.name_len = 0;
      out.name[0] = 0;
      return Status::Malformed;
    }
    size_t need = (len ? 1 : 0) + size_t(lab);
    if (len + need > kMaxDnsName) {
      an.bump(Anomaly::DnsBadName);
      out.name_len = 0;
      out.name[0] = 0;
      return Status::Malformed;
    }
    Span label;
    if (!r.span(lab, label)) {
      an.bump(Anomaly::DnsTruncated);
      out.name_len = 0;
      out.name[0] = 0;
      return Status::Truncated;
    }
    if (len) out.name[len++] = '.';
    for (size_t i = 0; i < label.size; i++) {
      uint8_t c = label[i];
      if (c <= 0x20 || c >= 0x7f || c == '.') {
        an.bump(Anomaly::DnsBadName);
        out.name_len = 0;
        out.name[0] = 0;
        return Status::Malformed;
      }
      out.name[len++] = char(c);
    }
  }
  out.name[len] = 0;
  out.name_len = uint8_t(len);
  if (!r.be16(out.qtype) || !r.be16(out.qclass)) {
    an.bump(Anomaly::DnsTruncated);
    out.truncated = true;
  }
  return Status::Ok;
}

}  // namespace gnpay
