#include "session_table.h"

#include <cstring>

namespace gnpay {

namespace {
constexpr uint32_t kDirBit = 0x80000000u;

uint64_t load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}
uint64_t v6_prefix_key(const uint8_t* v6) {
  uint64_t k = load64(v6);
  return k == FlatMap64<uint32_t>::kEmpty ? k - 1 : k;
}
uint64_t v4_key(uint32_t v4) { return (uint64_t(1) << 32) | v4; }
uint64_t hash_bytes(const void* p, size_t n, uint64_t salt) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  uint64_t h = 0xcbf29ce484222325ULL ^ mix64(salt + 1);
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
  return mix64(h);
}
constexpr uint64_t kHashKeyBit = uint64_t(1) << 63;
uint64_t salted_key(uint64_t h) {
  uint64_t k = h | kHashKeyBit;
  return k == FlatMap64<uint32_t>::kEmpty ? k - 1 : k;
}
}  // namespace

SessionTable::SessionTable(size_t max_sessions) : max_(max_sessions ? max_sessions : 1), sessions_(max_) {}

uint32_t SessionTable::gsn_find(const IpAddr& a) const {
  if (a.family == 4) {
    const uint32_t* v = gsn_index_.find(v4_key(a.v4_value()));
    return v ? *v : kNone;
  }
  for (uint64_t salt = 0; salt < 8; salt++) {
    const uint32_t* v = gsn_index_.find(salted_key(hash_bytes(a.b, 16, salt)));
    if (!v) return kNone;
    if (gsn_addrs_[*v] == a || gsn_alt_[*v] == a) return *v;
  }
  return kNone;
}

// Makes `a` find node idx; false when the index has no room for it.
bool SessionTable::add_address(const IpAddr& a, uint32_t idx) {
  if (a.family == 4) {
    gsn_index_.put(v4_key(a.v4_value()), idx);
    gsn_generation_++;
    return true;
  }
  for (uint64_t salt = 0; salt < 8; salt++) {
    uint64_t k = salted_key(hash_bytes(a.b, 16, salt));
    if (!gsn_index_.find(k)) {
      gsn_index_.put(k, idx);
      gsn_generation_++;
      return true;
    }
  }
  return false;
}

uint32_t SessionTable::gsn_intern(const IpAddr& a) {
  if (!a.is_set()) return kNone;
  uint32_t found = gsn_find(a);
  if (found != kNone) return found;
  if (gsn_addrs_.size() >= kMaxInternedGsns) return kNone;
  uint32_t idx = uint32_t(gsn_addrs_.size());
  if (!add_address(a, idx)) return kNone;
  gsn_addrs_.push_back(a);
  gsn_alt_.emplace_back();
  gsn_roles_.push_back(0);
  return idx;
}

uint32_t SessionTable::gsn_intern_pair(const IpAddr& v4, const IpAddr& v6) {
  if (!v4.is_set()) return gsn_intern(v6);
  if (!v6.is_set()) return gsn_intern(v4);
  uint32_t a = gsn_find(v4), b = gsn_find(v6);
  if (a != kNone && b != kNone) return a;  // both known (to one node, or to two: the IPv4 one)
  if (a == kNone && b == kNone) {
    a = gsn_intern(v4);
    if (a != kNone && add_address(v6, a)) gsn_alt_[a] = v6;
    return a;
  }
  uint32_t n = a != kNone ? a : b;
  const IpAddr& missing = a != kNone ? v6 : v4;
  if (!gsn_alt_[n].is_set() && add_address(missing, n)) gsn_alt_[n] = missing;
  return n;
}

uint32_t SessionTable::apn_intern(const Apn& apn) {
  if (apn.len == 0) return kNone;
  for (uint64_t salt = 0; salt < 8; salt++) {
    uint64_t k = salted_key(hash_bytes(apn.s, apn.len, salt));
    const uint32_t* v = apn_index_.find(k);
    if (v) {
      const std::string& s = apns_[*v];
      if (s.size() == apn.len && std::memcmp(s.data(), apn.s, apn.len) == 0) return *v;
      continue;
    }
    if (apns_.size() >= kMaxApns) return kNone;
    uint32_t idx = uint32_t(apns_.size());
    apns_.emplace_back(apn.s, apn.len);
    apn_index_.put(k, idx);
    return idx;
  }
  return kNone;
}

