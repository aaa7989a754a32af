#include "tracker.h"

#include <cstring>

namespace gnpay {

Tracker::Tracker(const EngineLimits& limits, SessionTable& sessions, EngineStats& stats, PacketContext& ctx)
    : sessions_(sessions), stats_(stats), ctx_(ctx), pending_(limits.max_pending, limits.pending_timeout_ns) {}

// The request a response answers (same sequence number, addresses swapped),
// when the response accepts it; counts causes, rejections and orphans.
const PendingRequest* Tracker::answered(uint8_t gtp, uint32_t seq, uint8_t resp_type, bool has_cause, uint8_t cause,
                                        const IpPacket& outer) {
  PendingRequest* p =
      pending_.take(TransactionTable::key_of(gtp, seq, outer.dst, outer.src), ctx_.now_ns, stats_.anomalies);
  if (!p || p->msg_type + 1 != resp_type || p->seq != seq) {
    stats_.anomalies.bump(gtp == 1 ? Anomaly::Gtp1cUnmatchedResponse : Anomaly::Gtp2cUnmatchedResponse);
    return nullptr;
  }
  if (has_cause) (gtp == 1 ? stats_.gtpv1c_causes : stats_.gtpv2c_causes)[cause]++;
  bool accepted = has_cause && (gtp == 1 ? gtp1::cause_accepted(cause) : gtp2::cause_accepted(cause));
  if (!accepted) {
    stats_.gtpc_rejected++;
    return nullptr;
  }
  return p;
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
  auto add = [&](uint8_t plane, uint8_t dir, const Endpoint& ep, uint8_t bearer) {
    if (!ep.valid() || e.n_tunnels >= kMaxEventTunnels) return;
    EventTunnel& t = e.tunnels[e.n_tunnels++];
    t.plane = plane;
    t.dir = dir;
    t.bearer = bearer;
    t.teid = ep.teid;
    t.addr = sessions_.gsn_addr(ep.gsn);
  };
  // control uplink(s), control downlink(s), then user uplink(s), user downlink(s)
  for (uint8_t plane = 0; plane < 2; plane++)
    for (uint8_t dir = 0; dir < 2; dir++) {
      if (plane == 0) add(0, dir, dir ? s.ctrl_down : s.ctrl_up, 0);
      for (uint8_t i = 0; i < s.n_user; i++) {
        bool is_ctrl = (s.user_ctrl_mask >> i) & 1;
        bool is_down = (s.user_down_mask >> i) & 1;
        if (is_ctrl == (plane == 0) && is_down == (dir == 1)) add(plane, dir, s.user[i], plane ? s.bearer : 0);
      }
    }
  switch (change) {
    case SessionChange::Create: stats_.sessions_created++; break;
    case SessionChange::Update: stats_.sessions_updated++; break;
    case SessionChange::Delete: stats_.sessions_deleted++; break;
  }
}

// A secondary PDP context / dedicated bearer: the subscriber, UE addresses and
// control tunnels of its primary, linked after the primary's other secondaries
// (creation order).
void Tracker::adopt(uint32_t idx, uint32_t primary) {
  Session& p = sessions_.at(primary);
  Session& s = sessions_.at(idx);
  s.imsi = p.imsi;
  s.msisdn = p.msisdn;
  s.imei = p.imei;
  s.apn = p.apn;
  s.ue_v4 = p.ue_v4;
  std::memcpy(s.ue_v6, p.ue_v6, 16);
  s.flags = uint8_t(p.flags & (sflag::kHasV4 | sflag::kHasV6));
  s.ctrl_up = p.ctrl_up;
  s.ctrl_down = p.ctrl_down;
  s.linked = p.bearer;
  s.primary = primary;
  uint32_t* link = &p.next_sibling;
  for (size_t guard = 0; *link != kNone && guard < 16; guard++) link = &sessions_.at(*link).next_sibling;
  *link = idx;
}

void Tracker::delete_one(uint32_t idx) {
  emit_session(SessionChange::Delete, idx);
  sessions_.remove(idx);
}

void Tracker::delete_group(uint32_t primary) {
  // the primary first, then its secondaries in creation order
  uint32_t sec[16];
  size_t n = 0;
  for (uint32_t c = sessions_.at(primary).next_sibling; c != kNone && n < 16; c = sessions_.at(c).next_sibling)
    sec[n++] = c;
  delete_one(primary);
  for (size_t i = 0; i < n; i++) delete_one(sec[i]);
}

// Adds a user endpoint to a context (deduplicated); false when full.
bool add_user_endpoint(Session& s, const Endpoint& ep, Dir dir, uint8_t bearer, bool ctrl) {
  if (!ep.valid() || ep.teid == 0) return false;
  for (uint8_t i = 0; i < s.n_user; i++) {
    bool down = (s.user_down_mask >> i) & 1;
    bool is_ctrl = (s.user_ctrl_mask >> i) & 1;
    if (s.user[i] == ep && down == (dir == Dir::Downlink) && is_ctrl == ctrl) return true;
  }
  if (s.n_user >= kMaxUserEndpoints) return false;
  uint8_t i = s.n_user++;
  s.user[i] = ep;
  (void)bearer;  // a record is one bearer: its user endpoints are that bearer's
  if (dir == Dir::Downlink) s.user_down_mask |= uint8_t(1u << i);
  else s.user_down_mask &= uint8_t(~(1u << i));
  if (ctrl) s.user_ctrl_mask |= uint8_t(1u << i);
  else s.user_ctrl_mask &= uint8_t(~(1u << i));
  return true;
}

// Replaces the user endpoints of one direction by the given one.
void replace_user_endpoint(Session& s, const Endpoint& ep, Dir dir, uint8_t bearer, bool* cleared) {
  if (!*cleared) {
    uint8_t w = 0;
    uint8_t mask = 0;
    uint8_t cmask = 0;
    for (uint8_t i = 0; i < s.n_user; i++) {
      bool down = (s.user_down_mask >> i) & 1;
      bool is_ctrl = (s.user_ctrl_mask >> i) & 1;
      if (down == (dir == Dir::Downlink) && !is_ctrl) continue;
      s.user[w] = s.user[i];
      if (down) mask |= uint8_t(1u << w);
      if (is_ctrl) cmask |= uint8_t(1u << w);
      w++;
    }
    s.n_user = w;
    s.user_down_mask = mask;
    s.user_ctrl_mask = cmask;
    *cleared = true;
  }
  add_user_endpoint(s, ep, dir, bearer);
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
