#include "engine.h"

#include <cstdio>
#include <cstring>

#include "dns_query.h"
#include "http_request.h"
#include "tls_client_hello.h"

namespace gnpay {

// ---------------------------------------------------------------------------
// Timestamps

size_t format_ts_iso(uint64_t ts_ns, char* out, size_t cap) {
  // days-from-civil inverse (H. Hinnant's algorithm), UTC, µs truncated
  uint64_t secs = ts_ns / 1000000000ull;
  uint32_t micros = uint32_t((ts_ns % 1000000000ull) / 1000ull);
  int64_t days = int64_t(secs / 86400);
  uint32_t sod = uint32_t(secs % 86400);
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  uint32_t doe = uint32_t(z - era * 146097);
  uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = int64_t(yoe) + era * 400;
  uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  uint32_t mp = (5 * doy + 2) / 153;
  uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
  int n = std::snprintf(out, cap, "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ", static_cast<long long>(y), m, d,
                        sod / 3600, (sod / 60) % 60, sod % 60, micros);
  return n > 0 ? size_t(n) : 0;
}

// ---------------------------------------------------------------------------
// Pending GTP-C requests: a ring of preallocated slots in arrival order (the
// oldest is overwritten first) and an index by (version, sequence, source,
// destination). Slots are allocated as the ring first fills, then reused.

struct Engine::Pending {
  uint64_t key = 0;
  uint64_t ts_ns = 0;
  bool live = false;
  uint8_t gtp = 0, msg_type = 0;
  uint32_t seq = 0, header_teid = 0;
  IpAddr src, dst;
  Digits imsi, msisdn, imei;
  Apn apn;
  bool has_nsapi = false, has_linked = false, teardown = false;
  uint8_t nsapi = 0, linked_nsapi = 0;
  bool has_teid_data = false, has_teid_cp = false;
  uint32_t teid_data = 0, teid_cp = 0;
  uint8_t n_gsn = 0;
  IpAddr gsn[2];
  bool has_ue_v4 = false, has_ue_v6 = false;
  uint8_t ue_v4[4] = {0}, ue_v6[16] = {0};
  // GTPv2
  bool has_ebi = false;
  uint8_t ebi = 0;
  struct Ep {
    uint8_t plane, dir, ebi, bc;  // bc: index of the Bearer Context (0xFF: top level)
    uint32_t teid;
    IpAddr addr;
  };
  static constexpr size_t kMaxEps = 12;
  uint8_t n_ep = 0;
  Ep ep[kMaxEps];
  uint8_t n_bc = 0;
  uint8_t bc_ebi[kMaxBearerContexts] = {0};
  uint8_t n_ebis = 0;                         // Delete Bearer Request: the bearers named (instance 1)
  uint8_t ebis[kMaxBearerContexts] = {0};
};

class Engine::PendingTable {
 public:
  PendingTable(size_t max, uint64_t timeout_ns) : max_(max ? max : 1), timeout_(timeout_ns) {}

  static uint64_t key_of(uint8_t gtp, uint32_t seq, const IpAddr& src, const IpAddr& dst) {
    uint64_t h = mix64((uint64_t(gtp) << 32) | seq);
    for (int i = 0; i < 16; i += 8) {
      uint64_t a = 0, b = 0;
      std::memcpy(&a, src.b + i, 8);
      std::memcpy(&b, dst.b + i, 8);
      h = mix64(h ^ a) ^ mix64(b + 0x9e3779b97f4a7c15ULL);
    }
    return h == FlatMap64<uint32_t>::kEmpty ? h - 1 : h;
  }

  // A slot for a new request (the caller fills it). Evicts the oldest when full.
  Pending& insert(uint64_t key, uint64_t ts_ns, AnomalyCounters& an, uint8_t gtp) {
    if (uint32_t* existing = index_.find(key)) {  // retransmitted request: reuse its slot
      Pending& p = slots_[*existing];
      p = Pending();
      p.key = key;
      p.ts_ns = ts_ns;
      p.live = true;
      return p;
    }
    uint32_t slot;
    if (slots_.size() < max_) {
      slot = uint32_t(slots_.size());
      slots_.emplace_back();
    } else {
      slot = uint32_t(next_);
      next_ = (next_ + 1) % max_;
      Pending& old = slots_[slot];
      if (old.live) {
        index_.erase(old.key);
        live_--;
        an.bump(old.gtp == 2 ? Anomaly::Gtp2cPendingEvicted : Anomaly::Gtp1cPendingEvicted);
      }
    }
    Pending& p = slots_[slot];
    p = Pending();
    p.key = key;
    p.ts_ns = ts_ns;
    p.live = true;
    p.gtp = gtp;
    index_.put(key, slot);
    live_++;
    return p;
  }

  // The request a response answers, or nullptr. The slot stays valid until
  // the next insert.
  Pending* take(uint64_t key, uint64_t now_ns, AnomalyCounters& an) {
    uint32_t* s = index_.find(key);
    if (!s) return nullptr;
    Pending& p = slots_[*s];
    index_.erase(key);
    p.live = false;
    live_--;
    if (now_ns > p.ts_ns && now_ns - p.ts_ns > timeout_) {
      an.bump(p.gtp == 2 ? Anomaly::Gtp2cPendingTimeout : Anomaly::Gtp1cPendingTimeout);
      return nullptr;
    }
    return &p;
  }

  // Expire live requests older than the timeout, walking from the oldest slot.
  void expire(uint64_t now_ns, AnomalyCounters& an) {
    if (slots_.empty() || live_ == 0) return;
    size_t n = slots_.size();
    size_t start = slots_.size() < max_ ? 0 : next_;
    // walk forward from the oldest until a slot younger than the timeout
    for (size_t k = 0; k < n; k++) {
      size_t i = (start + k) % n;
      Pending& p = slots_[i];
      if (!p.live) continue;
      if (now_ns <= p.ts_ns || now_ns - p.ts_ns <= timeout_) break;
      index_.erase(p.key);
      p.live = false;
      live_--;
      an.bump(p.gtp == 2 ? Anomaly::Gtp2cPendingTimeout : Anomaly::Gtp1cPendingTimeout);
    }
  }

  size_t live() const { return live_; }
  size_t max() const { return max_; }

