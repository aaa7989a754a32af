// GTPv2-C procedures (TS 29.274 s7.2): Create Session, Modify Bearer (and
// Modify Access Bearers), Delete Session, Create / Update / Delete Bearer,
// Release Access Bearers. Each changes only what its clause says the message
// carries; docs/sessions.md states the rules.
//
// A GTP-C hop (MME/SGSN <-> SGW on S11/S4, SGW <-> PGW on S5/S8) has its own
// contexts: one per EPS bearer, the default bearer heading its PDN
// connection. The hop's control endpoints are the sender F-TEIDs of Create
// Session Request and Response (top level, instance 0); other control
// F-TEIDs (the PGW's S5/S8-C on S11) are another hop's, reported with the
// context. User-plane F-TEIDs are per interface (Table 8.22-1): a new one
// replaces the one of the same interface and side only. On S11/S4 a control
// TEID is per UE, so it addresses all the UE's PDN connections there; the
// Linked EPS Bearer ID or the EBIs in the message say which.
#include <cstring>

#include "tracker.h"

namespace gnpay {

namespace {

bool is_control(const PendingFteid& f) { return gtp2::iface_role(f.iface).plane == gtp2::Plane::Control; }

// The sender's own control F-TEID (top level, instance 0), or nullptr.
const PendingFteid* sender_fteid(const FteidSet& s) {
  for (uint8_t i = 0; i < s.n_fteid; i++)
    if (s.fteid[i].bc == 0xFF && s.fteid[i].instance == 0 && is_control(s.fteid[i])) return &s.fteid[i];
  return nullptr;
}

// The responder's own control F-TEID in a Create Session Response: the sender
// F-TEID (instance 0, sent on S11/S4), else on S5/S8 the PGW S5/S8-C F-TEID
// (instance 1), which Table 7.2.2-1 says stands for it there.
const PendingFteid* responder_fteid(const FteidSet& s) {
  if (const PendingFteid* f = sender_fteid(s)) return f;
  for (uint8_t i = 0; i < s.n_fteid; i++)
    if (s.fteid[i].bc == 0xFF && is_control(s.fteid[i])) return &s.fteid[i];
  return nullptr;
}

// S11 (MME, SGW) and S4 (SGSN) control interfaces: the hop's S5/S8-U F-TEIDs are another hop's.
bool is_s11_s4(uint8_t iface) { return iface == 10 || iface == 11 || iface == 17; }

bool cause_ok(const PendingBearer& b) { return !b.has_cause || gtp2::cause_accepted(b.cause); }

// The Bearer Context of instance `instance` with this EBI, or -1.
int bearer_index(const FteidSet& s, uint8_t instance, uint8_t ebi) {
  for (uint8_t b = 0; b < s.n_bc; b++)
    if (s.bc[b].instance == instance && s.bc[b].has_ebi && s.bc[b].ebi == ebi) return b;
  return -1;
}

}  // namespace

void Tracker::on_gtpv2c(const IpPacket& outer, const UdpDatagram& udp) { v2_message(outer, udp, udp.payload, false); }

void Tracker::v2_message(const IpPacket& outer, const UdpDatagram& udp, Span bytes, bool piggybacked) {
  v2_.reset();
  Status st = decode_gtpv2c(bytes, udp.truncated, v2_, stats_.anomalies);
  if (st == Status::Truncated && v2_.msg_type == 0) return;
  stats_.gtpv2c[v2_.msg_type]++;
  if (st != Status::Ok) return;  // a message cut short changes no state
  const bool more = v2_.piggyback && v2_.next.size > 0;
  const Span next = v2_.next;
  using namespace gtp2::msg;
  switch (v2_.msg_type) {
    case kCreateSessionRequest:
    case kModifyBearerRequest:
    case kDeleteSessionRequest:
    case kCreateBearerRequest:
    case kUpdateBearerRequest:
    case kDeleteBearerRequest:
    case kReleaseAccessBearersRequest:
    case kModifyAccessBearersRequest:
      v2_request(outer, udp);
      break;
    case kCreateSessionResponse:
    case kModifyBearerResponse:
    case kDeleteSessionResponse:
    case kCreateBearerResponse:
    case kUpdateBearerResponse:
    case kDeleteBearerResponse:
    case kReleaseAccessBearersResponse:
    case kModifyAccessBearersResponse: {
      const PendingRequest* p =
          answered(2, v2_.seq, v2_.msg_type, v2_.has_teid ? v2_.teid : 0, v2_.has_cause, v2_.cause, outer, udp.dport);
      if (p) v2_response(*p, outer);
      break;
    }
    default:
      break;
  }
  // s5.1: a message with the P flag carries one more message after it (a
  // piggybacked message has no P flag of its own)
  if (more) {
    if (piggybacked)
      stats_.anomalies.bump(Anomaly::Gtp2cPiggyback);
    else
      v2_message(outer, udp, next, true);
  }
}

void Tracker::v2_request(const IpPacket& outer, const UdpDatagram& udp) {
  PendingRequest& p = pending_.insert(TransactionTable::key_of(2, v2_.seq, outer.src, udp.sport), ctx_.now_ns,
                                      stats_.anomalies, 2, udp.sport);
  p.msg_type = v2_.msg_type;
  p.seq = v2_.seq;
  p.header_teid = v2_.has_teid ? v2_.teid : 0;
  p.src = outer.src;
  p.dst = outer.dst;
  p.dport = udp.dport;
  if (v2_.has_imsi) p.imsi = v2_.imsi;
  if (v2_.has_msisdn) p.msisdn = v2_.msisdn;
  if (v2_.has_mei) p.imei = v2_.mei;
  if (v2_.has_apn) p.apn = v2_.apn;
  p.has_lbi = v2_.has_ebi;
  p.lbi = v2_.ebi;
  p.n_ebis = v2_.n_ebis;
  std::memcpy(p.ebis, v2_.ebis, sizeof p.ebis);
  p.has_ue_v4 = v2_.has_ue_v4;
  std::memcpy(p.ue_v4, v2_.ue_v4, 4);
  p.has_ue_v6 = v2_.has_ue_v6;
  std::memcpy(p.ue_v6, v2_.ue_v6, 16);
  p.v2.collect(v2_);
  // The requester's control TEID, which the response's header carries
  // (s5.5.2): its sender F-TEID, else the one its context holds for its side.
  if (const PendingFteid* f = sender_fteid(p.v2)) {
    p.expect_known = true;
    p.expect_teid = f->teid;
  } else if (p.header_teid != 0) {
    EndpointHit hit = sessions_.find_control(sessions_.gsn_find(outer.dst), p.header_teid);
    if (hit.session != kNone) {
      const Session& g = sessions_.at(hit.session);
      const Endpoint& mine = hit.dir == Dir::Uplink ? g.ctrl_down : g.ctrl_up;
      p.expect_known = mine.valid();
      p.expect_teid = mine.teid;
    }
  }
}

void Tracker::v2_response(const PendingRequest& req, const IpPacket& outer) {
  using namespace gtp2::msg;
  resp_.collect(v2_);
  switch (req.msg_type) {
    case kCreateSessionRequest:
      v2_create_session(req, outer);
      break;
    case kModifyBearerRequest:
    case kModifyAccessBearersRequest:
      v2_modify_bearer(req, outer);
      break;
    case kDeleteSessionRequest:
      v2_delete_session(req);
      break;
    case kCreateBearerRequest:
      v2_create_bearer(req, outer);
      break;
    case kDeleteBearerRequest:
      v2_delete_bearer(req);
      break;
    case kReleaseAccessBearersRequest:
      v2_release_access_bearers(req);
      break;
    default:
      break;  // Update Bearer (s7.2.15/16): QoS and TFT only, no tunnel
  }
}

size_t Tracker::v2_pdns(const PendingRequest& req, EndpointHit* hit, uint32_t* out) {
  *hit = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (hit->session == kNone) return 0;
  const Session& f = sessions_.at(hit->session);
  return sessions_.pdns_sharing(hit->session, hit->dir, hit->dir == Dir::Uplink ? f.ctrl_up : f.ctrl_down, out,
                                kMaxGroupContexts);
}

// s7.2.1/7.2.2 Create Session. IMSI, MSISDN, MEI, APN from the request, the
// UE addresses from the response's PAA (else the request's). The hop's control
// endpoints: the request's and the response's sender F-TEIDs. One context per
// Bearer Context to be created / created (instance 0; "to be removed" /
// "marked for removal", instance 1, are not created): the default bearer is
// the Linked EPS Bearer ID when the request has one (TAU/HO with SGW change),
// else its Bearer Context; the others are dedicated bearers of the same PDN
// connection. A Create Session that continues a known PDN connection (it
// names the PGW's S5/S8-C F-TEID of one) takes from it what it does not carry
// itself (MSISDN, MEI, UE addresses).
void Tracker::v2_create_session(const PendingRequest& req, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  const FteidSet& rq = req.v2;
  const FteidSet& rs = resp_;
  const PendingFteid* down_f = sender_fteid(rq);
  const PendingFteid* up_f = responder_fteid(rs);
  Endpoint ctrl_down =
      down_f ? Endpoint{node(*down_f, req.src), down_f->teid} : Endpoint{node(req.src), v2_.has_teid ? v2_.teid : 0};
  Endpoint ctrl_up = up_f ? Endpoint{node(*up_f, outer.src), up_f->teid} : Endpoint();
  const bool s11 = (down_f && is_s11_s4(down_f->iface)) || (up_f && is_s11_s4(up_f->iface));

  // the bearers: EBIs of the instance-0 Bearer Contexts, request first
  uint8_t ebis[kMaxGroupContexts];
  size_t n_ebi = 0;
  auto add_ebi = [&](uint8_t e) {
    for (size_t i = 0; i < n_ebi; i++)
      if (ebis[i] == e) return;
    if (n_ebi < kMaxGroupContexts)
      ebis[n_ebi++] = e;
    else
      stats_.anomalies.bump(Anomaly::SessionBearerLimit);
  };
  if (req.has_lbi) add_ebi(req.lbi);
  for (uint8_t b = 0; b < rq.n_bc; b++)
    if (rq.bc[b].instance == 0 && rq.bc[b].has_ebi) add_ebi(rq.bc[b].ebi);
  for (uint8_t b = 0; b < rs.n_bc; b++)
    if (rs.bc[b].instance == 0 && rs.bc[b].has_ebi) add_ebi(rs.bc[b].ebi);
  if (n_ebi == 0) add_ebi(0);
  const uint8_t def = ebis[0];
  {
    int rb = bearer_index(rs, 0, def);
    if (rb >= 0 && !cause_ok(rs.bc[rb])) return;  // the default bearer was not created
  }

  // a Create Session for the same bearer on the same hop replaces the old one (s7.2.1)
  uint64_t imsi = pack_digits(req.imsi);
  if (imsi != kNoDigits) {
    uint64_t hop = (uint64_t(ctrl_down.gsn) << 32) | ctrl_up.gsn;
    for (size_t i = 0; i < n_ebi; i++) {
      uint32_t old = sessions_.find_identity(imsi, 2, ebis[i], hop);
      if (old == kNone) continue;
      if (sessions_.at(old).primary == old)
        delete_group(old);
      else
        delete_one(old);
    }
  }

  // the PDN connection this one continues, if known by its PGW S5/S8-C F-TEID
  uint32_t known = kNone;
  for (const FteidSet* set : {&rq, &rs})
    for (uint8_t i = 0; i < set->n_fteid && known == kNone; i++) {
      const PendingFteid& f = set->fteid[i];
      if (f.bc != 0xFF || f.instance == 0 || !is_control(f) || f.teid == 0) continue;
      IpAddr a = f.has_v4 ? IpAddr::v4(f.v4) : f.has_v6 ? IpAddr::v6(f.v6) : IpAddr();
      uint32_t g = sessions_.gsn_find(a);
      uint32_t c = sessions_.find_control(g, f.teid).session;
      if (c == kNone) c = sessions_.find_peer(g, f.teid);
      if (c != kNone && sessions_.active(c) && (imsi == kNoDigits || sessions_.at(c).imsi == imsi)) known = c;
    }

  uint32_t primary = kNone;
  for (size_t i = 0; i < n_ebi; i++) {
    const uint8_t ebi = ebis[i];
    int rqb = bearer_index(rq, 0, ebi), rsb = bearer_index(rs, 0, ebi);
    if (i > 0 && rsb >= 0 && !cause_ok(rs.bc[rsb])) continue;  // this dedicated bearer was not created
    uint32_t idx = new_context(primary);
    if (idx == kNone) return;
    Session& s = sessions_.at(idx);
    s.gtp = 2;
    s.bearer = ebi;
    if (primary == kNone) {
      s.imsi = imsi;
      s.msisdn = pack_digits(req.msisdn);
      s.imei = pack_digits(req.imei);
      s.apn = sessions_.apn_intern(req.apn);
      if (req.apn.len != 0 && s.apn == kNone) stats_.anomalies.bump(Anomaly::ApnTableFull);
      if (v2_.has_ue_v4 || v2_.has_ue_v6) set_ue_addresses(s, v2_.has_ue_v4, v2_.ue_v4, v2_.has_ue_v6, v2_.ue_v6);
      if (!(s.flags & (sflag::kHasV4 | sflag::kHasV6)))
        set_ue_addresses(s, req.has_ue_v4, req.ue_v4, req.has_ue_v6, req.ue_v6);
      if (known != kNone) {
        const Session& k = sessions_.at(known);
        if (s.imsi == kNoDigits) s.imsi = k.imsi;
        if (s.msisdn == kNoDigits) s.msisdn = k.msisdn;
        if (s.imei == kNoDigits) s.imei = k.imei;
        if (s.apn == kNone) s.apn = k.apn;
        if (!(s.flags & (sflag::kHasV4 | sflag::kHasV6))) {
          s.flags |= uint8_t(k.flags & (sflag::kHasV4 | sflag::kHasV6));
          s.ue_v4 = k.ue_v4;
          std::memcpy(s.ue_v6, k.ue_v6, 16);
        }
      }
      s.ctrl_up = ctrl_up;
      s.ctrl_down = ctrl_down;
      if (s11) s.flags |= sflag::kHopS11;
      // other hops' control endpoints carried here (the PGW's S5/S8-C on S11)
      for (const FteidSet* set : {&rq, &rs})
        for (uint8_t j = 0; j < set->n_fteid; j++) {
          const PendingFteid& f = set->fteid[j];
          if (f.bc != 0xFF || !is_control(f) || f.teid == 0 || &f == down_f || &f == up_f) continue;
          Endpoint ep{node(f, set == &rq ? req.src : outer.src), f.teid};
          if (ep == ctrl_up || ep == ctrl_down) continue;
          set_endpoint(s,
                       epk::make(epk::kPeerControl,
                                 gtp2::iface_role(f.iface).dir == gtp2::Dir::Downlink ? Dir::Downlink : Dir::Uplink),
                       ep);
        }
    } else {
      adopt(idx, primary);
    }
    // the bearer's user-plane F-TEIDs: the request's, then the response's
    for (const FteidSet* set : {&rq, &rs}) {
      int b = set == &rq ? rqb : rsb;
      if (b < 0) continue;
      for (uint8_t j = 0; j < set->n_fteid; j++) {
        const PendingFteid& f = set->fteid[j];
        uint8_t kind;
        if (f.bc != b || f.teid == 0 || !epk::of_iface(f.iface, &kind)) continue;
        set_endpoint(s, kind, Endpoint{node(f, set == &rq ? req.src : outer.src), f.teid});
      }
    }
    sessions_.commit(idx, now_s);
    emit_session(SessionChange::Create, idx);
    if (primary == kNone) primary = idx;
  }
}

// s7.2.7/7.2.8 Modify Bearer (and s7.2.24/7.2.25 Modify Access Bearers): the
// PDN connection(s) the header TEID addresses. A sender F-TEID in the request
// (MME or SGW relocation) replaces the requester's control endpoint. Bearer
// Contexts to be modified (instance 0) name their bearers by EBI; their
// F-TEIDs replace those of the same interface, then the response's Bearer
// Contexts modified do the same (a rejecting cause in one leaves its bearer
// as it was). Bearer Contexts to be removed (instance 1) go. One `update` per
// context changed (else one for the PDN connection addressed).
void Tracker::v2_modify_bearer(const PendingRequest& req, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  EndpointHit hit;
  uint32_t pdns[kMaxGroupContexts];
  size_t np = v2_pdns(req, &hit, pdns);
  if (np == 0) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  const FteidSet& rq = req.v2;
  const FteidSet& rs = resp_;
  // every context of the PDN connections addressed
  uint32_t members[kMaxGroupContexts];
  size_t nm = 0;
  for (size_t p = 0; p < np; p++) {
    uint32_t g[kMaxGroupContexts];
    size_t n = group(pdns[p], g);
    for (size_t i = 0; i < n && nm < kMaxGroupContexts; i++) members[nm++] = g[i];
  }
  auto member = [&](uint8_t ebi) -> int {
    for (size_t i = 0; i < nm; i++)
      if (sessions_.at(members[i]).bearer == ebi) return int(i);
    return -1;
  };
  for (size_t i = 0; i < nm; i++) sessions_.unindex(members[i]);
  bool touched[kMaxGroupContexts] = {false};
  // the requester's new control endpoint (its sender F-TEID); the responder's likewise
  const Dir req_side = hit.dir == Dir::Uplink ? Dir::Downlink : Dir::Uplink;
  auto set_ctrl = [&](const PendingFteid* f, Dir side, const IpAddr& fallback) {
    if (!f) return;
    Endpoint ep{node(*f, fallback), f->teid};
    if (!ep.valid()) return;
    for (size_t i = 0; i < nm; i++) {
      Endpoint& c = side == Dir::Uplink ? sessions_.at(members[i]).ctrl_up : sessions_.at(members[i]).ctrl_down;
      if (!(c == ep)) {
        c = ep;
        touched[i] = true;
      }
    }
  };
  set_ctrl(sender_fteid(rq), req_side, req.src);
  set_ctrl(sender_fteid(rs), hit.dir, outer.src);
  // bearers whose response context rejects the change keep what they had
  auto refused = [&](uint8_t ebi) {
    int b = bearer_index(rs, 0, ebi);
    return b >= 0 && !cause_ok(rs.bc[b]);
  };
  for (const FteidSet* set : {&rq, &rs})
    for (uint8_t b = 0; b < set->n_bc; b++) {
      const PendingBearer& bc = set->bc[b];
      if (bc.instance != 0 || !bc.has_ebi || refused(bc.ebi)) continue;
      int m = member(bc.ebi);
      if (m < 0) {
        stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
        continue;
      }
      Session& s = sessions_.at(members[m]);
      for (uint8_t j = 0; j < set->n_fteid; j++) {
        const PendingFteid& f = set->fteid[j];
        uint8_t kind;
        if (f.bc != b || f.teid == 0 || !epk::of_iface(f.iface, &kind)) continue;
        if (set_endpoint(s, kind, Endpoint{node(f, set == &rq ? req.src : outer.src), f.teid})) touched[m] = true;
      }
      touched[m] = true;
    }
  // bearers to be removed (instance 1), unless the response keeps them
  bool removed[kMaxGroupContexts] = {false};
  for (uint8_t b = 0; b < rq.n_bc; b++) {
    const PendingBearer& bc = rq.bc[b];
    if (bc.instance != 1 || !bc.has_ebi) continue;
    int m = member(bc.ebi);
    if (m >= 0) removed[m] = true;
  }
  for (size_t i = 0; i < nm; i++) sessions_.reindex(members[i], now_s);
  bool any = false;
  for (size_t i = 0; i < nm; i++)
    if (touched[i] && !removed[i]) {
      emit_session(SessionChange::Update, members[i]);
      any = true;
    }
  if (!any) {
    bool gone = false;
    for (size_t i = 0; i < nm; i++) gone = gone || (removed[i] && members[i] == hit.session);
    if (!gone) emit_session(SessionChange::Update, hit.session);
  }
  for (size_t i = 0; i < nm; i++) {
    if (!removed[i] || !sessions_.active(members[i])) continue;
    if (sessions_.at(members[i]).primary == members[i])
      delete_group(members[i]);
    else
      delete_one(members[i]);
  }
}

// s7.2.9.1/7.2.10.1 Delete Session: the PDN connection whose default bearer
// the Linked EPS Bearer ID names, among those the header TEID addresses; with
// no LBI (the old SGW's sessions after an SGW relocation) all of them. Its
// default bearer first, then its dedicated bearers in creation order.
void Tracker::v2_delete_session(const PendingRequest& req) {
  EndpointHit hit;
  uint32_t pdns[kMaxGroupContexts];
  size_t np = v2_pdns(req, &hit, pdns);
  if (np == 0) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  bool any = false;
  for (size_t p = 0; p < np; p++) {
    if (req.has_lbi && sessions_.at(pdns[p]).bearer != req.lbi) continue;
    delete_group(pdns[p]);
    any = true;
  }
  if (!any) stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
}

// s7.2.3/7.2.4 Create Bearer, sent by the PGW (S5/S8) or the SGW (S11/S4):
// dedicated bearers of the PDN connection whose default bearer the Linked EPS
// Bearer ID names. The i-th Bearer Context of the response (with the EBI the
// MME assigned, and its cause) answers the i-th of the request; each accepted
// one is a new context with the user-plane F-TEIDs of both.
void Tracker::v2_create_bearer(const PendingRequest& req, const IpPacket& outer) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  EndpointHit hit;
  uint32_t pdns[kMaxGroupContexts];
  size_t np = v2_pdns(req, &hit, pdns);
  uint32_t pdn = kNone;
  for (size_t p = 0; p < np; p++)
    if (!req.has_lbi || sessions_.at(pdns[p]).bearer == req.lbi) {
      pdn = pdns[p];
      break;
    }
  if (pdn == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  const FteidSet& rq = req.v2;
  const FteidSet& rs = resp_;
  uint8_t rq_order[kMaxBearerContexts];  // the request's instance-0 Bearer Contexts in order
  size_t n_rq = 0;
  for (uint8_t b = 0; b < rq.n_bc; b++)
    if (rq.bc[b].instance == 0) rq_order[n_rq++] = b;
  size_t k = 0;
  for (uint8_t b = 0; b < rs.n_bc; b++) {
    const PendingBearer& bc = rs.bc[b];
    if (bc.instance != 0) continue;
    const int rqb = k < n_rq ? rq_order[k] : -1;
    k++;
    if (!bc.has_ebi || !cause_ok(bc)) continue;
    if (!sessions_.active(pdn)) return;
    uint32_t members[kMaxGroupContexts];
    size_t n = group(pdn, members);
    for (size_t i = 1; i < n; i++)
      if (sessions_.at(members[i]).bearer == bc.ebi) {  // an EBI names one bearer: the old one is gone
        delete_one(members[i]);
        n = group(pdn, members);
        break;
      }
    if (n >= kMaxGroupContexts || sessions_.at(pdn).bearer == bc.ebi) {
      stats_.anomalies.bump(Anomaly::SessionBearerLimit);
      continue;
    }
    uint32_t idx = new_context(pdn);
    if (idx == kNone) return;
    Session& s = sessions_.at(idx);
    s.gtp = 2;
    s.bearer = bc.ebi;
    adopt(idx, pdn);
    for (const FteidSet* set : {&rq, &rs}) {
      int bi = set == &rq ? rqb : int(b);
      if (bi < 0) continue;
      for (uint8_t j = 0; j < set->n_fteid; j++) {
        const PendingFteid& f = set->fteid[j];
        uint8_t kind;
        if (f.bc != bi || f.teid == 0 || !epk::of_iface(f.iface, &kind)) continue;
        set_endpoint(s, kind, Endpoint{node(f, set == &rq ? req.src : outer.src), f.teid});
      }
    }
    sessions_.commit(idx, now_s);
    emit_session(SessionChange::Create, idx);
  }
}

// s7.2.9.2/7.2.10.2 Delete Bearer, sent by the PGW (S5/S8) or the SGW
// (S11/S4): with a Linked EPS Bearer ID the whole PDN connection of that
// default bearer goes; otherwise the bearers its EBIs (instance 1) name,
// except those the response's Bearer Contexts refuse. A default bearer named
// takes its PDN connection with it.
void Tracker::v2_delete_bearer(const PendingRequest& req) {
  EndpointHit hit;
  uint32_t pdns[kMaxGroupContexts];
  size_t np = v2_pdns(req, &hit, pdns);
  if (np == 0) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  if (req.has_lbi && req.n_ebis == 0) {
    for (size_t p = 0; p < np; p++)
      if (sessions_.at(pdns[p]).bearer == req.lbi) {
        delete_group(pdns[p]);
        return;
      }
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  const FteidSet& rs = resp_;
  for (uint8_t i = 0; i < req.n_ebis && i < kMaxBearerContexts; i++) {
    const uint8_t ebi = req.ebis[i];
    int b = bearer_index(rs, 0, ebi);
    if (b >= 0 && !cause_ok(rs.bc[b])) continue;
    uint32_t found = kNone;
    for (size_t p = 0; p < np && found == kNone; p++) {
      if (!sessions_.active(pdns[p])) continue;
      uint32_t members[kMaxGroupContexts];
      size_t n = group(pdns[p], members);
      for (size_t j = 0; j < n; j++)
        if (sessions_.at(members[j]).bearer == ebi) found = members[j];
    }
    if (found == kNone) {
      stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
      continue;
    }
    if (sessions_.at(found).primary == found)
      delete_group(found);
    else
      delete_one(found);
  }
}

// s7.2.21/7.2.22 Release Access Bearers (S11/S4): the SGW releases the
// access-side user plane of all the UE's bearers there (the eNodeB S1-U, RNC
// S12 and SGSN S4-U F-TEIDs); the UE goes idle. One `update` per context
// that had one.
void Tracker::v2_release_access_bearers(const PendingRequest& req) {
  uint32_t now_s = uint32_t(ctx_.now_ns / 1000000000ull);
  EndpointHit hit;
  uint32_t pdns[kMaxGroupContexts];
  size_t np = v2_pdns(req, &hit, pdns);
  if (np == 0) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  for (size_t p = 0; p < np; p++) {
    uint32_t members[kMaxGroupContexts];
    size_t n = group(pdns[p], members);
    for (size_t i = 0; i < n; i++) {
      Session& s = sessions_.at(members[i]);
      bool access = false;
      for (uint8_t j = 0; j < s.n_user; j++) {
        uint8_t c = epk::cls(s.kind(j));
        access =
            access || (epk::dir(s.kind(j)) == Dir::Downlink && (c == epk::kS1u || c == epk::kS12 || c == epk::kS4u));
      }
      if (!access) continue;
      sessions_.unindex(members[i]);
      uint8_t w = 0;
      uint16_t kinds = 0;
      for (uint8_t j = 0; j < s.n_user; j++) {
        uint8_t k = s.kind(j), c = epk::cls(k);
        if (epk::dir(k) == Dir::Downlink && (c == epk::kS1u || c == epk::kS12 || c == epk::kS4u)) continue;
        s.user[w] = s.user[j];
        kinds = uint16_t(kinds | (uint32_t(k) << (4 * w)));
        w++;
      }
      s.n_user = w;
      s.user_kinds = kinds;
      sessions_.reindex(members[i], now_s);
      emit_session(SessionChange::Update, members[i]);
    }
  }
}

}  // namespace gnpay
