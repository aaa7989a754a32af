// The GTP-C tracker: requests are remembered (transactions.h) until their
// response confirms them; an accepted response applies its procedure to the
// session model (session_table.h) and emits session events. The procedures of
// TS 29.060 (GTPv1-C) are in procedures_v1.cc, those of TS 29.274 (GTPv2-C) in
// procedures_v2.cc, one per message type; each changes only what its clause
// says the message carries. docs/sessions.md states the rule of each.
#pragma once
#include <cstdint>

#include "context.h"
#include "gtpv1c.h"
#include "gtpv2c.h"
#include "ip.h"
#include "l4.h"
#include "session_table.h"
#include "transactions.h"

namespace gnpay {

class Tracker {
 public:
  Tracker(const EngineLimits& limits, SessionTable& sessions, EngineStats& stats, PacketContext& ctx);
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  void on_gtpv1c(const IpPacket& outer, const UdpDatagram& udp);
  void on_gtpv2c(const IpPacket& outer, const UdpDatagram& udp);
  // A UDP datagram on ports that are not GTP's: a response whose requester
  // sent from another port, and whose responder answered from one, is
  // recognised by the pending request it answers. True when it was one.
  bool on_other_udp(const IpPacket& outer, const UdpDatagram& udp);
  void expire(uint64_t now_ns) { pending_.expire(now_ns, stats_.anomalies); }
  size_t pending() const { return pending_.live(); }
  size_t max_pending() const { return pending_.max(); }

 private:
  // The pending request a response answers, confirmed by the response's header
  // TEID; counts causes, rejections, orphans and mismatches. nullptr unless it
  // answers a request and accepts it.
  const PendingRequest* answered(uint8_t gtp, uint32_t seq, uint8_t resp_type, uint32_t header_teid, bool has_cause,
                                 uint8_t cause, const IpPacket& outer, uint16_t dport);
  // procedures_v1.cc
  void v1_message(const IpPacket& outer, const UdpDatagram& udp);
  void v1_request(const IpPacket& outer, const UdpDatagram& udp);
  void v1_create(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void v1_update(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void v1_delete(const PendingRequest& req, const Gtp1cMessage& resp);
  // procedures_v2.cc
  void v2_message(const IpPacket& outer, const UdpDatagram& udp, Span bytes, bool piggybacked);
  void v2_request(const IpPacket& outer, const UdpDatagram& udp);
  void v2_response(const PendingRequest& req, const IpPacket& outer);
  void v2_create_session(const PendingRequest& req, const IpPacket& outer);
  void v2_modify_bearer(const PendingRequest& req, const IpPacket& outer);
  void v2_delete_session(const PendingRequest& req);
  void v2_create_bearer(const PendingRequest& req, const IpPacket& outer);
  void v2_delete_bearer(const PendingRequest& req);
  void v2_release_access_bearers(const PendingRequest& req);
  // The PDN connections a GTPv2 request addresses (by the receiver's control
  // endpoint, its header TEID); `hit` is where the TEID was found.
  size_t v2_pdns(const PendingRequest& req, EndpointHit* hit, uint32_t* out);

  // model operations shared by the procedures (tracker.cc)
  uint32_t node(const IpAddr& a);
  uint32_t node(const PendingFteid& f, const IpAddr& fallback);
  // Sets the endpoint of `kind` in a context: replaces the one of the same kind
  // (an F-TEID is per interface), else takes a free slot. Learns the node's role.
  bool set_endpoint(Session& s, uint8_t kind, const Endpoint& ep);
  // A fresh context (eviction counted); kNone when the context it is to join
  // (`primary`, or kNone) was the one evicted.
  uint32_t new_context(uint32_t primary);
  void adopt(uint32_t idx, uint32_t primary);
  size_t group(uint32_t primary, uint32_t* out) const;  // the primary, then its secondaries in creation order
  void delete_group(uint32_t primary);
  void delete_one(uint32_t idx);
  void emit_session(SessionChange change, uint32_t idx);

  SessionTable& sessions_;
  EngineStats& stats_;
  PacketContext& ctx_;
  TransactionTable pending_;
  Gtp1cMessage v1_;  // per-message scratch, reset per message
  Gtp2cMessage v2_;
  FteidSet resp_;  // the F-TEIDs of the GTPv2 response being applied
};

void set_ue_addresses(Session& s, bool has_v4, const uint8_t* v4, bool has_v6, const uint8_t* v6);

}  // namespace gnpay