 private:
  size_t max_;
  uint64_t timeout_;
  std::vector<Pending> slots_;
  size_t next_ = 0;
  size_t live_ = 0;
  FlatMap64<uint32_t> index_;
};

// ---------------------------------------------------------------------------

struct Engine::HeadSinkImpl : HeadSink {
  explicit HeadSinkImpl(Engine& e) : engine(e) {}
  void on_head(HeadKind kind, Span bytes) override { engine.on_head(kind, bytes); }
  Engine& engine;
};

Engine::Engine(const EngineOptions& options)
    : options_(options),
      sessions_(options.limits.max_sessions),
      pending_(new PendingTable(options.limits.max_pending, options.limits.pending_timeout_ns)),
      outer_frag_(options.limits.outer_fragments),
      inner_frag_(options.limits.inner_fragments),
      heads_(options.limits.heads),
      head_sink_(new HeadSinkImpl(*this)) {}

Engine::~Engine() = default;

EngineTables Engine::tables() const {
  EngineTables t;
  t.sessions = sessions_.size();
  t.max_sessions = sessions_.max_sessions();
  t.sessions_bytes = sessions_.memory_bytes();
  t.pending = pending_->live();
  t.max_pending = pending_->max();
  t.fragments = outer_frag_.datagrams() + inner_frag_.datagrams();
  t.fragment_bytes = outer_frag_.bytes() + inner_frag_.bytes();
  t.flows = heads_.flows();
  t.orphans = heads_.orphans();
  t.flow_bytes = heads_.memory_bytes();
  return t;
}

void Engine::housekeeping(uint64_t now_ns) {
  pending_->expire(now_ns, stats_.anomalies);
  outer_frag_.expire(now_ns, stats_.anomalies);
  inner_frag_.expire(now_ns, stats_.anomalies);
  heads_.expire(now_ns, stats_.anomalies);
  last_housekeeping_ns_ = now_ns;
  packets_since_housekeeping_ = 0;
}

void Engine::process(const CaptureFrame& frame, uint64_t packet, uint32_t source, EventSink& sink) {
  sink_ = &sink;
  now_ns_ = frame.ts_ns;
  packet_ = packet;
  source_ = source;
  stats_.packets++;
  stats_.bytes += frame.origlen ? frame.origlen : frame.caplen;

  if (++packets_since_housekeeping_ >= 4096 || now_ns_ > last_housekeeping_ns_ + 1000000000ull ||
      now_ns_ + 1000000000ull < last_housekeeping_ns_) {
    housekeeping(now_ns_);
  }

  link_.reset();
  Status st = decode_link(frame.linktype, frame.data, link_, stats_.anomalies);
  if (st != Status::Ok) {
    if (st == Status::Ignored) stats_.non_ip++;
    return;
  }
  stats_.ip_packets++;
  outer_ip_.reset();
  st = decode_ip(link_.payload, outer_ip_, stats_.anomalies);
  if (st != Status::Ok) return;
  const IpPacket* ip = &outer_ip_;
  if (outer_ip_.is_fragment) {
    outer_whole_.reset();
    if (!outer_frag_.add(outer_ip_, now_ns_, outer_whole_, stats_.anomalies)) return;
    stats_.outer_reassembled++;
    ip = &outer_whole_;
  }
  if (ip->proto != ipproto::kUdp) {
    stats_.other_transport++;
    return;
  }
  stats_.udp++;
  udp_ = UdpDatagram();
  if (decode_udp(ip->payload, ip->truncated, udp_, stats_.anomalies) != Status::Ok) return;
  on_udp(*ip, udp_);
}

void Engine::on_udp(const IpPacket& ip, const UdpDatagram& udp) {
  if (udp.dport == port::kGtpU || udp.sport == port::kGtpU) {
    on_gtpu(ip, udp);
    return;
  }
  if (udp.dport == port::kGtpC || udp.sport == port::kGtpC) {
    if (udp.payload.size == 0) {
      stats_.anomalies.bump(Anomaly::Gtp1cTruncated);
      return;
    }
    uint8_t version = udp.payload[0] >> 5;
    if (version == 1) on_gtpv1c(ip, udp);
    else if (version == 2) on_gtpv2c(ip, udp);
    else if (version == 0) stats_.anomalies.bump(Anomaly::GtpV0);
    else stats_.anomalies.bump(Anomaly::GtpBadVersion);
    return;
  }
  if (udp.dport == port::kGtpPrime || udp.sport == port::kGtpPrime) {
    // GTPv0 (TS 09.60) and GTP' (TS 32.295) share port 3386: neither is decoded
    if (udp.payload.size > 0 && (udp.payload[0] >> 5) == 0 && (udp.payload[0] & 0x10))
      stats_.anomalies.bump(Anomaly::GtpV0);
    else
      stats_.anomalies.bump(Anomaly::GtpPrime);
    return;
  }
  stats_.other_udp++;
}

// ---------------------------------------------------------------------------
// GTP-U

// The GSN index of an outer destination address, through a small direct-mapped
// cache (a Gn link has few GSN addresses; the table lookup hashes 16 bytes).
// Entries are invalidated when the table learns addresses (gsn_generation_).
uint32_t Engine::gsn_cached(const IpAddr& a) {
  uint32_t h = uint32_t(a.b[15]) ^ (uint32_t(a.b[14]) << 3) ^ (uint32_t(a.b[13]) << 1);
  GsnCacheEntry& e = gsn_cache_[h & (kGsnCacheSize - 1)];
  size_t gen = sessions_.gsn_count();
  if (e.generation == gen && e.addr == a) return e.idx;
  e.addr = a;
  e.idx = sessions_.gsn_find(a);
  e.generation = gen;
  return e.idx;
}

void Engine::on_gtpu(const IpPacket& outer, const UdpDatagram& udp) {
  gtpu_.reset();
  Status st = decode_gtpu(udp.payload, udp.truncated, gtpu_, stats_.anomalies);
  if (st != Status::Ok) return;
  stats_.gtpu[gtpu_.msg_type]++;
  if (gtpu_.msg_type == gtp1::msg::kGpdu) on_gpdu(outer, gtpu_);
}

void Engine::on_gpdu(const IpPacket& outer, const GtpuHeader& gh) {
  uint32_t gsn = gsn_cached(outer.dst);
  EndpointHit hit = sessions_.find_user(gsn, gh.teid);
  if (hit.session != kNone && hit.dir == Dir::Downlink) {
    stats_.gpdu_downlink++;  // towards the UE: nothing in it makes a sighting; not even decoded
    return;
  }
  inner_ip_.reset();
  if (gh.payload.size == 0) return;
  uint8_t v = gh.payload[0] >> 4;
  if (v != 4 && v != 6) {
    stats_.anomalies.bump(Anomaly::GtpuInnerNotIp);
    return;
  }
  if (decode_ip(gh.payload, inner_ip_, stats_.anomalies) != Status::Ok) return;

  cur_session_ = kNone;
  cur_resolved_ = ResolvedBy::None;
  cur_teid_ = gh.teid;
  cur_gsn_ = gsn;
  cur_ue_ = inner_ip_.src;
  cur_dst_ = inner_ip_.dst;
  cur_gsn_src_ = outer.src;
  cur_gsn_dst_ = outer.dst;
  bool downlink = false;
  if (hit.session != kNone) {
    cur_session_ = hit.session;
    cur_resolved_ = ResolvedBy::Teid;
    downlink = hit.dir == Dir::Downlink;
  } else {
    size_t count = 0;
    uint32_t s = kNone;
    if (inner_ip_.src.family == 4) s = sessions_.find_ue_v4(inner_ip_.src.v4_value(), &count);
    else s = sessions_.find_ue_v6(inner_ip_.src.b, &count);
    if (s != kNone) {
      cur_session_ = s;
      cur_resolved_ = ResolvedBy::UeIp;
    } else if (count == 0) {
      size_t dcount = 0;
      if (inner_ip_.dst.family == 4) sessions_.find_ue_v4(inner_ip_.dst.v4_value(), &dcount);
      else sessions_.find_ue_v6(inner_ip_.dst.b, &dcount);
      downlink = dcount > 0;
    }
  }
  if (downlink) {
    stats_.gpdu_downlink++;
    return;  // towards the UE: nothing in it makes a sighting
  }
  if (cur_resolved_ == ResolvedBy::Teid) stats_.gpdu_by_teid++;
  else if (cur_resolved_ == ResolvedBy::UeIp) stats_.gpdu_by_ue_ip++;
  else stats_.gpdu_unresolved++;

  const IpPacket* inner = &inner_ip_;
  if (inner_ip_.is_fragment) {
    inner_whole_.reset();
    if (!inner_frag_.add(inner_ip_, now_ns_, inner_whole_, stats_.anomalies)) return;
    stats_.inner_reassembled++;
    inner = &inner_whole_;
  }
  on_inner(*inner);
}

void Engine::on_inner(const IpPacket& inner) {
  if (inner.proto == ipproto::kUdp) {
    inner_udp_ = UdpDatagram();
    if (decode_udp(inner.payload, inner.truncated, inner_udp_, stats_.anomalies) != Status::Ok) return;
    if (inner_udp_.dport == port::kGtpU || inner_udp_.dport == port::kGtpC || inner_udp_.sport == port::kGtpU ||
        inner_udp_.sport == port::kGtpC) {
      stats_.anomalies.bump(Anomaly::GtpuNestedTunnel);  // tunnel depth is bounded at one
      return;
    }
    if (inner_udp_.dport == port::kDns) on_dns(inner_udp_);
    return;
  }
  if (inner.proto != ipproto::kTcp) return;
  tcp_ = TcpSegment();
  if (decode_tcp(inner.payload, inner.truncated, tcp_, stats_.anomalies) != Status::Ok) return;
  // a bare ACK carries nothing and changes no flow state
  if (tcp_.payload.size == 0 && !(tcp_.flags & (tcpflag::kSyn | tcpflag::kFin | tcpflag::kRst))) return;
  if (cur_resolved_ == ResolvedBy::None) {
    // direction unknown: a server port talking to an ephemeral one is downlink
    bool server_src = tcp_.sport == 80 || tcp_.sport == 443 || tcp_.sport == 8080 || tcp_.sport == 8443;
    if (server_src && tcp_.dport >= 1024) return;
  }
  FlowKey key;
  key.src = inner.src;
  key.dst = inner.dst;
  key.sport = tcp_.sport;
  key.dport = tcp_.dport;
  key.tunnel = (uint64_t(cur_gsn_) << 32) | cur_teid_;
  heads_.feed(key, tcp_, now_ns_, *head_sink_, stats_.anomalies);
}

void Engine::on_dns(const UdpDatagram& udp) {
  dns_.reset();
  if (parse_dns_query(udp.payload, dns_, stats_.anomalies) != Status::Ok) return;
  if (dns_.is_response || dns_.name_len == 0) return;  // only what the UE asks
  stats_.requests++;
  if (options_.emit_requests) {
    Event& e = new_event(EventType::Request);
    e.via = Via::Dns;
    std::memcpy(e.name, dns_.name, dns_.name_len);
    e.name[dns_.name_len] = 0;
  }
  matches_.clear();
  Span name(reinterpret_cast<const uint8_t*>(dns_.name), dns_.name_len);
  match_hostname(options_.carriers, name, Via::Dns, matches_, stats_.anomalies);
  emit_matches(matches_, name);
}

static void copy_text(char* dst, size_t cap, Span s) {
  size_t n = s.size < cap - 1 ? s.size : cap - 1;
  if (n) std::memcpy(dst, s.data, n);
  dst[n] = 0;
}

void Engine::on_head(HeadKind kind, Span bytes) {
  if (kind == HeadKind::Http) {
    http_.reset();
    // a head with a broken header line is still a request: its line and good headers count
    if (parse_http_request_head(bytes, http_, stats_.anomalies) != Status::Ok && http_.method.empty()) return;
    stats_.requests++;
    if (options_.emit_requests) {
      Event& e = new_event(EventType::Request);
      e.via = Via::Http;
      copy_text(e.method, sizeof(e.method), http_.method);
      copy_text(e.host, sizeof(e.host), http_.host);
      copy_text(e.target, sizeof(e.target), http_.target);
    }
    matches_.clear();
    match_http_request(options_.carriers, http_, matches_, stats_.anomalies);
    emit_matches(matches_, http_.host);
    return;
  }
  tls_.reset();
  if (parse_tls_client_hello(bytes, tls_, stats_.anomalies) != Status::Ok) return;
  stats_.requests++;
  if (options_.emit_requests) {
    Event& e = new_event(EventType::Request);
    e.via = Via::TlsSni;
    if (tls_.has_sni) {
      std::memcpy(e.name, tls_.sni, tls_.sni_len);
      e.name[tls_.sni_len] = 0;
    }
  }
  if (!tls_.has_sni) return;
  Span sni(reinterpret_cast<const uint8_t*>(tls_.sni), tls_.sni_len);
  if (tls_.has_random && options_.pay_hosts.size() && options_.pay_hosts.matches(sni)) {
    Event& e = new_event(EventType::Hello);
    e.via = Via::TlsSni;
    std::memcpy(e.name, tls_.sni, tls_.sni_len);
    e.name[tls_.sni_len] = 0;
    std::memcpy(e.random, tls_.random, kTlsRandomLen);
  }
  matches_.clear();
  match_hostname(options_.carriers, sni, Via::TlsSni, matches_, stats_.anomalies);
  emit_matches(matches_, sni);
}

Event& Engine::new_event(EventType type) {
  Event& e = sink_->add();
  e.type = type;
  e.ts_ns = now_ns_;
  e.packet = packet_;
  e.source = source_;
  if (type != EventType::Session) {
    e.ue_ip = cur_ue_;
    e.dst_ip = cur_dst_;
    e.teid = cur_teid_;
    e.resolved_by = cur_resolved_;
    e.request = stats_.requests;
    e.gsn_src = cur_gsn_src_;
    e.gsn_dst = cur_gsn_dst_;
    if (cur_session_ != kNone) {
      e.has_subscriber = true;
      fill_subscriber(cur_session_, e.sub);
    }
  }
  return e;
}

void Engine::emit_matches(const TokenMatches& matches, Span host) {
  for (uint8_t i = 0; i < matches.n; i++) {
    Event& e = new_event(EventType::Sighting);
    e.match = matches.m[i];
    e.via = matches.m[i].via;
    copy_text(e.host, sizeof(e.host), host);
    stats_.sightings++;
    if (cur_session_ == kNone) stats_.unresolved_sightings++;
  }
}

// ---------------------------------------------------------------------------
// Sessions: events

void Engine::fill_subscriber(uint32_t idx, Subscriber& sub) const {
  const Session& s = sessions_.at(idx);
  unpack_digits(s.imsi, sub.imsi);
  unpack_digits(s.msisdn, sub.msisdn);
  unpack_digits(s.imei, sub.imei);
  sessions_.apn_text(s.apn, sub.apn);
  sub.has_v4 = (s.flags & sflag::kHasV4) != 0;
  if (sub.has_v4) {
    sub.v4[0] = uint8_t(s.ue_v4 >> 24);
    sub.v4[1] = uint8_t(s.ue_v4 >> 16);
    sub.v4[2] = uint8_t(s.ue_v4 >> 8);
    sub.v4[3] = uint8_t(s.ue_v4);
  }
  sub.has_v6 = (s.flags & sflag::kHasV6) != 0;
  if (sub.has_v6) std::memcpy(sub.v6, s.ue_v6, 16);
}

void Engine::emit_session(SessionChange change, uint32_t idx) {
  Event& e = new_event(EventType::Session);
  const Session& s = sessions_.at(idx);
  e.change = change;
  e.gtp = s.gtp;
  e.bearer = s.bearer;
  e.linked_bearer = s.linked;
  e.has_subscriber = true;
  fill_subscriber(idx, e.sub);
  auto add = [&](uint8_t plane, uint8_t dir, const Endpoint& ep, uint8_t bearer) {
    if (!ep.valid() || e.n_tunnels >= kMaxEventTunnels) return;
    EventTunnel& t = e.tunnels[e.n_tunnels++];
    t.plane = plane;
    t.dir = dir;
    t.bearer = bearer;
    t.teid = ep.teid;
    t.addr = sessions_.gsn_addr(ep.gsn);
  };
  // control uplink(s), control downlink(s), then user uplink(s), user downlink(s)
  for (uint8_t plane = 0; plane < 2; plane++)
    for (uint8_t dir = 0; dir < 2; dir++) {
      if (plane == 0) add(0, dir, dir ? s.ctrl_down : s.ctrl_up, 0);
      for (uint8_t i = 0; i < s.n_user; i++) {
        bool is_ctrl = (s.user_ctrl_mask >> i) & 1;
        bool is_down = (s.user_down_mask >> i) & 1;
        if (is_ctrl == (plane == 0) && is_down == (dir == 1)) add(plane, dir, s.user[i], plane ? s.bearer : 0);
      }
    }
  switch (change) {
    case SessionChange::Create: stats_.sessions_created++; break;
    case SessionChange::Update: stats_.sessions_updated++; break;
    case SessionChange::Delete: stats_.sessions_deleted++; break;
  }
}

// A secondary PDP context / dedicated bearer: the subscriber, UE addresses and
// control tunnels of its primary, linked after the primary's other secondaries
// (creation order).
void Engine::adopt(uint32_t idx, uint32_t primary) {
  Session& p = sessions_.at(primary);
  Session& s = sessions_.at(idx);
  s.imsi = p.imsi;
  s.msisdn = p.msisdn;
  s.imei = p.imei;
  s.apn = p.apn;
  s.ue_v4 = p.ue_v4;
  std::memcpy(s.ue_v6, p.ue_v6, 16);
  s.flags = uint8_t(p.flags & (sflag::kHasV4 | sflag::kHasV6));
  s.ctrl_up = p.ctrl_up;
  s.ctrl_down = p.ctrl_down;
  s.linked = p.bearer;
  s.primary = primary;
  uint32_t* link = &p.next_sibling;
  for (size_t guard = 0; *link != kNone && guard < 16; guard++) link = &sessions_.at(*link).next_sibling;
  *link = idx;
}

void Engine::delete_one(uint32_t idx) {
  emit_session(SessionChange::Delete, idx);
  sessions_.remove(idx);
}

void Engine::delete_group(uint32_t primary) {
  // the primary first, then its secondaries in creation order
  uint32_t sec[16];
  size_t n = 0;
  for (uint32_t c = sessions_.at(primary).next_sibling; c != kNone && n < 16; c = sessions_.at(c).next_sibling)
    sec[n++] = c;
  delete_one(primary);
  for (size_t i = 0; i < n; i++) delete_one(sec[i]);
}

// Adds a user endpoint to a context (deduplicated); false when full.
static bool add_user_endpoint(Session& s, const Endpoint& ep, Dir dir, uint8_t bearer, bool ctrl = false) {
  if (!ep.valid() || ep.teid == 0) return false;
  for (uint8_t i = 0; i < s.n_user; i++) {
    bool down = (s.user_down_mask >> i) & 1;
    bool is_ctrl = (s.user_ctrl_mask >> i) & 1;
    if (s.user[i] == ep && down == (dir == Dir::Downlink) && is_ctrl == ctrl) return true;
  }
  if (s.n_user >= kMaxUserEndpoints) return false;
  uint8_t i = s.n_user++;
  s.user[i] = ep;
  (void)bearer;  // a record is one bearer: its user endpoints are that bearer's
  if (dir == Dir::Downlink) s.user_down_mask |= uint8_t(1u << i);
  else s.user_down_mask &= uint8_t(~(1u << i));
  if (ctrl) s.user_ctrl_mask |= uint8_t(1u << i);
  else s.user_ctrl_mask &= uint8_t(~(1u << i));
  return true;
}

// Replaces the user endpoints of one direction by the given one.
static void replace_user_endpoint(Session& s, const Endpoint& ep, Dir dir, uint8_t bearer, bool* cleared) {
  if (!*cleared) {
    uint8_t w = 0;
    uint8_t mask = 0;
    uint8_t cmask = 0;
    for (uint8_t i = 0; i < s.n_user; i++) {
      bool down = (s.user_down_mask >> i) & 1;
      bool is_ctrl = (s.user_ctrl_mask >> i) & 1;
      if (down == (dir == Dir::Downlink) && !is_ctrl) continue;
      s.user[w] = s.user[i];
      if (down) mask |= uint8_t(1u << w);
      if (is_ctrl) cmask |= uint8_t(1u << w);
      w++;
    }
    s.n_user = w;
    s.user_down_mask = mask;
    s.user_ctrl_mask = cmask;
    *cleared = true;
  }
  add_user_endpoint(s, ep, dir, bearer);
}

static void set_ue_addresses(Session& s, bool has_v4, const uint8_t* v4, bool has_v6, const uint8_t* v6) {
  bool v4_ok = has_v4 && (v4[0] | v4[1] | v4[2] | v4[3]) != 0;
  bool v6_ok = false;
  if (has_v6)
    for (int i = 0; i < 16; i++) v6_ok = v6_ok || v6[i] != 0;
  if (v4_ok) {
    s.flags |= sflag::kHasV4;
    s.ue_v4 = (uint32_t(v4[0]) << 24) | (uint32_t(v4[1]) << 16) | (uint32_t(v4[2]) << 8) | v4[3];
  }
  if (v6_ok) {
    s.flags |= sflag::kHasV6;
    std::memcpy(s.ue_v6, v6, 16);
  }
}

// The request a response answers (same sequence number, addresses swapped),
// when the response accepts it; counts causes, rejections and orphans.
const Engine::Pending* Engine::answered(uint8_t gtp, uint32_t seq, uint8_t resp_type, bool has_cause, uint8_t cause,
                                        const IpPacket& outer) {
  Pending* p = pending_->take(PendingTable::key_of(gtp, seq, outer.dst, outer.src), now_ns_, stats_.anomalies);
  if (!p || p->msg_type + 1 != resp_type || p->seq != seq) {
    stats_.anomalies.bump(gtp == 1 ? Anomaly::Gtp1cUnmatchedResponse : Anomaly::Gtp2cUnmatchedResponse);
    return nullptr;
  }
  if (has_cause) (gtp == 1 ? stats_.gtpv1c_causes : stats_.gtpv2c_causes)[cause]++;
  bool accepted = has_cause && (gtp == 1 ? gtp1::cause_accepted(cause) : gtp2::cause_accepted(cause));
  if (!accepted) {
    stats_.gtpc_rejected++;
    return nullptr;
  }
  return p;
}

// ---------------------------------------------------------------------------
// GTPv1-C

void Engine::on_gtpv1c(const IpPacket& outer, const UdpDatagram& udp) {
  v1_.reset();
  Status st = decode_gtpv1c(udp.payload, udp.truncated, v1_, stats_.anomalies);
  if (st == Status::Truncated && v1_.msg_type == 0) return;
  stats_.gtpv1c[v1_.msg_type]++;
  if (st != Status::Ok) return;  // a message cut short changes no state
  using namespace gtp1::msg;
  switch (v1_.msg_type) {
    case kCreatePdpContextRequest:
    case kUpdatePdpContextRequest:
    case kDeletePdpContextRequest: {
      uint64_t key = PendingTable::key_of(1, v1_.seq, outer.src, outer.dst);
      Pending& p = pending_->insert(key, now_ns_, stats_.anomalies, 1);
      p.msg_type = v1_.msg_type;
      p.seq = v1_.seq;
      p.header_teid = v1_.teid;
      p.src = outer.src;
      p.dst = outer.dst;
      if (v1_.has_imsi) p.imsi = v1_.imsi;
      if (v1_.has_msisdn) p.msisdn = v1_.msisdn;
      if (v1_.has_imei) p.imei = v1_.imei;
      if (v1_.has_apn) p.apn = v1_.apn;
      p.has_nsapi = v1_.has_nsapi;
      p.nsapi = v1_.nsapi;
      p.has_linked = v1_.has_linked_nsapi;
      p.linked_nsapi = v1_.linked_nsapi;
      p.teardown = v1_.has_teardown && v1_.teardown;
      p.has_teid_data = v1_.has_teid_data;
      p.teid_data = v1_.teid_data;
      p.has_teid_cp = v1_.has_teid_cp;
      p.teid_cp = v1_.teid_cp;
      p.n_gsn = v1_.n_gsn < 2 ? v1_.n_gsn : 2;
      for (uint8_t i = 0; i < p.n_gsn; i++) p.gsn[i] = v1_.gsn[i];
      p.has_ue_v4 = v1_.has_ue_v4;
      std::memcpy(p.ue_v4, v1_.ue_v4, 4);
      p.has_ue_v6 = v1_.has_ue_v6;
      std::memcpy(p.ue_v6, v1_.ue_v6, 16);
      return;
    }
    case kCreatePdpContextResponse:
    case kUpdatePdpContextResponse:
    case kDeletePdpContextResponse: {
      const Pending* p = answered(1, v1_.seq, v1_.msg_type, v1_.has_cause, v1_.cause, outer);
      if (p) apply_v1(*p, v1_, outer);
      return;
    }
    default:
      return;
  }
}

void Engine::apply_v1(const Pending& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  using namespace gtp1::msg;
  if (req.msg_type == kCreatePdpContextRequest) v1_create(req, resp, outer);
  else if (req.msg_type == kUpdatePdpContextRequest) v1_update(req, resp, outer);
  else if (req.msg_type == kDeletePdpContextRequest) v1_delete(req, resp);
}

void Engine::v1_create(const Pending& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(now_ns_ / 1000000000ull);
  // SGSN side from the request, GGSN side from the response (sessions.md)
  const IpAddr& sgsn_c = req.n_gsn >= 1 ? req.gsn[0] : req.src;
  const IpAddr& sgsn_u = req.n_gsn >= 2 ? req.gsn[1] : sgsn_c;
  const IpAddr& ggsn_c = resp.n_gsn >= 1 ? resp.gsn[0] : outer.src;
  const IpAddr& ggsn_u = resp.n_gsn >= 2 ? resp.gsn[1] : ggsn_c;

  uint32_t primary = kNone;
  if (req.has_linked) {
    primary = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
    if (primary == kNone) {
      stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
      return;
    }
  } else {
    uint64_t imsi = pack_digits(req.imsi);
    if (imsi != kNoDigits && req.has_nsapi) {
      uint32_t old = sessions_.find_identity(imsi, 1, req.nsapi, 0);
      if (old != kNone) {
        if (sessions_.at(old).primary == old) delete_group(old);
        else delete_one(old);
      }
    }
  }

  uint64_t evicted = 0;
  uint32_t idx = sessions_.alloc(&evicted);
  if (evicted) {
    stats_.sessions_evicted += evicted;
    stats_.anomalies.bump(Anomaly::SessionEvicted, evicted);
    if (primary != kNone && !(sessions_.at(primary).flags & sflag::kActive)) {
      sessions_.remove(idx);  // the primary itself was the one evicted
      return;
    }
  }
  Session& s = sessions_.at(idx);
  s.gtp = 1;
  s.bearer = req.has_nsapi ? req.nsapi : 0;
  if (primary != kNone) {
    adopt(idx, primary);
  } else {
    s.imsi = pack_digits(req.imsi);
    s.msisdn = pack_digits(req.msisdn);
    s.imei = pack_digits(req.imei);
    s.apn = sessions_.apn_intern(req.apn);
    if (req.apn.len != 0 && s.apn == kNone) stats_.anomalies.bump(Anomaly::ApnTableFull);
    if (resp.has_ue_v4 || resp.has_ue_v6)
      set_ue_addresses(s, resp.has_ue_v4, resp.ue_v4, resp.has_ue_v6, resp.ue_v6);
    else
      set_ue_addresses(s, req.has_ue_v4, req.ue_v4, req.has_ue_v6, req.ue_v6);
    if (resp.has_teid_cp) s.ctrl_up = Endpoint{sessions_.gsn_intern(ggsn_c), resp.teid_cp};
    if (req.has_teid_cp) s.ctrl_down = Endpoint{sessions_.gsn_intern(sgsn_c), req.teid_cp};
  }
  if (resp.has_teid_data) add_user_endpoint(s, Endpoint{sessions_.gsn_intern(ggsn_u), resp.teid_data}, Dir::Uplink, s.bearer);
  if (req.has_teid_data) add_user_endpoint(s, Endpoint{sessions_.gsn_intern(sgsn_u), req.teid_data}, Dir::Downlink, s.bearer);
  sessions_.commit(idx, now_s);
  emit_session(SessionChange::Create, idx);
}

void Engine::v1_update(const Pending& req, const Gtp1cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(now_ns_ / 1000000000ull);
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
    return;
  }
  // Which side sent the request: if the header TEID is the GGSN's (uplink)
  // control endpoint, the SGSN initiated it and its IEs describe the SGSN side.
  Session& g = sessions_.at(group);
  uint32_t req_dst_gsn = sessions_.gsn_find(req.dst);
  bool sgsn_initiated = !(g.ctrl_down.valid() && g.ctrl_down.gsn == req_dst_gsn && g.ctrl_down.teid == req.header_teid);
  uint32_t idx = group;
  if (req.has_nsapi && g.bearer != req.nsapi) {
    idx = kNone;
    for (uint32_t c = g.next_sibling; c != kNone; c = sessions_.at(c).next_sibling)
      if (sessions_.at(c).bearer == req.nsapi) {
        idx = c;
        break;
      }
    if (idx == kNone) {
      stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
      return;
    }
  }
  // collect the whole group: control endpoints are shared
  uint32_t members[17];
  size_t nm = 0;
  members[nm++] = group;
  for (uint32_t c = g.next_sibling; c != kNone && nm < 17; c = sessions_.at(c).next_sibling) members[nm++] = c;
  for (size_t i = 0; i < nm; i++) sessions_.unindex(members[i]);