void SessionTable::apn_text(uint32_t idx, Apn& out) const {
  out.clear();
  if (idx == kNone || idx >= apns_.size()) return;
  const std::string& s = apns_[idx];
  size_t n = s.size() < kMaxApnLen ? s.size() : kMaxApnLen;
  std::memcpy(out.s, s.data(), n);
  out.s[n] = 0;
  out.len = uint8_t(n);
}

uint32_t SessionTable::pick_victim() {
  size_t n = sessions_.size();
  uint32_t best = kNone;
  uint32_t best_age = 0;
  for (size_t scanned = 0, sampled = 0; scanned < n && sampled < 16; scanned++) {
    uint32_t i = uint32_t(hand_++ % n);
    const Session& s = sessions_[i];
    if (!(s.flags & sflag::kActive)) continue;
    sampled++;
    uint32_t age = touch_seq_ - s.touched;  // wraps safely: ages stay far below 2^32
    if (best == kNone || age > best_age) {
      best = i;
      best_age = age;
    }
  }
  return best;
}

uint32_t SessionTable::alloc(uint64_t* evicted) {
  *evicted = 0;
  if (active_ >= max_) {
    uint32_t victim = pick_victim();
    if (victim != kNone) {
      remove(victim);
      *evicted = 1;
    }
  }
  uint32_t idx;
  if (free_head_ != kNone) {
    idx = free_head_;
    free_head_ = sessions_[idx].next_sibling;
  } else {
    idx = uint32_t(sessions_.size());
    sessions_.emplace_back();
  }
  sessions_[idx] = Session();
  sessions_[idx].primary = idx;
  return idx;
}

uint64_t SessionTable::identity_key(uint64_t imsi, uint8_t gtp, uint8_t bearer, uint64_t hop) {
  if (imsi == kNoDigits) return FlatMap64<uint32_t>::kEmpty;
  uint64_t k = mix64(imsi ^ mix64((uint64_t(bearer) << 1) | (uint64_t(gtp) << 9)) ^ mix64(hop + 0x51ed27));
  return k == FlatMap64<uint32_t>::kEmpty ? k - 1 : k;
}

namespace epk {
bool of_iface(uint8_t iface, uint8_t* kind) {
  switch (iface) {
    case 0:
      *kind = make(kS1u, Dir::Downlink);
      return true;  // S1-U eNodeB
    case 1:
      *kind = make(kS1u, Dir::Uplink);
      return true;  // S1-U SGW
    case 2:
      *kind = make(kS12, Dir::Downlink);
      return true;  // S12 RNC
    case 3:
      *kind = make(kS12, Dir::Uplink);
      return true;  // S12 SGW
    case 4:
      *kind = make(kS5u, Dir::Downlink);
      return true;  // S5/S8 SGW GTP-U
    case 5:
      *kind = make(kS5u, Dir::Uplink);
      return true;  // S5/S8 PGW GTP-U
    case 15:
      *kind = make(kS4u, Dir::Downlink);
      return true;  // S4 SGSN GTP-U
    case 16:
      *kind = make(kS4u, Dir::Uplink);
      return true;  // S4 SGW GTP-U
    case 31:
      *kind = make(kS2u, Dir::Downlink);
      return true;  // S2b-U ePDG
    case 33:
      *kind = make(kS2u, Dir::Uplink);
      return true;  // S2b-U PGW
    case 34:
      *kind = make(kS2u, Dir::Downlink);
      return true;  // S2a TWAN GTP-U
    case 37:
      *kind = make(kS2u, Dir::Uplink);
      return true;  // S2a PGW GTP-U
    case 38:
      *kind = make(kS11u, Dir::Downlink);
      return true;  // S11 MME GTP-U
    case 39:
      *kind = make(kS11u, Dir::Uplink);
      return true;  // S11 SGW GTP-U
    default:
      return false;
  }
}
}  // namespace epk

