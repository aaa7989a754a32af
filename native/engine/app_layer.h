// The application layer inside the tunnels: what a UE sends uplink (DNS
// queries over UDP and TCP; TCP request heads reassembled by request_heads.h:
// HTTP/1.x, HTTP/2 header lists with prior knowledge, TLS ClientHellos) is
// parsed, its tokens matched against the carriers, and sightings (and, on request, request events) emitted with the
// subscriber the user plane resolved.
#pragma once
#include <cstdint>
#include <memory>

#include "context.h"
#include "dns_query.h"
#include "hpack.h"
#include "http_request.h"
#include "ip.h"
#include "l4.h"
#include "request_heads.h"
#include "session_table.h"
#include "tls_client_hello.h"
#include "token_carriers.h"

namespace gnpay {

class AppLayer {
 public:
  AppLayer(const EngineOptions& options, const SessionTable& sessions, EngineStats& stats, PacketContext& ctx);
  ~AppLayer();
  AppLayer(const AppLayer&) = delete;
  AppLayer& operator=(const AppLayer&) = delete;

  // The (reassembled) inner packet of a G-PDU that is examined, with its resolution.
  void on_inner(const IpPacket& inner, const Resolution& res);
  // A hint: on_inner() is coming soon for a TCP segment of this flow.
  void prefetch_flow(const FlowKey& key) const { heads_.prefetch(key); }
  void expire(uint64_t now_ns) { heads_.expire(now_ns, stats_.anomalies); }

  size_t flows() const { return heads_.flows(); }
  size_t orphans() const { return heads_.orphans(); }
  size_t flow_bytes() const { return heads_.memory_bytes(); }

 private:
  struct HeadSinkImpl;
  void on_head(HeadKind kind, Span bytes);
  void on_http2_headers(Span block, HpackTable& table);
  void on_dns(Span message);
  void examine_http();
  Event& new_event(EventType type);
  void emit_matches(const TokenMatches& matches, Span host);

  const EngineOptions& options_;
  const SessionTable& sessions_;
  EngineStats& stats_;
  PacketContext& ctx_;
  RequestHeadAssembler heads_;
  std::unique_ptr<HeadSinkImpl> head_sink_;
  const Resolution* res_ = nullptr;  // of the packet being processed
  uint8_t l4_proto_ = 0;             // its inner transport and ports (the flow of its requests)
  uint16_t sport_ = 0, dport_ = 0;

  // per-packet scratch (reset per packet, never reallocated)
  UdpDatagram udp_;
  TcpSegment tcp_;
  HttpRequestHead http_;
  Http2RequestHead h2_;
  uint8_t h2_arena_[16384];  // the decoded names and values of one HTTP/2 header list
  DnsQuery dns_;
  TlsClientHelloInfo tls_;
  TokenMatches matches_;
};

}  // namespace gnpay