  Dir req_dir = sgsn_initiated ? Dir::Downlink : Dir::Uplink;  // side the request's IEs describe
  Dir resp_dir = sgsn_initiated ? Dir::Uplink : Dir::Downlink;
  const IpAddr& req_c = req.n_gsn >= 1 ? req.gsn[0] : req.src;
  const IpAddr& req_u = req.n_gsn >= 2 ? req.gsn[1] : req_c;
  const IpAddr& resp_c = resp.n_gsn >= 1 ? resp.gsn[0] : outer.src;
  const IpAddr& resp_u = resp.n_gsn >= 2 ? resp.gsn[1] : resp_c;
  auto set_ctrl = [&](Dir dir, const Endpoint& ep) {
    for (size_t i = 0; i < nm; i++) {
      Session& m = sessions_.at(members[i]);
      (dir == Dir::Uplink ? m.ctrl_up : m.ctrl_down) = ep;
    }
  };
  // a new control address without a new TEID keeps the TEID
  if (req.has_teid_cp || req.n_gsn >= 1) {
    Endpoint cur = req_dir == Dir::Uplink ? g.ctrl_up : g.ctrl_down;
    set_ctrl(req_dir, Endpoint{sessions_.gsn_intern(req_c), req.has_teid_cp ? req.teid_cp : cur.teid});
  }
  if (resp.has_teid_cp || resp.n_gsn >= 1) {
    Endpoint cur = resp_dir == Dir::Uplink ? g.ctrl_up : g.ctrl_down;
    set_ctrl(resp_dir, Endpoint{sessions_.gsn_intern(resp_c), resp.has_teid_cp ? resp.teid_cp : cur.teid});
  }
  Session& s = sessions_.at(idx);
  bool cleared_req = false, cleared_resp = false;
  if (req.has_teid_data)
    replace_user_endpoint(s, Endpoint{sessions_.gsn_intern(req_u), req.teid_data}, req_dir, s.bearer, &cleared_req);
  if (resp.has_teid_data)
    replace_user_endpoint(s, Endpoint{sessions_.gsn_intern(resp_u), resp.teid_data}, resp_dir, s.bearer,
                          &cleared_resp);
  if (resp.has_ue_v4 || resp.has_ue_v6) {
    s.flags &= uint8_t(~(sflag::kHasV4 | sflag::kHasV6));
    set_ue_addresses(s, resp.has_ue_v4, resp.ue_v4, resp.has_ue_v6, resp.ue_v6);
  }
  for (size_t i = 0; i < nm; i++) sessions_.reindex(members[i], now_s);
  emit_session(SessionChange::Update, idx);
}

