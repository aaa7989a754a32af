// GTPv2-C (TS 29.274 s5 header, s8 information elements).
#include "gtpv2c.h"

namespace gnpay {

namespace {

namespace ie = gtp2::ie;

struct Ie {
  uint8_t type = 0;
  uint8_t instance = 0;
  Span value;
};

// s8.2.1: type (1), length (2), spare (4 bits) + instance (4 bits), value.
bool read_ie(ByteReader& r, Ie& out) {
  uint16_t len = 0;
  uint8_t si = 0;
  if (!r.u8(out.type) || !r.be16(len) || !r.u8(si) || !r.span(len, out.value)) return false;
  out.instance = si & 0x0F;
  return true;
}

bool is_grouped(uint8_t t) {
  // s8.1 Table 8.1-1 grouped IEs: Bearer Context, PDN Connection, Overload
  // Control Information, Load Control Information, Remote UE Context, SCEF PDN Connection.
  return t == ie::kBearerContext || t == ie::kPdnConnection || t == 180 || t == 181 || t == 191 || t == 195;
}

// s8.22: flags (V4 0x80, V6 0x40, interface type 6 bits), TEID/GRE key, IPv4, IPv6.
bool parse_fteid(const Ie& e, Fteid& f, AnomalyCounters& an) {
  ByteReader r(e.value);
  uint8_t flags = 0;
  f = Fteid();
  f.instance = e.instance;
  bool ok = r.u8(flags) && r.be32(f.teid);
  f.iface = flags & 0x3F;
  if (ok && (flags & 0x80)) ok = f.has_v4 = r.copy(f.v4, 4);
  if (ok && (flags & 0x40)) ok = f.has_v6 = r.copy(f.v6, 16);
  if (!ok) {
    an.bump(Anomaly::Gtp2cBadFteid);
    return false;
  }
  return true;
}

// s8.14: spare (5 bits) + PDN type (3 bits), then the address(es).
void parse_paa(Span v, Gtp2cMessage& out, AnomalyCounters& an) {
  ByteReader r(v);
  uint8_t t = 0;
  if (!r.u8(t)) {
    an.bump(Anomaly::Gtp2cBadPaa);
    return;
  }
  out.has_paa = true;
  out.pdn_type = t & 0x07;
  bool ok = true;
  switch (out.pdn_type) {
    case gtp2::kPdnIpv4:
      ok = out.has_ue_v4 = r.copy(out.ue_v4, 4);
      break;
    case gtp2::kPdnIpv6:
      ok = r.u8(out.ue_v6_prefix) && (out.has_ue_v6 = r.copy(out.ue_v6, 16));
      break;
    case gtp2::kPdnIpv4v6:  // prefix length, IPv6 (16), IPv4 (4)
      ok = r.u8(out.ue_v6_prefix) && (out.has_ue_v6 = r.copy(out.ue_v6, 16)) && (out.has_ue_v4 = r.copy(out.ue_v4, 4));
      break;
    default:  // non-IP, Ethernet: no address
      break;
  }
  if (!ok) {
    out.has_ue_v4 = out.has_ue_v6 = false;
    out.ue_v6_prefix = 0;
    an.bump(Anomaly::Gtp2cBadPaa);
  }
}

void tbcd_ie(Span v, Digits& d, bool& has, AnomalyCounters& an) {
  if (v.size == 0) {
    an.bump(Anomaly::Gtp2cIeBadLength);
    return;
  }
  if (decode_tbcd(v, d) && !d.empty()) {
    has = true;
    return;
  }
  d.clear();
  an.bump(Anomaly::Gtp2cBadTbcd);
}

// The IEs of a top-level Bearer Context (list level 2).
void walk_bearer(Span group, BearerContext& bc, AnomalyCounters& an) {
  ByteReader r(group);
  size_t n = 0;
  while (!r.empty()) {
    if (n == kMaxGtpv2Ies) {
      an.bump(Anomaly::Gtp2cTooManyIes);
      return;
    }
    Ie e;
    if (!read_ie(r, e)) {  // the group itself was complete: an inner IE past its end lies
      an.bump(Anomaly::Gtp2cIeBadLength);
      return;
    }
    n++;
    switch (e.type) {
      case ie::kEbi:
        if (e.value.size == 0)
          an.bump(Anomaly::Gtp2cIeBadLength);
        else if (!bc.has_ebi) {
          bc.has_ebi = true;
          bc.ebi = e.value[0] & 0x0F;
        }
        break;
      case ie::kCause:
        if (e.value.size == 0)
          an.bump(Anomaly::Gtp2cIeBadLength);
        else if (!bc.has_cause) {
          bc.has_cause = true;
          bc.cause = e.value[0];
        }
        break;
      case ie::kFteid: {
        Fteid f;
        if (parse_fteid(e, f, an) && bc.n_fteid < kMaxBearerFteids) bc.fteid[bc.n_fteid++] = f;
        break;
      }
      default:
        if (is_grouped(e.type)) an.bump(Anomaly::Gtp2cGroupedTooDeep);  // level 3: not descended
        break;
    }
  }
}

void take_top(const Ie& e, Gtp2cMessage& out, AnomalyCounters& an) {
  const Span v = e.value;
  switch (e.type) {
    case ie::kImsi:
      tbcd_ie(v, out.imsi, out.has_imsi, an);
      break;
    case ie::kMsisdn:  // s8.11: digits directly, no TON/NPI octet
      tbcd_ie(v, out.msisdn, out.has_msisdn, an);
      break;
    case ie::kMei:
      tbcd_ie(v, out.mei, out.has_mei, an);
      break;
    case ie::kCause:
      if (v.size == 0)
        an.bump(Anomaly::Gtp2cIeBadLength);
      else if (e.instance == 0 && !out.has_cause) {
        out.has_cause = true;
        out.cause = v[0];
      }
      break;
    case ie::kApn:
      if (decode_apn(v, out.apn))
        out.has_apn = true;
      else
        an.bump(Anomaly::Gtp2cBadApn);
      break;
    case ie::kEbi:
      if (v.size == 0) {
        an.bump(Anomaly::Gtp2cIeBadLength);
      } else if (e.instance == 0) {
        if (!out.has_ebi) {
          out.has_ebi = true;
          out.ebi = v[0] & 0x0F;
        }
      } else if (e.instance == 1 && out.n_ebis < kMaxBearerContexts) {
        out.ebis[out.n_ebis++] = v[0] & 0x0F;
      }
      break;
    case ie::kPaa:
      parse_paa(v, out, an);
      break;
    case ie::kFteid: {
      Fteid f;
      if (parse_fteid(e, f, an) && out.n_fteid < kMaxFteids) out.fteid[out.n_fteid++] = f;
      break;
    }
    case ie::kBearerContext:
      if (out.n_bearer < kMaxBearerContexts) {
        BearerContext& bc = out.bearer[out.n_bearer++];
        bc = BearerContext();
        bc.instance = e.instance;
        static_assert(kMaxGtpv2GroupDepth == 2, "walk_bearer is list level 2");
        walk_bearer(v, bc, an);
      }
      break;
    default:
      break;
  }
}

}  // namespace

Status decode_gtpv2c(Span udp_payload, bool udp_truncated, Gtp2cMessage& out, AnomalyCounters& an) {
  out.reset();
  ByteReader r(udp_payload);

  auto header_short = [&]() {
    if (udp_truncated) {
      an.bump(Anomaly::Gtp2cTruncated);
      return Status::Truncated;
    }
    an.bump(Anomaly::Gtp2cBadLength);
    return Status::Malformed;
  };

  uint8_t flags = 0;
  if (!r.u8(flags)) return header_short();
  const uint8_t version = flags >> 5;
  if (version == 0) {
    an.bump(Anomaly::GtpV0);
    return Status::Unsupported;
  }
  if (version != gtp2::kVersion) {
    an.bump(Anomaly::GtpBadVersion);
    return Status::Malformed;
  }
  out.piggyback = (flags & gtp2::kFlagP) != 0;
  out.has_teid = (flags & gtp2::kFlagT) != 0;
  uint8_t spare = 0;
  if (!r.u8(out.msg_type) || !r.be16(out.length)) return header_short();
  if (out.has_teid && !r.be32(out.teid)) return header_short();
  if (!r.be24(out.seq) || !r.u8(spare)) return header_short();

  const size_t hdr_rest = out.has_teid ? 8 : 4;  // octets after the first 4 that the length covers
  if (out.length < hdr_rest) {
    an.bump(Anomaly::Gtp2cBadLength);
    return Status::Malformed;
  }
  bool cut = false;
  Span ies;
  const size_t ie_len = size_t(out.length) - hdr_rest;
  if (ie_len > r.remaining()) {
    if (!udp_truncated) {
      an.bump(Anomaly::Gtp2cBadLength);
      return Status::Malformed;
    }
    cut = true;
    ies = r.rest();
  } else {
    r.span(ie_len, ies);
    if (out.piggyback) out.next = r.rest();  // the piggybacked message
  }

  if (gtp2::message_name(out.msg_type) == nullptr) {
    an.bump(Anomaly::Gtp2cUnknownMessage);
    return Status::Unsupported;
  }

  ByteReader m(ies);
  while (!m.empty()) {
    if (out.ie_count == kMaxGtpv2Ies) {
      an.bump(Anomaly::Gtp2cTooManyIes);
      return Status::Malformed;
    }
    Ie e;
    if (!read_ie(m, e)) {
      if (cut) {
        an.bump(Anomaly::Gtp2cIeTruncated);
        return Status::Truncated;
      }
      an.bump(Anomaly::Gtp2cIeBadLength);
      return Status::Malformed;
    }
    out.ie_count++;
    take_top(e, out, an);
  }
  if (cut) {  // every IE present was whole, but the message goes on past the capture
    an.bump(Anomaly::Gtp2cTruncated);
    return Status::Truncated;
  }
  return Status::Ok;
}

Status decode_gtpv2c(Span udp_payload, Gtp2cMessage& out, AnomalyCounters& an) {
  return decode_gtpv2c(udp_payload, /*udp_truncated=*/false, out, an);
}

}  // namespace gnpay
