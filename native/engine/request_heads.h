// Bounded reassembly of what a client sends on a TCP connection: HTTP/1.x
// request heads (keep-alive and pipelined: every request counts), TLS
// ClientHellos, DNS messages over TCP (RFC 7766: to port 53, each after its
// two-octet length) and the header blocks of HTTP/2 with prior knowledge
// (h2c, RFC 9113 s3.3: the connection preface, then frames; the HEADERS and
// CONTINUATION payloads of a stream are joined, padding and priority removed,
// and handed over with the connection's HPACK table), from uplink segments
// only (the engine decides direction).
//
// State is kept only where it is needed: a segment that holds a whole request
// head and nothing after it is parsed in place with no state. A flow gets
// state when a head or ClientHello is incomplete, or a request body continues
// past the segment (body bytes are skipped by Content-Length / chunked framing:
// a body never yields a head). Out-of-order segments are held in a small
// preallocated ring (orphans) and joined when the gap fills; retransmitted
// bytes are trimmed. A flow first seen mid-stream (no SYN) is parsed from its
// first segment that starts a request head. FIN/RST drop the flow.
// Bounds: max_flows (oldest evicted, tcp.flow_evicted), max_head_bytes per head
// (tcp.request_head_too_large; the flow then resyncs on the next segment that
// starts a head), idle timeout (tcp.flow_timeout), orphan ring size
// (tcp.out_of_order_dropped). Buffers are preallocated or reused: nothing is
// allocated per packet in the steady state.
//
// Details (added with the implementation):
// - A SYN creates a light flow (no buffer) so that the first data segments
//   can be placed even out of order. A flow that exists (from a SYN, or
//   created for a head or body spanning segments) stays between requests as
//   a light idle flow, so that later requests of a keep-alive connection are
//   placed by sequence number (retransmissions trimmed, reordering joined);
//   it goes at FIN/RST, after a ClientHello, when the bytes stop looking like
//   requests, by eviction or by timeout. tcp.flow_timeout counts only flows
//   that time out with something pending (a partial head, a body, waiting
//   segments); tcp.flow_evicted counts every eviction.
// - A segment of a flow without state that does not start a head but ends
//   with a blank line (the tail of a head whose start is late) is held in the
//   orphan ring; a flow later created for that key adopts it.
// - A gap that does not fill (more than orphans_per_flow segments waiting) is
//   taken as capture loss: the flow's partial head and orphans are dropped
//   (orphans counted) and the segment is handled as if the flow were new. In a
//   Content-Length body a gap is simply skipped. A ClientHello whose missing
//   bytes the client has already sent past is handed to the sink as it is
//   (parse_tls_client_hello then reports truncation and still finds the SNI
//   when it was seen).
// - A segment more than 1 MiB before or after where a flow is (outside a
//   Content-Length body) drops the flow and is handled as if it were new.
// - Every orphan discarded without being used (ring overflow, too large,
//   timeout, flow closed with a gap) counts tcp.out_of_order_dropped.
// - Per-flow head buffers grow (x2, from 1 KiB) up to max_head_bytes and are
//   kept when the slot is reused; their total is capped by max_buffer_bytes
//   (the oldest flows holding buffers are evicted, tcp.flow_evicted).
// - A chunked body whose framing cannot be followed counts
//   http.bad_chunked_body and the flow resyncs like after a bad Content-Length.
// - A head is handed over once: a retransmission of a segment holding a head
//   that was already handed over (flow + sequence number of the head's first
//   byte, remembered for the last recent_heads heads handed over, oldest
//   forgotten first) is dropped, as tshark does not dissect retransmitted data
//   either. Which heads are remembered depends only on the order of the heads,
//   not on the seeded hash (the seed only keeps chosen keys from colliding in
//   the indexes); two heads are taken for one only if their 64-bit
//   fingerprints are equal.
// - The sink is called from inside feed(); it must not call back into the
//   assembler.
// - An HTTP/2 connection keeps its flow for its life (frames are followed
//   by length) and an HPACK dynamic table (hpack.h, ~5 KiB) counted against
//   max_buffer_bytes; a frame that breaks the framing (a CONTINUATION without
//   HEADERS, padding longer than the frame) counts http2.bad_frame and the
//   flow is dropped. A DNS message over TCP shorter than a DNS header counts
//   dns.tcp_bad_length.
#pragma once
#include <cstdint>
#include "hpack.h"
#include "l4.h"
#include "status.h"

namespace gnpay {

struct FlowKey {
  IpAddr src, dst;  // inner (UE -> server)
  uint16_t sport = 0, dport = 0;
  uint64_t tunnel = 0;  // engine's tunnel identity (GSN index << 32 | TEID), 0 if none
};

enum class HeadKind : uint8_t { Http = 0, TlsClientHello, DnsTcp };

class HeadSink {
 public:
  virtual ~HeadSink() = default;
  // `bytes` is the whole head (HTTP: through the blank line; TLS: the records
  // holding the whole ClientHello message; DNS: the message without its
  // length). Valid only during the call.
  virtual void on_head(HeadKind kind, Span bytes) = 0;
  // An HTTP/2 request's header block and its connection's HPACK table (to be
  // decoded now: the next block refers to the table as this one leaves it).
  virtual void on_http2_headers(Span block, HpackTable& table) {
    (void)block;
    (void)table;
  }
};

struct HeadLimits {
  size_t max_flows = 65536;
  size_t max_head_bytes = 16384;
  uint64_t timeout_ns = 120ull * 1000000000ull;
  size_t orphan_slots = 1024;
  size_t orphan_max_bytes = 2048;  // a larger out-of-order segment is not held
  // Added:
  size_t orphans_per_flow = 16;         // more waiting segments: the gap is taken as capture loss
  size_t max_buffer_bytes = 64u << 20;  // total of the per-flow head buffers
  size_t recent_heads = 8192;           // fingerprints of heads handed over, to drop retransmitted ones (0: off)
  uint64_t hash_seed = 0;               // 0: drawn per assembler; tests set one (outcomes never depend on it)
};

class RequestHeadAssembler {
 public:
  explicit RequestHeadAssembler(const HeadLimits& limits = HeadLimits());
  ~RequestHeadAssembler();
  RequestHeadAssembler(const RequestHeadAssembler&) = delete;
  RequestHeadAssembler& operator=(const RequestHeadAssembler&) = delete;

  void feed(const FlowKey& key, const TcpSegment& seg, uint64_t ts_ns, HeadSink& sink, AnomalyCounters& an);
  // A hint: feed() is coming soon for a segment of this flow (prefetches the
  // slot of the flow index its lookup starts at).
  void prefetch(const FlowKey& key) const;
  void expire(uint64_t now_ns, AnomalyCounters& an);

  size_t flows() const;
  size_t orphans() const;
  uint64_t evicted() const;
  size_t memory_bytes() const;  // buffers held, for the bounds tests (tables, ring and head buffers)
  void clear();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace gnpay
