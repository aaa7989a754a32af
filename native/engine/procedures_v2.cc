// GTPv2-C procedures (TS 29.274): Create Session, Modify Bearer, Delete
// Session, Create Bearer, Delete Bearer.
#include <cstring>

#include "tracker.h"

namespace gnpay {

void Tracker::on_gtpv2c(const IpPacket& outer, const UdpDatagram& udp) {
  v2_.reset();
  Status st = decode_gtpv2c(udp.payload, udp.truncated, v2_, stats_.anomalies);
  if (st == Status::Truncated && v2_.msg_type == 0) return;
  stats_.gtpv2c[v2_.msg_type]++;
  if (st != Status::Ok) return;
  using namespace gtp2::msg;
  switch (v2_.msg_type) {
    case kCreateSessionRequest:
    case kModifyBearerRequest:
    case kDeleteSessionRequest:
    case kCreateBearerRequest:
    case kDeleteBearerRequest: {
      uint64_t key = TransactionTable::key_of(2, v2_.seq, outer.src, outer.dst);
      PendingRequest& p = pending_.insert(key, ctx_.now_ns, stats_.anomalies, 2);
      p.msg_type = v2_.msg_type;
      p.seq = v2_.seq;
      p.header_teid = v2_.has_teid ? v2_.teid : 0;
      p.src = outer.src;
      p.dst = outer.dst;
      if (v2_.has_imsi) p.imsi = v2_.imsi;
      if (v2_.has_msisdn) p.msisdn = v2_.msisdn;
      if (v2_.has_mei) p.imei = v2_.mei;
      if (v2_.has_apn) p.apn = v2_.apn;
      p.has_ebi = v2_.has_ebi;
      p.ebi = v2_.ebi;
      p.n_ebis = v2_.n_ebis;
      std::memcpy(p.ebis, v2_.ebis, sizeof p.ebis);
      p.has_ue_v4 = v2_.has_ue_v4;
      std::memcpy(p.ue_v4, v2_.ue_v4, 4);
      p.has_ue_v6 = v2_.has_ue_v6;
      std::memcpy(p.ue_v6, v2_.ue_v6, 16);
      for (uint8_t i = 0; i < v2_.n_fteid && p.n_ep < PendingRequest::kMaxEps; i++) {
        const Fteid& f = v2_.fteid[i];
        gtp2::IfaceRole r = gtp2::iface_role(f.iface);
        if (r.plane == gtp2::Plane::None || f.teid == 0) continue;
        PendingRequest::Ep& ep = p.ep[p.n_ep++];
        ep.plane = r.plane == gtp2::Plane::User ? 1 : 0;
        ep.dir = r.dir == gtp2::Dir::Downlink ? 1 : 0;
        ep.ebi = 0;
        ep.bc = 0xFF;
        ep.teid = f.teid;
        ep.addr = f.has_v4 ? IpAddr::v4(f.v4) : f.has_v6 ? IpAddr::v6(f.v6) : outer.src;
      }
      p.n_bc = v2_.n_bearer;
      for (uint8_t b = 0; b < v2_.n_bearer; b++) {
        const BearerContext& bc = v2_.bearer[b];
        p.bc_ebi[b] = bc.has_ebi ? bc.ebi : 0;
        for (uint8_t i = 0; i < bc.n_fteid && p.n_ep < PendingRequest::kMaxEps; i++) {
          const Fteid& f = bc.fteid[i];
          gtp2::IfaceRole r = gtp2::iface_role(f.iface);
          if (r.plane == gtp2::Plane::None || f.teid == 0) continue;
          PendingRequest::Ep& ep = p.ep[p.n_ep++];
          ep.plane = r.plane == gtp2::Plane::User ? 1 : 0;
          ep.dir = r.dir == gtp2::Dir::Downlink ? 1 : 0;
          ep.ebi = bc.has_ebi ? bc.ebi : 0;
          ep.bc = b;
          ep.teid = f.teid;
          ep.addr = f.has_v4 ? IpAddr::v4(f.v4) : f.has_v6 ? IpAddr::v6(f.v6) : outer.src;
        }
      }
      return;
    }
    case kCreateSessionResponse:
    case kModifyBearerResponse:
    case kDeleteSessionResponse:
    case kCreateBearerResponse:
    case kDeleteBearerResponse: {
      const PendingRequest* p = answered(2, v2_.seq, v2_.msg_type, v2_.has_cause, v2_.cause, outer);
      if (p) apply_v2(*p, v2_, outer);
      return;
    }
    default:
      return;
  }
}

void Tracker::apply_v2(const PendingRequest& req, const Gtp2cMessage& resp, const IpPacket& outer) {
  using namespace gtp2::msg;
  switch (req.msg_type) {
    case kCreateSessionRequest: v2_create_session(req, resp, outer); break;
    case kModifyBearerRequest: v2_modify_bearer(req, resp); break;
    case kDeleteSessionRequest: v2_delete_session(req, resp); break;
    case kCreateBearerRequest: v2_create_bearer(req, resp); break;
    case kDeleteBearerRequest: v2_delete_bearer(req, resp); break;
    default: break;
  }
}

namespace {
// Endpoints of a response in the same form as a pending request's.
struct RespEp {
  uint8_t plane, dir, ebi, bc;
  uint32_t teid;
  IpAddr addr;
};
size_t response_endpoints(const Gtp2cMessage& m, const IpAddr& fallback, RespEp* out, size_t cap) {
  size_t n = 0;
  auto push = [&](const Fteid& f, uint8_t ebi, uint8_t bc) {
    gtp2::IfaceRole r = gtp2::iface_role(f.iface);
    if (r.plane == gtp2::Plane::None || f.teid == 0 || n >= cap) return;
    RespEp& e = out[n++];
    e.plane = r.plane == gtp2::Plane::User ? 1 : 0;
    e.dir = r.dir == gtp2::Dir::Downlink ? 1 : 0;
    e.ebi = ebi;
    e.bc = bc;
    e.teid = f.teid;
    e.addr = f.has_v4 ? IpAddr::v4(f.v4) : f.has_v6 ? IpAddr::v6(f.v6) : fallback;
  };
  for (uint8_t i = 0; i < m.n_fteid; i++) push(m.fteid[i], 0, 0xFF);
  for (uint8_t b = 0; b < m.n_bearer; b++)
    for (uint8_t i = 0; i < m.bearer[b].n_fteid; i++)
      push(m.bearer[b].fteid[i], m.bearer[b].has_ebi ? m.bearer[b].ebi : 0, b);
  return n;
}
}  // namespace

void Tracker::v2_create_session(const PendingRequest& req, const Gtp2cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  RespEp rep[PendingRequest::kMaxEps + 8];
  size_t nrep = response_endpoints(resp, outer.src, rep, sizeof(rep) / sizeof(rep[0]));

  // default bearer: the first Bearer Context's EBI (response, else request), else the LBI
  uint8_t ebi = 0;
  if (resp.n_bearer && resp.bearer[0].has_ebi) ebi = resp.bearer[0].ebi;
  else if (req.n_bc && req.bc_ebi[0]) ebi = req.bc_ebi[0];
  else if (req.has_ebi) ebi = req.ebi;

  Endpoint ctrl_up, ctrl_down;
  Endpoint extra[4];
  uint8_t extra_dir[4] = {0};
  size_t n_extra = 0;
  auto pick_ctrl = [&](uint8_t plane, uint8_t dir, uint8_t bc, uint32_t teid, const IpAddr& a) {
    if (plane != 0 || bc != 0xFF) return;
    Endpoint ep{sessions_.gsn_intern(a), teid};
    Endpoint& slot = dir ? ctrl_down : ctrl_up;
    if (!slot.valid()) slot = ep;
    else if (!(slot == ep) && n_extra < 4) {
      // another hop's control endpoint carried in this message (the PGW's S5/S8-C on S11): reported only
      extra[n_extra] = ep;
      extra_dir[n_extra++] = dir;
    }
  };
  for (uint8_t i = 0; i < req.n_ep; i++) pick_ctrl(req.ep[i].plane, req.ep[i].dir, req.ep[i].bc, req.ep[i].teid, req.ep[i].addr);
  for (size_t i = 0; i < nrep; i++) pick_ctrl(rep[i].plane, rep[i].dir, rep[i].bc, rep[i].teid, rep[i].addr);

  uint64_t imsi = pack_digits(req.imsi);
  if (imsi != kNoDigits) {
    uint32_t old = sessions_.find_identity(imsi, 2, ebi, ctrl_down.gsn);
    if (old != kNone) {
      if (sessions_.at(old).primary == old) delete_group(old);
      else delete_one(old);
    }
  }
  uint64_t evicted = 0;
  uint32_t idx = sessions_.alloc(&evicted);
  if (evicted) {
    stats_.sessions_evicted += evicted;
    stats_.anomalies.bump(Anomaly::SessionEvicted, evicted);
  }
  Session& s = sessions_.at(idx);
  s.gtp = 2;
  s.bearer = ebi;
  s.imsi = imsi;
  s.msisdn = pack_digits(req.msisdn);
  s.imei = pack_digits(req.imei);
  s.apn = sessions_.apn_intern(req.apn);
  if (resp.has_ue_v4 || resp.has_ue_v6)
    set_ue_addresses(s, resp.has_ue_v4, resp.ue_v4, resp.has_ue_v6, resp.ue_v6);
  if (!(s.flags & (sflag::kHasV4 | sflag::kHasV6)))
    set_ue_addresses(s, req.has_ue_v4, req.ue_v4, req.has_ue_v6, req.ue_v6);
  s.ctrl_up = ctrl_up;
  s.ctrl_down = ctrl_down;
  for (size_t i = 0; i < n_extra; i++)
    add_user_endpoint(s, extra[i], extra_dir[i] ? Dir::Downlink : Dir::Uplink, 0, true);
  // user endpoints of the default bearer: request first, then response
  for (uint8_t i = 0; i < req.n_ep; i++) {
    const PendingRequest::Ep& e = req.ep[i];
    if (e.plane == 1 && (e.ebi == ebi || e.bc == 0))
      add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, ebi);
  }
  for (size_t i = 0; i < nrep; i++) {
    const RespEp& e = rep[i];
    if (e.plane == 1 && (e.ebi == ebi || e.bc == 0))
      add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, ebi);
  }
  sessions_.commit(idx, now_s);
  emit_session(SessionChange::Create, idx);
}

