// GTP-C requests in flight: what a request carried that its response does not
// repeat, kept until the response comes (or a bound or timeout drops it).
//
// A request is keyed by its sequence number and the socket that sent it (IP
// address and UDP port): TS 29.060 s7.6 and TS 29.274 s7.6 make a sequence
// number unique per sending IP address and UDP port, and a response goes to
// the request's source address and port (TS 29.274 s4.2.2.2, TS 29.060 s4.4.2).
// The responding socket is not part of the key (a node may answer from
// another port or, multi-homed, another address); the response's header TEID,
// which is the requester's own control TEID (TS 29.274 s5.5.2, TS 29.060
// s6), confirms it instead. A capture on loopback (source address =
// destination address) pairs the same way.
//
// Slots in a vector, linked in arrival order (the oldest is evicted first when
// every slot is taken, counted; the timeout walks from the oldest), and an
// index by key. A slot a response frees is the next one taken, so the slots
// in use (and the memory made resident) follow the requests in flight at
// once, not the number of requests seen; the vector grows only when more are
// in flight than ever before, up to the bound: nothing is allocated per
// message once it has.
#pragma once
#include <cstdint>
#include <vector>

#include "flat_map.h"
#include "gtpv1c.h"
#include "gtpv2c.h"
#include "status.h"

namespace gnpay {

// An F-TEID of a GTPv2 request, as carried (addresses are interned only when
// the response confirms the request).
struct PendingFteid {
  uint8_t iface = 0, instance = 0;
  uint8_t bc = 0xFF;  // index into the request's bearer contexts; 0xFF: top level
  bool has_v4 = false, has_v6 = false;
  uint32_t teid = 0;
  uint8_t v4[4] = {0};
  uint8_t v6[16] = {0};
};

struct PendingBearer {
  uint8_t instance = 0;
  bool has_ebi = false, has_cause = false;
  uint8_t ebi = 0, cause = 0;
};

// The F-TEIDs and Bearer Contexts of a GTPv2 message (request or response) in
// one form.
struct FteidSet {
  static constexpr size_t kMaxFteids = 20;
  uint8_t n_fteid = 0;
  PendingFteid fteid[kMaxFteids];
  uint8_t n_bc = 0;
  PendingBearer bc[kMaxBearerContexts];
  void collect(const Gtp2cMessage& m);
};

struct PendingRequest {
  uint64_t key = 0;
  uint64_t ts_ns = 0;
  bool live = false;
  uint8_t gtp = 0, msg_type = 0;
  uint32_t seq = 0, header_teid = 0;
  IpAddr src, dst;
  uint16_t sport = 0, dport = 0;
  // The requester's own control TEID, which the response's header carries.
  bool expect_known = false;
  uint32_t expect_teid = 0;
  Digits imsi, msisdn, imei;
  Apn apn;
  bool has_ue_v4 = false, has_ue_v6 = false;
  uint8_t ue_v4[4] = {0}, ue_v6[16] = {0};
  // GTPv1
  bool has_nsapi = false, has_linked = false, teardown = false;
  uint8_t nsapi = 0, linked_nsapi = 0;
  bool has_teid_data = false, has_teid_cp = false;
  uint32_t teid_data = 0, teid_cp = 0;
  uint8_t n_gsn = 0;
  IpAddr gsn[2];
  // GTPv2
  bool has_lbi = false;  // top-level EBI, instance 0: the Linked EPS Bearer ID
  uint8_t lbi = 0;
  uint8_t n_ebis = 0;  // top-level EBIs of instance 1 (Delete Bearer Request: the bearers to delete)
  uint8_t ebis[kMaxBearerContexts] = {0};
  FteidSet v2;
  // arrival order of the live requests (slot numbers); a free slot's `newer`
  // is the next free one
  uint32_t older = 0xFFFFFFFFu, newer = 0xFFFFFFFFu;
};

class TransactionTable {
 public:
  TransactionTable(size_t max, uint64_t timeout_ns) : max_(max ? max : 1), timeout_(timeout_ns) {}

  // The key of a request: its sender's socket and sequence number (for a
  // response: its destination's socket).
  static uint64_t key_of(uint8_t gtp, uint32_t seq, const IpAddr& requester, uint16_t port);

  // A slot for a new request (the caller fills it). A request with the key of
  // a pending one (a retransmission) takes its slot; when full the oldest is evicted.
  PendingRequest& insert(uint64_t key, uint64_t ts_ns, AnomalyCounters& an, uint8_t gtp, uint16_t sport);
  // The pending request with this key, or nullptr (it stays pending).
  PendingRequest* find(uint64_t key) {
    uint32_t* s = index_.find(key);
    return s ? &slots_[*s] : nullptr;
  }
  // A response took the request: it leaves the table. False when it had
  // timed out (counted); the slot stays readable until the next insert.
  bool finish(PendingRequest& p, uint64_t now_ns, AnomalyCounters& an);
  // Expire live requests older than the timeout, walking from the oldest slot.
  void expire(uint64_t now_ns, AnomalyCounters& an);

  size_t live() const { return live_; }
  size_t max() const { return max_; }
  // Live requests sent from a port other than 2123: their responses may come
  // on two ports that are not GTP-C's.
  size_t live_on_other_ports() const { return other_ports_; }
  // Slots ever taken: the most requests in flight at once (at most max()).
  size_t slots() const { return slots_.size(); }

 private:
  static constexpr uint32_t kNoSlot = 0xFFFFFFFFu;
  void drop(PendingRequest& p);

  size_t max_;
  uint64_t timeout_;
  std::vector<PendingRequest> slots_;
  uint32_t oldest_ = kNoSlot, newest_ = kNoSlot;  // the live requests in arrival order
  uint32_t free_ = kNoSlot;                       // freed slots, the last freed first
  size_t live_ = 0;
  size_t other_ports_ = 0;
  FlatMap64<uint32_t> index_;
};

}  // namespace gnpay
