// The tunnel table: subscriber contexts (PDP contexts / EPS bearers) and the
// indexes that resolve a G-PDU to one: (GSN address, TEID, plane) -> context,
// UE IPv4 / IPv6 /64 -> contexts, (IMSI, bearer, hop) -> context.
// Compact by design (1 million contexts in well under 300 bytes each): digits
// packed in 64 bits, GSN addresses and APNs interned, flat open-addressing maps.
// Bounded: at max_sessions a context is evicted: the least recently created or
// updated among 16 sampled from a clock hand (exact in small tables, an
// approximation of LRU without the 8 bytes of list links per record).
#pragma once
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>
#include "events.h"
#include "flat_map.h"
#include "gtpv1c.h"
#include "packed_digits.h"
#include "span.h"

namespace gnpay {

constexpr uint32_t kNone = 0xFFFFFFFFu;
constexpr size_t kMaxUserEndpoints = 4;  // user-plane endpoints, and report-only extra control ones
constexpr size_t kMaxInternedGsns = 1u << 20;
constexpr size_t kMaxApns = 1u << 16;

struct Endpoint {
  uint32_t gsn = kNone;  // interned GSN address
  uint32_t teid = 0;
  bool valid() const { return gsn != kNone; }
  bool operator==(const Endpoint& o) const { return gsn == o.gsn && teid == o.teid; }
};

namespace sflag {
constexpr uint8_t kActive = 0x01;
constexpr uint8_t kHasV4 = 0x02;
constexpr uint8_t kHasV6 = 0x04;
}  // namespace sflag

struct Session {
  uint64_t imsi = kNoDigits, msisdn = kNoDigits, imei = kNoDigits;
  uint8_t ue_v6[16] = {0};
  uint32_t ue_v4 = 0;
  uint32_t apn = kNone;
  Endpoint ctrl_up, ctrl_down;
  Endpoint user[kMaxUserEndpoints];
  uint32_t primary = kNone;       // itself for a primary context
  uint32_t next_sibling = kNone;  // next secondary of the same primary
  uint32_t next_v4 = kNone, next_v6 = kNone;  // other contexts holding the same UE address
  uint32_t touched = 0;    // table-wide sequence of the last create/update: the eviction order
  uint32_t updated_s = 0;  // capture time (seconds) of the last create/update: the checkpoint age
  uint8_t gtp = 0, bearer = 0, linked = 0;
  uint8_t flags = 0;
  uint8_t n_user = 0;
  uint8_t user_down_mask = 0;     // bit i: user[i] receives downlink
  uint8_t user_ctrl_mask = 0;     // bit i: user[i] is an extra control endpoint (reported, not indexed:
                                  // e.g. the PGW's S5/S8-C F-TEID carried on S11)
};  // 128 bytes: a record is one bearer, so user endpoints need no bearer of their own

enum class Dir : uint8_t { Uplink = 0, Downlink = 1 };
enum class PlaneKind : uint8_t { Control = 0, User = 1 };

struct EndpointHit {
  uint32_t session = kNone;
  Dir dir = Dir::Uplink;
};

// Records in fixed-size blocks: growth never copies and never reserves twice
// what is used (a vector doubling past a million records would). Blocks are
// raw storage: a record is constructed when first used, so untouched pages
// of the last block are never made resident. The block size is a power of two
// no larger than the table's bound (a 64-entry table does not take 2 MB).
template <typename T>
class PagedVector {
  static_assert(std::is_trivially_destructible<T>::value, "records are never destroyed one by one");

 public:
  explicit PagedVector(size_t max_records, size_t max_block = 16384) {
    size_t b = 64;
    while (b < max_block && b < max_records) b <<= 1;
    shift_ = 0;
    while ((size_t(1) << shift_) < b) shift_++;
    mask_ = (size_t(1) << shift_) - 1;
  }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return blocks_[i >> shift_].get()[i & mask_]; }
  const T& operator[](size_t i) const { return blocks_[i >> shift_].get()[i & mask_]; }
  T& emplace_back() {
    if (size_ == (blocks_.size() << shift_)) blocks_.emplace_back(static_cast<T*>(::operator new((mask_ + 1) * sizeof(T))));
    return *new (&(*this)[size_++]) T();
  }
  size_t memory_bytes() const { return (blocks_.size() << shift_) * sizeof(T) + blocks_.capacity() * sizeof(void*); }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete(p); }
  };
  std::vector<std::unique_ptr<T, Free>> blocks_;
  size_t size_ = 0;
  size_t shift_ = 14, mask_ = 16383;
};

