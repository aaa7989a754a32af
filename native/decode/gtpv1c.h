// GTPv1-C messages (TS 29.060 s7): the fields gnpay needs from
// Create / Update / Delete PDP Context Request and Response.
// The parse result holds values (digits decoded, addresses copied) in a fixed
// struct reset per message; nothing is allocated.
#pragma once
#include "byte_reader.h"
#include "gtp_constants.h"
#include "status.h"
#include "tbcd.h"

namespace gnpay {

constexpr size_t kMaxGtpv1Ies = 64;         // IEs walked per message before gtpv1c.too_many_ies
constexpr size_t kMaxGtpv1cExtHeaders = 8;  // header extension chain (E flag), gtpv1c.bad_ext_header beyond
constexpr size_t kMaxGsnAddresses = 4;      // signalling, user, and the alternative pair
constexpr size_t kMaxApnLen = 100;          // TS 23.003 s9.1: APN at most 100 octets

struct Apn {
  uint8_t len = 0;
  char s[kMaxApnLen + 1] = {0};  // dotted text ("internet", "mms.example.com")
  void clear() {
    len = 0;
    s[0] = 0;
  }
};

// TS 23.003 s9.1 label encoding -> dotted text. False on a label running past
// the end, an empty label, a result over kMaxApnLen, or a byte that is not a
// printable ASCII character.
bool decode_apn(Span bytes, Apn& out);

struct Gtp1cMessage {
  uint8_t version = 0;
  uint8_t msg_type = 0;
  uint16_t length = 0;
  uint32_t teid = 0;  // header TEID: the receiver's TEID-C (0 on an initial Create)
  bool has_seq = false;
  uint16_t seq = 0;
  uint16_t ie_count = 0;

  bool has_cause = false;
  uint8_t cause = 0;
  bool has_imsi = false;
  Digits imsi;
  bool has_msisdn = false;
  Digits msisdn;  // without the TON/NPI octet
  bool has_imei = false;
  Digits imei;  // IMEI(SV)
  bool has_teid_data = false;
  uint32_t teid_data = 0;  // TEID Data I
  bool has_teid_cp = false;
  uint32_t teid_cp = 0;  // TEID Control Plane
  bool has_nsapi = false;
  uint8_t nsapi = 0;  // first NSAPI IE
  bool has_linked_nsapi = false;
  uint8_t linked_nsapi = 0;  // second NSAPI IE (secondary context)
  bool has_teardown = false;
  bool teardown = false;
  bool has_apn = false;
  Apn apn;
  // End User Address (s7.7.27)
  bool has_eua = false;
  uint8_t pdp_org = 0, pdp_type = 0;
  bool has_ue_v4 = false;
  uint8_t ue_v4[4] = {0};
  bool has_ue_v6 = false;
  uint8_t ue_v6[16] = {0};
  // GSN Address IEs in order of appearance: [0] signalling, [1] user traffic, then alternatives
  uint8_t n_gsn = 0;
  IpAddr gsn[kMaxGsnAddresses];

  void reset() { *this = Gtp1cMessage(); }
};

// Decodes a GTPv1-C message from a UDP 2123 payload whose version nibble is 1.
// Ok: header and IEs walked (some IEs may have been skipped as anomalies,
// e.g. a MSISDN with bad TBCD is counted as gtpv1c.bad_tbcd and left absent;
// an EUA with an address of the wrong size is gtpv1c.bad_end_user_address with
// has_eua set and no address; a GSN Address not of 4 or 16 octets is
// gtpv1c.ie_bad_length and skipped).
// Truncated / Malformed: the header itself could not be read, or an IE stopped
// the walk; what was read before that point stays in `out`. Truncated (the
// *.truncated names) only when `udp_truncated` says the capture cut the
// datagram; otherwise a length running past the bytes is Malformed
// (gtpv1c.bad_length for the header length, gtpv1c.ie_bad_length for an IE).
// An unknown TV type stops the walk (gtpv1c.ie_unknown_tv): its length is unknowable.
// Unsupported: version 0 (gtp.v0_unsupported), GTP' (PT 0, gtp.prime_unsupported),
// or a message type not in TS 29.060 Table 1 or only meaningful on GTP-U
// (G-PDU, End Marker, Tunnel Status): gtpv1c.unknown_message, header filled.
// IEs of every other message type are walked. Mandatory-IE checks
// (gtpv1c.missing_mandatory_ie) are left to the engine, which knows what it needs.
// The 3-argument form assumes the datagram is complete.
Status decode_gtpv1c(Span udp_payload, bool udp_truncated, Gtp1cMessage& out, AnomalyCounters& an);
Status decode_gtpv1c(Span udp_payload, Gtp1cMessage& out, AnomalyCounters& an);

}  // namespace gnpay
