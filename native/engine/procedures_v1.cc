// GTPv1-C procedures (TS 29.060): Create / Update / Delete PDP Context.
#include <cstring>

#include "tracker.h"

namespace gnpay {

void Tracker::on_gtpv1c(const IpPacket& outer, const UdpDatagram& udp) {
  v1_.reset();
  Status st = decode_gtpv1c(udp.payload, udp.truncated, v1_, stats_.anomalies);
  if (st == Status::Truncated && v1_.msg_type == 0) return;
  stats_.gtpv1c[v1_.msg_type]++;
  if (st != Status::Ok) return;  // a message cut short changes no state
  using namespace gtp1::msg;
  switch (v1_.msg_type) {
    case kCreatePdpContextRequest:
    case kUpdatePdpContextRequest:
    case kDeletePdpContextRequest: {
      uint64_t key = TransactionTable::key_of(1, v1_.seq, outer.src, outer.dst);
      PendingRequest& p = pending_.insert(key, ctx_.now_ns, stats_.anomalies, 1);
      p.msg_type = v1_.msg_type;
      p.seq = v1_.seq;
      p.header_teid = v1_.teid;
      p.src = outer.src;
      p.dst = outer.dst;
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
      return;
    }
    case kCreatePdpContextResponse:
    case kUpdatePdpContextResponse:
    case kDeletePdpContextResponse: {
      const PendingRequest* p = answered(1, v1_.seq, v1_.msg_type, v1_.has_cause, v1_.cause, outer);
      if (p) apply_v1(*p, v1_, outer);
      return;
    }
    default:
      return;
  }
}

void Tracker::apply_v1(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  using namespace gtp1::msg;
  if (req.msg_type == kCreatePdpContextRequest) v1_create(req, resp, outer);
  else if (req.msg_type == kUpdatePdpContextRequest) v1_update(req, resp, outer);
  else if (req.msg_type == kDeletePdpContextRequest) v1_delete(req, resp);
}

void Tracker::v1_create(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  // SGSN side from the request, GGSN side from the response (sessions.md)
  const IpAddr& sgsn_c = req.n_gsn >= 1 ? req.gsn[0] : req.src;
  const IpAddr& sgsn_u = req.n_gsn >= 2 ? req.gsn[1] : sgsn_c;
  const IpAddr& ggsn_c = resp.n_gsn >= 1 ? resp.gsn[0] : outer.src;
  const IpAddr& ggsn_u = resp.n_gsn >= 2 ? resp.gsn[1] : ggsn_c;

  uint32_t primary = kNone;
  if (req.has_linked) {
    primary = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
    if (primary == kNone) {
      stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
      return;
    }
  } else {
    uint64_t imsi = pack_digits(req.imsi);
    if (imsi != kNoDigits && req.has_nsapi) {
      uint32_t old = sessions_.find_identity(imsi, 1, req.nsapi, 0);
      if (old != kNone) {
        if (sessions_.at(old).primary == old) delete_group(old);
        else delete_one(old);
      }
    }
  }

  uint64_t evicted = 0;
  uint32_t idx = sessions_.alloc(&evicted);
  if (evicted) {
    stats_.sessions_evicted += evicted;
    stats_.anomalies.bump(Anomaly::SessionEvicted, evicted);
    if (primary != kNone && !(sessions_.at(primary).flags & sflag::kActive)) {
      sessions_.remove(idx);  // the primary itself was the one evicted
      return;
    }
  }
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
    if (resp.has_teid_cp) s.ctrl_up = Endpoint{sessions_.gsn_intern(ggsn_c), resp.teid_cp};
    if (req.has_teid_cp) s.ctrl_down = Endpoint{sessions_.gsn_intern(sgsn_c), req.teid_cp};
  }
  if (resp.has_teid_data) add_user_endpoint(s, Endpoint{sessions_.gsn_intern(ggsn_u), resp.teid_data}, Dir::Uplink, s.bearer);
  if (req.has_teid_data) add_user_endpoint(s, Endpoint{sessions_.gsn_intern(sgsn_u), req.teid_data}, Dir::Downlink, s.bearer);
  sessions_.commit(idx, now_s);
  emit_session(SessionChange::Create, idx);
}

