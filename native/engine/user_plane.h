// User-plane resolution: which subscriber a G-PDU belongs to and which way it
// travels (docs/sessions.md, "Resolving a G-PDU to a subscriber").
#pragma once
#include <cstdint>

#include "context.h"
#include "ip.h"
#include "session_table.h"

namespace gnpay {

class UserPlane {
 public:
  UserPlane(const SessionTable& sessions, EngineStats& stats) : sessions_(sessions), stats_(stats) {}

  // The user-plane endpoint (outer destination, TEID) a G-PDU arrives at;
  // *gsn is the interned outer destination (kNone when not a known GSN).
  // Looked up before the inner packet is decoded: a packet to a downlink
  // endpoint is not decoded at all.
  EndpointHit endpoint(const IpAddr& outer_dst, uint32_t teid, uint32_t* gsn);
  // The subscriber and direction of a G-PDU whose inner header is decoded.
  // Fills `r`; false when the packet travels towards the UE (counted, never
  // examined), true when it is examined (uplink or undecided; counted by how
  // it was resolved).
  bool resolve(const EndpointHit& hit, uint32_t gsn, uint32_t teid, const IpPacket& inner, Resolution& r);

 private:
  uint32_t gsn_cached(const IpAddr& a);

  const SessionTable& sessions_;
  EngineStats& stats_;
  // The GSN index of an outer destination address, through a small direct-mapped
  // cache (a Gn link has few GSN addresses; the table lookup hashes 16 bytes).
  // Entries are invalidated when the table learns addresses (its gsn_count()).
  struct GsnCacheEntry {
    IpAddr addr;
    uint32_t idx = kNone;
    size_t generation = ~size_t(0);
  };
  static constexpr size_t kGsnCacheSize = 16;
  GsnCacheEntry gsn_cache_[kGsnCacheSize];
};

}  // namespace gnpay
