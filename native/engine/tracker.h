// The GTP-C tracker: requests are remembered (transactions.h) until their
// response confirms them; an accepted response applies its procedure to the
// session model (session_table.h) and emits session events. The procedures of
// TS 29.060 (GTPv1-C) are in procedures_v1.cc, those of TS 29.274 (GTPv2-C) in
// procedures_v2.cc; docs/sessions.md states the rule of each.
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
  void expire(uint64_t now_ns) { pending_.expire(now_ns, stats_.anomalies); }
  size_t pending() const { return pending_.live(); }
  size_t max_pending() const { return pending_.max(); }

 private:
  const PendingRequest* answered(uint8_t gtp, uint32_t seq, uint8_t resp_type, bool has_cause, uint8_t cause,
                                 const IpPacket& outer);
  // procedures_v1.cc
  void apply_v1(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void v1_create(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void v1_update(const PendingRequest& req, const Gtp1cMessage& resp, const IpPacket& outer);
  void v1_delete(const PendingRequest& req, const Gtp1cMessage& resp);
  // procedures_v2.cc
  void apply_v2(const PendingRequest& req, const Gtp2cMessage& resp, const IpPacket& outer);
  void v2_create_session(const PendingRequest& req, const Gtp2cMessage& resp, const IpPacket& outer);
  void v2_modify_bearer(const PendingRequest& req, const Gtp2cMessage& resp);
  void v2_delete_session(const PendingRequest& req, const Gtp2cMessage& resp);
  void v2_create_bearer(const PendingRequest& req, const Gtp2cMessage& resp);
  void v2_delete_bearer(const PendingRequest& req, const Gtp2cMessage& resp);

  // model operations shared by the procedures (tracker.cc)
  void adopt(uint32_t idx, uint32_t primary);
  void delete_group(uint32_t primary);
  void delete_one(uint32_t idx);
  void emit_session(SessionChange change, uint32_t idx);

  SessionTable& sessions_;
  EngineStats& stats_;
  PacketContext& ctx_;
  TransactionTable pending_;
  Gtp1cMessage v1_;  // per-message scratch, reset per message
  Gtp2cMessage v2_;
};

// Endpoint helpers shared by the procedures (tracker.cc).
bool add_user_endpoint(Session& s, const Endpoint& ep, Dir dir, uint8_t bearer, bool ctrl = false);
void replace_user_endpoint(Session& s, const Endpoint& ep, Dir dir, uint8_t bearer, bool* cleared);
void set_ue_addresses(Session& s, bool has_v4, const uint8_t* v4, bool has_v6, const uint8_t* v6);

}  // namespace gnpay
