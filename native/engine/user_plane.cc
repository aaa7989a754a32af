#include "user_plane.h"

#include <cstring>

namespace gnpay {

uint32_t UserPlane::gsn_cached(const IpAddr& a) {
  uint32_t last4;
  std::memcpy(&last4, a.b + 12, 4);
  GsnCacheEntry& e = gsn_cache_[(last4 * 0x9e3779b1u) >> (32 - kGsnCacheBits)];
  size_t gen = sessions_.gsn_generation();
  if (e.generation == gen && e.addr == a) return e.idx;
  e.addr = a;
  e.idx = sessions_.gsn_find(a);
  e.generation = gen;
  return e.idx;
}

EndpointHit UserPlane::endpoint(const IpPacket& outer, uint32_t teid, uint32_t* gsn, Way* way) {
  *gsn = gsn_cached(outer.dst);
  EndpointHit hit = sessions_.find_user(*gsn, teid);
  if (hit.session != kNone) {
    *way = hit.dir == Dir::Downlink ? Way::Downlink : Way::Uplink;
    return hit;
  }
  // an unknown tunnel: what the destination node receives, else what the source node does
  auto by_roles = [](uint8_t roles, bool destination) {
    if (roles == role::kReceivesUplink) return destination ? Way::Uplink : Way::Downlink;
    if (roles == role::kReceivesDownlink) return destination ? Way::Downlink : Way::Uplink;
    return Way::Undecided;
  };
  *way = *gsn != kNone ? by_roles(sessions_.gsn_roles(*gsn), true) : Way::Undecided;
  if (*way == Way::Undecided) {
    uint32_t src = gsn_cached(outer.src);
    if (src != kNone) *way = by_roles(sessions_.gsn_roles(src), false);
  }
  return hit;
}

bool UserPlane::resolve(const EndpointHit& hit, Way way, uint32_t gsn, uint32_t teid, const IpPacket& inner,
                        Resolution& r) {
  r.session = kNone;
  r.by = ResolvedBy::None;
  r.teid = teid;
  r.gsn = gsn;
  r.ue = inner.src;
  r.dst = inner.dst;
  if (hit.session != kNone) {
    r.session = hit.session;
    r.by = ResolvedBy::Teid;
  } else {
    size_t count = 0;
    uint32_t s = kNone;
    if (inner.src.family == 4)
      s = sessions_.find_ue_v4(inner.src.v4_value(), &count);
    else
      s = sessions_.find_ue_v6(inner.src.b, &count);
    size_t dcount = 0;
    if (inner.dst.family == 4)
      sessions_.find_ue_v4(inner.dst.v4_value(), &dcount);
    else
      sessions_.find_ue_v6(inner.dst.b, &dcount);
    if (s != kNone) {
      r.session = s;
      r.by = ResolvedBy::UeIp;
      // sent from a UE address to a node GTP-C knows only as receiving
      // downlink: the node has a role GTP-C did not show; undecided
      if (way == Way::Downlink && dcount == 0) way = Way::Undecided;
    } else if (count == 0 && way == Way::Undecided && dcount > 0) {
      way = Way::Downlink;  // no context holds the source; one holds the destination: towards a UE
    }
  }
  if (way == Way::Downlink) {
    stats_.gpdu_downlink++;
    return false;  // towards the UE: nothing in it makes a sighting
  }
  if (way == Way::Undecided) stats_.gpdu_undecided++;
  if (r.by == ResolvedBy::Teid)
    stats_.gpdu_by_teid++;
  else if (r.by == ResolvedBy::UeIp)
    stats_.gpdu_by_ue_ip++;
  else
    stats_.gpdu_unresolved++;
  return true;
}

}  // namespace gnpay