void Engine::v1_delete(const Pending& req, const Gtp1cMessage& resp) {
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
    return;
  }
  const Session& g = sessions_.at(group);
  if (req.teardown || !req.has_nsapi || g.bearer == req.nsapi) {
    delete_group(group);
    return;
  }
  for (uint32_t c = g.next_sibling; c != kNone; c = sessions_.at(c).next_sibling)
    if (sessions_.at(c).bearer == req.nsapi) {
      delete_one(c);
      return;
    }
  stats_.anomalies.bump(Anomaly::Gtp1cUnknownContext);
}

// ---------------------------------------------------------------------------
// GTPv2-C

void Engine::on_gtpv2c(const IpPacket& outer, const UdpDatagram& udp) {
  v2_.reset();
  Status st = decode_gtpv2c(udp.payload, udp.truncated, v2_, stats_.anomalies);
  if (st == Status::Truncated && v2_.msg_type == 0) return;
  stats_.gtpv2c[v2_.msg_type]++;
  if (st != Status::Ok) return;
  using namespace gtp2::msg;
  switch (v2_.msg_type) {
    case kCreateSessionRequest:
    case kModifyBearerRequest:
    case kDeleteSessionRequest:
    case kCreateBearerRequest:
    case kDeleteBearerRequest: {
      uint64_t key = PendingTable::key_of(2, v2_.seq, outer.src, outer.dst);
      Pending& p = pending_->insert(key, now_ns_, stats_.anomalies, 2);
      p.msg_type = v2_.msg_type;
      p.seq = v2_.seq;
      p.header_teid = v2_.has_teid ? v2_.teid : 0;
      p.src = outer.src;
      p.dst = outer.dst;
      if (v2_.has_imsi) p.imsi = v2_.imsi;
      if (v2_.has_msisdn) p.msisdn = v2_.msisdn;
      if (v2_.has_mei) p.imei = v2_.mei;
      if (v2_.has_apn) p.apn = v2_.apn;
      p.has_ebi = v2_.has_ebi;
      p.ebi = v2_.ebi;
      p.n_ebis = v2_.n_ebis;
      std::memcpy(p.ebis, v2_.ebis, sizeof p.ebis);
      p.has_ue_v4 = v2_.has_ue_v4;
      std::memcpy(p.ue_v4, v2_.ue_v4, 4);
      p.has_ue_v6 = v2_.has_ue_v6;
      std::memcpy(p.ue_v6, v2_.ue_v6, 16);
      for (uint8_t i = 0; i < v2_.n_fteid && p.n_ep < Pending::kMaxEps; i++) {
        const Fteid& f = v2_.fteid[i];
        gtp2::IfaceRole r = gtp2::iface_role(f.iface);
        if (r.plane == gtp2::Plane::None || f.teid == 0) continue;
        Pending::Ep& ep = p.ep[p.n_ep++];
        ep.plane = r.plane == gtp2::Plane::User ? 1 : 0;
        ep.dir = r.dir == gtp2::Dir::Downlink ? 1 : 0;
        ep.ebi = 0;
        ep.bc = 0xFF;
        ep.teid = f.teid;
        ep.addr = f.has_v4 ? IpAddr::v4(f.v4) : f.has_v6 ? IpAddr::v6(f.v6) : outer.src;
      }
      p.n_bc = v2_.n_bearer;
      for (uint8_t b = 0; b < v2_.n_bearer; b++) {
        const BearerContext& bc = v2_.bearer[b];
        p.bc_ebi[b] = bc.has_ebi ? bc.ebi : 0;
        for (uint8_t i = 0; i < bc.n_fteid && p.n_ep < Pending::kMaxEps; i++) {
          const Fteid& f = bc.fteid[i];
          gtp2::IfaceRole r = gtp2::iface_role(f.iface);
          if (r.plane == gtp2::Plane::None || f.teid == 0) continue;
          Pending::Ep& ep = p.ep[p.n_ep++];
          ep.plane = r.plane == gtp2::Plane::User ? 1 : 0;
          ep.dir = r.dir == gtp2::Dir::Downlink ? 1 : 0;
          ep.ebi = bc.has_ebi ? bc.ebi : 0;
          ep.bc = b;
          ep.teid = f.teid;
          ep.addr = f.has_v4 ? IpAddr::v4(f.v4) : f.has_v6 ? IpAddr::v6(f.v6) : outer.src;
        }
      }
      return;
    }
    case kCreateSessionResponse:
    case kModifyBearerResponse:
    case kDeleteSessionResponse:
    case kCreateBearerResponse:
    case kDeleteBearerResponse: {
      const Pending* p = answered(2, v2_.seq, v2_.msg_type, v2_.has_cause, v2_.cause, outer);
      if (p) apply_v2(*p, v2_, outer);
      return;
    }
    default:
      return;
  }
}

