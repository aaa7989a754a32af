// Checkpoint format (little-endian), version 2:
//   u32 magic "GNPS", u32 version, u32 count, then `count` records, primaries
//   (default bearers) before the secondaries that join them:
//   u32 index, u32 primary index, u64 IMSI, u64 MSISDN, u64 IMEI (packed
//   digits), u8 APN length + APN text, u8 flags (UE IPv4, UE IPv6, S11/S4
//   hop), u32 UE IPv4, 16 bytes UE IPv6, u8 GTP version, u8 bearer, u8 linked
//   bearer, u32 last update (capture seconds), endpoint control uplink,
//   endpoint control downlink, u8 user endpoints, then per user endpoint u8
//   kind (session_table.h epk) and the endpoint.
//   endpoint: u8 valid, address (u8 family + 16 bytes), second address of a
//   dual-stack node (the same form), u32 TEID, u8 the node's roles.
// Version 1 (before per-interface endpoints and dual-stack nodes) is refused,
// as is any other: a checkpoint is never read as another version.
#include "checkpoint.h"

#include <cstring>

#include "byte_reader.h"
#include "flat_map.h"

namespace gnpay {

namespace {
constexpr uint32_t kCheckpointMagic = 0x53504e47;  // "GNPS"
constexpr uint32_t kCheckpointVersion = 2;
void put32(std::vector<uint8_t>& o, uint32_t v) {
  for (int i = 0; i < 4; i++) o.push_back(uint8_t(v >> (8 * i)));
}
void put64(std::vector<uint8_t>& o, uint64_t v) {
  for (int i = 0; i < 8; i++) o.push_back(uint8_t(v >> (8 * i)));
}
void put_addr(std::vector<uint8_t>& o, const IpAddr& a) {
  o.push_back(a.family);
  o.insert(o.end(), a.b, a.b + 16);
}
}  // namespace

void export_checkpoint(const SessionTable& sessions, std::vector<uint8_t>& out) {
  out.clear();
  put32(out, kCheckpointMagic);
  put32(out, kCheckpointVersion);
  size_t count_at = out.size();
  put32(out, 0);
  uint32_t count = 0;
  auto ep = [&](const Endpoint& e) {
    out.push_back(e.valid() ? 1 : 0);
    put_addr(out, e.valid() ? sessions.gsn_addr(e.gsn) : IpAddr());
    put_addr(out, e.valid() ? sessions.gsn_alt(e.gsn) : IpAddr());
    put32(out, e.teid);
    out.push_back(e.valid() ? sessions.gsn_roles(e.gsn) : 0);
  };
  auto write = [&](uint32_t idx, const Session& s) {
    put32(out, idx);
    put32(out, s.primary);
    put64(out, s.imsi);
    put64(out, s.msisdn);
    put64(out, s.imei);
    Apn apn;
    sessions.apn_text(s.apn, apn);
    out.push_back(apn.len);
    out.insert(out.end(), apn.s, apn.s + apn.len);
    out.push_back(uint8_t(s.flags & (sflag::kHasV4 | sflag::kHasV6 | sflag::kHopS11)));
    put32(out, s.ue_v4);
    out.insert(out.end(), s.ue_v6, s.ue_v6 + 16);
    out.push_back(s.gtp);
    out.push_back(s.bearer);
    out.push_back(s.linked);
    put32(out, s.updated_s);
    ep(s.ctrl_up);
    ep(s.ctrl_down);
    out.push_back(s.n_user);
    for (uint8_t i = 0; i < s.n_user; i++) {
      out.push_back(s.kind(i));
      ep(s.user[i]);
    }
    count++;
  };
  // primaries first so that secondaries can be linked on import
  sessions.for_each_active([&](uint32_t idx, const Session& s) {
    if (s.primary == idx) write(idx, s);
  });
  sessions.for_each_active([&](uint32_t idx, const Session& s) {
    if (s.primary != idx) write(idx, s);
  });
  for (int i = 0; i < 4; i++) out[count_at + i] = uint8_t(count >> (8 * i));
}

size_t import_checkpoint(SessionTable& sessions, Span data, uint64_t now_ns, uint64_t max_age_ns, const char** error) {
  *error = nullptr;
  ByteReader r(data);
  uint32_t magic = 0, version = 0, count = 0;
  if (!r.le32(magic) || magic != kCheckpointMagic) {
    *error = "not a gnpay session checkpoint: not restored";
    return 0;
  }
  if (!r.le32(version)) {
    *error = "checkpoint truncated";
    return 0;
  }
  if (version < kCheckpointVersion) {
    *error =
        "written by an older gnpay (format version 1, this one reads version 2): not restored; the tunnel "
        "table fills again from GTP-C";
    return 0;
  }
  if (version != kCheckpointVersion) {
    *error = "unsupported checkpoint format version (this gnpay reads version 2): not restored";
    return 0;
  }
  if (!r.le32(count)) {
    *error = "checkpoint truncated";
    return 0;
  }
  FlatMap64<uint32_t> remap;  // old index -> new index
  size_t restored = 0;
  uint32_t now_s = uint32_t(now_ns / 1000000000ull);
  uint32_t max_age_s = uint32_t(max_age_ns / 1000000000ull);
  auto read_u64 = [&](uint64_t& v) {
    uint32_t lo, hi;
    if (!r.le32(lo) || !r.le32(hi)) return false;
    v = (uint64_t(hi) << 32) | lo;
    return true;
  };
  auto read_addr = [&](IpAddr& a) {
    uint8_t fam;
    if (!r.u8(fam) || !r.copy(a.b, 16)) return false;
    a.family = fam == 4 || fam == 6 ? fam : 0;
    return true;
  };
  for (uint32_t n = 0; n < count; n++) {
    Session s;
    uint32_t old_idx, old_primary;
    uint8_t apn_len;
    Apn apn;
    if (!r.le32(old_idx) || !r.le32(old_primary) || !read_u64(s.imsi) || !read_u64(s.msisdn) || !read_u64(s.imei) ||
        !r.u8(apn_len) || apn_len > kMaxApnLen || !r.copy(apn.s, apn_len)) {
      *error = "checkpoint truncated";
      return restored;
    }
    apn.len = apn_len;
    apn.s[apn_len] = 0;
    uint8_t flags;
    if (!r.u8(flags) || !r.le32(s.ue_v4) || !r.copy(s.ue_v6, 16) || !r.u8(s.gtp) || !r.u8(s.bearer) ||
        !r.u8(s.linked) || !r.le32(s.updated_s)) {
      *error = "checkpoint truncated";
      return restored;
    }
    auto ep = [&](Endpoint& e) {
      uint8_t valid, roles;
      IpAddr a, alt;
      uint32_t teid;
      if (!r.u8(valid) || !read_addr(a) || !read_addr(alt) || !r.le32(teid) || !r.u8(roles)) return false;
      if (valid && a.is_set()) {
        uint32_t g = alt.is_set() ? sessions.gsn_intern_pair(a.family == 4 ? a : alt, a.family == 4 ? alt : a)
                                  : sessions.gsn_intern(a);
        if (g != kNone) {
          e = Endpoint{g, teid};
          sessions.learn_role(g, uint8_t(roles & (role::kReceivesUplink | role::kReceivesDownlink)));
        }
      }
      return true;
    };
    uint8_t n_user;
    if (!ep(s.ctrl_up) || !ep(s.ctrl_down) || !r.u8(n_user) || n_user > kMaxUserEndpoints) {
      *error = "checkpoint truncated";
      return restored;
    }
    uint8_t kept = 0;
    for (uint8_t i = 0; i < n_user; i++) {
      uint8_t kind;
      Endpoint e;
      if (!r.u8(kind) || !ep(e)) {
        *error = "checkpoint truncated";
        return restored;
      }
      if (!e.valid()) continue;
      s.user[kept] = e;
      s.set_kind(kept, kind);
      kept++;
    }
    s.n_user = kept;
    if (max_age_ns && now_s > s.updated_s && now_s - s.updated_s > max_age_s) continue;
    uint32_t primary = kNone;
    if (old_primary != old_idx) {
      const uint32_t* p = remap.find(old_primary);
      if (!p || !sessions.active(*p)) continue;  // its primary was not restored
      primary = *p;
    }
    uint64_t evicted = 0;
    uint32_t idx = sessions.alloc(&evicted);
    if (primary != kNone && !sessions.active(primary)) {
      sessions.release(idx);
      continue;
    }
    Session& d = sessions.at(idx);
    uint32_t updated = s.updated_s;
    d = s;
    d.apn = sessions.apn_intern(apn);
    d.flags = uint8_t(flags & (sflag::kHasV4 | sflag::kHasV6 | sflag::kHopS11));
    d.next_sibling = d.next_v4 = d.next_v6 = kNone;
    d.primary = primary == kNone ? idx : primary;
    if (primary != kNone) {
      uint32_t* link = &sessions.at(primary).next_sibling;
      for (size_t guard = 0; *link != kNone && guard < kMaxGroupContexts; guard++)
        link = &sessions.at(*link).next_sibling;
      if (*link != kNone) {  // the group is full
        sessions.release(idx);
        continue;
      }
      *link = idx;
    }
    sessions.commit(idx, updated);
    remap.put(old_idx, idx);
    restored++;
  }
  return restored;
}

}  // namespace gnpay
