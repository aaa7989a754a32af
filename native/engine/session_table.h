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
constexpr size_t kMaxUserEndpoints = 4;  // per context: user-plane endpoints and reported control ones
constexpr size_t kMaxInternedGsns = 1u << 20;
constexpr size_t kMaxApns = 1u << 16;
// A primary PDP context and its secondaries (TS 29.060: NSAPI 5..15), a PDN
// connection's default and dedicated bearers (TS 29.274: EBI 5..15): at most
// 11 contexts in a group, so at most 10 secondaries / dedicated bearers.
constexpr size_t kMaxGroupContexts = 11;
constexpr size_t kMaxSecondaries = kMaxGroupContexts - 1;

enum class Dir : uint8_t { Uplink = 0, Downlink = 1 };
enum class PlaneKind : uint8_t { Control = 0, User = 1, Peer = 2 };

struct Endpoint {
  uint32_t gsn = kNone;  // interned GSN node (one IPv4 and/or one IPv6 address)
  uint32_t teid = 0;
  bool valid() const { return gsn != kNone; }
  bool operator==(const Endpoint& o) const { return gsn == o.gsn && teid == o.teid; }
};

// What an endpoint in a context's user slots is: the interface it belongs to
// (F-TEIDs are per interface, TS 29.274 Table 8.22-1) and the side of it: the
// side that receives uplink (GGSN, SGW on S1-U/S12/S4-U/S11-U, PGW) or the side
// that receives downlink (SGSN/RNC, eNodeB, SGW on S5/S8, ePDG/TWAN, MME).
// kPeerControl is another hop's control endpoint carried in this hop's
// messages (the PGW S5/S8-C F-TEID on S11): reported, and indexed only to find
// the PDN connection it belongs to, never to resolve a G-PDU.
namespace epk {
enum Class : uint8_t { kGn = 0, kS1u, kS12, kS4u, kS5u, kS2u, kS11u, kPeerControl };
constexpr uint8_t make(uint8_t cls, Dir d) { return uint8_t((cls << 1) | (d == Dir::Downlink ? 1 : 0)); }
constexpr uint8_t cls(uint8_t kind) { return uint8_t(kind >> 1); }
constexpr Dir dir(uint8_t kind) { return (kind & 1) ? Dir::Downlink : Dir::Uplink; }
constexpr bool control(uint8_t kind) { return cls(kind) == kPeerControl; }
// The kind of a GTPv2 F-TEID interface type (TS 29.274 Table 8.22-1); false
// for types not on a bearer's path (forwarding, PMIP, MBMS, S10/S3...).
bool of_iface(uint8_t iface, uint8_t* kind);
}  // namespace epk

namespace sflag {
constexpr uint8_t kActive = 0x01;
constexpr uint8_t kHasV4 = 0x02;
constexpr uint8_t kHasV6 = 0x04;
constexpr uint8_t kHopS11 = 0x08;  // GTPv2 control hop MME/SGSN <-> SGW (S11/S4): S5/S8-U endpoints are another hop's
}  // namespace sflag

// GSN node roles, learned from GTP-C: which user-plane traffic arrives at the node.
namespace role {
constexpr uint8_t kReceivesUplink = 0x01;    // GGSN, PGW, SGW on S1-U/S12/S4-U
constexpr uint8_t kReceivesDownlink = 0x02;  // SGSN, RNC, eNodeB, SGW on S5/S8, ePDG, TWAN
}  // namespace role

