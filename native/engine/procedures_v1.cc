// GTPv1-C procedures (TS 29.060 s7.3): Create, Update and Delete PDP Context,
// initiated by the SGSN or (Update, Delete) by the GGSN. Each changes only
// what its clause says the message carries; docs/sessions.md states the rules.
#include <cstring>

#include "tracker.h"

namespace gnpay {

namespace {
constexpr uint8_t kGnSgsn = epk::make(epk::kGn, Dir::Downlink);  // SGSN (or RNC with a direct tunnel)
constexpr uint8_t kGnGgsn = epk::make(epk::kGn, Dir::Uplink);
}  // namespace

void Tracker::on_gtpv1c(const IpPacket& outer, const UdpDatagram& udp) {
  v1_.reset();
  Status st = decode_gtpv1c(udp.payload, udp.truncated, v1_, stats_.anomalies);
  if (st == Status::Truncated && v1_.msg_type == 0) return;
  stats_.gtpv1c[v1_.msg_type]++;
  if (st != Status::Ok) return;  // a message cut short changes no state
  v1_message(outer, udp);
}

void Tracker::v1_message(const IpPacket& outer, const UdpDatagram& udp) {
  using namespace gtp1::msg;
  switch (v1_.msg_type) {
    case kCreatePdpContextRequest:
    case kUpdatePdpContextRequest:
    case kDeletePdpContextRequest:
      v1_request(outer, udp);
      return;
    case kCreatePdpContextResponse:
    case kUpdatePdpContextResponse:
    case kDeletePdpContextResponse: {
      const PendingRequest* p =
          answered(1, v1_.seq, v1_.msg_type, v1_.teid, v1_.has_cause, v1_.cause, outer, udp.dport);
      if (!p) return;
      if (p->msg_type == kCreatePdpContextRequest)
        v1_create(*p, v1_, outer);
      else if (p->msg_type == kUpdatePdpContextRequest)
        v1_update(*p, v1_, outer);
      else
        v1_delete(*p, v1_);
      return;
    }
    default:
      return;
  }
}

void Tracker::v1_request(const IpPacket& outer, const UdpDatagram& udp) {
  PendingRequest& p = pending_.insert(TransactionTable::key_of(1, v1_.seq, outer.src, udp.sport), ctx_.now_ns,
                                      stats_.anomalies, 1, udp.sport);
  p.msg_type = v1_.msg_type;
  p.seq = v1_.seq;
  p.header_teid = v1_.teid;
  p.src = outer.src;
  p.dst = outer.dst;
  p.dport = udp.dport;
  if (v1_.has_imsi) p.imsi = v1_.imsi;
  if (v1_.has_msisdn) p.msisdn = v1_.msisdn;
  if (v1_.has_imei) p.imei = v1_.imei;
  if (v1_.has_apn) p.apn = v1_.apn;
  p.has_nsapi = v1_.has_nsapi;
  p.nsapi = v1_.nsapi;
  p.has_linked = v1_.has_linked_nsapi;
  p.linked_nsapi = v1_.linked_nsapi;
  p.teardown = v1_.has_teardown && v1_.teardown;
  p.has_teid_data = v1_.has_teid_data;
  p.teid_data = v1_.teid_data;
  p.has_teid_cp = v1_.has_teid_cp;
  p.teid_cp = v1_.teid_cp;
  p.n_gsn = v1_.n_gsn < 2 ? v1_.n_gsn : 2;
  for (uint8_t i = 0; i < p.n_gsn; i++) p.gsn[i] = v1_.gsn[i];
  p.has_ue_v4 = v1_.has_ue_v4;
  std::memcpy(p.ue_v4, v1_.ue_v4, 4);
  p.has_ue_v6 = v1_.has_ue_v6;
  std::memcpy(p.ue_v6, v1_.ue_v6, 16);
  // The requester's TEID-C, which the response's header carries (s6): the
  // one the request gives, else the one its context holds for its side.
  if (p.has_teid_cp) {
    p.expect_known = true;
    p.expect_teid = p.teid_cp;
  } else if (p.msg_type != gtp1::msg::kCreatePdpContextRequest || p.has_linked) {
    EndpointHit hit = sessions_.find_control(sessions_.gsn_find(outer.dst), v1_.teid);
    if (hit.session != kNone) {
      const Session& g = sessions_.at(hit.session);
      const Endpoint& mine = hit.dir == Dir::Uplink ? g.ctrl_down : g.ctrl_up;
      p.expect_known = mine.valid();
      p.expect_teid = mine.teid;
    }
  }
}

// s7.3.1/7.3.2 Create PDP Context. A primary (no Linked NSAPI): IMSI, MSISDN,
// IMEI(SV), APN and NSAPI from the request, the UE address from the
// response's End User Address (else the request's); the SGSN's TEID-C and
// signalling address and its TEID Data I and user-traffic address from the
// request, the GGSN's from the response. A secondary (Linked NSAPI; header
// TEID = the GGSN's TEID-C of the primary) joins its primary's group with its
// own user-plane TEIDs.
void Tracker::v1_create(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  const IpAddr& sgsn_c = req.n_gsn >= 1 ? req.gsn[0] : req.src;
  const IpAddr& sgsn_u = req.n_gsn >= 2 ? req.gsn[1] : sgsn_c;
  const IpAddr& ggsn_c = resp.n_gsn >= 1 ? resp.gsn[0] : outer.src;
  const IpAddr& ggsn_u = resp.n_gsn >= 2 ? resp.gsn[1] : ggsn_c;

  uint32_t primary = kNone;
  if (req.has_linked) {
    EndpointHit hit = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
    primary = hit.session;
    if (primary == kNone || hit.dir != Dir::Uplink) {
      stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
      return;
    }
    // the NSAPI names the context (s7.7.17): one of the group with the same NSAPI is replaced
    uint32_t members[kMaxGroupContexts];
    size_t n = group(primary, members);
    for (size_t i = 1; i < n; i++)
      if (sessions_.at(members[i]).bearer == req.nsapi) {
        delete_one(members[i]);
        n = group(primary, members);
        break;
      }
    if (n >= kMaxGroupContexts) {
      stats_.anomalies.bump(Anomaly::SessionBearerLimit);
      return;
    }
  } else {
    uint64_t imsi = pack_digits(req.imsi);
    if (imsi != kNoDigits && req.has_nsapi) {
      uint32_t old = sessions_.find_identity(imsi, 1, req.nsapi, 0);
      if (old != kNone) {
        if (sessions_.at(old).primary == old)
          delete_group(old);
        else
          delete_one(old);
      }
    }
  }

  uint32_t idx = new_context(primary);
  if (idx == kNone) return;
  Session& s = sessions_.at(idx);
  s.gtp = 1;
  s.bearer = req.has_nsapi ? req.nsapi : 0;
  if (primary != kNone) {
    adopt(idx, primary);
  } else {
    s.imsi = pack_digits(req.imsi);
    s.msisdn = pack_digits(req.msisdn);
    s.imei = pack_digits(req.imei);
    s.apn = sessions_.apn_intern(req.apn);
    if (req.apn.len != 0 && s.apn == kNone) stats_.anomalies.bump(Anomaly::ApnTableFull);
    if (resp.has_ue_v4 || resp.has_ue_v6)
      set_ue_addresses(s, resp.has_ue_v4, resp.ue_v4, resp.has_ue_v6, resp.ue_v6);
    else
      set_ue_addresses(s, req.has_ue_v4, req.ue_v4, req.has_ue_v6, req.ue_v6);
    if (resp.has_teid_cp) s.ctrl_up = Endpoint{node(ggsn_c), resp.teid_cp};
    if (req.has_teid_cp) s.ctrl_down = Endpoint{node(sgsn_c), req.teid_cp};
  }
  if (resp.has_teid_data && resp.teid_data) set_endpoint(s, kGnGgsn, Endpoint{node(ggsn_u), resp.teid_data});
  if (req.has_teid_data && req.teid_data) set_endpoint(s, kGnSgsn, Endpoint{node(sgsn_u), req.teid_data});
  sessions_.commit(idx, now_s);
  emit_session(SessionChange::Create, idx);
}

// s7.3.3/7.3.4 Update PDP Context, for the context its NSAPI names in the
// group the header TEID finds.
//  - SGSN-initiated (header TEID = the GGSN's TEID-C): the request carries the
//    SGSN's TEID Data I, TEID-C (conditional) and its addresses for signalling
//    and user traffic; the response the GGSN's, the same way.
//  - GGSN-initiated (header TEID = the SGSN's TEID-C): the request carries no
//    tunnel (NSAPI, QoS, maybe an End User Address); the SGSN's response
//    carries its TEID Data I and its address for user traffic (its only GSN
//    Address IE), never a control endpoint.
// A new address without a new TEID keeps the TEID. One `update` event.
void Tracker::v1_update(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  EndpointHit hit = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  uint32_t primary = hit.session;
  if (primary == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
    return;
  }
  const bool sgsn_initiated = hit.dir == Dir::Uplink;
  uint32_t members[kMaxGroupContexts];
  size_t nm = group(primary, members);
  uint32_t idx = primary;
  if (req.has_nsapi && sessions_.at(primary).bearer != req.nsapi) {
    idx = kNone;
    for (size_t i = 1; i < nm; i++)
      if (sessions_.at(members[i]).bearer == req.nsapi) idx = members[i];
    if (idx == kNone) {
      stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
      return;
    }
  }
  for (size_t i = 0; i < nm; i++) sessions_.unindex(members[i]);
  // control endpoints are the group's: every member holds a copy
  auto set_ctrl = [&](Dir dir, const IpAddr* addr, bool has_teid, uint32_t teid) {
    const Session& g = sessions_.at(primary);
    Endpoint ep = dir == Dir::Uplink ? g.ctrl_up : g.ctrl_down;
    if (addr) ep.gsn = node(*addr);
    if (has_teid) ep.teid = teid;
    if (!ep.valid()) return;
    for (size_t i = 0; i < nm; i++)
      (dir == Dir::Uplink ? sessions_.at(members[i]).ctrl_up : sessions_.at(members[i]).ctrl_down) = ep;
  };
  Session& s = sessions_.at(idx);
  auto set_user = [&](uint8_t kind, const IpAddr* addr, bool has_teid, uint32_t teid) {
    Endpoint ep;
    for (uint8_t i = 0; i < s.n_user; i++)
      if (s.kind(i) == kind) ep = s.user[i];
    if (addr) ep.gsn = node(*addr);
    if (has_teid) ep.teid = teid;
    if (ep.valid() && ep.teid) set_endpoint(s, kind, ep);
  };
  if (sgsn_initiated) {
    const IpAddr* req_c = req.n_gsn >= 1 ? &req.gsn[0] : &req.src;
    const IpAddr* req_u = req.n_gsn >= 2 ? &req.gsn[1] : req_c;
    const IpAddr* resp_c = resp.n_gsn >= 1 ? &resp.gsn[0] : nullptr;
    const IpAddr* resp_u = resp.n_gsn >= 2 ? &resp.gsn[1] : resp_c;
    if (req.has_teid_cp || req.n_gsn >= 1) set_ctrl(Dir::Downlink, req_c, req.has_teid_cp, req.teid_cp);
    if (req.has_teid_data) set_user(kGnSgsn, req_u, true, req.teid_data);
    if (resp.has_teid_cp || resp.n_gsn >= 1)
      set_ctrl(Dir::Uplink, resp_c ? resp_c : &outer.src, resp.has_teid_cp, resp.teid_cp);
    if (resp.has_teid_data) set_user(kGnGgsn, resp_u ? resp_u : &outer.src, true, resp.teid_data);
  } else {
    if (resp.has_teid_data || resp.n_gsn >= 1)
      set_user(kGnSgsn, resp.n_gsn >= 1 ? &resp.gsn[0] : nullptr, resp.has_teid_data, resp.teid_data);
  }
  if (!sgsn_initiated && (req.has_ue_v4 || req.has_ue_v6)) {
    s.flags &= uint8_t(~(sflag::kHasV4 | sflag::kHasV6));
    set_ue_addresses(s, req.has_ue_v4, req.ue_v4, req.has_ue_v6, req.ue_v6);
  }
  if (sgsn_initiated && (resp.has_ue_v4 || resp.has_ue_v6)) {
    s.flags &= uint8_t(~(sflag::kHasV4 | sflag::kHasV6));
    set_ue_addresses(s, resp.has_ue_v4, resp.ue_v4, resp.has_ue_v6, resp.ue_v6);
  }
  for (size_t i = 0; i < nm; i++) sessions_.reindex(members[i], now_s);
  emit_session(SessionChange::Update, idx);
}

// s7.3.5/7.3.6 Delete PDP Context, by either side: the group the header TEID
// finds; its NSAPI names the context. With the Teardown Indicator, or when the
// NSAPI names the primary, the whole group goes (the primary first).
void Tracker::v1_delete(const PendingRequest& req, const Gtp1cMessage& resp) {
  uint32_t primary = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid).session;
  if (primary == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
    return;
  }
  if (req.teardown || !req.has_nsapi || sessions_.at(primary).bearer == req.nsapi) {
    delete_group(primary);
    return;
  }
  uint32_t members[kMaxGroupContexts];
  size_t n = group(primary, members);
  for (size_t i = 1; i < n; i++)
    if (sessions_.at(members[i]).bearer == req.nsapi) {
      delete_one(members[i]);
      return;
    }
  stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
}

}  // namespace gnpay