void Engine::apply_v2(const Pending& req, const Gtp2cMessage& resp, const IpPacket& outer) {
  using namespace gtp2::msg;
  switch (req.msg_type) {
    case kCreateSessionRequest: v2_create_session(req, resp, outer); break;
    case kModifyBearerRequest: v2_modify_bearer(req, resp); break;
    case kDeleteSessionRequest: v2_delete_session(req, resp); break;
    case kCreateBearerRequest: v2_create_bearer(req, resp); break;
    case kDeleteBearerRequest: v2_delete_bearer(req, resp); break;
    default: break;
  }
}

namespace {
// Endpoints of a response in the same form as a pending request's.
struct RespEp {
  uint8_t plane, dir, ebi, bc;
  uint32_t teid;
  IpAddr addr;
};
size_t response_endpoints(const Gtp2cMessage& m, const IpAddr& fallback, RespEp* out, size_t cap) {
  size_t n = 0;
  auto push = [&](const Fteid& f, uint8_t ebi, uint8_t bc) {
    gtp2::IfaceRole r = gtp2::iface_role(f.iface);
    if (r.plane == gtp2::Plane::None || f.teid == 0 || n >= cap) return;
    RespEp& e = out[n++];
    e.plane = r.plane == gtp2::Plane::User ? 1 : 0;
    e.dir = r.dir == gtp2::Dir::Downlink ? 1 : 0;
    e.ebi = ebi;
    e.bc = bc;
    e.teid = f.teid;
    e.addr = f.has_v4 ? IpAddr::v4(f.v4) : f.has_v6 ? IpAddr::v6(f.v6) : fallback;
  };
  for (uint8_t i = 0; i < m.n_fteid; i++) push(m.fteid[i], 0, 0xFF);
  for (uint8_t b = 0; b < m.n_bearer; b++)
    for (uint8_t i = 0; i < m.bearer[b].n_fteid; i++)
      push(m.bearer[b].fteid[i], m.bearer[b].has_ebi ? m.bearer[b].ebi : 0, b);
  return n;
}
}  // namespace

