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

// The replay's reader thread's decoding of a frame's outer layers, taken with
// the decoders process() uses (decode_link, decode_ip, decode_udp,
// decode_gtpu), so that the decoding thread need not take it again:
//   gpdu: an unfragmented GTPv1-U G-PDU over UDP (to or from 2152), with its
//     receiving endpoint (outer destination, TEID);
//   outer_clean: and those decoders counted nothing (`scratch.bumps` did not
//     move), and the capture cut none of its layers: then the outer source
//     and the T-PDU's place in the frame are all process() needs of them
//     (Engine::process_glanced());
//   tcp: and the T-PDU is a whole (unfragmented) inner TCP segment: its
//     addresses and ports, for the flow's prefetch (Engine::prefetch_tunnel).
// What the decoders count in `scratch` here is never read: for any frame that
// is not outer_clean, process() decodes it all and counts what is wrong with
// it. A pure function of the frame's bytes.
struct TunnelGlance {
  IpAddr dst;
  uint32_t teid = 0;
  bool gpdu = false;
  bool tcp = false;
  bool outer_clean = false;
  uint16_t sport = 0, dport = 0;
  IpAddr inner_src, inner_dst;
  IpAddr src;
  uint32_t tpdu_at = 0, tpdu_size = 0;  // the T-PDU: its offset in the frame and its length
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
  // process() of a frame whose outer layers the reader thread decoded
  // (`g`, its glance_gpdu()): the same events and counts, without decoding
  // those layers again when they were outer_clean.
  void process_glanced(const CaptureFrame& frame, const TunnelGlance& g, uint64_t packet, uint32_t source,
                       EventSink& sink);
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
  // What process() does for every frame before decoding it: context, counts, housekeeping.
  void begin_frame(const CaptureFrame& frame, uint64_t packet, uint32_t source, EventSink& sink);
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
  // process_glanced()'s outer layers for on_gpdu(): the fields on_gpdu()
  // reads come from the glance (version, addresses; TEID, T-PDU), the kind is
  // fixed (UDP, G-PDU), every other field stays at its default
  IpPacket glanced_ip_;
  GtpuHeader glanced_gtpu_;
  Resolution res_;

  uint64_t last_housekeeping_ns_ = 0;
  uint64_t packets_since_housekeeping_ = 0;
};

}  // namespace gnpay
