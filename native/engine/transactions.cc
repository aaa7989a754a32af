#include "transactions.h"

#include <cstring>

#include "l4.h"

namespace gnpay {

uint64_t TransactionTable::key_of(uint8_t gtp, uint32_t seq, const IpAddr& requester, uint16_t port) {
  uint64_t h = mix64((uint64_t(gtp) << 56) | (uint64_t(port) << 32) | seq);
  for (int i = 0; i < 16; i += 8) {
    uint64_t a = 0;
    std::memcpy(&a, requester.b + i, 8);
    h = mix64(h ^ a ^ (uint64_t(i) << 60));
  }
  h ^= requester.family;
  return h == FlatMap64<uint32_t>::kEmpty ? h - 1 : h;
}

void FteidSet::collect(const Gtp2cMessage& m) {
  n_fteid = 0;
  n_bc = 0;
  auto add = [&](const Fteid& f, uint8_t bc) {
    if (n_fteid >= kMaxFteids) return;
    PendingFteid& p = fteid[n_fteid++];
    p.iface = f.iface;
    p.instance = f.instance;
    p.bc = bc;
    p.teid = f.teid;
    p.has_v4 = f.has_v4;
    p.has_v6 = f.has_v6;
    std::memcpy(p.v4, f.v4, 4);
    std::memcpy(p.v6, f.v6, 16);
  };
  for (uint8_t i = 0; i < m.n_fteid; i++) add(m.fteid[i], 0xFF);
  for (uint8_t b = 0; b < m.n_bearer && b < kMaxBearerContexts; b++) {
    const BearerContext& c = m.bearer[b];
    PendingBearer& pb = bc[n_bc++];
    pb.instance = c.instance;
    pb.has_ebi = c.has_ebi;
    pb.ebi = c.ebi;
    pb.has_cause = c.has_cause;
    pb.cause = c.cause;
    for (uint8_t i = 0; i < c.n_fteid; i++) add(c.fteid[i], b);
  }
}

void TransactionTable::drop(PendingRequest& p) {
  index_.erase(p.key);
  p.live = false;
  live_--;
  if (p.sport != port::kGtpC) other_ports_--;
  const uint32_t slot = uint32_t(&p - slots_.data());
  (p.older != kNoSlot ? slots_[p.older].newer : oldest_) = p.newer;
  (p.newer != kNoSlot ? slots_[p.newer].older : newest_) = p.older;
  p.older = kNoSlot;
  p.newer = free_;
  free_ = slot;
}

PendingRequest& TransactionTable::insert(uint64_t key, uint64_t ts_ns, AnomalyCounters& an, uint8_t gtp,
                                         uint16_t sport) {
  // a retransmitted request takes the place of the pending one
  if (uint32_t* existing = index_.find(key)) drop(slots_[*existing]);
  if (free_ == kNoSlot) {
    if (slots_.size() < max_) {
      slots_.emplace_back();
      slots_.back().newer = kNoSlot;
      free_ = uint32_t(slots_.size() - 1);
    } else {  // every slot holds a live request: the oldest goes
      PendingRequest& old = slots_[oldest_];
      drop(old);
      an.bump(old.gtp == 2 ? Anomaly::Gtp2cPendingEvicted : Anomaly::Gtp1cPendingEvicted);
    }
  }
  const uint32_t slot = free_;
  PendingRequest& p = slots_[slot];
  free_ = p.newer;
  p = PendingRequest();
  p.key = key;
  p.ts_ns = ts_ns;
  p.live = true;
  p.gtp = gtp;
  p.sport = sport;
  p.older = newest_;
  (newest_ != kNoSlot ? slots_[newest_].newer : oldest_) = slot;
  newest_ = slot;
  index_.put(key, slot);
  live_++;
  if (sport != port::kGtpC) other_ports_++;
  return p;
}

bool TransactionTable::finish(PendingRequest& p, uint64_t now_ns, AnomalyCounters& an) {
  drop(p);
  if (now_ns > p.ts_ns && now_ns - p.ts_ns > timeout_) {
    an.bump(p.gtp == 2 ? Anomaly::Gtp2cPendingTimeout : Anomaly::Gtp1cPendingTimeout);
    return false;
  }
  return true;
}

void TransactionTable::expire(uint64_t now_ns, AnomalyCounters& an) {
  // from the oldest until one younger than the timeout
  while (oldest_ != kNoSlot) {
    PendingRequest& p = slots_[oldest_];
    if (now_ns <= p.ts_ns || now_ns - p.ts_ns <= timeout_) break;
    drop(p);
    an.bump(p.gtp == 2 ? Anomaly::Gtp2cPendingTimeout : Anomaly::Gtp1cPendingTimeout);
  }
}

}  // namespace gnpay
