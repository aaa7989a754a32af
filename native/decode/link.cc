// Link layers: Ethernet (with 802.1Q / 802.1ad / 0x9100 tags and an MPLS label
// stack), Linux cooked v1/v2, raw IP, LINKTYPE_IPV4/IPV6, BSD loopback (NULL, LOOP).
#include "link.h"

namespace gnpay {

namespace {

// BSD AF_ values found in DLT_NULL / DLT_LOOP headers.
constexpr uint32_t kAfInet = 2;
constexpr uint32_t kAfInet6Bsd = 24;  // NetBSD, OpenBSD, BSD/OS
constexpr uint32_t kAfInet6FreeBsd = 28;
constexpr uint32_t kAfInet6Darwin = 30;

bool is_vlan_tpid(uint16_t t) { return t == ethertype::kVlan || t == ethertype::kQinQ || t == ethertype::kQinQOld; }

// An MPLS label stack (RFC 3032: label 20 bits, TC 3, bottom-of-stack 1, TTL 8),
// bounded; below the bottom label the payload type is not written anywhere, so
// it is read off the IP version nibble (as routers and tcpdump do). A pseudowire
// (control word 0000, Ethernet over MPLS) is not IP: counted, not decoded.
Status finish_mpls(ByteReader& r, LinkResult& out, AnomalyCounters& an) {
  for (;;) {
    if (out.mpls_depth >= kMaxMplsLabels) {
      an.bump(Anomaly::MplsTooDeep);
      return Status::Unsupported;
    }
    uint32_t entry = 0;
    if (!r.be32(entry)) {
      an.bump(Anomaly::LinkTruncated);
      return Status::Truncated;
    }
    out.mpls_depth++;
    if (entry & 0x100u) break;  // bottom of stack
  }
  uint8_t b0 = 0;
  if (!r.peek_u8(b0)) {
    an.bump(Anomaly::LinkTruncated);
    return Status::Truncated;
  }
  out.payload = r.rest();
  if ((b0 >> 4) == 4) {
    out.ethertype = ethertype::kIpv4;
    return Status::Ok;
  }
  if ((b0 >> 4) == 6) {
    out.ethertype = ethertype::kIpv6;
    return Status::Ok;
  }
  an.bump(Anomaly::MplsNotIp);
  return Status::Unsupported;
}

// After the link header: `type` is an ethertype, `r` is positioned on what follows.
// Walks VLAN tags (bounded) and classifies the payload.
Status finish_ethertype(uint16_t type, ByteReader& r, LinkResult& out, AnomalyCounters& an) {
  while (is_vlan_tpid(type)) {
    if (out.vlan_depth >= kMaxVlanTags) {
      an.bump(Anomaly::VlanTooDeep);
      out.ethertype = type;
      return Status::Unsupported;
    }
    uint16_t tci = 0, inner = 0;
    if (!r.be16(tci) || !r.be16(inner)) {
      an.bump(Anomaly::LinkTruncated);
      return Status::Truncated;
    }
    out.vlan_ids[out.vlan_depth++] = uint16_t(tci & 0x0FFF);
    type = inner;
  }
  if (type == ethertype::kMplsUnicast || type == ethertype::kMplsMulticast) return finish_mpls(r, out, an);
  out.ethertype = type;
  out.payload = r.rest();
  if (type == ethertype::kIpv4 || type == ethertype::kIpv6) return Status::Ok;
  return Status::Ignored;  // ARP, LLDP, 802.3 length field...: not for us
}

Status from_af(uint32_t af, ByteReader& r, LinkResult& out) {
  out.payload = r.rest();
  if (af == kAfInet) {
    out.ethertype = ethertype::kIpv4;
    return Status::Ok;
  }
  if (af == kAfInet6Bsd || af == kAfInet6FreeBsd || af == kAfInet6Darwin) {
    out.ethertype = ethertype::kIpv6;
    return Status::Ok;
  }
  return Status::Ignored;
}

}  // namespace

Status decode_link(uint32_t linktype, Span frame, LinkResult& out, AnomalyCounters& an) {
  out.reset();
  ByteReader r(frame);
  switch (linktype) {
    case linktype::kEthernet: {
      // dst(6) src(6) type(2)
      uint16_t type = 0;
      if (!r.skip(12) || !r.be16(type)) {
        an.bump(Anomaly::LinkTruncated);
        return Status::Truncated;
      }
      return finish_ethertype(type, r, out, an);
    }
    case linktype::kLinuxSll: {
      // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
      uint16_t proto = 0;
      if (!r.skip(14) || !r.be16(proto)) {
        an.bump(Anomaly::LinkTruncated);
        return Status::Truncated;
      }
      return finish_ethertype(proto, r, out, an);
    }
    case linktype::kLinuxSll2: {
      // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
      uint16_t proto = 0;
      if (!r.be16(proto) || !r.skip(18)) {
        an.bump(Anomaly::LinkTruncated);
        return Status::Truncated;
      }
      return finish_ethertype(proto, r, out, an);
    }
    case linktype::kRaw:
    case linktype::kRawAlt12:
    case linktype::kRawAlt14: {
      uint8_t b0 = 0;
      if (!r.peek_u8(b0)) {
        an.bump(Anomaly::LinkTruncated);
        return Status::Truncated;
      }
      out.payload = r.rest();
      if ((b0 >> 4) == 4) {
        out.ethertype = ethertype::kIpv4;
        return Status::Ok;
      }
      if ((b0 >> 4) == 6) {
        out.ethertype = ethertype::kIpv6;
        return Status::Ok;
      }
      an.bump(Anomaly::LinkRawBadVersion);
      return Status::Malformed;
    }
    case linktype::kIpv4:
    case linktype::kIpv6: {
      if (r.empty()) {
        an.bump(Anomaly::LinkTruncated);
        return Status::Truncated;
      }
      out.ethertype = linktype == linktype::kIpv4 ? ethertype::kIpv4 : ethertype::kIpv6;
      out.payload = r.rest();
      return Status::Ok;
    }
    case linktype::kNull: {
      // 4-octet AF_ value in the byte order of the capturing host, which the
      // file does not record: the values are small, so whichever order yields
      // a value < 65536 is the right one.
      uint32_t le = 0;
      if (!r.le32(le)) {
        an.bump(Anomaly::LinkTruncated);
        return Status::Truncated;
      }
      uint32_t af =
          (le & 0xFFFF0000u) ? (((le & 0xFF) << 24) | ((le & 0xFF00) << 8) | ((le >> 8) & 0xFF00) | (le >> 24)) : le;
      return from_af(af, r, out);
    }
    case linktype::kLoop: {
      uint32_t af = 0;
      if (!r.be32(af)) {
        an.bump(Anomaly::LinkTruncated);
        return Status::Truncated;
      }
      return from_af(af, r, out);
    }
    default:
      an.bump(Anomaly::LinkUnsupportedType);
      return Status::Unsupported;
  }
}

}  // namespace gnpay