// The context of a group with this bearer (EBI), or kNone.
static uint32_t find_bearer(SessionTable& t, uint32_t group, uint8_t ebi) {
  if (t.at(group).bearer == ebi) return group;
  for (uint32_t c = t.at(group).next_sibling, guard = 0; c != kNone && guard < 16; c = t.at(c).next_sibling, guard++)
    if (t.at(c).bearer == ebi) return c;
  return kNone;
}

void Tracker::v2_modify_bearer(const PendingRequest& req, const Gtp2cMessage& resp) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  RespEp rep[PendingRequest::kMaxEps + 8];
  size_t nrep = response_endpoints(resp, req.dst, rep, sizeof(rep) / sizeof(rep[0]));

  uint32_t members[17];
  size_t nm = 0;
  members[nm++] = group;
  for (uint32_t c = sessions_.at(group).next_sibling; c != kNone && nm < 17; c = sessions_.at(c).next_sibling)
    members[nm++] = c;
  for (size_t i = 0; i < nm; i++) sessions_.unindex(members[i]);

  bool touched[17] = {false};
  // per (context, direction) clear once, then add: the message replaces that direction
  bool cleared[17][2] = {{false}};
  auto apply = [&](uint8_t plane, uint8_t dir, uint8_t ebi, uint8_t bc, uint32_t teid, const IpAddr& a) {
    Endpoint ep{sessions_.gsn_intern(a), teid};
    if (plane == 0) {
      if (bc != 0xFF) return;
      for (size_t i = 0; i < nm; i++) {
        Session& m = sessions_.at(members[i]);
        (dir ? m.ctrl_down : m.ctrl_up) = ep;
      }
      return;
    }
    uint8_t target = ebi ? ebi : sessions_.at(group).bearer;
    for (size_t i = 0; i < nm; i++) {
      Session& m = sessions_.at(members[i]);
      if (m.bearer != target) continue;
      replace_user_endpoint(m, ep, dir ? Dir::Downlink : Dir::Uplink, m.bearer, &cleared[i][dir]);
      touched[i] = true;
    }
  };
  for (uint8_t i = 0; i < req.n_ep; i++)
    apply(req.ep[i].plane, req.ep[i].dir, req.ep[i].ebi, req.ep[i].bc, req.ep[i].teid, req.ep[i].addr);
  // the response's endpoints replace independently of the request's
  for (size_t i = 0; i < nm; i++) cleared[i][0] = cleared[i][1] = false;
  for (size_t i = 0; i < nrep; i++) apply(rep[i].plane, rep[i].dir, rep[i].ebi, rep[i].bc, rep[i].teid, rep[i].addr);

  for (size_t i = 0; i < nm; i++) sessions_.reindex(members[i], now_s);
  bool any = false;
  for (size_t i = 0; i < nm; i++)
    if (touched[i]) {
      emit_session(SessionChange::Update, members[i]);
      any = true;
    }
  if (!any) emit_session(SessionChange::Update, group);
}

