#include "tracker.h"

#include <cstring>

namespace gnpay {

Tracker::Tracker(const EngineLimits& limits, SessionTable& sessions, EngineStats& stats, PacketContext& ctx)
    : sessions_(sessions), stats_(stats), ctx_(ctx), pending_(limits.max_pending, limits.pending_timeout_ns) {}

const PendingRequest* Tracker::answered(uint8_t gtp, uint32_t seq, uint8_t resp_type, uint32_t header_teid,
                                        bool has_cause, uint8_t cause, const IpPacket& outer, uint16_t dport) {
  // the response goes to the requester's socket: its destination address and port
  PendingRequest* p = pending_.find(TransactionTable::key_of(gtp, seq, outer.dst, dport));
  if (!p || p->gtp != gtp || p->seq != seq || p->msg_type + 1 != resp_type) {
    stats_.anomalies.bump(gtp == 1 ? Anomaly::Gtp1cUnmatchedResponse : Anomaly::Gtp2cUnmatchedResponse);
    return nullptr;
  }
  bool accepted = has_cause && (gtp == 1 ? gtp1::cause_accepted(cause) : gtp2::cause_accepted(cause));
  // Its header TEID is the requester's control TEID (0 is allowed in a
  // rejection: TS 29.274 s5.5.2, TS 29.060 s7.3). Otherwise it answers
  // another request with the same number: this one stays pending.
  if (p->expect_known && header_teid != p->expect_teid && !(header_teid == 0 && !accepted)) {
    stats_.anomalies.bump(gtp == 1 ? Anomaly::Gtp1cTeidMismatch : Anomaly::Gtp2cTeidMismatch);
    return nullptr;
  }
  if (!pending_.finish(*p, ctx_.now_ns, stats_.anomalies)) return nullptr;
  if (has_cause) (gtp == 1 ? stats_.gtpv1c_causes : stats_.gtpv2c_causes)[cause]++;
  if (!accepted) {
    stats_.gtpc_rejected++;
    return nullptr;
  }
  return p;
}

bool Tracker::on_other_udp(const IpPacket& outer, const UdpDatagram& udp) {
  if (pending_.live_on_other_ports() == 0 || udp.payload.size < 8) return false;
  const uint8_t* b = udp.payload.data;
  uint8_t version = b[0] >> 5;
  uint32_t seq = 0;
  if (version == 1 && (b[0] & gtp1::kFlagPt) && (b[0] & gtp1::kFlagS) && udp.payload.size >= 12)
    seq = (uint32_t(b[8]) << 8) | b[9];
  else if (version == 2)
    seq = (b[0] & gtp2::kFlagT) ? (udp.payload.size >= 12 ? (uint32_t(b[8]) << 16) | (uint32_t(b[9]) << 8) | b[10] : 0)
                                : (uint32_t(b[4]) << 16) | (uint32_t(b[5]) << 8) | b[6];
  else
    return false;
  const PendingRequest* p = pending_.find(TransactionTable::key_of(version, seq, outer.dst, udp.dport));
  if (!p || p->msg_type + 1 != b[1]) return false;
  if (version == 1)
    on_gtpv1c(outer, udp);
  else
    on_gtpv2c(outer, udp);
  return true;
}

uint32_t Tracker::node(const IpAddr& a) {
  uint32_t g = sessions_.gsn_intern(a);
  if (g == kNone && a.is_set()) stats_.anomalies.bump(Anomaly::GsnTableFull);
  return g;
}

uint32_t Tracker::node(const PendingFteid& f, const IpAddr& fallback) {
  if (!f.has_v4 && !f.has_v6) return node(fallback);
  IpAddr v4 = f.has_v4 ? IpAddr::v4(f.v4) : IpAddr();
  IpAddr v6 = f.has_v6 ? IpAddr::v6(f.v6) : IpAddr();
  uint32_t g = sessions_.gsn_intern_pair(v4, v6);
  if (g == kNone) stats_.anomalies.bump(Anomaly::GsnTableFull);
  return g;
}

bool Tracker::set_endpoint(Session& s, uint8_t kind, const Endpoint& ep) {
  if (!ep.valid()) return false;
  if (!epk::control(kind))
    sessions_.learn_role(ep.gsn, epk::dir(kind) == Dir::Uplink ? role::kReceivesUplink : role::kReceivesDownlink);
  for (uint8_t i = 0; i < s.n_user; i++)
    if (s.kind(i) == kind) {
      s.user[i] = ep;
      return true;
    }
  if (s.n_user >= kMaxUserEndpoints) return false;
  s.user[s.n_user] = ep;
  s.set_kind(s.n_user, kind);
  s.n_user++;
  return true;
}

uint32_t Tracker::new_context(uint32_t primary) {
  uint64_t evicted = 0;
  uint32_t idx = sessions_.alloc(&evicted);
  if (evicted) {
    stats_.sessions_evicted += evicted;
    stats_.anomalies.bump(Anomaly::SessionEvicted, evicted);
    if (primary != kNone && !sessions_.active(primary)) {
      sessions_.release(idx);  // the context it was to join was the one evicted
      return kNone;
    }
  }
  return idx;
}

void Tracker::emit_session(SessionChange change, uint32_t idx) {
  Event& e = ctx_.new_event(EventType::Session);
  const Session& s = sessions_.at(idx);
  e.change = change;
  e.gtp = s.gtp;
  e.bearer = s.bearer;
  e.linked_bearer = s.linked;
  e.has_subscriber = true;
  sessions_.subscriber(idx, e.sub);
  auto add_addr = [&](uint8_t plane, uint8_t dir, uint32_t teid, const IpAddr& a, uint8_t bearer) {
    if (!a.is_set() || e.n_tunnels >= kMaxEventTunnels) return;
    EventTunnel& t = e.tunnels[e.n_tunnels++];
    t.plane = plane;
    t.dir = dir;
    t.bearer = bearer;
    t.teid = teid;
    t.addr = a;
  };
  // a dual-stack node's endpoint is listed once per address: IPv4, then IPv6
  auto add = [&](uint8_t plane, uint8_t dir, const Endpoint& ep, uint8_t bearer) {
    if (!ep.valid()) return;
    const IpAddr& a = sessions_.gsn_addr(ep.gsn);
    const IpAddr& b = sessions_.gsn_alt(ep.gsn);
    const bool v6_first = a.family == 6 && b.family == 4;
    add_addr(plane, dir, ep.teid, v6_first ? b : a, bearer);
    add_addr(plane, dir, ep.teid, v6_first ? a : b, bearer);
  };
  // control uplink(s), control downlink(s), then user uplink(s), user downlink(s)
  for (uint8_t plane = 0; plane < 2; plane++)
    for (uint8_t dir = 0; dir < 2; dir++) {
      if (plane == 0) add(0, dir, dir ? s.ctrl_down : s.ctrl_up, 0);
      for (uint8_t i = 0; i < s.n_user; i++) {
        uint8_t k = s.kind(i);
        if (epk::control(k) == (plane == 0) && (epk::dir(k) == Dir::Downlink) == (dir == 1))
          add(plane, dir, s.user[i], plane ? s.bearer : 0);
      }
    }
  switch (change) {
    case SessionChange::Create:
      stats_.sessions_created++;
      break;
    case SessionChange::Update:
      stats_.sessions_updated++;
      break;
    case SessionChange::Delete:
      stats_.sessions_deleted++;
      break;
  }
}

// A secondary PDP context / dedicated bearer: the subscriber, UE addresses and
// control tunnels of its primary, linked after the primary's other secondaries
// (creation order).
void Tracker::adopt(uint32_t idx, uint32_t primary) {
  Session& p = sessions_.at(primary);
  Session& s = sessions_.at(idx);
  s.gtp = p.gtp;
  s.imsi = p.imsi;
  s.msisdn = p.msisdn;
  s.imei = p.imei;
  s.apn = p.apn;
  s.ue_v4 = p.ue_v4;
  std::memcpy(s.ue_v6, p.ue_v6, 16);
  s.flags = uint8_t(p.flags & (sflag::kHasV4 | sflag::kHasV6 | sflag::kHopS11));
  s.ctrl_up = p.ctrl_up;
  s.ctrl_down = p.ctrl_down;
  s.linked = p.bearer;
  s.primary = primary;
  uint32_t* link = &p.next_sibling;
  for (size_t guard = 0; *link != kNone && guard < kMaxGroupContexts; guard++) link = &sessions_.at(*link).next_sibling;
  *link = idx;
}

size_t Tracker::group(uint32_t primary, uint32_t* out) const {
  size_t n = 0;
  out[n++] = primary;
  for (uint32_t c = sessions_.at(primary).next_sibling; c != kNone && n < kMaxGroupContexts;
       c = sessions_.at(c).next_sibling)
    out[n++] = c;
  return n;
}

void Tracker::delete_one(uint32_t idx) {
  emit_session(SessionChange::Delete, idx);
  sessions_.remove(idx);
}

void Tracker::delete_group(uint32_t primary) {
  // the primary first, then its secondaries in creation order
  uint32_t members[kMaxGroupContexts];
  size_t n = group(primary, members);
  for (size_t i = 0; i < n; i++) delete_one(members[i]);
}

void set_ue_addresses(Session& s, bool has_v4, const uint8_t* v4, bool has_v6, const uint8_t* v6) {
  bool v4_ok = has_v4 && (v4[0] | v4[1] | v4[2] | v4[3]) != 0;
  bool v6_ok = false;
  if (has_v6)
    for (int i = 0; i < 16; i++) v6_ok = v6_ok || v6[i] != 0;
  if (v4_ok) {
    s.flags |= sflag::kHasV4;
    s.ue_v4 = (uint32_t(v4[0]) << 24) | (uint32_t(v4[1]) << 16) | (uint32_t(v4[2]) << 8) | v4[3];
  }
  if (v6_ok) {
    s.flags |= sflag::kHasV6;
    std::memcpy(s.ue_v6, v6, 16);
  }
}

}  // namespace gnpay
