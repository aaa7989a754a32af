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

constexpr size_t kMaxGtpv2Ies = 64;  // IEs per message (and per grouped IE)
// IE list levels walked: the message's own IEs (level 1) and those inside a
// top-level Bearer Context (level 2). A grouped IE found at level 2 (a grouped
// IE inside a Bearer Context: no TS 29.274 message has one) is skipped and
// counted as gtpv2c.grouped_ie_too_deep. Other grouped IEs at level 1 (PDN
// Connection, Overload Control...) are skipped whole: gnpay reads nothing in them.
constexpr size_t kMaxGtpv2GroupDepth = 2;
constexpr size_t kMaxFteids = 8;           // top-level F-TEIDs kept
constexpr size_t kMaxBearerContexts = 11;  // EBI 5..15
constexpr size_t kMaxBearerFteids = 6;

struct Fteid {
  uint8_t iface = 0;  // interface type (Table 8.22-1)
  uint8_t instance = 0;
  uint32_t teid = 0;
  bool has_v4 = false;
  uint8_t v4[4] = {0};
  bool has_v6 = false;
  uint8_t v6[16] = {0};
};

struct BearerContext {
  uint8_t instance = 0;  // 0: "to be created"/"created" etc. per message table
  bool has_ebi = false;
  uint8_t ebi = 0;
  bool has_cause = false;
  uint8_t cause = 0;
  uint8_t n_fteid = 0;
  Fteid fteid[kMaxBearerFteids];
};

struct Gtp2cMessage {
  uint8_t msg_type = 0;
  uint16_t length = 0;
  bool piggyback = false;
  bool has_teid = false;
  uint32_t teid = 0;
  uint32_t seq = 0;  // 24 bits
  uint16_t ie_count = 0;

  bool has_cause = false;
  uint8_t cause = 0;
  bool has_imsi = false;
  Digits imsi;
  bool has_msisdn = false;
  Digits msisdn;
  bool has_mei = false;
  Digits mei;
  bool has_apn = false;
  Apn apn;
  bool has_ebi = false;
  uint8_t ebi =
      0;  // top-level EBI of instance 0 (Linked EBI in Create Session, Delete Session, Create/Delete Bearer Request)
  uint8_t n_ebis = 0;
  uint8_t ebis[kMaxBearerContexts] = {
      0};  // top-level EBIs of instance 1 (Delete Bearer Request: the bearers to delete)
  // PDN Address Allocation (s8.14)
  bool has_paa = false;
  uint8_t pdn_type = 0;
  bool has_ue_v4 = false;
  uint8_t ue_v4[4] = {0};
  bool has_ue_v6 = false;
  uint8_t ue_v6[16] = {0};
  uint8_t ue_v6_prefix = 0;
  uint8_t n_fteid = 0;
  Fteid fteid[kMaxFteids];  // top-level F-TEIDs (sender's control plane, ...)
  uint8_t n_bearer = 0;
  BearerContext bearer[kMaxBearerContexts];
  Span next;  // with the P flag: the bytes after this message (the piggybacked message)

  void reset() { *this = Gtp2cMessage(); }
};

// Decodes a GTPv2-C message from a UDP 2123 payload whose version field is 2.
// Same outcome rules as decode_gtpv1c (Truncated only when `udp_truncated`;
// a version other than 2: gtp.v0_unsupported for 0, gtp.bad_version otherwise;
// a type not in TS 29.274 Table 6.1-1: gtpv2c.unknown_message, Unsupported).
// With the P flag (s5.1: a piggybacked message follows, e.g. a Create Bearer
// Request after a Create Session Response) `next` holds the bytes after this
// message; the caller decodes them as the next message.
// Taken from the top level: IMSI, MSISDN, MEI, APN, PAA (any instance), Cause
// and EBI (instance 0; EBIs of instance 1 go to `ebis`), F-TEIDs (each with its
// instance, up to kMaxFteids), Bearer Contexts (EBI, Cause, F-TEIDs; up to
// kMaxBearerContexts). A value that cannot be used (bad TBCD, APN, PAA,
// F-TEID, a zero-length Cause/EBI/TBCD IE: gtpv2c.ie_bad_length) is counted
// and left absent; the walk goes on. An IE inside a Bearer Context running past
// it is gtpv2c.ie_bad_length and ends that Bearer Context only.
// The 3-argument form assumes the datagram is complete.
Status decode_gtpv2c(Span udp_payload, bool udp_truncated, Gtp2cMessage& out, AnomalyCounters& an);
Status decode_gtpv2c(Span udp_payload, Gtp2cMessage& out, AnomalyCounters& an);

}  // namespace gnpay
