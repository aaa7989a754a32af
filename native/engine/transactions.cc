#include "transactions.h"

#include <cstring>

namespace gnpay {

uint64_t TransactionTable::key_of(uint8_t gtp, uint32_t seq, const IpAddr& src, const IpAddr& dst) {
  uint64_t h = mix64((uint64_t(gtp) << 32) | seq);
  for (int i = 0; i < 16; i += 8) {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, src.b + i, 8);
    std::memcpy(&b, dst.b + i, 8);
    h = mix64(h ^ a) ^ mix64(b + 0x9e3779b97f4a7c15ULL);
  }
  return h == FlatMap64<uint32_t>::kEmpty ? h - 1 : h;
}

PendingRequest& TransactionTable::insert(uint64_t key, uint64_t ts_ns, AnomalyCounters& an, uint8_t gtp) {
  if (uint32_t* existing = index_.find(key)) {  // retransmitted request: reuse its slot
    PendingRequest& p = slots_[*existing];
    p = PendingRequest();
    p.key = key;
    p.ts_ns = ts_ns;
    p.live = true;
    return p;
  }
  uint32_t slot;
  if (slots_.size() < max_) {
    slot = uint32_t(slots_.size());
    slots_.emplace_back();
  } else {
    slot = uint32_t(next_);
    next_ = (next_ + 1) % max_;
    PendingRequest& old = slots_[slot];
    if (old.live) {
      index_.erase(old.key);
      live_--;
      an.bump(old.gtp == 2 ? Anomaly::Gtp2cPendingEvicted : Anomaly::Gtp1cPendingEvicted);
    }
  }
  PendingRequest& p = slots_[slot];
  p = PendingRequest();
  p.key = key;
  p.ts_ns = ts_ns;
  p.live = true;
  p.gtp = gtp;
  index_.put(key, slot);
  live_++;
  return p;
}

PendingRequest* TransactionTable::take(uint64_t key, uint64_t now_ns, AnomalyCounters& an) {
  uint32_t* s = index_.find(key);
  if (!s) return nullptr;
  PendingRequest& p = slots_[*s];
  index_.erase(key);
  p.live = false;
  live_--;
  if (now_ns > p.ts_ns && now_ns - p.ts_ns > timeout_) {
    an.bump(p.gtp == 2 ? Anomaly::Gtp2cPendingTimeout : Anomaly::Gtp1cPendingTimeout);
    return nullptr;
  }
  return &p;
}

void TransactionTable::expire(uint64_t now_ns, AnomalyCounters& an) {
  if (slots_.empty() || live_ == 0) return;
  size_t n = slots_.size();
  size_t start = slots_.size() < max_ ? 0 : next_;
  // walk forward from the oldest until a slot younger than the timeout
  for (size_t k = 0; k < n; k++) {
    size_t i = (start + k) % n;
    PendingRequest& p = slots_[i];
    if (!p.live) continue;
    if (now_ns <= p.ts_ns || now_ns - p.ts_ns <= timeout_) break;
    index_.erase(p.key);
    p.live = false;
    live_--;
    an.bump(p.gtp == 2 ? Anomaly::Gtp2cPendingTimeout : Anomaly::Gtp1cPendingTimeout);
  }
}

}  // namespace gnpay