// One context: a PDP context (GTPv1) or an EPS bearer (GTPv2) as one GTP-C
// hop sees it. A primary / default bearer heads its group (primary == itself);
// its secondaries / dedicated bearers share its control endpoints.
struct Session {
  uint64_t imsi = kNoDigits, msisdn = kNoDigits, imei = kNoDigits;
  uint8_t ue_v6[16] = {0};
  uint32_t ue_v4 = 0;
  uint32_t apn = kNone;
  Endpoint ctrl_up, ctrl_down;  // this hop's control endpoints: core side, RAN side
  Endpoint user[kMaxUserEndpoints];
  uint32_t primary = kNone;                   // itself for a primary context
  uint32_t next_sibling = kNone;              // next secondary of the same primary
  uint32_t next_v4 = kNone, next_v6 = kNone;  // other contexts holding the same UE address
  uint32_t touched = 0;                       // table-wide sequence of the last create/update: the eviction order
  uint32_t updated_s = 0;                     // capture time (seconds) of the last create/update: the checkpoint age
  uint8_t gtp = 0, bearer = 0, linked = 0;
  uint8_t flags = 0;
  uint8_t n_user = 0;
  uint16_t user_kinds = 0;  // 4 bits per user slot: its epk kind

  uint8_t kind(size_t i) const { return uint8_t((user_kinds >> (4 * i)) & 0xF); }
  void set_kind(size_t i, uint8_t k) {
    user_kinds = uint16_t((user_kinds & ~(0xFu << (4 * i))) | (uint32_t(k & 0xF) << (4 * i)));
  }
};  // 128 bytes: a record is one bearer, so user endpoints need no bearer of their own

struct EndpointHit {
  uint32_t session = kNone;
  Dir dir = Dir::Uplink;
};

// Records in fixed-size blocks: growth never copies and never reserves twice
// what is used (a vector doubling past a million records would). Blocks are
// raw storage: a record is constructed when first used, so untouched pages
// of the last block are never made resident. A large block is mapped on its
// own (BigAllocator), not carved from a malloc arena: the decoding thread's
// arena would interleave it with the event batches it hands over, whose
// freed space then stays resident between blocks. The block size is a power
// of two no larger than the table's bound (a 64-entry table does not take 2 MB).
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
    blocks_.reserve((max_records + mask_) >> shift_);  // now: growth allocates blocks only
  }
  ~PagedVector() {
    for (T* b : blocks_) BigAllocator<T>().deallocate(b, mask_ + 1);
  }
  PagedVector(const PagedVector&) = delete;
  PagedVector& operator=(const PagedVector&) = delete;
  size_t size() const { return size_; }
  T& operator[](size_t i) { return blocks_[i >> shift_][i & mask_]; }
  const T& operator[](size_t i) const { return blocks_[i >> shift_][i & mask_]; }
  T& emplace_back() {
    if (size_ == (blocks_.size() << shift_)) {
      T* b = BigAllocator<T>().allocate(mask_ + 1);
      try {
        blocks_.push_back(b);
      } catch (...) {
        BigAllocator<T>().deallocate(b, mask_ + 1);
        throw;
      }
    }
    return *new (&(*this)[size_++]) T();
  }
  size_t memory_bytes() const { return (blocks_.size() << shift_) * sizeof(T) + blocks_.capacity() * sizeof(void*); }

 private:
  std::vector<T*> blocks_;
  size_t size_ = 0;
  size_t shift_ = 14, mask_ = 16383;
};

class SessionTable {
 public:
  explicit SessionTable(size_t max_sessions);

  // GSN nodes. gsn_find never inserts (per-packet path); gsn_intern may.
  // A node has one address, or two when an F-TEID gave it an IPv4 and an
  // IPv6 address (dual stack, TS 29.274 s8.22): both find the same node.
  uint32_t gsn_find(const IpAddr& a) const;
  uint32_t gsn_intern(const IpAddr& a);                          // kNone when the table is full
  uint32_t gsn_intern_pair(const IpAddr& v4, const IpAddr& v6);  // a dual-stack node
  const IpAddr& gsn_addr(uint32_t idx) const { return gsn_addrs_[idx]; }
  const IpAddr& gsn_alt(uint32_t idx) const { return gsn_alt_[idx]; }  // unset when single-stack
  uint8_t gsn_roles(uint32_t idx) const { return idx < gsn_roles_.size() ? gsn_roles_[idx] : 0; }
  void learn_role(uint32_t idx, uint8_t roles) {
    if (idx < gsn_roles_.size()) gsn_roles_[idx] |= roles;
  }
  // Changes whenever an address starts to find a node (a cache generation).
  size_t gsn_generation() const { return gsn_generation_; }
  size_t gsn_count() const { return gsn_addrs_.size(); }
  uint32_t apn_intern(const Apn& apn);  // kNone when full or empty
  void apn_text(uint32_t idx, Apn& out) const;