void Engine::v2_create_session(const Pending& req, const Gtp2cMessage& resp, const IpPacket& outer) {
  uint32_t now_s = uint32_t(now_ns_ / 1000000000ull);
  RespEp rep[Pending::kMaxEps + 8];
  size_t nrep = response_endpoints(resp, outer.src, rep, sizeof(rep) / sizeof(rep[0]));

  // default bearer: the first Bearer Context's EBI (response, else request), else the LBI
  uint8_t ebi = 0;
  if (resp.n_bearer && resp.bearer[0].has_ebi) ebi = resp.bearer[0].ebi;
  else if (req.n_bc && req.bc_ebi[0]) ebi = req.bc_ebi[0];
  else if (req.has_ebi) ebi = req.ebi;

  Endpoint ctrl_up, ctrl_down;
  Endpoint extra[4];
  uint8_t extra_dir[4] = {0};
  size_t n_extra = 0;
  auto pick_ctrl = [&](uint8_t plane, uint8_t dir, uint8_t bc, uint32_t teid, const IpAddr& a) {
    if (plane != 0 || bc != 0xFF) return;
    Endpoint ep{sessions_.gsn_intern(a), teid};
    Endpoint& slot = dir ? ctrl_down : ctrl_up;
    if (!slot.valid()) slot = ep;
    else if (!(slot == ep) && n_extra < 4) {
      // another hop's control endpoint carried in this message (the PGW's S5/S8-C on S11): reported only
      extra[n_extra] = ep;
      extra_dir[n_extra++] = dir;
    }
  };
  for (uint8_t i = 0; i < req.n_ep; i++) pick_ctrl(req.ep[i].plane, req.ep[i].dir, req.ep[i].bc, req.ep[i].teid, req.ep[i].addr);
  for (size_t i = 0; i < nrep; i++) pick_ctrl(rep[i].plane, rep[i].dir, rep[i].bc, rep[i].teid, rep[i].addr);

  uint64_t imsi = pack_digits(req.imsi);
  if (imsi != kNoDigits) {
    uint32_t old = sessions_.find_identity(imsi, 2, ebi, ctrl_down.gsn);
    if (old != kNone) {
      if (sessions_.at(old).primary == old) delete_group(old);
      else delete_one(old);
    }
  }
  uint64_t evicted = 0;
  uint32_t idx = sessions_.alloc(&evicted);
  if (evicted) {
    stats_.sessions_evicted += evicted;
    stats_.anomalies.bump(Anomaly::SessionEvicted, evicted);
  }
  Session& s = sessions_.at(idx);
  s.gtp = 2;
  s.bearer = ebi;
  s.imsi = imsi;
  s.msisdn = pack_digits(req.msisdn);
  s.imei = pack_digits(req.imei);
  s.apn = sessions_.apn_intern(req.apn);
  if (resp.has_ue_v4 || resp.has_ue_v6)
    set_ue_addresses(s, resp.has_ue_v4, resp.ue_v4, resp.has_ue_v6, resp.ue_v6);
  if (!(s.flags & (sflag::kHasV4 | sflag::kHasV6)))
    set_ue_addresses(s, req.has_ue_v4, req.ue_v4, req.has_ue_v6, req.ue_v6);
  s.ctrl_up = ctrl_up;
  s.ctrl_down = ctrl_down;
  for (size_t i = 0; i < n_extra; i++)
    add_user_endpoint(s, extra[i], extra_dir[i] ? Dir::Downlink : Dir::Uplink, 0, true);
  // user endpoints of the default bearer: request first, then response
  for (uint8_t i = 0; i < req.n_ep; i++) {
    const Pending::Ep& e = req.ep[i];
    if (e.plane == 1 && (e.ebi == ebi || e.bc == 0))
      add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, ebi);
  }
  for (size_t i = 0; i < nrep; i++) {
    const RespEp& e = rep[i];
    if (e.plane == 1 && (e.ebi == ebi || e.bc == 0))
      add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, ebi);
  }
  sessions_.commit(idx, now_s);
  emit_session(SessionChange::Create, idx);
}

