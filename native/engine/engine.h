// The decode engine: one captured frame in, events out (docs/events.md), with
// the subscriber model of docs/sessions.md. Not thread-safe: the addon holds a
// lock around process() when several capture threads share one engine.
// Nothing here allocates per packet in the steady state: decode structs are
// members reset per packet; tables grow only up to their bounds.
// The engine decodes the outer layers and hands each GTP message to its part
// (context.h lists them): GTP-C to the tracker, G-PDUs to the user plane and
// what they carry to the application layer.
#pragma once
#include <cstdint>
#include <vector>

#include "app_layer.h"
#include "capture_file.h"
#include "context.h"
#include "events.h"
#include "gtpu.h"
#include "ip.h"
#include "ip_reassembly.h"
#include "l4.h"
#include "link.h"
#include "session_table.h"
#include "status.h"
#include "tracker.h"
#include "user_plane.h"

namespace gnpay {

struct EngineTables {
  size_t sessions = 0, max_sessions = 0, sessions_bytes = 0;
  size_t pending = 0, max_pending = 0;
  size_t fragments = 0, fragment_bytes = 0;
  size_t flows = 0, orphans = 0, flow_bytes = 0;
};

// The receiving endpoint (outer destination, TEID) of a frame that looks like
// a whole (unfragmented) G-PDU over UDP behind any link layer decode_link()
// reads (gpdu false for anything else) and, for a whole inner TCP segment
// right after a GTP-U header with no extension header, its addresses and
// ports (tcp). A glance for Engine::prefetch_tunnel(), not a decoder:
// process() alone decides what a frame is, and counts what is wrong with it
// (what decode_link() counts in `scratch` here is never read). A pure
// function of the frame's bytes: the replay's reader thread takes it.
struct TunnelGlance {
  IpAddr dst;
  uint32_t teid = 0;
  bool gpdu = false;
  bool tcp = false;
  uint16_t sport = 0, dport = 0;
  IpAddr inner_src, inner_dst;
};
TunnelGlance glance_gpdu(const CaptureFrame& frame, AnomalyCounters& scratch);
// The receiving endpoint of a G-PDU in the commonest layout only (Ethernet
// II, IPv4 without options, unfragmented, UDP to or from 2152, GTPv1-U):
// glance_gpdu()'s dst and teid for those frames, in a handful of loads; false
// for every other frame. Engine::prefetch_plain_gpdu()'s reading.
bool plain_gpdu_endpoint(const CaptureFrame& frame, IpAddr* dst, uint32_t* teid);

class Engine {
 public:
  explicit Engine(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Decode one frame; events go to `sink`. `packet` is its 1-based index in
  // its capture, `source` the capture file / interface index.
  void process(const CaptureFrame& frame, uint64_t packet, uint32_t source, EventSink& sink);
  // Hints for a frame process() will take a few frames later, so that its
  // memory loads overlap the decoding of the frames before it: prefetch_frame()
  // its first bytes (the headers), then prefetch_tunnel() the tunnel table's
  // slot of a G-PDU's receiving endpoint and, for a TCP segment in it, the
  // slot of its flow in the request-head assembler's index (both from the
  // frame's glance_gpdu()). Neither changes what process() does.
  static void prefetch_frame(const CaptureFrame& frame);
  void prefetch_tunnel(const TunnelGlance& g);
  // The one-thread replay's hint, cheaper than a glance: for the commonest
  // G-PDU layout only (Ethernet, IPv4 without options, unfragmented, UDP to
  // or from 2152, GTPv1-U), the tunnel table's slot of its receiving
  // endpoint. Any other frame is left alone; process() decides what it is.
  void prefetch_plain_gpdu(const CaptureFrame& frame);
  // Expire timed-out state (pending requests, fragments, flows) as of now_ns
  // (capture time). process() calls it as capture time advances; live capture
  // also calls it from its idle ticks.
  void housekeeping(uint64_t now_ns);

  const EngineStats& stats() const { return stats_; }
  // A source's filter left a frame out (it is not decoded, only counted).
  void count_filtered(uint64_t n = 1) { stats_.filtered += n; }
  AnomalyCounters& anomalies() { return stats_.anomalies; }  // for the capture readers
  EngineTables tables() const;
  void set_carriers(const CarrierSet& c) { options_.carriers = c; }
  const EngineOptions& options() const { return options_; }

  // Checkpoint of the subscriber contexts (checkpoint.h), and restore.
  // Contexts last updated more than max_age_ns before now_ns are not restored.
  void export_sessions(std::vector<uint8_t>& out) const;
  size_t import_sessions(Span data, uint64_t now_ns, uint64_t max_age_ns, const char** error);

 private:
  void on_udp(const IpPacket& ip, const UdpDatagram& udp);
  void on_gtpu(const IpPacket& outer, const UdpDatagram& udp);
  void on_gpdu(const IpPacket& outer, const GtpuHeader& gh);

  EngineOptions options_;
  EngineStats stats_;
  PacketContext ctx_;
  SessionTable sessions_;
  Tracker tracker_;
  UserPlane user_;
  AppLayer app_;
  IpReassembler outer_frag_, inner_frag_;

  // per-packet scratch (reset per packet, never reallocated)
  LinkResult link_;
  IpPacket outer_ip_, outer_whole_, inner_ip_, inner_whole_;
  UdpDatagram udp_;
  GtpuHeader gtpu_;
  Resolution res_;

  uint64_t last_housekeeping_ns_ = 0;
  uint64_t packets_since_housekeeping_ = 0;
};

}  // namespace gnpay
