// Bounded reassembly of fragmented IP datagrams (RFC 791 / RFC 8200 s4.5).
// GTP-U over a 1500-byte MTU is often fragmented on the outer header.
// Memory is bounded by datagram count and total bytes; the oldest datagram is
// evicted when either bound is hit (counted as frag.evicted), and datagrams
// older than the timeout (capture time) are dropped (frag.timeout).
// Buffers are allocated once when a slot is first used and then reused: the
// steady state allocates nothing per packet.
// Datagrams are keyed by (version, src, dst, id, protocol) for IPv4 and by
// (version, src, dst, id) for IPv6 (RFC 8200 s4.5: the protocol of a later
// IPv6 fragment is the Fragment header's Next Header, which may name an
// extension header of the fragmentable part rather than the upper layer).
#pragma once
#include <vector>
#include "ip.h"

namespace gnpay {

struct ReassemblyLimits {
  size_t max_datagrams = 4096;           // datagrams being reassembled at once
  size_t max_bytes = 64u * 1024 * 1024;  // sum of buffered fragment bytes
  uint64_t timeout_ns = 30ull * 1000000000ull;
};

class IpReassembler {
 public:
  explicit IpReassembler(const ReassemblyLimits& limits = ReassemblyLimits());

  // Add one fragment (frag.is_fragment must be true). When this fragment
  // completes its datagram, returns true and sets `whole` to a packet whose
  // header fields are those of the first fragment (offset 0) and whose payload
  // spans the reassembled upper-layer bytes. That payload stays valid until
  // the next call on this object.
  // Fragments are copied from frag.frag_data (or payload when frag_data is
  // unset). Rejected, counted, and the datagram left pending: a non-last
  // fragment whose length is 0 or not a multiple of 8, a fragment past an
  // already known end, a second last fragment with another end (frag.bad_offset);
  // a datagram over 65535 octets (frag.datagram_too_large). A fragment the
  // capture truncated is ignored (already counted by decode_ip). Overlaps keep
  // the bytes that came first; an overlap with different bytes is frag.overlap,
  // an exact duplicate is silently ignored.
  bool add(const IpPacket& frag, uint64_t ts_ns, IpPacket& whole, AnomalyCounters& an);

  // Drop datagrams older than the timeout relative to now_ns (add() calls it too).
  void expire(uint64_t now_ns, AnomalyCounters& an);

  size_t datagrams() const;    // datagrams pending
  size_t bytes() const;        // fragment octets buffered
  uint64_t evicted() const;    // datagrams dropped before completion (bounds or timeout)
  uint64_t completed() const;  // datagrams reassembled
  void clear();                // drop everything pending, without counting

 private:
  // Slots are created on demand up to max_datagrams and then reused (free list);
  // each keeps its buffer and received-block bitmap between datagrams. A hash
  // index by key (chained through the slots) and a doubly linked age list
  // (oldest first) make lookups, eviction and timeout O(1) per fragment.
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  static constexpr size_t kMaxPayload = 65535;              // largest reassembled upper-layer size
  static constexpr size_t kBlocks = (kMaxPayload + 8) / 8;  // 8-octet fragment blocks
  struct Key {
    IpAddr src, dst;
    uint32_t id = 0;
    uint8_t proto = 0;  // IPv4 only (RFC 791); IPv6 keys on src, dst, id (RFC 8200 s4.5)
    uint8_t version = 0;
    bool operator==(const Key& o) const {
      return id == o.id && proto == o.proto && version == o.version && src == o.src && dst == o.dst;
    }
  };
  struct Slot {
    Key key;
    bool used = false;
    uint64_t first_ts = 0;
    uint32_t older = kNone, newer = kNone;  // age list
    uint32_t hnext = kNone;                 // hash chain
    std::vector<uint8_t> buf;               // reassembled fragmentable part, reused
    std::vector<uint64_t> bits;             // received 8-octet blocks, kBlocks bits, reused
    size_t hi_word = 0;                     // words of `bits` that may be non-zero
    size_t blocks_set = 0;
    size_t received = 0;  // octets buffered (counted in bytes_)
    size_t max_end = 0;   // highest fragment end seen
    size_t total = 0;     // fragmentable-part length, known once the last fragment came
    bool have_last = false, have_first = false;
    size_t first_skip = 0;  // IPv6: extension-header octets before the upper layer
    IpPacket first;         // header fields of the offset-0 fragment (spans cleared)
  };

  static Key key_of(const IpPacket& p);
  size_t bucket_of(const Key& k) const;
  uint32_t find(const Key& k) const;
  uint32_t allocate(const Key& k, uint64_t ts_ns, AnomalyCounters& an);
  void release(uint32_t idx);  // unlink and free; the buffer is kept
  void evict_oldest(Anomaly why, AnomalyCounters& an);

  ReassemblyLimits limits_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> buckets_;
  uint32_t oldest_ = kNone, newest_ = kNone;
  size_t count_ = 0;
  size_t bytes_ = 0;
  uint64_t evicted_ = 0;
  uint64_t completed_ = 0;
};

}  // namespace gnpay
