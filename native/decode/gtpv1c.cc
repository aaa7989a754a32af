// GTPv1-C (TS 29.060 s6 header, s7.7 information elements).
#include "gtpv1c.h"

namespace gnpay {

bool decode_apn(Span bytes, Apn& out) {
  out.clear();
  if (bytes.empty()) return false;
  ByteReader r(bytes);
  size_t n = 0;
  while (!r.empty()) {
    uint8_t l = 0;
    Span label;
    if (!r.u8(l) || l == 0 || !r.span(l, label)) {
      out.clear();
      return false;
    }
    if (n + (n != 0 ? 1 : 0) + label.size > kMaxApnLen) {
      out.clear();
      return false;
    }
    if (n != 0) out.s[n++] = '.';
    for (size_t i = 0; i < label.size; i++) {
      const uint8_t c = label[i];
      if (c < 0x21 || c > 0x7E) {
        out.clear();
        return false;
      }
      out.s[n++] = char(c);
    }
  }
  out.len = uint8_t(n);
  out.s[n] = 0;
  return true;
}

namespace {

// A TBCD IE value; false when absent/bad (counted by the caller's choice of anomaly).
bool tbcd_ie(Span v, Digits& d, bool& has, Anomaly bad, AnomalyCounters& an) {
  if (decode_tbcd(v, d) && !d.empty()) {
    has = true;
    return true;
  }
  d.clear();
  an.bump(bad);
  return false;
}

void end_user_address(Span v, Gtp1cMessage& out, AnomalyCounters& an) {
  // s7.7.27: spare (1111) + PDP type organisation, PDP type number, then the
  // address(es), absent when dynamic addressing is requested.
  if (v.size < 2) {
    an.bump(Anomaly::Gtp1cBadEua);
    return;
  }
  out.has_eua = true;
  out.pdp_org = v[0] & 0x0F;
  out.pdp_type = v[1];
  const Span a = v.from(2);
  if (out.pdp_org != gtp1::kPdpOrgIetf) return;  // ETSI (PPP...): no IP address
  bool ok = a.size == 0;
  switch (out.pdp_type) {
    case gtp1::kPdpTypeIpv4:
      if (a.size == 4) {
        std::memcpy(out.ue_v4, a.data, 4);
        out.has_ue_v4 = ok = true;
      }
      break;
    case gtp1::kPdpTypeIpv6:
      if (a.size == 16) {
        std::memcpy(out.ue_v6, a.data, 16);
        out.has_ue_v6 = ok = true;
      }
      break;
    case gtp1::kPdpTypeIpv4v6:  // IPv4 first, then IPv6; either may be left out
      if (a.size == 4) {
        std::memcpy(out.ue_v4, a.data, 4);
        out.has_ue_v4 = ok = true;
      } else if (a.size == 16) {
        std::memcpy(out.ue_v6, a.data, 16);
        out.has_ue_v6 = ok = true;
      } else if (a.size == 20) {
        std::memcpy(out.ue_v4, a.data, 4);
        std::memcpy(out.ue_v6, a.data + 4, 16);
        out.has_ue_v4 = out.has_ue_v6 = ok = true;
      }
      break;
    default:
      ok = true;  // another IETF type: no address gnpay can use
      break;
  }
  if (!ok) an.bump(Anomaly::Gtp1cBadEua);
}

void take_ie(uint8_t type, Span v, Gtp1cMessage& out, AnomalyCounters& an) {
  namespace ie = gtp1::ie;
  switch (type) {
    case ie::kCause:
      out.has_cause = true;
      out.cause = v[0];
      break;
    case ie::kImsi:
      tbcd_ie(v, out.imsi, out.has_imsi, Anomaly::Gtp1cBadTbcd, an);
      break;
    case ie::kTeidDataI:
      out.has_teid_data = true;
      ByteReader(v).be32(out.teid_data);
      break;
    case ie::kTeidControlPlane:
      out.has_teid_cp = true;
      ByteReader(v).be32(out.teid_cp);
      break;
    case ie::kTeardownInd:
      out.has_teardown = true;
      out.teardown = (v[0] & 0x01) != 0;
      break;
    case ie::kNsapi:
      if (!out.has_nsapi) {
        out.has_nsapi = true;
        out.nsapi = v[0] & 0x0F;
      } else if (!out.has_linked_nsapi) {  // s7.3.1: the second NSAPI is the Linked NSAPI
        out.has_linked_nsapi = true;
        out.linked_nsapi = v[0] & 0x0F;
      }
      break;
    case ie::kEndUserAddress:
      end_user_address(v, out, an);
      break;
    case ie::kApn:
      if (decode_apn(v, out.apn))
        out.has_apn = true;
      else
        an.bump(Anomaly::Gtp1cBadApn);
      break;
    case ie::kGsnAddress:
      if (v.size == 4 || v.size == 16) {
        if (out.n_gsn < kMaxGsnAddresses) out.gsn[out.n_gsn++] = v.size == 4 ? IpAddr::v4(v.data) : IpAddr::v6(v.data);
      } else {
        an.bump(Anomaly::Gtp1cIeBadLength);
      }
      break;
    case ie::kMsisdn:  // s7.7.33: TS 29.002 AddressString: TON/NPI octet, then TBCD digits
      if (v.size == 0)
        an.bump(Anomaly::Gtp1cIeBadLength);
      else
        tbcd_ie(v.from(1), out.msisdn, out.has_msisdn, Anomaly::Gtp1cBadTbcd, an);
      break;
    case ie::kImeiSv:
      if (v.size == 0)
        an.bump(Anomaly::Gtp1cIeBadLength);
      else
        tbcd_ie(v, out.imei, out.has_imei, Anomaly::Gtp1cBadTbcd, an);
      break;
    default:
      break;
  }
}

}  // namespace

Status decode_gtpv1c(Span udp_payload, bool udp_truncated, Gtp1cMessage& out, AnomalyCounters& an) {
  out.reset();
  ByteReader r(udp_payload);

  auto header_short = [&]() {
    if (udp_truncated) {
      an.bump(Anomaly::Gtp1cTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::Gtp1cBadLength);
    return Status::Malformed;
  };

  uint8_t flags = 0;
  if (!r.u8(flags)) return header_short();
  out.version = flags >> gtp1::kVersionShift;
  if (out.version == 0) {  // GTPv0 (TS 09.60): 20-octet header, different IEs
    an.bump(Anomaly::GtpV0);
    return Status::Unsupported;
  }
  if (out.version != 1) {
    an.bump(Anomaly::GtpBadVersion);
    return Status::Malformed;
  }
  if ((flags & gtp1::kFlagPt) == 0) {
    an.bump(Anomaly::GtpPrime);
    return Status::Unsupported;
  }
  if (!r.u8(out.msg_type) || !r.be16(out.length) || !r.be32(out.teid)) return header_short();

  bool cut = false;  // the capture holds less than the header length announces
  Span msg = r.rest();
  if (out.length > msg.size) {
    if (!udp_truncated) {
      an.bump(Anomaly::Gtp1cBadLength);
      return Status::Malformed;
    }
    cut = true;
  } else {
    msg = msg.prefix(out.length);
  }
  ByteReader m(msg);

  if (flags & (gtp1::kFlagE | gtp1::kFlagS | gtp1::kFlagPn)) {
    if (out.length < gtp1::kOptionalLen) {
      an.bump(Anomaly::Gtp1cBadLength);
      return Status::Malformed;
    }
    uint8_t npdu = 0, next = 0;
    if (!m.be16(out.seq) || !m.u8(npdu) || !m.u8(next)) {
      an.bump(Anomaly::Gtp1cTruncated);
      return Status::Truncated;
    }
    out.has_seq = (flags & gtp1::kFlagS) != 0;
    if (!out.has_seq) out.seq = 0;
    if (flags & gtp1::kFlagE) {  // same chain format as GTP-U (TS 29.060 s6.1)
      auto ext_short = [&]() {
        if (cut) {
          an.bump(Anomaly::Gtp1cTruncated);
          return Status::Truncated;
        }
        an.bump(Anomaly::Gtp1cBadExtHeader);
        return Status::Malformed;
      };
      size_t n = 0;
      while (next != 0) {
        if (n == kMaxGtpv1cExtHeaders) {
          an.bump(Anomaly::Gtp1cBadExtHeader);
          return Status::Malformed;
        }
        n++;
        uint8_t units = 0;
        if (!m.u8(units)) return ext_short();
        if (units == 0) {
          an.bump(Anomaly::Gtp1cBadExtHeader);
          return Status::Malformed;
        }
        if (!m.skip(size_t(units) * 4 - 2) || !m.u8(next)) return ext_short();
      }
    }
  }

  if (gtp1::message_name(out.msg_type) == nullptr || out.msg_type == gtp1::msg::kGpdu ||
      out.msg_type == gtp1::msg::kEndMarker || out.msg_type == gtp1::msg::kTunnelStatus) {
    an.bump(Anomaly::Gtp1cUnknownMessage);
    return Status::Unsupported;
  }

  auto ie_short = [&]() {
    if (cut) {
      an.bump(Anomaly::Gtp1cIeTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::Gtp1cIeBadLength);  // an IE running past the message length
    return Status::Malformed;
  };

  while (!m.empty()) {
    if (out.ie_count == kMaxGtpv1Ies) {
      an.bump(Anomaly::Gtp1cTooManyIes);
      return Status::Malformed;
    }
    uint8_t type = 0;
    m.u8(type);
    out.ie_count++;
    Span v;
    if (type < 128) {
      const uint8_t len = gtp1::tv_length(type);
      if (len == 0) {
        an.bump(Anomaly::Gtp1cIeUnknownTv);
        return Status::Malformed;
      }
      if (!m.span(len, v)) return ie_short();
    } else {
      uint16_t len = 0;
      if (!m.be16(len) || !m.span(len, v)) return ie_short();
    }
    take_ie(type, v, out, an);
  }
  if (cut) {  // every IE present was whole, but the message goes on past the capture
    an.bump(Anomaly::Gtp1cTruncated);
    return Status::Truncated;
  }
  return Status::Ok;
}

Status decode_gtpv1c(Span udp_payload, Gtp1cMessage& out, AnomalyCounters& an) {
  return decode_gtpv1c(udp_payload, /*udp_truncated=*/false, out, an);
}

}  // namespace gnpay