  // A fresh record (evicting the least recent context when full; *evicted is
  // set to the number evicted). The record is not indexed until commit().
  uint32_t alloc(uint64_t* evicted);
  Session& at(uint32_t idx) { return sessions_[idx]; }
  const Session& at(uint32_t idx) const { return sessions_[idx]; }
  bool active(uint32_t idx) const { return idx < sessions_.size() && (sessions_[idx].flags & sflag::kActive); }
  // The subscriber of a context as events report it (digits, APN text, UE addresses).
  void subscriber(uint32_t idx, Subscriber& sub) const;
  // Index a filled record (endpoints, UE addresses, identity) and mark it active.
  void commit(uint32_t idx, uint32_t now_s);
  // Remove a record from every index and free it (secondaries are not touched).
  void remove(uint32_t idx);
  // Free a record from alloc() that was never committed.
  void release(uint32_t idx);
  // Re-index after endpoints or addresses changed: unindex, mutate, reindex.
  void unindex(uint32_t idx);
  void reindex(uint32_t idx, uint32_t now_s);

  // Lookups
  EndpointHit find_user(uint32_t gsn, uint32_t teid) const;
  // A hint: find_user(gsn, teid) is coming soon (prefetches its slot).
  void prefetch_user(uint32_t gsn, uint32_t teid) const {
    if (gsn != kNone) endpoints_.prefetch(ep_key(gsn, PlaneKind::User, teid));
  }
  // The group's primary whose control endpoint (either side: `dir` says which)
  // is this TEID at this node. On S11/S4 a control endpoint is per UE: it
  // names one of the UE's PDN connections there (see pdns_sharing).
  EndpointHit find_control(uint32_t gsn, uint32_t teid) const;
  // A context reporting this control endpoint of another hop (kPeerControl).
  uint32_t find_peer(uint32_t gsn, uint32_t teid) const;
  // The context of a subscriber's bearer on a hop: GTPv1 (IMSI, NSAPI);
  // GTPv2 (IMSI, EBI, the hop's two control nodes).
  uint32_t find_identity(uint64_t imsi, uint8_t gtp, uint8_t bearer, uint64_t hop) const;
  static uint64_t hop_of(const Session& s) {
    return s.gtp == 2 ? (uint64_t(s.ctrl_down.gsn) << 32) | s.ctrl_up.gsn : 0;
  }
  // The primaries (default bearers) of the same subscriber on the same hop
  // whose control endpoint of side `dir` is `ep` (`any` among them): the PDN
  // connections a per-UE S11 TEID addresses; one on S5/S8 and Gn. Returns how many.
  size_t pdns_sharing(uint32_t any, Dir dir, const Endpoint& ep, uint32_t* out, size_t cap) const;
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
    return (uint64_t(gsn) << 34) | (uint64_t(plane) << 32) | teid;
  }
  static uint64_t identity_key(uint64_t imsi, uint8_t gtp, uint8_t bearer, uint64_t hop);
  uint32_t pick_victim();
  void index(uint32_t idx);
  void drop_control(uint32_t idx, const Endpoint& ep, Dir dir);
  bool add_address(const IpAddr& a, uint32_t idx);
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

  std::vector<IpAddr> gsn_addrs_, gsn_alt_;
  std::vector<uint8_t> gsn_roles_;
  size_t gsn_generation_ = 0;
  FlatMap64<uint32_t> gsn_index_;
  std::vector<std::string> apns_;
  FlatMap64<uint32_t> apn_index_;
};

}  // namespace gnpay
