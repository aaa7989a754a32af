#include "app_layer.h"

#include <cstring>

namespace gnpay {

struct AppLayer::HeadSinkImpl : HeadSink {
  explicit HeadSinkImpl(AppLayer& a) : app(a) {}
  void on_head(HeadKind kind, Span bytes) override { app.on_head(kind, bytes); }
  void on_http2_headers(Span block, HpackTable& table) override { app.on_http2_headers(block, table); }
  AppLayer& app;
};

AppLayer::AppLayer(const EngineOptions& options, const SessionTable& sessions, EngineStats& stats, PacketContext& ctx)
    : options_(options),
      sessions_(sessions),
      stats_(stats),
      ctx_(ctx),
      heads_(options.limits.heads),
      head_sink_(new HeadSinkImpl(*this)) {}

AppLayer::~AppLayer() = default;

void AppLayer::on_inner(const IpPacket& inner, const Resolution& res) {
  res_ = &res;
  l4_proto_ = inner.proto;
  sport_ = dport_ = 0;
  if (inner.proto == ipproto::kUdp) {
    udp_ = UdpDatagram();
    if (decode_udp(inner.payload, inner.truncated, udp_, stats_.anomalies) != Status::Ok) return;
    if (udp_.dport == port::kGtpU || udp_.dport == port::kGtpC || udp_.sport == port::kGtpU ||
        udp_.sport == port::kGtpC) {
      stats_.anomalies.bump(Anomaly::GtpuNestedTunnel);  // tunnel depth is bounded at one
      return;
    }
    sport_ = udp_.sport;
    dport_ = udp_.dport;
    if (udp_.dport == port::kDns) on_dns(udp_.payload);
    return;
  }
  if (inner.proto != ipproto::kTcp) return;
  tcp_ = TcpSegment();
  if (decode_tcp(inner.payload, inner.truncated, tcp_, stats_.anomalies) != Status::Ok) return;
  // a bare ACK carries nothing and changes no flow state
  if (tcp_.payload.size == 0 && !(tcp_.flags & (tcpflag::kSyn | tcpflag::kFin | tcpflag::kRst))) return;
  sport_ = tcp_.sport;  // the heads that complete in feed() are this flow's
  dport_ = tcp_.dport;
  FlowKey key;
  key.src = inner.src;
  key.dst = inner.dst;
  key.sport = tcp_.sport;
  key.dport = tcp_.dport;
  key.tunnel = (uint64_t(res.gsn) << 32) | res.teid;
  heads_.feed(key, tcp_, ctx_.now_ns, *head_sink_, stats_.anomalies);
}

// A DNS message: a UDP datagram to port 53, or one over TCP (RFC 7766).
void AppLayer::on_dns(Span message) {
  dns_.reset();
  if (parse_dns_query(message, dns_, stats_.anomalies) != Status::Ok) return;
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

// An HTTP/2 request (prior knowledge): its header block decoded with the
// connection's table, then examined as an HTTP request (:method, :path,
// :authority standing for the method, target and Host).
void AppLayer::on_http2_headers(Span block, HpackTable& table) {
  h2_.reset();
  if (decode_hpack_block(block, table, h2_arena_, sizeof h2_arena_, h2_, stats_.anomalies) != Status::Ok) return;
  if (h2_.method.empty()) return;  // a response or trailers: not a request
  http_.reset();
  http_.method = h2_.method;
  http_.target = h2_.path;
  http_.host = h2_.authority;
  http_.n_headers = h2_.n_headers;
  for (uint16_t i = 0; i < h2_.n_headers; i++) http_.headers[i] = h2_.headers[i];
  examine_http();
}

void AppLayer::on_head(HeadKind kind, Span bytes) {
  if (kind == HeadKind::DnsTcp) {
    on_dns(bytes);
    return;
  }
  if (kind == HeadKind::Http) {
    http_.reset();
    // a head with a broken header line is still a request: its line and good headers count
    if (parse_http_request_head(bytes, http_, stats_.anomalies) != Status::Ok && http_.method.empty()) return;
    examine_http();
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

// An HTTP request (HTTP/1.x head, or HTTP/2 header list) in http_.
void AppLayer::examine_http() {
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
}

Event& AppLayer::new_event(EventType type) {
  Event& e = ctx_.new_event(type);
  const Resolution& r = *res_;
  e.ue_ip = r.ue;
  e.dst_ip = r.dst;
  e.l4_proto = l4_proto_;
  e.sport = sport_;
  e.dport = dport_;
  e.teid = r.teid;
  e.resolved_by = r.by;
  e.request = stats_.requests;
  e.gsn_src = r.gsn_src;
  e.gsn_dst = r.gsn_dst;
  if (r.session != kNone) {
    e.has_subscriber = true;
    sessions_.subscriber(r.session, e.sub);
  }
  return e;
}

void AppLayer::emit_matches(const TokenMatches& matches, Span host) {
  for (uint8_t i = 0; i < matches.n; i++) {
    Event& e = new_event(EventType::Sighting);
    e.match = matches.m[i];
    e.via = matches.m[i].via;
    copy_text(e.host, sizeof(e.host), host);
    stats_.sightings++;
    if (res_->session == kNone) stats_.unresolved_sightings++;
  }
}

}  // namespace gnpay
