// What the parts of the engine share: limits and options, the statistics they
// count into, the packet being processed (for the events it causes), and the
// subscriber a user-plane packet was resolved to.
//   engine.*        frame in: link, IP (outer reassembly), UDP; dispatch; housekeeping
//   transactions.*  GTP-C requests in flight
//   tracker.*, procedures_v1.cc, procedures_v2.cc   GTP-C procedures on the session model
//   session_table.* the session model and its indexes
//   user_plane.*    G-PDU -> tunnel -> subscriber and direction
//   app_layer.*, request_heads.*   inside the tunnel: TCP request heads, HTTP, DNS, TLS, carriers
//   checkpoint.*    the versioned checkpoint of the session model
#pragma once
#include <cstdint>

#include "events.h"
#include "ip_reassembly.h"
#include "pay_hosts.h"
#include "request_heads.h"
#include "session_table.h"
#include "status.h"
#include "token_carriers.h"

namespace gnpay {

struct EngineLimits {
  size_t max_sessions = 2000000;
  size_t max_pending = 32768;  // GTP-C requests awaiting a response
  uint64_t pending_timeout_ns = 30ull * 1000000000ull;
  ReassemblyLimits outer_fragments;  // GTP transport (outer IP)
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
  uint64_t gpdu_undecided = 0;  // on an unknown tunnel whose direction GTP-C did not teach (examined)
  uint64_t sightings = 0, unresolved_sightings = 0, requests = 0;
  uint64_t outer_reassembled = 0, inner_reassembled = 0;
  uint64_t filtered = 0;  // frames a capture filter left out before decoding
  AnomalyCounters anomalies;
};

// The packet being processed: events take their time, index and source from it.
struct PacketContext {
  EventSink* sink = nullptr;
  uint64_t now_ns = 0;
  uint64_t packet = 0;  // 1-based index in its capture
  uint32_t source = 0;  // capture file / interface index

  // A new event stamped with this packet.
  Event& new_event(EventType type) {
    Event& e = sink->add();
    e.type = type;
    e.ts_ns = now_ns;
    e.packet = packet;
    e.source = source;
    return e;
  }
};

// Whom a user-plane packet belongs to (user_plane.cc), read by the application layer.
struct Resolution {
  uint32_t session = kNone;
  ResolvedBy by = ResolvedBy::None;
  uint32_t teid = 0;        // the G-PDU's TEID
  uint32_t gsn = kNone;     // interned outer destination address (kNone when not a known GSN)
  IpAddr ue, dst;           // inner source and destination
  IpAddr gsn_src, gsn_dst;  // outer (GTP-U) source and destination
};

}  // namespace gnpay