void SessionTable::index(uint32_t idx) {
  Session& s = sessions_[idx];
  // control endpoints resolve to the group's primary; a secondary shares them
  if (s.primary == idx) {
    if (s.ctrl_up.valid()) endpoints_.put(ep_key(s.ctrl_up.gsn, PlaneKind::Control, s.ctrl_up.teid), idx);
    if (s.ctrl_down.valid())
      endpoints_.put(ep_key(s.ctrl_down.gsn, PlaneKind::Control, s.ctrl_down.teid), idx | kDirBit);
  }
  for (uint8_t i = 0; i < s.n_user; i++) {
    if (!s.user[i].valid()) continue;
    uint8_t k = s.kind(i);
    uint32_t v = idx | (epk::dir(k) == Dir::Downlink ? kDirBit : 0);
    if (epk::control(k)) {
      // another hop's control endpoint: finds its PDN connection (the first context reporting it)
      uint64_t key = ep_key(s.user[i].gsn, PlaneKind::Peer, s.user[i].teid);
      if (!endpoints_.find(key)) endpoints_.put(key, v);
      continue;
    }
    uint64_t key = ep_key(s.user[i].gsn, PlaneKind::User, s.user[i].teid);
    if ((s.flags & sflag::kHopS11) && epk::cls(k) == epk::kS5u) {
      // the S5/S8-U endpoints an S11/S4 message carries belong to the S5/S8 hop: its own context keeps them
      if (!endpoints_.find(key)) endpoints_.put(key, v);
      continue;
    }
    endpoints_.put(key, v);
  }
  if (s.flags & sflag::kHasV4) {
    uint64_t k = v4_key(s.ue_v4);
    uint32_t* head = ue_v4_.find(k);
    s.next_v4 = head ? *head : kNone;
    ue_v4_.put(k, idx);
  }
  if (s.flags & sflag::kHasV6) {
    uint64_t k = v6_prefix_key(s.ue_v6);
    uint32_t* head = ue_v6_.find(k);
    s.next_v6 = head ? *head : kNone;
    ue_v6_.put(k, idx);
  }
  uint64_t ik = identity_key(s.imsi, s.gtp, s.bearer, hop_of(s));
  if (ik != FlatMap64<uint32_t>::kEmpty) identity_.put(ik, idx);
}

void SessionTable::chain_remove(FlatMap64<uint32_t>& map, uint64_t key, uint32_t idx, bool v6) {
  uint32_t* head = map.find(key);
  if (!head) return;
  auto next_of = [&](uint32_t i) -> uint32_t& { return v6 ? sessions_[i].next_v6 : sessions_[i].next_v4; };
  if (*head == idx) {
    uint32_t nx = next_of(idx);
    if (nx == kNone)
      map.erase(key);
    else
      *head = nx;
  } else {
    // chains are short (contexts sharing one UE address); bounded walk
    uint32_t cur = *head;
    for (size_t guard = 0; cur != kNone && guard < max_; guard++) {
      uint32_t& nx = next_of(cur);
      if (nx == idx) {
        nx = next_of(idx);
        break;
      }
      cur = nx;
    }
  }
  next_of(idx) = kNone;
}

// A control endpoint leaves the index with its context, unless another PDN
// connection of the same subscriber on the same hop shares it (a per-UE S11
// TEID): then it names that one.
void SessionTable::drop_control(uint32_t idx, const Endpoint& ep, Dir dir) {
  uint64_t key = ep_key(ep.gsn, PlaneKind::Control, ep.teid);
  uint32_t* v = endpoints_.find(key);
  if (!v || (*v & ~kDirBit) != idx) return;  // only if still ours
  uint32_t others[kMaxGroupContexts];
  size_t n = pdns_sharing(idx, dir, ep, others, kMaxGroupContexts);
  for (size_t i = 0; i < n; i++)
    if (others[i] != idx) {
      *v = others[i] | (dir == Dir::Downlink ? kDirBit : 0);
      return;
    }
  endpoints_.erase(key);
}

