// The decode engine: one captured frame in, events out (docs/events.md), with
// the subscriber model of docs/sessions.md. Not thread-safe: the addon holds a
// lock around process() when several capture threads share one engine.
// Nothing here allocates per packet in the steady state: decode structs are
// members reset per packet; tables grow only up to their bounds.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "capture_file.h"
#include "dns_query.h"
#include "http_request.h"
#include "tls_client_hello.h"
#include "events.h"
#include "gtpu.h"
#include "gtpv1c.h"
#include "gtpv2c.h"
#include "ip.h"
#include "ip_reassembly.h"
#include "l4.h"
#include "pay_hosts.h"
#include "link.h"
#include "request_heads.h"
#include "session_table.h"
#include "status.h"
#include "token_carriers.h"

namespace gnpay {

struct EngineLimits {
  size_t max_sessions = 2000000;
  size_t max_pending = 32768;                       // GTP-C requests awaiting a response
  uint64_t pending_timeout_ns = 30ull * 1000000000ull;
  ReassemblyLimits outer_fragments;                 // GTP transport (outer IP)
  ReassemblyLimits inner_fragments{1024, 8u * 1024 * 1024, 30ull * 1000000000ull};
  HeadLimits heads;
};

struct EngineOptions {
  EngineLimits limits;
  CarrierSet carriers;
  // ClientHellos whose SNI is (under) one of these are reported as `hello`
  // events with their client random (docs/events.md); none when empty.
  PayHostSet pay_hosts;
  bool emit_requests = false;
};

struct EngineStats {
  uint64_t packets = 0, bytes = 0;
  uint64_t ip_packets = 0, non_ip = 0;
  uint64_t udp = 0, other_transport = 0, other_udp = 0;
  uint64_t gtpv1c[256] = {0};
  uint64_t gtpv2c[256] = {0};
  uint64_t gtpu[256] = {0};
  uint64_t gtpc_rejected = 0;         // responses with a rejecting cause
  uint64_t gtpv1c_causes[256] = {0};  // responses (Create/Update/Delete) by cause value
  uint64_t gtpv2c_causes[256] = {0};
  uint64_t sessions_created = 0, sessions_updated = 0, sessions_deleted = 0, sessions_evicted = 0;
  uint64_t gpdu_by_teid = 0, gpdu_by_ue_ip = 0, gpdu_unresolved = 0, gpdu_downlink = 0;
  uint64_t sightings = 0, unresolved_sightings = 0, requests = 0;
  uint64_t outer_reassembled = 0, inner_reassembled = 0;
  uint64_t filtered = 0;  // frames a capture filter left out before decoding
  AnomalyCounters anomalies;
};

struct EngineTables {
  size_t sessions = 0, max_sessions = 0, sessions_bytes = 0;
  size_t pending = 0, max_pending = 0;
  size_t fragments = 0, fragment_bytes = 0;
  size_t flows = 0, orphans = 0, flow_bytes = 0;
};

class Engine {
 public:
  explicit Engine(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Decode one frame; events go to `sink`. `packet` is its 1-based index in
  // its capture, `source` the capture file / interface index.
  void process(const CaptureFrame& frame, uint64_t packet, uint32_t source, EventSink& sink);
  // Expire timed-out state (pending requests, fragments, flows) as of now_ns
  // (capture time). process() calls it as capture time advances; live capture
  // also calls it from its idle ticks.
  void housekeeping(uint64_t now_ns);

  const EngineStats& stats() const { return stats_; }
  // A source's filter left a frame out (it is not decoded, only counted).
  void count_filtered() { stats_.filtered++; }
  AnomalyCounters& anomalies() { return stats_.anomalies; }  // for the capture readers
  EngineTables tables() const;
  void set_carriers(const CarrierSet& c) { options_.carriers = c; }
  const EngineOptions& options() const { return options_; }

  // Checkpoint of the subscriber contexts (versioned binary), and restore.
  // Contexts last updated more than max_age_ns before now_ns are not restored.
  void export_sessions(std::vector<uint8_t>& out) const;
  size_t import_sessions(Span data, uint64_t now_ns, uint64_t max_age_ns, const char** error);

 private:
  struct Pending;
  class PendingTable;
  struct HeadSinkImpl;

  uint32_t gsn_cached(const IpAddr& a);
  void on_udp(const IpPacket& ip, const UdpDatagram& udp);
  void on_gtpu(const IpPacket& outer, const UdpDatagram& udp);
  void on_gpdu(const IpPacket& outer, const GtpuHeader& gh);
  void on_gtpv1c(const IpPacket& outer, const UdpDatagram& udp);
  void on_gtpv2c(const IpPacket& outer, const UdpDatagram& udp);
  void on_inner(const IpPacket& inner);
  void on_head(HeadKind kind, Span bytes);
  void on_dns(const UdpDatagram& udp);

  const Pending* answered(uint8_t gtp, uint32_t seq, uint8_t resp_type, bool has_cause, uint8_t cause,
                          const IpPacket& outer);
  void adopt(uint32_t idx, uint32_t primary);
  void apply_v1(const Pending& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void apply_v2(const Pending& req, const Gtp2cMessage& resp, const IpPacket& outer);
  void v1_create(const Pending& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void v1_update(const Pending& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void v1_delete(const Pending& req, const Gtp1cMessage& resp);
  void v2_create_session(const Pending& req, const Gtp2cMessage& resp, const IpPacket& outer);
  void v2_modify_bearer(const Pending& req, const Gtp2cMessage& resp);
  void v2_delete_session(const Pending& req, const Gtp2cMessage& resp);
  void v2_create_bearer(const Pending& req, const Gtp2cMessage& resp);
  void v2_delete_bearer(const Pending& req, const Gtp2cMessage& resp);

  void delete_group(uint32_t primary);
  void delete_one(uint32_t idx);
  void emit_session(SessionChange change, uint32_t idx);
  void fill_subscriber(uint32_t idx, Subscriber& sub) const;
  Event& new_event(EventType type);
  void emit_matches(const TokenMatches& matches, Span host);

  EngineOptions options_;
  EngineStats stats_;
  SessionTable sessions_;
  std::unique_ptr<PendingTable> pending_;
  IpReassembler outer_frag_, inner_frag_;
  RequestHeadAssembler heads_;
  std::unique_ptr<HeadSinkImpl> head_sink_;

  // per-packet scratch (reset per packet, never reallocated)
  LinkResult link_;
  IpPacket outer_ip_, outer_whole_, inner_ip_, inner_whole_;
  UdpDatagram udp_, inner_udp_;
  TcpSegment tcp_;
  GtpuHeader gtpu_;
  Gtp1cMessage v1_;
  Gtp2cMessage v2_;
  HttpRequestHead http_;
  DnsQuery dns_;
  TlsClientHelloInfo tls_;
  TokenMatches matches_;

  // context of the packet being processed
  EventSink* sink_ = nullptr;
  uint64_t now_ns_ = 0, last_housekeeping_ns_ = 0;
  uint64_t packet_ = 0;
  uint32_t source_ = 0;
  uint32_t cur_session_ = kNone;
  ResolvedBy cur_resolved_ = ResolvedBy::None;
  uint32_t cur_teid_ = 0;
  uint32_t cur_gsn_ = kNone;
  struct GsnCacheEntry {
    IpAddr addr;
    uint32_t idx = kNone;
    size_t generation = ~size_t(0);
  };
  static constexpr size_t kGsnCacheSize = 16;
  GsnCacheEntry gsn_cache_[kGsnCacheSize];
  IpAddr cur_ue_, cur_dst_;
  IpAddr cur_gsn_src_, cur_gsn_dst_;
  uint64_t packets_since_housekeeping_ = 0;
};

}  // namespace gnpay