void Tracker::v1_update(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
    return;
  }
  // Which side sent the request: if the header TEID is the GGSN's (uplink)
  // control endpoint, the SGSN initiated it and its IEs describe the SGSN side.
  Session& g = sessions_.at(group);
  uint32_t req_dst_gsn = sessions_.gsn_find(req.dst);
  bool sgsn_initiated = !(g.ctrl_down.valid() && g.ctrl_down.gsn == req_dst_gsn && g.ctrl_down.teid == req.header_teid);
  uint32_t idx = group;
  if (req.has_nsapi && g.bearer != req.nsapi) {
    idx = kNone;
    for (uint32_t c = g.next_sibling; c != kNone; c = sessions_.at(c).next_sibling)
      if (sessions_.at(c).bearer == req.nsapi) {
        idx = c;
        break;
      }
    if (idx == kNone) {
      stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
      return;
    }
  }
  // collect the whole group: control endpoints are shared
  uint32_t members[17];
  size_t nm = 0;
  members[nm++] = group;
  for (uint32_t c = g.next_sibling; c != kNone && nm < 17; c = sessions_.at(c).next_sibling) members[nm++] = c;
  for (size_t i = 0; i < nm; i++) sessions_.unindex(members[i]);

  Dir req_dir = sgsn_initiated ? Dir::Downlink : Dir::Uplink;  // side the request's IEs describe
  Dir resp_dir = sgsn_initiated ? Dir::Uplink : Dir::Downlink;
  const IpAddr& req_c = req.n_gsn >= 1 ? req.gsn[0] : req.src;
  const IpAddr& req_u = req.n_gsn >= 2 ? req.gsn[1] : req_c;
  const IpAddr& resp_c = resp.n_gsn >= 1 ? resp.gsn[0] : outer.src;
  const IpAddr& resp_u = resp.n_gsn >= 2 ? resp.gsn[1] : resp_c;
  auto set_ctrl = [&](Dir dir, const Endpoint& ep) {
    for (size_t i = 0; i < nm; i++) {
      Session& m = sessions_.at(members[i]);
      (dir == Dir::Uplink ? m.ctrl_up : m.ctrl_down) = ep;
    }
  };
  // a new control address without a new TEID keeps the TEID
  if (req.has_teid_cp || req.n_gsn >= 1) {
    Endpoint cur = req_dir == Dir::Uplink ? g.ctrl_up : g.ctrl_down;
    set_ctrl(req_dir, Endpoint{sessions_.gsn_intern(req_c), req.has_teid_cp ? req.teid_cp : cur.teid});
  }
  if (resp.has_teid_cp || resp.n_gsn >= 1) {
    Endpoint cur = resp_dir == Dir::Uplink ? g.ctrl_up : g.ctrl_down;
    set_ctrl(resp_dir, Endpoint{sessions_.gsn_intern(resp_c), resp.has_teid_cp ? resp.teid_cp : cur.teid});
  }
  Session& s = sessions_.at(idx);
  bool cleared_req = false, cleared_resp = false;
  if (req.has_teid_data)
    replace_user_endpoint(s, Endpoint{sessions_.gsn_intern(req_u), req.teid_data}, req_dir, s.bearer, &cleared_req);
  if (resp.has_teid_data)
    replace_user_endpoint(s, Endpoint{sessions_.gsn_intern(resp_u), resp.teid_data}, resp_dir, s.bearer,
                          &cleared_resp);
  if (resp.has_ue_v4 || resp.has_ue_v6) {
    s.flags &= uint8_t(~(sflag::kHasV4 | sflag::kHasV6));
    set_ue_addresses(s, resp.has_ue_v4, resp.ue_v4, resp.has_ue_v6, resp.ue_v6);
  }
  for (size_t i = 0; i < nm; i++) sessions_.reindex(members[i], now_s);
  emit_session(SessionChange::Update, idx);
}

void Tracker::v1_delete(const PendingRequest& req, const Gtp1cMessage& resp) {
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
    return;
  }
  const Session& g = sessions_.at(group);
  if (req.teardown || !req.has_nsapi || g.bearer == req.nsapi) {
    delete_group(group);
    return;
  }
  for (uint32_t c = g.next_sibling; c != kNone; c = sessions_.at(c).next_sibling)
    if (sessions_.at(c).bearer == req.nsapi) {
      delete_one(c);
      return;
    }
  stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
}

}  // namespace gnpay
