// User-plane resolution: which subscriber a G-PDU belongs to and which way it
// travels (docs/sessions.md, "Resolving a G-PDU to a subscriber").
//  1. A known endpoint (outer destination, TEID) gives both: the subscriber of
//     its context, and the direction of its side.
//  2. An unknown one takes its direction from the roles GTP-C taught about
//     the GSN addresses (a node seen receiving uplink: GGSN, PGW, SGW on S1-U;
//     receiving downlink: SGSN, RNC, eNodeB, SGW on S5/S8), never from ports;
//     when they do not tell, it stays undecided (counted) and is examined.
//     The subscriber then comes, as information only, from the inner source
//     address when exactly one context holds it (`resolvedBy: "ue-ip"`). The
//     inner addresses never make a packet uplink: a packet from a UE address
//     to a node known only as receiving downlink is undecided (the node has a
//     role GTP-C did not show); one from an address no context holds to one a
//     context holds is downlink when the roles did not decide.
//  Only a packet to a known downlink endpoint is skipped undecoded.
#pragma once
#include <cstdint>

#include "context.h"
#include "ip.h"
#include "session_table.h"

namespace gnpay {

class UserPlane {
 public:
  UserPlane(const SessionTable& sessions, EngineStats& stats) : sessions_(sessions), stats_(stats) {}

  enum class Way : uint8_t { Uplink, Downlink, Undecided };

  // Before the inner packet is decoded: the endpoint (outer destination, TEID)
  // and, for an unknown one, the direction the GSN roles give. *gsn is the
  // interned outer destination (kNone when not a known GSN). A packet to a
  // known downlink endpoint is not decoded at all (the caller counts it).
  EndpointHit endpoint(const IpPacket& outer, uint32_t teid, uint32_t* gsn, Way* way);
  // The subscriber of a G-PDU whose inner header is decoded. Fills `r`; false
  // when the packet travels towards the UE (counted, never examined), true when
  // it is examined (uplink or undecided; counted by how it was resolved).
  bool resolve(const EndpointHit& hit, Way way, uint32_t gsn, uint32_t teid, const IpPacket& inner, Resolution& r);
  // A hint: endpoint() is coming soon for a G-PDU to (dst, teid).
  // Returns the interned destination (kNone when it is not a known GSN).
  uint32_t prefetch(const IpAddr& dst, uint32_t teid) {
    const uint32_t gsn = gsn_cached(dst);
    sessions_.prefetch_user(gsn, teid);
    return gsn;
  }

 private:
  uint32_t gsn_cached(const IpAddr& a);

  const SessionTable& sessions_;
  EngineStats& stats_;
  // The GSN index of an outer address, through a small direct-mapped cache (a
  // Gn link has few GSN addresses; the table lookup hashes 16 bytes). Entries
  // are invalidated when the table's addresses change (its gsn_generation()).
  // The slot is a multiplicative hash of the address's last four bytes: with
  // the replay's look-ahead two addresses alternate, and a pair sharing a
  // slot would miss at every frame.
  struct GsnCacheEntry {
    IpAddr addr;
    uint32_t idx = kNone;
    size_t generation = ~size_t(0);
  };
  static constexpr size_t kGsnCacheBits = 6;
  static constexpr size_t kGsnCacheSize = size_t(1) << kGsnCacheBits;
  GsnCacheEntry gsn_cache_[kGsnCacheSize];
};

}  // namespace gnpay
