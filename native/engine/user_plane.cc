#include "user_plane.h"

namespace gnpay {

uint32_t UserPlane::gsn_cached(const IpAddr& a) {
  uint32_t h = uint32_t(a.b[15]) ^ (uint32_t(a.b[14]) << 3) ^ (uint32_t(a.b[13]) << 1);
  GsnCacheEntry& e = gsn_cache_[h & (kGsnCacheSize - 1)];
  size_t gen = sessions_.gsn_count();
  if (e.generation == gen && e.addr == a) return e.idx;
  e.addr = a;
  e.idx = sessions_.gsn_find(a);
  e.generation = gen;
  return e.idx;
}

EndpointHit UserPlane::endpoint(const IpAddr& outer_dst, uint32_t teid, uint32_t* gsn) {
  *gsn = gsn_cached(outer_dst);
  return sessions_.find_user(*gsn, teid);
}

bool UserPlane::resolve(const EndpointHit& hit, uint32_t gsn, uint32_t teid, const IpPacket& inner, Resolution& r) {
  r.session = kNone;
  r.by = ResolvedBy::None;
  r.teid = teid;
  r.gsn = gsn;
  r.ue = inner.src;
  r.dst = inner.dst;
  bool downlink = false;
  if (hit.session != kNone) {
    r.session = hit.session;
    r.by = ResolvedBy::Teid;
    downlink = hit.dir == Dir::Downlink;
  } else {
    size_t count = 0;
    uint32_t s = kNone;
    if (inner.src.family == 4) s = sessions_.find_ue_v4(inner.src.v4_value(), &count);
    else s = sessions_.find_ue_v6(inner.src.b, &count);
    if (s != kNone) {
      r.session = s;
      r.by = ResolvedBy::UeIp;
    } else if (count == 0) {
      size_t dcount = 0;
      if (inner.dst.family == 4) sessions_.find_ue_v4(inner.dst.v4_value(), &dcount);
      else sessions_.find_ue_v6(inner.dst.b, &dcount);
      downlink = dcount > 0;
    }
  }
  if (downlink) {
    stats_.gpdu_downlink++;
    return false;  // towards the UE: nothing in it makes a sighting
  }
  if (r.by == ResolvedBy::Teid) stats_.gpdu_by_teid++;
  else if (r.by == ResolvedBy::UeIp) stats_.gpdu_by_ue_ip++;
  else stats_.gpdu_unresolved++;
  return true;
}

}  // namespace gnpay
