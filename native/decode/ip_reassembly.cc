// Bounded IP fragment reassembly (RFC 791 s3.2, RFC 8200 s4.5).
#include "ip_reassembly.h"

#include <cstring>

namespace gnpay {

namespace {
bool test_bit(const std::vector<uint64_t>& bits, size_t i) { return (bits[i >> 6] >> (i & 63)) & 1u; }
void set_bit(std::vector<uint64_t>& bits, size_t i) { bits[i >> 6] |= uint64_t(1) << (i & 63); }
size_t round_pow2(size_t n) {
  size_t p = 16;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

IpReassembler::IpReassembler(const ReassemblyLimits& limits) : limits_(limits) {
  if (limits_.max_datagrams == 0) limits_.max_datagrams = 1;
  buckets_.assign(round_pow2(limits_.max_datagrams * 2), kNone);
  const size_t initial = limits_.max_datagrams < 64 ? limits_.max_datagrams : 64;
  slots_.reserve(initial);
  free_.reserve(initial);
}

IpReassembler::Key IpReassembler::key_of(const IpPacket& p) {
  Key k;
  k.src = p.src;
  k.dst = p.dst;
  k.id = p.frag_id;
  k.version = p.version;
  k.proto = p.version == 4 ? p.proto : 0;
  return k;
}

size_t IpReassembler::bucket_of(const Key& k) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  for (int i = 0; i < 16; i++) mix(k.src.b[i]);
  for (int i = 0; i < 16; i++) mix(k.dst.b[i]);
  for (int i = 0; i < 4; i++) mix(uint8_t(k.id >> (8 * i)));
  mix(k.proto);
  mix(k.version);
  return size_t(h ^ (h >> 29)) & (buckets_.size() - 1);
}

uint32_t IpReassembler::find(const Key& k) const {
  for (uint32_t i = buckets_[bucket_of(k)]; i != kNone; i = slots_[i].hnext)
    if (slots_[i].key == k) return i;
  return kNone;
}

void IpReassembler::release(uint32_t idx) {
  Slot& s = slots_[idx];
  // hash chain
  uint32_t* link = &buckets_[bucket_of(s.key)];
  while (*link != kNone && *link != idx) link = &slots_[*link].hnext;
  if (*link == idx) *link = s.hnext;
  // age list
  if (s.older != kNone)
    slots_[s.older].newer = s.newer;
  else
    oldest_ = s.newer;
  if (s.newer != kNone)
    slots_[s.newer].older = s.older;
  else
    newest_ = s.older;
  bytes_ -= s.received;
  s.used = false;
  s.older = s.newer = s.hnext = kNone;
  free_.push_back(idx);
  count_--;
}

void IpReassembler::evict_oldest(Anomaly why, AnomalyCounters& an) {
  if (oldest_ == kNone) return;
  release(oldest_);
  an.bump(why);
  evicted_++;
}

uint32_t IpReassembler::allocate(const Key& k, uint64_t ts_ns, AnomalyCounters& an) {
  while (count_ >= limits_.max_datagrams) evict_oldest(Anomaly::FragEvicted, an);
  uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    idx = uint32_t(slots_.size());
    slots_.emplace_back();
    slots_.back().bits.assign((kBlocks + 63) / 64, 0);
    if (free_.capacity() < slots_.capacity()) free_.reserve(slots_.capacity());
  }
  Slot& s = slots_[idx];
  for (size_t w = 0; w < s.hi_word; w++) s.bits[w] = 0;
  s.hi_word = 0;
  s.key = k;
  s.used = true;
  s.first_ts = ts_ns;
  s.blocks_set = 0;
  s.received = 0;
  s.max_end = 0;
  s.total = 0;
  s.have_last = s.have_first = false;
  s.first_skip = 0;
  s.first.reset();
  size_t b = bucket_of(k);
  s.hnext = buckets_[b];
  buckets_[b] = idx;
  s.older = newest_;
  s.newer = kNone;
  if (newest_ != kNone)
    slots_[newest_].newer = idx;
  else
    oldest_ = idx;
  newest_ = idx;
  count_++;
  return idx;
}

void IpReassembler::expire(uint64_t now_ns, AnomalyCounters& an) {
  while (oldest_ != kNone) {
    const Slot& s = slots_[oldest_];
    if (now_ns <= s.first_ts || now_ns - s.first_ts <= limits_.timeout_ns) break;
    evict_oldest(Anomaly::FragTimeout, an);
  }
}

bool IpReassembler::add(const IpPacket& frag, uint64_t ts_ns, IpPacket& whole, AnomalyCounters& an) {
  if (!frag.is_fragment) return false;
  expire(ts_ns, an);
  if (frag.truncated) return false;  // the capture cut it: cannot be used (counted by decode_ip)
  const Span data = frag.frag_data.data != nullptr ? frag.frag_data : frag.payload;
  const size_t off = frag.frag_offset;
  const size_t len = data.size;
  if (frag.more_fragments && (len == 0 || len % 8 != 0)) {
    an.bump(Anomaly::FragBadOffset);
    return false;
  }
  const size_t end = off + len;
  if (end > kMaxPayload) {
    an.bump(Anomaly::FragTooLarge);
    return false;
  }
  if (len > limits_.max_bytes) {
    an.bump(Anomaly::FragTooLarge);
    return false;
  }

  const Key key = key_of(frag);
  uint32_t idx = find(key);
  if (idx == kNone) {
    // make room first so that the new datagram is never the one evicted for bytes
    while (count_ > 0 && bytes_ + len > limits_.max_bytes) evict_oldest(Anomaly::FragEvicted, an);
    idx = allocate(key, ts_ns, an);
  } else {
    // evict older datagrams (never this one) until this fragment fits
    while (bytes_ + len > limits_.max_bytes && oldest_ != kNone && oldest_ != idx)
      evict_oldest(Anomaly::FragEvicted, an);
    if (bytes_ + len > limits_.max_bytes) {
      // only this datagram is left and it does not fit: drop it
      release(idx);
      an.bump(Anomaly::FragEvicted);
      evicted_++;
      return false;
    }
  }
  Slot& s = slots_[idx];

  if (!frag.more_fragments) {
    if ((s.have_last && s.total != end) || s.max_end > end) {
      an.bump(Anomaly::FragBadOffset);
      return false;
    }
  } else if (s.have_last && end > s.total) {
    an.bump(Anomaly::FragBadOffset);
    return false;
  }
  if (!frag.more_fragments) {
    s.have_last = true;
    s.total = end;
  }
  if (end > s.max_end) s.max_end = end;

  if (s.buf.size() < end) s.buf.resize(end < 2048 ? 2048 : end);
  // copy block by block, first-wins on overlap
  bool differs = false;
  const size_t first_block = off / 8;
  const size_t last_block = (end + 7) / 8;  // exclusive
  for (size_t b = first_block; b < last_block; b++) {
    const size_t from = b * 8;
    const size_t to = from + 8 < end ? from + 8 : end;
    const uint8_t* src = data.data + (from - off);
    if (test_bit(s.bits, b)) {
      if (std::memcmp(s.buf.data() + from, src, to - from) != 0) differs = true;
      continue;
    }
    std::memcpy(s.buf.data() + from, src, to - from);
    set_bit(s.bits, b);
    if ((b >> 6) + 1 > s.hi_word) s.hi_word = (b >> 6) + 1;
    s.blocks_set++;
    s.received += to - from;
    bytes_ += to - from;
  }
  if (differs) an.bump(Anomaly::FragOverlap);

  if (off == 0 && !s.have_first) {
    s.have_first = true;
    s.first = frag;
    s.first.payload = Span();
    s.first.frag_data = Span();
    const uintptr_t p = reinterpret_cast<uintptr_t>(frag.payload.data);
    const uintptr_t d = reinterpret_cast<uintptr_t>(data.data);
    if (frag.payload.data != nullptr && data.data != nullptr && p >= d && p - d <= data.size)
      s.first_skip = size_t(p - d);
  }

  if (!(s.have_first && s.have_last) || s.blocks_set != (s.total + 7) / 8) return false;

  whole = s.first;
  whole.is_fragment = false;
  whole.more_fragments = false;
  whole.frag_offset = 0;
  whole.truncated = false;
  whole.frag_data = Span(s.buf.data(), s.total);
  const size_t skip = s.first_skip <= s.total ? s.first_skip : s.total;
  whole.payload = Span(s.buf.data() + skip, s.total - skip);
  release(idx);  // the buffer stays as it is until this slot is reused
  completed_++;
  return true;
}

size_t IpReassembler::datagrams() const { return count_; }
size_t IpReassembler::bytes() const { return bytes_; }
uint64_t IpReassembler::evicted() const { return evicted_; }
uint64_t IpReassembler::completed() const { return completed_; }

void IpReassembler::clear() {
  while (oldest_ != kNone) release(oldest_);
}

}  // namespace gnpay