// The context of a group with this bearer (EBI), or kNone.
static uint32_t find_bearer(SessionTable& t, uint32_t group, uint8_t ebi) {
  if (t.at(group).bearer == ebi) return group;
  for (uint32_t c = t.at(group).next_sibling, guard = 0; c != kNone && guard < 16; c = t.at(c).next_sibling, guard++)
    if (t.at(c).bearer == ebi) return c;
  return kNone;
}

void Engine::v2_modify_bearer(const Pending& req, const Gtp2cMessage& resp) {
  uint32_t now_s = uint32_t(now_ns_ / 1000000000ull);
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  RespEp rep[Pending::kMaxEps + 8];
  size_t nrep = response_endpoints(resp, req.dst, rep, sizeof(rep) / sizeof(rep[0]));

  uint32_t members[17];
  size_t nm = 0;
  members[nm++] = group;
  for (uint32_t c = sessions_.at(group).next_sibling; c != kNone && nm < 17; c = sessions_.at(c).next_sibling)
    members[nm++] = c;
  for (size_t i = 0; i < nm; i++) sessions_.unindex(members[i]);

  bool touched[17] = {false};
  // per (context, direction) clear once, then add: the message replaces that direction
  bool cleared[17][2] = {{false}};
  auto apply = [&](uint8_t plane, uint8_t dir, uint8_t ebi, uint8_t bc, uint32_t teid, const IpAddr& a) {
    Endpoint ep{sessions_.gsn_intern(a), teid};
    if (plane == 0) {
      if (bc != 0xFF) return;
      for (size_t i = 0; i < nm; i++) {
        Session& m = sessions_.at(members[i]);
        (dir ? m.ctrl_down : m.ctrl_up) = ep;
      }
      return;
    }
    uint8_t target = ebi ? ebi : sessions_.at(group).bearer;
    for (size_t i = 0; i < nm; i++) {
      Session& m = sessions_.at(members[i]);
      if (m.bearer != target) continue;
      replace_user_endpoint(m, ep, dir ? Dir::Downlink : Dir::Uplink, m.bearer, &cleared[i][dir]);
      touched[i] = true;
    }
  };
  for (uint8_t i = 0; i < req.n_ep; i++)
    apply(req.ep[i].plane, req.ep[i].dir, req.ep[i].ebi, req.ep[i].bc, req.ep[i].teid, req.ep[i].addr);
  // the response's endpoints replace independently of the request's
  for (size_t i = 0; i < nm; i++) cleared[i][0] = cleared[i][1] = false;
  for (size_t i = 0; i < nrep; i++) apply(rep[i].plane, rep[i].dir, rep[i].ebi, rep[i].bc, rep[i].teid, rep[i].addr);

  for (size_t i = 0; i < nm; i++) sessions_.reindex(members[i], now_s);
  bool any = false;
  for (size_t i = 0; i < nm; i++)
    if (touched[i]) {
      emit_session(SessionChange::Update, members[i]);
      any = true;
    }
  if (!any) emit_session(SessionChange::Update, group);
}

void Engine::v2_delete_session(const Pending& req, const Gtp2cMessage& resp) {
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  delete_group(group);
}