void Tracker::v2_delete_session(const PendingRequest& req, const Gtp2cMessage& resp) {
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  delete_group(group);
}

void Tracker::v2_create_bearer(const PendingRequest& req, const Gtp2cMessage& resp) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  RespEp rep[PendingRequest::kMaxEps + 8];
  size_t nrep = response_endpoints(resp, req.dst, rep, sizeof(rep) / sizeof(rep[0]));
  // the i-th Bearer Context of the response answers the i-th of the request
  for (uint8_t b = 0; b < resp.n_bearer; b++) {
    const BearerContext& bc = resp.bearer[b];
    if (!bc.has_ebi || (bc.has_cause && !gtp2::cause_accepted(bc.cause))) continue;
    if (!(sessions_.at(group).flags & sflag::kActive)) return;
    uint64_t evicted = 0;
    uint32_t idx = sessions_.alloc(&evicted);
    if (evicted) {
      stats_.sessions_evicted += evicted;
      stats_.anomalies.bump(Anomaly::SessionEvicted, evicted);
      if (!(sessions_.at(group).flags & sflag::kActive)) {
        sessions_.remove(idx);
        return;
      }
    }
    Session& s = sessions_.at(idx);
    s.gtp = 2;
    s.bearer = bc.ebi;
    adopt(idx, group);
    for (uint8_t i = 0; i < req.n_ep; i++) {
      const PendingRequest::Ep& e = req.ep[i];
      if (e.plane == 1 && e.bc == b)
        add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, s.bearer);
    }
    for (size_t i = 0; i < nrep; i++) {
      const RespEp& e = rep[i];
      if (e.plane == 1 && e.bc == b)
        add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, s.bearer);
    }
    sessions_.commit(idx, now_s);
    emit_session(SessionChange::Create, idx);
  }
}

