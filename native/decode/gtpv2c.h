// GTPv2-C messages (TS 29.274): the fields gnpay needs from Create Session,
// Modify Bearer, Delete Session, Create/Delete Bearer Request and Response.
// Fixed struct reset per message; grouped Bearer Context IEs decoded one level deep.
#pragma once
#include "byte_reader.h"
#include "gtp_constants.h"
#include "gtpv1c.h"  // Apn, decode_apn
#include "status.h"
#include "tbcd.h"

namespace gnpay {

constexpr size_t kMaxGtpv2Ies = 64;          // IEs per message (and per grouped IE)
constexpr size_t kMaxGtpv2GroupDepth = 2;    // grouped inside grouped: no deeper
constexpr size_t kMaxFteids = 8;             // top-level F-TEIDs kept
constexpr size_t kMaxBearerContexts = 11;    // EBI 5..15
constexpr size_t kMaxBearerFteids = 6;

struct Fteid {
  uint8_t iface = 0;       // interface type (Table 8.22-1)
  uint8_t instance = 0;
  uint32_t teid = 0;
  bool has_v4 = false;     uint8_t v4[4] = {0};
  bool has_v6 = false;     uint8_t v6[16] = {0};
};

struct BearerContext {
  uint8_t instance = 0;    // 0: "to be created"/"created" etc. per message table
  bool has_ebi = false;    uint8_t ebi = 0;
  bool has_cause = false;  uint8_t cause = 0;
  uint8_t n_fteid = 0;     Fteid fteid[kMaxBearerFteids];
};

struct Gtp2cMessage {
  uint8_t msg_type = 0;
  uint16_t length = 0;
  bool piggyback = false;
  bool has_teid = false;   uint32_t teid = 0;
  uint32_t seq = 0;        // 24 bits
  uint16_t ie_count = 0;

  bool has_cause = false;   uint8_t cause = 0;
  bool has_imsi = false;    Digits imsi;
  bool has_msisdn = false;  Digits msisdn;
  bool has_mei = false;     Digits mei;
  bool has_apn = false;     Apn apn;
  bool has_ebi = false;     uint8_t ebi = 0;   // top-level EBI (Linked EBI in Create Session, EBI in Delete Session)
  // PDN Address Allocation (s8.14)
  bool has_paa = false;     uint8_t pdn_type = 0;
  bool has_ue_v4 = false;   uint8_t ue_v4[4] = {0};
  bool has_ue_v6 = false;   uint8_t ue_v6[16] = {0};  uint8_t ue_v6_prefix = 0;
  uint8_t n_fteid = 0;      Fteid fteid[kMaxFteids];          // top-level F-TEIDs (sender's control plane, ...)
  uint8_t n_bearer = 0;     BearerContext bearer[kMaxBearerContexts];

  void reset() { *this = Gtp2cMessage(); }
};

// Decodes a GTPv2-C message from a UDP 2123 payload whose version field is 2.
// Same outcome rules as decode_gtpv1c. A piggybacked message (P flag) is
// counted (gtpv2c.piggybacked_message) and only the first message is decoded.
Status decode_gtpv2c(Span udp_payload, Gtp2cMessage& out, AnomalyCounters& an);

}  // namespace gnpay
