// GTP-C requests in flight: what a request carried that its response does not
// repeat, kept until the response comes (or a bound or timeout drops it).
// A ring of preallocated slots in arrival order (the oldest is overwritten
// first, counted as evicted) and an index by key. Slots are allocated as the
// ring first fills, then reused: nothing is allocated per message afterwards.
#pragma once
#include <cstdint>
#include <vector>

#include "flat_map.h"
#include "gtpv1c.h"
#include "gtpv2c.h"
#include "status.h"

namespace gnpay {

struct PendingRequest {
  uint64_t key = 0;
  uint64_t ts_ns = 0;
  bool live = false;
  uint8_t gtp = 0, msg_type = 0;
  uint32_t seq = 0, header_teid = 0;
  IpAddr src, dst;
  Digits imsi, msisdn, imei;
  Apn apn;
  bool has_nsapi = false, has_linked = false, teardown = false;
  uint8_t nsapi = 0, linked_nsapi = 0;
  bool has_teid_data = false, has_teid_cp = false;
  uint32_t teid_data = 0, teid_cp = 0;
  uint8_t n_gsn = 0;
  IpAddr gsn[2];
  bool has_ue_v4 = false, has_ue_v6 = false;
  uint8_t ue_v4[4] = {0}, ue_v6[16] = {0};
  // GTPv2
  bool has_ebi = false;
  uint8_t ebi = 0;
  struct Ep {
    uint8_t plane, dir, ebi, bc;  // bc: index of the Bearer Context (0xFF: top level)
    uint32_t teid;
    IpAddr addr;
  };
  static constexpr size_t kMaxEps = 12;
  uint8_t n_ep = 0;
  Ep ep[kMaxEps];
  uint8_t n_bc = 0;
  uint8_t bc_ebi[kMaxBearerContexts] = {0};
  uint8_t n_ebis = 0;                         // Delete Bearer Request: the bearers named (instance 1)
  uint8_t ebis[kMaxBearerContexts] = {0};
};

class TransactionTable {
 public:
  TransactionTable(size_t max, uint64_t timeout_ns) : max_(max ? max : 1), timeout_(timeout_ns) {}

  static uint64_t key_of(uint8_t gtp, uint32_t seq, const IpAddr& src, const IpAddr& dst);

  // A slot for a new request (the caller fills it). Evicts the oldest when full.
  PendingRequest& insert(uint64_t key, uint64_t ts_ns, AnomalyCounters& an, uint8_t gtp);
  // The request a response answers, or nullptr. The slot stays valid until
  // the next insert.
  PendingRequest* take(uint64_t key, uint64_t now_ns, AnomalyCounters& an);
  // Expire live requests older than the timeout, walking from the oldest slot.
  void expire(uint64_t now_ns, AnomalyCounters& an);

  size_t live() const { return live_; }
  size_t max() const { return max_; }

 private:
  size_t max_;
  uint64_t timeout_;
  std::vector<PendingRequest> slots_;
  size_t next_ = 0;
  size_t live_ = 0;
  FlatMap64<uint32_t> index_;
};

}  // namespace gnpay