void SessionTable::unindex(uint32_t idx) {
  Session& s = sessions_[idx];
  auto drop = [&](uint64_t key) {
    const uint32_t* v = endpoints_.find(key);
    if (v && (*v & ~kDirBit) == idx) endpoints_.erase(key);  // only if still ours
  };
  uint64_t ik = identity_key(s.imsi, s.gtp, s.bearer, hop_of(s));
  if (ik != FlatMap64<uint32_t>::kEmpty) {
    const uint32_t* v = identity_.find(ik);
    if (v && *v == idx) identity_.erase(ik);
  }
  if (s.primary == idx) {
    if (s.ctrl_up.valid()) drop_control(idx, s.ctrl_up, Dir::Uplink);
    if (s.ctrl_down.valid()) drop_control(idx, s.ctrl_down, Dir::Downlink);
  }
  for (uint8_t i = 0; i < s.n_user; i++) {
    if (!s.user[i].valid()) continue;
    bool peer = epk::control(s.kind(i));
    drop(ep_key(s.user[i].gsn, peer ? PlaneKind::Peer : PlaneKind::User, s.user[i].teid));
  }
  if (s.flags & sflag::kHasV4) chain_remove(ue_v4_, v4_key(s.ue_v4), idx, false);
  if (s.flags & sflag::kHasV6) chain_remove(ue_v6_, v6_prefix_key(s.ue_v6), idx, true);
}

void SessionTable::commit(uint32_t idx, uint32_t now_s) {
  Session& s = sessions_[idx];
  s.flags |= sflag::kActive;
  s.updated_s = now_s;
  s.touched = ++touch_seq_;
  index(idx);
  active_++;
}

void SessionTable::reindex(uint32_t idx, uint32_t now_s) {
  sessions_[idx].updated_s = now_s;
  sessions_[idx].touched = ++touch_seq_;
  index(idx);
}

void SessionTable::remove(uint32_t idx) {
  Session& s = sessions_[idx];
  if (!(s.flags & sflag::kActive)) return;
  unindex(idx);
  // a primary leaving: its secondaries lose their group (they are removed by the
  // engine first when it deletes a whole group; after an eviction they stay
  // resolvable by their own user endpoints)
  if (s.primary != idx && s.primary != kNone && s.primary < sessions_.size()) {
    Session& p = sessions_[s.primary];
    uint32_t* link = &p.next_sibling;
    for (size_t guard = 0; *link != kNone && guard < kMaxGroupContexts; guard++) {
      if (*link == idx) {
        *link = s.next_sibling;
        break;
      }
      link = &sessions_[*link].next_sibling;
    }
  } else {
    for (uint32_t c = s.next_sibling, guard = 0; c != kNone && guard < kMaxGroupContexts; guard++) {
      uint32_t nx = sessions_[c].next_sibling;
      sessions_[c].primary = c;  // orphaned secondary stands alone
      sessions_[c].next_sibling = kNone;
      c = nx;
    }
  }
  s.flags = 0;
  s.next_sibling = free_head_;  // free records are chained through next_sibling
  free_head_ = idx;
  active_--;
}

void SessionTable::release(uint32_t idx) {
  Session& s = sessions_[idx];
  if (s.flags & sflag::kActive) return;
  s = Session();
  s.next_sibling = free_head_;
  free_head_ = idx;
}

EndpointHit SessionTable::find_user(uint32_t gsn, uint32_t teid) const {
  EndpointHit hit;
  if (gsn == kNone) return hit;
  const uint32_t* v = endpoints_.find(ep_key(gsn, PlaneKind::User, teid));
  if (!v) return hit;
  hit.session = *v & ~kDirBit;
  hit.dir = (*v & kDirBit) ? Dir::Downlink : Dir::Uplink;
  return hit;
}

EndpointHit SessionTable::find_control(uint32_t gsn, uint32_t teid) const {
  EndpointHit hit;
  if (gsn == kNone) return hit;
  const uint32_t* v = endpoints_.find(ep_key(gsn, PlaneKind::Control, teid));
  if (!v) return hit;
  hit.session = *v & ~kDirBit;
  hit.dir = (*v & kDirBit) ? Dir::Downlink : Dir::Uplink;
  return hit;
}

uint32_t SessionTable::find_peer(uint32_t gsn, uint32_t teid) const {
  if (gsn == kNone) return kNone;
  const uint32_t* v = endpoints_.find(ep_key(gsn, PlaneKind::Peer, teid));
  return v ? (*v & ~kDirBit) : kNone;
}