void Engine::v2_create_bearer(const Pending& req, const Gtp2cMessage& resp) {
  uint32_t now_s = uint32_t(now_ns_ / 1000000000ull);
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  RespEp rep[Pending::kMaxEps + 8];
  size_t nrep = response_endpoints(resp, req.dst, rep, sizeof(rep) / sizeof(rep[0]));
  // the i-th Bearer Context of the response answers the i-th of the request
  for (uint8_t b = 0; b < resp.n_bearer; b++) {
    const BearerContext& bc = resp.bearer[b];
    if (!bc.has_ebi || (bc.has_cause && !gtp2::cause_accepted(bc.cause))) continue;
    if (!(sessions_.at(group).flags & sflag::kActive)) return;
    uint64_t evicted = 0;
    uint32_t idx = sessions_.alloc(&evicted);
    if (evicted) {
      stats_.sessions_evicted += evicted;
      stats_.anomalies.bump(Anomaly::SessionEvicted, evicted);
      if (!(sessions_.at(group).flags & sflag::kActive)) {
        sessions_.remove(idx);
        return;
      }
    }
    Session& s = sessions_.at(idx);
    s.gtp = 2;
    s.bearer = bc.ebi;
    adopt(idx, group);
    for (uint8_t i = 0; i < req.n_ep; i++) {
      const Pending::Ep& e = req.ep[i];
      if (e.plane == 1 && e.bc == b)
        add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, s.bearer);
    }
    for (size_t i = 0; i < nrep; i++) {
      const RespEp& e = rep[i];
      if (e.plane == 1 && e.bc == b)
        add_user_endpoint(s, Endpoint{sessions_.gsn_intern(e.addr), e.teid}, e.dir ? Dir::Downlink : Dir::Uplink, s.bearer);
    }
    sessions_.commit(idx, now_s);
    emit_session(SessionChange::Create, idx);
  }
}

void Engine::v2_delete_bearer(const Pending& req, const Gtp2cMessage& resp) {
  uint32_t group = sessions_.find_control(sessions_.gsn_find(req.dst), req.header_teid);
  if (group == kNone) {
    stats_.anomalies.bump(Anomaly::Gtp2cUnknownContext);
    return;
  }
  bool any = false;
  for (uint8_t b = 0; b < resp.n_bearer; b++) {
    const BearerContext& bc = resp.bearer[b];
    if (!bc.has_ebi || (bc.has_cause && !gtp2::cause_accepted(bc.cause))) continue;
    uint32_t idx = find_bearer(sessions_, group, bc.ebi);
    if (idx == kNone) continue;
    any = true;
    if (idx == group) {
      delete_group(group);
      return;
    }
    delete_one(idx);
  }
  if (any) return;
  for (uint8_t i = 0; i < req.n_ebis && i < kMaxBearerContexts; i++) {
    uint32_t idx = find_bearer(sessions_, group, req.ebis[i]);
    if (idx == kNone) continue;
    any = true;
    if (idx == group) {
      delete_group(group);
      return;
    }
    delete_one(idx);
  }
  if (any) return;
  uint8_t ebi = resp.has_ebi ? resp.ebi : req.ebi;
  if (!req.has_ebi && !resp.has_ebi) return;
  uint32_t idx = find_bearer(sessions_, group, ebi);
  if (idx == kNone) return;
  if (idx == group) delete_group(group);
  else delete_one(idx);
}

// ---------------------------------------------------------------------------
// Checkpoint: a versioned little-endian record per context.

namespace {
constexpr uint32_t kCheckpointMagic = 0x53504e47;  // "GNPS"
constexpr uint32_t kCheckpointVersion = 1;
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

void Engine::export_sessions(std::vector<uint8_t>& out) const {
  out.clear();
  put32(out, kCheckpointMagic);
  put32(out, kCheckpointVersion);
  size_t count_at = out.size();
  put32(out, 0);
  uint32_t count = 0;
  // primaries first so that secondaries can be linked on import
  auto write = [&](uint32_t idx, const Session& s) {
    put32(out, idx);
    put32(out, s.primary);
    put64(out, s.imsi);
    put64(out, s.msisdn);
    put64(out, s.imei);
    Apn apn;
    sessions_.apn_text(s.apn, apn);
    out.push_back(apn.len);
    out.insert(out.end(), apn.s, apn.s + apn.len);
    out.push_back(s.flags);
    put32(out, s.ue_v4);
    out.insert(out.end(), s.ue_v6, s.ue_v6 + 16);
    out.push_back(s.gtp);
    out.push_back(s.bearer);
    out.push_back(s.linked);
    put32(out, s.updated_s);
    auto ep = [&](const Endpoint& e) {
      out.push_back(e.valid() ? 1 : 0);
      put_addr(out, e.valid() ? sessions_.gsn_addr(e.gsn) : IpAddr());
      put32(out, e.teid);
    };
    ep(s.ctrl_up);
    ep(s.ctrl_down);
    out.push_back(s.n_user);
    out.push_back(s.user_down_mask);
    out.push_back(s.user_ctrl_mask);
    for (uint8_t i = 0; i < s.n_user; i++) {
      ep(s.user[i]);
    }
    count++;
  };
  sessions_.for_each_active([&](uint32_t idx, const Session& s) {
    if (s.primary == idx) write(idx, s);
  });
  sessions_.for_each_active([&](uint32_t idx, const Session& s) {
    if (s.primary != idx) write(idx, s);
  });
  for (int i = 0; i < 4; i++) out[count_at + i] = uint8_t(count >> (8 * i));
}

size_t Engine::import_sessions(Span data, uint64_t now_ns, uint64_t max_age_ns, const char** error) {
  *error = nullptr;
  ByteReader r(data);
  uint32_t magic = 0, version = 0, count = 0;
  if (!r.le32(magic) || magic != kCheckpointMagic) {
    *error = "not a gnpay session checkpoint";
    return 0;
  }
  if (!r.le32(version) || version != kCheckpointVersion) {
    *error = "unsupported checkpoint version";
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
    if (!r.le32(old_idx) || !r.le32(old_primary) || !read_u64(s.imsi) || !read_u64(s.msisdn) ||
        !read_u64(s.imei) || !r.u8(apn_len) || apn_len > kMaxApnLen || !r.copy(apn.s, apn_len)) {
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
      uint8_t valid;
      IpAddr a;
      uint32_t teid;
      if (!r.u8(valid) || !read_addr(a) || !r.le32(teid)) return false;
      if (valid && a.is_set()) e = Endpoint{sessions_.gsn_intern(a), teid};
      return true;
    };
    uint8_t n_user, down_mask, ctrl_mask;
    if (!ep(s.ctrl_up) || !ep(s.ctrl_down) || !r.u8(n_user) || !r.u8(down_mask) || !r.u8(ctrl_mask) ||
        n_user > kMaxUserEndpoints) {
      *error = "checkpoint truncated";
      return restored;
    }
    s.n_user = n_user;
    s.user_down_mask = down_mask;
    s.user_ctrl_mask = ctrl_mask;
    for (uint8_t i = 0; i < n_user; i++)
      if (!ep(s.user[i])) {
        *error = "checkpoint truncated";
        return restored;
      }
    if (max_age_ns && now_s > s.updated_s && now_s - s.updated_s > max_age_s) continue;
    uint32_t primary = kNone;
    if (old_primary != old_idx) {
      const uint32_t* p = remap.find(old_primary);
      if (!p || !(sessions_.at(*p).flags & sflag::kActive)) continue;  // its primary was not restored
      primary = *p;
    }
    uint64_t evicted = 0;
    uint32_t idx = sessions_.alloc(&evicted);
    Session& d = sessions_.at(idx);
    uint32_t updated = s.updated_s;
    d = s;
    d.apn = sessions_.apn_intern(apn);
    d.flags = uint8_t(flags & (sflag::kHasV4 | sflag::kHasV6));
    d.next_sibling = d.next_v4 = d.next_v6 = kNone;
    d.primary = primary == kNone ? idx : primary;
    if (primary != kNone) {
      uint32_t* link = &sessions_.at(primary).next_sibling;
      for (size_t guard = 0; *link != kNone && guard < 16; guard++) link = &sessions_.at(*link).next_sibling;
      *link = idx;
    }
    sessions_.commit(idx, updated);
    remap.put(old_idx, idx);
    restored++;
  }
  return restored;
}

}  // namespace gnpay