void Tracker::v2_delete_bearer(const PendingRequest& req, const Gtp2cMessage& resp) {
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  bool any = false;
  for (uint8_t b = 0; b < resp.n_bearer; b++) {
    const BearerContext& bc = resp.bearer[b];
    if (!bc.has_ebi || (bc.has_cause && !gtp2::cause_accepted(bc.cause))) continue;
    uint32_t idx = find_bearer(sessions_, group, bc.ebi);
    if (idx == kNone) continue;
    any = true;
    if (idx == group) {
      delete_group(group);
      return;
    }
    delete_one(idx);
  }
  if (any) return;
  for (uint8_t i = 0; i < req.n_ebis && i < kMaxBearerContexts; i++) {
    uint32_t idx = find_bearer(sessions_, group, req.ebis[i]);
    if (idx == kNone) continue;
    any = true;
    if (idx == group) {
      delete_group(group);
      return;
    }
    delete_one(idx);
  }
  if (any) return;
  uint8_t ebi = resp.has_ebi ? resp.ebi : req.ebi;
  if (!req.has_ebi && !resp.has_ebi) return;
  uint32_t idx = find_bearer(sessions_, group, ebi);
  if (idx == kNone) return;
  if (idx == group) delete_group(group);
  else delete_one(idx);
}

}  // namespace gnpay