uint32_t SessionTable::find_identity(uint64_t imsi, uint8_t gtp, uint8_t bearer, uint64_t hop) const {
  uint64_t k = identity_key(imsi, gtp, bearer, hop);
  if (k == FlatMap64<uint32_t>::kEmpty) return kNone;
  const uint32_t* v = identity_.find(k);
  if (!v) return kNone;
  const Session& s = sessions_[*v];
  if (!(s.flags & sflag::kActive) || s.imsi != imsi || s.gtp != gtp || s.bearer != bearer || hop_of(s) != hop)
    return kNone;
  return *v;
}

size_t SessionTable::pdns_sharing(uint32_t any, Dir dir, const Endpoint& ep, uint32_t* out, size_t cap) const {
  const Session& a = sessions_[any];
  size_t n = 0;
  auto matches = [&](const Session& s) { return (dir == Dir::Downlink ? s.ctrl_down : s.ctrl_up) == ep; };
  if (a.imsi == kNoDigits || a.gtp != 2) {
    if (cap && a.primary == any && matches(a)) out[n++] = any;
    return n;
  }
  uint64_t hop = hop_of(a);
  for (uint32_t b = 0; b < 16 && n < cap; b++) {
    uint32_t r = find_identity(a.imsi, a.gtp, uint8_t(b), hop);
    if (r != kNone && sessions_[r].primary == r && matches(sessions_[r])) out[n++] = r;
  }
  if (n == 0 && cap && a.primary == any && matches(a)) out[n++] = any;
  return n;
}

// Contexts that share a UE address but belong to one subscriber (a primary and
// its secondaries, or the S11 and S5 legs of one PDN connection) count as one:
// the address is ambiguous only between different subscribers.
uint32_t SessionTable::chain_unique(uint32_t head, bool v6, size_t* count) const {
  *count = 0;
  if (head == kNone) return kNone;
  const Session& h = sessions_[head];
  size_t n = 0;
  bool same = true;
  for (uint32_t c = head; c != kNone && n < 64; c = v6 ? sessions_[c].next_v6 : sessions_[c].next_v4) {
    n++;
    const Session& s = sessions_[c];
    if (s.imsi != h.imsi || s.msisdn != h.msisdn || h.imsi == kNoDigits) same = same && c == head;
  }
  *count = same ? 1 : n;
  return same ? head : kNone;
}

uint32_t SessionTable::find_ue_v4(uint32_t v4, size_t* count) const {
  const uint32_t* head = ue_v4_.find(v4_key(v4));
  return chain_unique(head ? *head : kNone, false, count);
}

uint32_t SessionTable::find_ue_v6(const uint8_t* v6, size_t* count) const {
  const uint32_t* head = ue_v6_.find(v6_prefix_key(v6));
  return chain_unique(head ? *head : kNone, true, count);
}

void SessionTable::subscriber(uint32_t idx, Subscriber& sub) const {
  const Session& s = sessions_[idx];
  unpack_digits(s.imsi, sub.imsi);
  unpack_digits(s.msisdn, sub.msisdn);
  unpack_digits(s.imei, sub.imei);
  apn_text(s.apn, sub.apn);
  sub.has_v4 = (s.flags & sflag::kHasV4) != 0;
  if (sub.has_v4) {
    sub.v4[0] = uint8_t(s.ue_v4 >> 24);
    sub.v4[1] = uint8_t(s.ue_v4 >> 16);
    sub.v4[2] = uint8_t(s.ue_v4 >> 8);
    sub.v4[3] = uint8_t(s.ue_v4);
  }
  sub.has_v6 = (s.flags & sflag::kHasV6) != 0;
  if (sub.has_v6) std::memcpy(sub.v6, s.ue_v6, 16);
}

size_t SessionTable::memory_bytes() const {
  return sessions_.memory_bytes() + endpoints_.memory_bytes() + ue_v4_.memory_bytes() + ue_v6_.memory_bytes() +
         identity_.memory_bytes() + (gsn_addrs_.capacity() + gsn_alt_.capacity()) * sizeof(IpAddr) +
         gsn_roles_.capacity() + gsn_index_.memory_bytes() + apn_index_.memory_bytes() +
         apns_.capacity() * sizeof(std::string);
}

}  // namespace gnpay
