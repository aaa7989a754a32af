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
    if (gsn_addrs_[*v] == a) return *v;
  }
  return kNone;
}

uint32_t SessionTable::gsn_intern(const IpAddr& a) {
  if (!a.is_set()) return kNone;
  uint32_t found = gsn_find(a);
  if (found != kNone) return found;
  if (gsn_addrs_.size() >= kMaxInternedGsns) return kNone;
  uint32_t idx = uint32_t(gsn_addrs_.size());
  if (a.family == 4) {
    gsn_addrs_.push_back(a);
    gsn_index_.put(v4_key(a.v4_value()), idx);
    return idx;
  }
  for (uint64_t salt = 0; salt < 8; salt++) {
    uint64_t k = salted_key(hash_bytes(a.b, 16, salt));
    if (!gsn_index_.find(k)) {
      gsn_addrs_.push_back(a);
      gsn_index_.put(k, idx);
      return idx;
    }
  }
  return kNone;
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

uint64_t SessionTable::identity_key(const Session& s) const {
  if (s.imsi == kNoDigits) return FlatMap64<uint32_t>::kEmpty;
  uint64_t hop = s.gtp == 2 ? uint64_t(s.ctrl_down.gsn) : 0;
  uint64_t k = mix64(s.imsi ^ mix64((uint64_t(s.bearer) << 1) | (uint64_t(s.gtp) << 9) | (hop << 16)));
  return k == FlatMap64<uint32_t>::kEmpty ? k - 1 : k;
}

void SessionTable::index(uint32_t idx) {
  Session& s = sessions_[idx];
  // control endpoints resolve to the group's primary; a secondary shares them
  if (s.primary == idx) {
    if (s.ctrl_up.valid()) endpoints_.put(ep_key(s.ctrl_up.gsn, PlaneKind::Control, s.ctrl_up.teid), idx);
    if (s.ctrl_down.valid())
      endpoints_.put(ep_key(s.ctrl_down.gsn, PlaneKind::Control, s.ctrl_down.teid), idx | kDirBit);
  }
  for (uint8_t i = 0; i < s.n_user; i++) {
    if (!s.user[i].valid() || ((s.user_ctrl_mask >> i) & 1)) continue;
    uint32_t v = idx | ((s.user_down_mask >> i) & 1 ? kDirBit : 0);
    endpoints_.put(ep_key(s.user[i].gsn, PlaneKind::User, s.user[i].teid), v);
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
  uint64_t ik = identity_key(s);
  if (ik != FlatMap64<uint32_t>::kEmpty) identity_.put(ik, idx);
}

void SessionTable::chain_remove(FlatMap64<uint32_t>& map, uint64_t key, uint32_t idx, bool v6) {
  uint32_t* head = map.find(key);
  if (!head) return;
  auto next_of = [&](uint32_t i) -> uint32_t& { return v6 ? sessions_[i].next_v6 : sessions_[i].next_v4; };
  if (*head == idx) {
    uint32_t nx = next_of(idx);
    if (nx == kNone) map.erase(key);
    else *head = nx;
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

void SessionTable::unindex(uint32_t idx) {
  Session& s = sessions_[idx];
  auto drop = [&](uint64_t key) {
    const uint32_t* v = endpoints_.find(key);
    if (v && (*v & ~kDirBit) == idx) endpoints_.erase(key);  // only if still ours
  };
  if (s.primary == idx) {
    if (s.ctrl_up.valid()) drop(ep_key(s.ctrl_up.gsn, PlaneKind::Control, s.ctrl_up.teid));
    if (s.ctrl_down.valid()) drop(ep_key(s.ctrl_down.gsn, PlaneKind::Control, s.ctrl_down.teid));
  }
  for (uint8_t i = 0; i < s.n_user; i++)
    if (s.user[i].valid() && !((s.user_ctrl_mask >> i) & 1)) drop(ep_key(s.user[i].gsn, PlaneKind::User, s.user[i].teid));
  if (s.flags & sflag::kHasV4) chain_remove(ue_v4_, v4_key(s.ue_v4), idx, false);
  if (s.flags & sflag::kHasV6) chain_remove(ue_v6_, v6_prefix_key(s.ue_v6), idx, true);
  uint64_t ik = identity_key(s);
  if (ik != FlatMap64<uint32_t>::kEmpty) {
    const uint32_t* v = identity_.find(ik);
    if (v && *v == idx) identity_.erase(ik);
  }
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
    for (size_t guard = 0; *link != kNone && guard < 16; guard++) {
      if (*link == idx) {
        *link = s.next_sibling;
        break;
      }
      link = &sessions_[*link].next_sibling;
    }
  } else {
    for (uint32_t c = s.next_sibling, guard = 0; c != kNone && guard < 16; guard++) {
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

EndpointHit SessionTable::find_user(uint32_t gsn, uint32_t teid) const {
  EndpointHit hit;
  if (gsn == kNone) return hit;
  const uint32_t* v = endpoints_.find(ep_key(gsn, PlaneKind::User, teid));
  if (!v) return hit;
  hit.session = *v & ~kDirBit;
  hit.dir = (*v & kDirBit) ? Dir::Downlink : Dir::Uplink;
  return hit;
}

uint32_t SessionTable::find_control(uint32_t gsn, uint32_t teid) const {
  if (gsn == kNone) return kNone;
  const uint32_t* v = endpoints_.find(ep_key(gsn, PlaneKind::Control, teid));
  return v ? (*v & ~kDirBit) : kNone;
}

uint32_t SessionTable::find_identity(uint64_t imsi, uint8_t gtp, uint8_t bearer, uint32_t hop_gsn) const {
  Session probe;
  probe.imsi = imsi;
  probe.gtp = gtp;
  probe.bearer = bearer;
  probe.ctrl_down.gsn = hop_gsn;
  uint64_t k = identity_key(probe);
  if (k == FlatMap64<uint32_t>::kEmpty) return kNone;
  const uint32_t* v = identity_.find(k);
  if (!v) return kNone;
  const Session& s = sessions_[*v];
  if (s.imsi != imsi || s.gtp != gtp || s.bearer != bearer) return kNone;
  if (gtp == 2 && s.ctrl_down.gsn != hop_gsn) return kNone;
  return *v;
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
  return sessions_.memory_bytes() + endpoints_.memory_bytes() + ue_v4_.memory_bytes() +
         ue_v6_.memory_bytes() + identity_.memory_bytes() + gsn_addrs_.capacity() * sizeof(IpAddr) +
         gsn_index_.memory_bytes() + apn_index_.memory_bytes() + apns_.capacity() * sizeof(std::string);
}

}  // namespace gnpay