class SessionTable {
 public:
  explicit SessionTable(size_t max_sessions);

  // Interning. gsn_find never inserts (per-packet path); gsn_intern may.
  uint32_t gsn_find(const IpAddr& a) const;
  uint32_t gsn_intern(const IpAddr& a);  // kNone when the table is full
  const IpAddr& gsn_addr(uint32_t idx) const { return gsn_addrs_[idx]; }
  size_t gsn_count() const { return gsn_addrs_.size(); }  // grows only: a cache generation
  uint32_t apn_intern(const Apn& apn);   // kNone when full or empty
  void apn_text(uint32_t idx, Apn& out) const;

  // A fresh record (evicting the least recent context when full; *evicted is
  // set to the number evicted). The record is not indexed until commit().
  uint32_t alloc(uint64_t* evicted);
  Session& at(uint32_t idx) { return sessions_[idx]; }
  const Session& at(uint32_t idx) const { return sessions_[idx]; }
  // The subscriber of a context as events report it (digits, APN text, UE addresses).
  void subscriber(uint32_t idx, Subscriber& sub) const;
  // Index a filled record (endpoints, UE addresses, identity) and mark it active.
  void commit(uint32_t idx, uint32_t now_s);
  // Remove a record from every index and free it (secondaries are not touched).
  void remove(uint32_t idx);
  // Re-index after endpoints or addresses changed: unindex, mutate, reindex.
  void unindex(uint32_t idx);
  void reindex(uint32_t idx, uint32_t now_s);

  // Lookups
  EndpointHit find_user(uint32_t gsn, uint32_t teid) const;
  uint32_t find_control(uint32_t gsn, uint32_t teid) const;  // the context group's primary
  // Context whose control endpoint (either side) has this TEID at this address.
  uint32_t find_identity(uint64_t imsi, uint8_t gtp, uint8_t bearer, uint32_t hop_gsn) const;
  // UE address: the context when exactly one holds it, kNone otherwise; *count = how many.
  uint32_t find_ue_v4(uint32_t v4, size_t* count) const;
  uint32_t find_ue_v6(const uint8_t* v6, size_t* count) const;

  size_t size() const { return active_; }
  size_t max_sessions() const { return max_; }
  size_t memory_bytes() const;
  template <typename F>
  void for_each_active(F&& f) const {
    for (uint32_t i = 0; i < sessions_.size(); i++)
      if (sessions_[i].flags & sflag::kActive) f(i, sessions_[i]);
  }

 private:
  static uint64_t ep_key(uint32_t gsn, PlaneKind plane, uint32_t teid) {
    return (uint64_t(gsn) << 33) | (uint64_t(plane) << 32) | teid;
  }
  uint64_t identity_key(const Session& s) const;
  uint32_t pick_victim();
  void index(uint32_t idx);
  uint32_t chain_unique(uint32_t head, bool v6, size_t* count) const;
  void chain_remove(FlatMap64<uint32_t>& map, uint64_t key, uint32_t idx, bool v6);

  size_t max_;
  PagedVector<Session> sessions_;
  uint32_t free_head_ = kNone;
  size_t active_ = 0;
  uint32_t touch_seq_ = 0;
  size_t hand_ = 0;

  FlatMap64<uint32_t> endpoints_;  // ep_key -> session | dir << 31
  FlatMap64<uint32_t> ue_v4_;      // (1<<32 | v4) -> first context in chain
  FlatMap64<uint32_t> ue_v6_;      // /64 prefix -> first context in chain
  FlatMap64<uint32_t> identity_;   // identity_key -> context

  std::vector<IpAddr> gsn_addrs_;
  FlatMap64<uint32_t> gsn_index_;
  std::vector<std::string> apns_;
  FlatMap64<uint32_t> apn_index_;
};

}  // namespace gnpay
