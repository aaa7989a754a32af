// Events the engine hands out (docs/events.md). Plain structs, copied into a
// batch; the addon turns them into JS objects, one JS call per batch.
#pragma once
#include <cstdint>
#include <vector>
#include "gtpv1c.h"
#include "tls_client_hello.h"
#include "span.h"
#include "tbcd.h"
#include "token_carriers.h"

namespace gnpay {

enum class EventType : uint8_t { Session = 0, Sighting, Request, Hello };
// A set of event types as a mask (a stream that hands only some types to JavaScript).
constexpr uint32_t event_type_bit(EventType t) { return 1u << unsigned(t); }
constexpr uint32_t kAllEventTypes = 0xfu;
enum class SessionChange : uint8_t { Create = 0, Update, Delete };
enum class ResolvedBy : uint8_t { None = 0, Teid, UeIp };

constexpr size_t kMaxEventTunnels = 16;  // a context's endpoints, each dual-stack one twice
constexpr size_t kMaxEventText = 2048;   // request target / names kept in a request event

struct EventTunnel {
  uint8_t plane = 0;   // 0 control, 1 user
  uint8_t dir = 0;     // 0 uplink, 1 downlink
  uint8_t bearer = 0;  // user plane only
  uint32_t teid = 0;
  IpAddr addr;
};

struct Subscriber {
  Digits imsi, msisdn, imei;
  Apn apn;
  bool has_v4 = false;
  uint8_t v4[4] = {0};
  bool has_v6 = false;
  uint8_t v6[16] = {0};
};

struct Event {
  EventType type = EventType::Session;
  uint64_t ts_ns = 0;
  uint64_t packet = 0;  // 1-based index in its capture
  uint32_t source = 0;  // file index (replay) or interface index (live)

  // session
  SessionChange change = SessionChange::Create;
  uint8_t gtp = 0;
  uint8_t bearer = 0, linked_bearer = 0;  // 0 = none
  uint8_t n_tunnels = 0;
  EventTunnel tunnels[kMaxEventTunnels];

  // subscriber (session, and the resolved subscriber of a sighting/request)
  bool has_subscriber = false;
  Subscriber sub;

  // sighting / request
  ResolvedBy resolved_by = ResolvedBy::None;
  TokenMatch match;  // sighting
  Via via = Via::Http;
  IpAddr ue_ip, dst_ip;
  uint8_t l4_proto = 0;           // sighting / request: the inner transport (6 TCP, 17 UDP)
  uint16_t sport = 0, dport = 0;  // and its ports (the UE's first)
  uint32_t teid = 0;
  uint64_t request = 0;     // sighting / hello: which uplink request (1-based count of the engine's requests)
  IpAddr gsn_src, gsn_dst;  // hello: the outer (GTP-U) source and destination of the G-PDU
  uint8_t random[kTlsRandomLen] = {0};  // hello: the ClientHello's random
  // request only (text, NUL-terminated, truncated to fit)
  char method[16] = {0};
  char host[256] = {0};  // request; sighting: HTTP Host, or the DNS name / SNI
  char target[kMaxEventText + 1] = {0};
  char name[256] = {0};  // request; hello: the SNI
};

// Where the engine puts events. The addon drains it per batch.
struct EventSink {
  std::vector<Event> events;
  Event& add() {
    events.emplace_back();
    return events.back();
  }
};

// "2024-05-01T10:00:00.000123Z" (µs, truncated); returns length (27).
size_t format_ts_iso(uint64_t ts_ns, char* out, size_t cap);

}  // namespace gnpay
