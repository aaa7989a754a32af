#include "engine.h"

#include "checkpoint.h"

namespace gnpay {

namespace {

uint16_t load_be16(const uint8_t* p) { return uint16_t((uint16_t(p[0]) << 8) | p[1]); }

}  // namespace

TunnelGlance glance_gpdu(const CaptureFrame& f, AnomalyCounters& scratch) {
  TunnelGlance g;
  const uint64_t bumps = scratch.bumps;
  LinkResult link;
  if (decode_link(f.linktype, f.data, link, scratch) != Status::Ok) return g;
  IpPacket ip;
  if (decode_ip(link.payload, ip, scratch) != Status::Ok || ip.is_fragment || ip.proto != ipproto::kUdp) return g;
  UdpDatagram udp;
  if (decode_udp(ip.payload, ip.truncated, udp, scratch) != Status::Ok) return g;
  if (udp.dport != port::kGtpU && udp.sport != port::kGtpU) return g;  // on_udp() tries GTP-U first
  GtpuHeader gh;
  if (decode_gtpu(udp.payload, udp.truncated, gh, scratch) != Status::Ok || gh.msg_type != gtp1::msg::kGpdu) return g;
  g.dst = ip.dst;
  g.teid = gh.teid;
  g.gpdu = true;
  if (scratch.bumps == bumps && !ip.truncated && !udp.truncated && !gh.truncated) {
    g.outer_clean = true;
    g.src = ip.src;
    g.tpdu_at = uint32_t(gh.payload.data - f.data.data);
    g.tpdu_size = uint32_t(gh.payload.size);
  }
  const uint8_t* in = gh.payload.data;
  const size_t in_size = gh.payload.size;
  if (in_size < 40) return g;
  size_t tcp_at = 0;
  if ((in[0] >> 4) == 4) {
    if (in[9] != ipproto::kTcp || (in[6] & 0x3f) != 0 || in[7] != 0) return g;  // not TCP, or a fragment
    tcp_at = size_t(in[0] & 0x0f) * 4;
    g.inner_src = IpAddr::v4(in + 12);
    g.inner_dst = IpAddr::v4(in + 16);
  } else if ((in[0] >> 4) == 6) {
    if (in[6] != ipproto::kTcp || in_size < 44) return g;
    tcp_at = 40;
    g.inner_src = IpAddr::v6(in + 8);
    g.inner_dst = IpAddr::v6(in + 24);
  } else {
    return g;
  }
  if (tcp_at < 20 || in_size < tcp_at + 4) return g;
  g.sport = load_be16(in + tcp_at);
  g.dport = load_be16(in + tcp_at + 2);
  g.tcp = true;
  return g;
}

void Engine::prefetch_tunnel(const TunnelGlance& g) {
  if (!g.gpdu) return;
  const uint32_t gsn = user_.prefetch(g.dst, g.teid);
  if (!g.tcp) return;
  FlowKey key;  // as AppLayer::on_inner makes it
  key.src = g.inner_src;
  key.dst = g.inner_dst;
  key.sport = g.sport;
  key.dport = g.dport;
  key.tunnel = (uint64_t(gsn) << 32) | g.teid;
  app_.prefetch_flow(key);
}

bool plain_gpdu_endpoint(const CaptureFrame& f, IpAddr* dst, uint32_t* teid) {
  constexpr size_t kIp = 14, kUdp = kIp + 20, kGtp = kUdp + 8;
  if (f.linktype != linktype::kEthernet || f.data.size < kGtp + 8) return false;
  const uint8_t* p = f.data.data;
  if (load_be16(p + 12) != ethertype::kIpv4) return false;
  const uint8_t* ip = p + kIp;
  if (ip[0] != 0x45 || ip[9] != ipproto::kUdp || (ip[6] & 0x3f) != 0 || ip[7] != 0) return false;
  const uint8_t* udp = p + kUdp;
  if (load_be16(udp) != port::kGtpU && load_be16(udp + 2) != port::kGtpU) return false;
  const uint8_t* gtp = p + kGtp;
  if ((gtp[0] & 0xf0) != 0x30 || gtp[1] != gtp1::msg::kGpdu) return false;
  *teid = (uint32_t(gtp[4]) << 24) | (uint32_t(gtp[5]) << 16) | (uint32_t(gtp[6]) << 8) | uint32_t(gtp[7]);
  dst->set_v4(ip + 16);
  return true;
}

void Engine::prefetch_plain_gpdu(const CaptureFrame& f) {
  IpAddr dst;
  uint32_t teid = 0;
  if (plain_gpdu_endpoint(f, &dst, &teid)) user_.prefetch(dst, teid);
}

void Engine::prefetch_frame(const CaptureFrame& frame) {
  const uint8_t* p = frame.data.data;
  const size_t n = frame.data.size;
  if (n > 0) prefetch_line(p);
  if (n > 64) prefetch_line(p + 64);
  if (n > 128) prefetch_line(p + 128);
}

Engine::Engine(const EngineOptions& options)
    : options_(options),
      sessions_(options.limits.max_sessions),
      tracker_(options_.limits, sessions_, stats_, ctx_),
      user_(sessions_, stats_),
      app_(options_, sessions_, stats_, ctx_),
      outer_frag_(options.limits.outer_fragments),
      inner_frag_(options.limits.inner_fragments) {
  glanced_ip_.proto = ipproto::kUdp;
  glanced_gtpu_.msg_type = gtp1::msg::kGpdu;
}

Engine::~Engine() = default;

EngineTables Engine::tables() const {
  EngineTables t;
  t.sessions = sessions_.size();
  t.max_sessions = sessions_.max_sessions();
  t.sessions_bytes = sessions_.memory_bytes();
  t.pending = tracker_.pending();
  t.max_pending = tracker_.max_pending();
  t.fragments = outer_frag_.datagrams() + inner_frag_.datagrams();
  t.fragment_bytes = outer_frag_.bytes() + inner_frag_.bytes();
  t.flows = app_.flows();
  t.orphans = app_.orphans();
  t.flow_bytes = app_.flow_bytes();
  return t;
}

void Engine::housekeeping(uint64_t now_ns) {
  tracker_.expire(now_ns);
  outer_frag_.expire(now_ns, stats_.anomalies);
  inner_frag_.expire(now_ns, stats_.anomalies);
  app_.expire(now_ns);
  last_housekeeping_ns_ = now_ns;
  packets_since_housekeeping_ = 0;
}

void Engine::export_sessions(std::vector<uint8_t>& out) const { export_checkpoint(sessions_, out); }

size_t Engine::import_sessions(Span data, uint64_t now_ns, uint64_t max_age_ns, const char** error) {
  return import_checkpoint(sessions_, data, now_ns, max_age_ns, error);
}

void Engine::begin_frame(const CaptureFrame& frame, uint64_t packet, uint32_t source, EventSink& sink) {
  ctx_.sink = &sink;
  ctx_.now_ns = frame.ts_ns;
  ctx_.packet = packet;
  ctx_.source = source;
  stats_.packets++;
  stats_.bytes += frame.origlen ? frame.origlen : frame.caplen;

  const uint64_t now_ns = ctx_.now_ns;
  if (++packets_since_housekeeping_ >= 4096 || now_ns > last_housekeeping_ns_ + 1000000000ull ||
      now_ns + 1000000000ull < last_housekeeping_ns_) {
    housekeeping(now_ns);
  }
}

void Engine::process_glanced(const CaptureFrame& frame, const TunnelGlance& g, uint64_t packet, uint32_t source,
                             EventSink& sink) {
  if (!g.outer_clean) {
    process(frame, packet, source, sink);
    return;
  }
  // what process() counts and keeps of those layers on its way to on_gpdu()
  begin_frame(frame, packet, source, sink);
  stats_.ip_packets++;
  stats_.udp++;
  stats_.gtpu[gtp1::msg::kGpdu]++;
  glanced_ip_.version = g.src.family;  // 4 or 6, as decode_ip() sets both
  glanced_ip_.src = g.src;
  glanced_ip_.dst = g.dst;
  glanced_gtpu_.teid = g.teid;
  glanced_gtpu_.payload = Span(frame.data.data + g.tpdu_at, g.tpdu_size);
  on_gpdu(glanced_ip_, glanced_gtpu_);
}

void Engine::process(const CaptureFrame& frame, uint64_t packet, uint32_t source, EventSink& sink) {
  begin_frame(frame, packet, source, sink);
  const uint64_t now_ns = ctx_.now_ns;

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
    if (!outer_frag_.add(outer_ip_, now_ns, outer_whole_, stats_.anomalies)) return;
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
    if (version == 1)
      tracker_.on_gtpv1c(ip, udp);
    else if (version == 2)
      tracker_.on_gtpv2c(ip, udp);
    else if (version == 0)
      stats_.anomalies.bump(Anomaly::GtpV0);
    else
      stats_.anomalies.bump(Anomaly::GtpBadVersion);
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
  if (tracker_.on_other_udp(ip, udp)) return;  // a GTP-C response between two other ports
  stats_.other_udp++;
}

void Engine::on_gtpu(const IpPacket& outer, const UdpDatagram& udp) {
  gtpu_.reset();
  Status st = decode_gtpu(udp.payload, udp.truncated, gtpu_, stats_.anomalies);
  if (st != Status::Ok) return;
  stats_.gtpu[gtpu_.msg_type]++;
  if (gtpu_.msg_type == gtp1::msg::kGpdu) on_gpdu(outer, gtpu_);
}

void Engine::on_gpdu(const IpPacket& outer, const GtpuHeader& gh) {
  uint32_t gsn = kNone;
  UserPlane::Way way = UserPlane::Way::Undecided;
  EndpointHit hit = user_.endpoint(outer, gh.teid, &gsn, &way);
  if (hit.session != kNone && way == UserPlane::Way::Downlink) {
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
  if (!user_.resolve(hit, way, gsn, gh.teid, inner_ip_, res_)) return;
  res_.gsn_src = outer.src;
  res_.gsn_dst = outer.dst;

  const IpPacket* inner = &inner_ip_;
  if (inner_ip_.is_fragment) {
    inner_whole_.reset();
    if (!inner_frag_.add(inner_ip_, ctx_.now_ns, inner_whole_, stats_.anomalies)) return;
    stats_.inner_reassembled++;
    inner = &inner_whole_;
  }
  app_.on_inner(*inner, res_);
}

}  // namespace gnpay
