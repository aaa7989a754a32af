// GTP constant tables. Sources (checked against the spec tables and against
// Wireshark's packet-gtp.c / packet-gtpv2.c value tables):
//   TS 29.060 s7.1 Table 1 (GTPv1 messages), s7.7 Table 37 (IEs, TV lengths)
//   TS 29.281 s6.1 Table 6.1-1 (GTP-U messages)
//   TS 29.274 s6.1 Table 6.1-1 (GTPv2-C messages), s8.22 Table 8.22-1 (F-TEID interface types)
#include "gtp_constants.h"

namespace gnpay {
namespace gtp1 {

// TS 29.060 s7.7 Table 37: fixed value length of each TV information element
// (the type octet excluded). Types below 128 not listed are not defined in
// GTPv1 (6, 7, 10: GTPv0 only or spare; 30..126 unassigned): an IE of such a
// type cannot be skipped.
uint8_t tv_length(uint8_t type) {
  switch (type) {
    case ie::kCause:
      return 1;  // 7.7.1
    case ie::kImsi:
      return 8;  // 7.7.2
    case ie::kRai:
      return 6;  // 7.7.3
    case ie::kTlli:
      return 4;  // 7.7.4
    case ie::kPtmsi:
      return 4;  // 7.7.5
    case ie::kReorderingRequired:
      return 1;  // 7.7.6
    case ie::kAuthenticationTriplet:
      return 28;  // 7.7.7
    case ie::kMapCause:
      return 1;  // 7.7.8
    case ie::kPtmsiSignature:
      return 3;  // 7.7.9
    case ie::kMsValidated:
      return 1;  // 7.7.10
    case ie::kRecovery:
      return 1;  // 7.7.11
    case ie::kSelectionMode:
      return 1;  // 7.7.12
    case ie::kTeidDataI:
      return 4;  // 7.7.13
    case ie::kTeidControlPlane:
      return 4;  // 7.7.14
    case ie::kTeidDataII:
      return 5;  // 7.7.15
    case ie::kTeardownInd:
      return 1;  // 7.7.16
    case ie::kNsapi:
      return 1;  // 7.7.17
    case ie::kRanapCause:
      return 1;  // 7.7.18
    case ie::kRabContext:
      return 9;  // 7.7.19
    case ie::kRadioPrioritySms:
      return 1;  // 7.7.20
    case ie::kRadioPriority:
      return 1;  // 7.7.21
    case ie::kPacketFlowId:
      return 2;  // 7.7.22
    case ie::kChargingCharacteristics:
      return 2;  // 7.7.23
    case ie::kTraceReference:
      return 2;  // 7.7.24
    case ie::kTraceType:
      return 2;  // 7.7.25
    case ie::kMsNotReachableReason:
      return 1;  // 7.7.25A
    case ie::kChargingId:
      return 4;  // 7.7.26
    default:
      return 0;
  }
}

// TS 29.060 s7.1 Table 1 (and TS 29.281 Table 6.1-1 for the GTP-U messages).
const char* message_name(uint8_t type) {
  switch (type) {
#define GNPAY_X(id, value, name) \
  case value:                    \
    return name;
    GNPAY_GTP1_MESSAGES(GNPAY_X)
#undef GNPAY_X
    default:
      return nullptr;
  }
}

}  // namespace gtp1

namespace gtp2 {

// TS 29.274 s8.22 Table 8.22-1. "uplink": the endpoint receives what the UE
// sends (SGW/PGW/ePDG-facing-core side); "downlink": it receives what goes to
// the UE (eNodeB, RNC, SGSN, MME on S11-U, the SGW on S5/S8, ePDG/TWAN on S2a/b).
// Interfaces that are not on a subscriber's bearer path (MME-MME, SGSN-SGSN,
// MBMS, PMIPv6 GRE keys, the transient data-forwarding tunnels of handovers)
// have Plane::None.
IfaceRole iface_role(uint8_t t) {
  switch (t) {
    case 0:
      return {Plane::User, Dir::Downlink};  // S1-U eNodeB GTP-U
    case 1:
      return {Plane::User, Dir::Uplink};  // S1-U SGW GTP-U
    case 2:
      return {Plane::User, Dir::Downlink};  // S12 RNC GTP-U
    case 3:
      return {Plane::User, Dir::Uplink};  // S12 SGW GTP-U
    case 4:
      return {Plane::User, Dir::Downlink};  // S5/S8 SGW GTP-U
    case 5:
      return {Plane::User, Dir::Uplink};  // S5/S8 PGW GTP-U
    case 6:
      return {Plane::Control, Dir::Downlink};  // S5/S8 SGW GTP-C
    case 7:
      return {Plane::Control, Dir::Uplink};  // S5/S8 PGW GTP-C
    case 10:
      return {Plane::Control, Dir::Downlink};  // S11 MME GTP-C
    case 11:
      return {Plane::Control, Dir::Uplink};  // S11/S4 SGW GTP-C
    case 15:
      return {Plane::User, Dir::Downlink};  // S4 SGSN GTP-U
    case 16:
      return {Plane::User, Dir::Uplink};  // S4 SGW GTP-U
    case 17:
      return {Plane::Control, Dir::Downlink};  // S4 SGSN GTP-C
    case 30:
      return {Plane::Control, Dir::Downlink};  // S2b ePDG GTP-C
    case 31:
      return {Plane::User, Dir::Downlink};  // S2b-U ePDG GTP-U
    case 32:
      return {Plane::Control, Dir::Uplink};  // S2b PGW GTP-C
    case 33:
      return {Plane::User, Dir::Uplink};  // S2b-U PGW GTP-U
    case 34:
      return {Plane::User, Dir::Downlink};  // S2a TWAN GTP-U
    case 35:
      return {Plane::Control, Dir::Downlink};  // S2a TWAN GTP-C
    case 36:
      return {Plane::Control, Dir::Uplink};  // S2a PGW GTP-C
    case 37:
      return {Plane::User, Dir::Uplink};  // S2a PGW GTP-U
    case 38:
      return {Plane::User, Dir::Downlink};  // S11 MME GTP-U
    case 39:
      return {Plane::User, Dir::Uplink};  // S11 SGW GTP-U
    // 8/9 S5/S8 PMIPv6, 12 S10/N26 MME, 13 S3 MME, 14 S3 SGSN, 18 S16 SGSN,
    // 19..23 and 28 data forwarding, 24..27 and 29 MBMS, 40 N26 AMF
    default:
      return {Plane::None, Dir::Uplink};
  }
}

// TS 29.274 s6.1 Table 6.1-1 (4..31 are reserved for S101/S121/Sv, other specs).
const char* message_name(uint8_t type) {
  switch (type) {
#define GNPAY_X(id, value, name) \
  case value:                    \
    return name;
    GNPAY_GTP2_MESSAGES(GNPAY_X)
#undef GNPAY_X
    default:
      return nullptr;
  }
}

}  // namespace gtp2
}  // namespace gnpay
