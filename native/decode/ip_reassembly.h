// Bounded reassembly of fragmented IP datagrams (RFC 791 / RFC 8200 s4.5).
// GTP-U over a 1500-byte MTU is often fragmented on the outer header.
// Memory is bounded by datagram count and total bytes; the oldest datagram is
// evicted when either bound is hit (counted as frag.evicted), and datagrams
// older than the timeout (capture time) are dropped (frag.timeout).
// Buffers are allocated once when a slot is first used and then reused: the
// steady state allocates nothing per packet.
#pragma once
#include <vector>
#include "ip.h"

namespace gnpay {

struct ReassemblyLimits {
  size_t max_datagrams = 4096;          // datagrams being reassembled at once
  size_t max_bytes = 64u * 1024 * 1024; // sum of buffered fragment bytes
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
  bool add(const IpPacket& frag, uint64_t ts_ns, IpPacket& whole, AnomalyCounters& an);

  // Drop datagrams older than the timeout relative to now_ns.
  void expire(uint64_t now_ns, AnomalyCounters& an);

  size_t datagrams() const;
  size_t bytes() const;
  uint64_t evicted() const;
  uint64_t completed() const;
  void clear();

 private:
  // implementation-defined: preallocated slots, an index by (src, dst, id, proto), age order
};

}  // namespace gnpay
