// GTP constants, one table per protocol, each value citing its 3GPP clause.
//   TS 29.060 (GTPv1-C and the GTPv1 header), TS 29.274 (GTPv2-C), TS 29.281 (GTP-U).
// Note: Create PDP Context Request is 16 (TS 29.060 Table 1), not 7.
// native/test/test_constants.cc checks these values against the specs' tables.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gnpay {
namespace gtp1 {

// TS 29.060 s6: GTPv1 header, first octet.
constexpr uint8_t kVersionShift = 5;       // bits 8-6: version (1)
constexpr uint8_t kFlagPt = 0x10;          // protocol type: 1 = GTP, 0 = GTP'
constexpr uint8_t kFlagE = 0x04;           // extension header flag
constexpr uint8_t kFlagS = 0x02;           // sequence number flag
constexpr uint8_t kFlagPn = 0x01;          // N-PDU number flag
constexpr size_t kHeaderLen = 8;           // mandatory part
constexpr size_t kOptionalLen = 4;         // seq (2) + N-PDU (1) + next ext type (1)

// TS 29.060 s7.1 Table 1: messages.
namespace msg {
constexpr uint8_t kEchoRequest = 1;
constexpr uint8_t kEchoResponse = 2;
constexpr uint8_t kVersionNotSupported = 3;
constexpr uint8_t kCreatePdpContextRequest = 16;
constexpr uint8_t kCreatePdpContextResponse = 17;
constexpr uint8_t kUpdatePdpContextRequest = 18;
constexpr uint8_t kUpdatePdpContextResponse = 19;
constexpr uint8_t kDeletePdpContextRequest = 20;
constexpr uint8_t kDeletePdpContextResponse = 21;
constexpr uint8_t kInitiatePdpContextActivationRequest = 22;
constexpr uint8_t kInitiatePdpContextActivationResponse = 23;
constexpr uint8_t kErrorIndication = 26;               // TS 29.281 s7.3.1
constexpr uint8_t kPduNotificationRequest = 27;
constexpr uint8_t kPduNotificationResponse = 28;
constexpr uint8_t kSupportedExtensionHeadersNotification = 31;  // TS 29.281 s7.3.2
constexpr uint8_t kSgsnContextRequest = 50;
constexpr uint8_t kSgsnContextResponse = 51;
constexpr uint8_t kSgsnContextAcknowledge = 52;
constexpr uint8_t kTunnelStatus = 253;                 // TS 29.281 s7.3.4 (Rel-16)
constexpr uint8_t kEndMarker = 254;                    // TS 29.281 s7.3.3
constexpr uint8_t kGpdu = 255;                         // TS 29.281 s6.1 Table 6.1-1 (G-PDU)
}  // namespace msg

// TS 29.060 s7.7 Table 37: information elements. Types < 128 are TV with a
// fixed length (kTvLength); types >= 128 are TLV with a 2-octet length.
namespace ie {
constexpr uint8_t kCause = 1;                 // s7.7.1, TV 1
constexpr uint8_t kImsi = 2;                  // s7.7.2, TV 8, TBCD
constexpr uint8_t kRai = 3;                   // s7.7.3, TV 6
constexpr uint8_t kTlli = 4;                  // s7.7.4, TV 4
constexpr uint8_t kPtmsi = 5;                 // s7.7.5, TV 4
constexpr uint8_t kReorderingRequired = 8;    // s7.7.6, TV 1
constexpr uint8_t kAuthenticationTriplet = 9; // s7.7.7, TV 28
constexpr uint8_t kMapCause = 11;             // s7.7.8, TV 1
constexpr uint8_t kPtmsiSignature = 12;       // s7.7.9, TV 3
constexpr uint8_t kMsValidated = 13;          // s7.7.10, TV 1
constexpr uint8_t kRecovery = 14;             // s7.7.11, TV 1
constexpr uint8_t kSelectionMode = 15;        // s7.7.12, TV 1
constexpr uint8_t kTeidDataI = 16;            // s7.7.13, TV 4
constexpr uint8_t kTeidControlPlane = 17;     // s7.7.14, TV 4
constexpr uint8_t kTeidDataII = 18;           // s7.7.15, TV 5
constexpr uint8_t kTeardownInd = 19;          // s7.7.16, TV 1
constexpr uint8_t kNsapi = 20;                // s7.7.17, TV 1
constexpr uint8_t kRanapCause = 21;           // s7.7.18, TV 1
constexpr uint8_t kRabContext = 22;           // s7.7.19, TV 9
constexpr uint8_t kRadioPrioritySms = 23;     // s7.7.20, TV 1
constexpr uint8_t kRadioPriority = 24;        // s7.7.21, TV 1
constexpr uint8_t kPacketFlowId = 25;         // s7.7.22, TV 2
constexpr uint8_t kChargingCharacteristics = 26;  // s7.7.23, TV 2
constexpr uint8_t kTraceReference = 27;       // s7.7.24, TV 2
constexpr uint8_t kTraceType = 28;            // s7.7.25, TV 2
constexpr uint8_t kMsNotReachableReason = 29; // s7.7.25A, TV 1
constexpr uint8_t kChargingId = 127;          // s7.7.26, TV 4
constexpr uint8_t kEndUserAddress = 128;      // s7.7.27, TLV
constexpr uint8_t kMmContext = 129;           // s7.7.28
constexpr uint8_t kPdpContext = 130;          // s7.7.29
constexpr uint8_t kApn = 131;                 // s7.7.30, label-encoded (TS 23.003 s9.1)
constexpr uint8_t kPco = 132;                 // s7.7.31
constexpr uint8_t kGsnAddress = 133;          // s7.7.32, 4 or 16 octets
constexpr uint8_t kMsisdn = 134;              // s7.7.33, TON/NPI octet then TBCD
constexpr uint8_t kQosProfile = 135;          // s7.7.34
constexpr uint8_t kTft = 137;                 // s7.7.36
constexpr uint8_t kCommonFlags = 148;         // s7.7.48
constexpr uint8_t kRatType = 151;             // s7.7.50
constexpr uint8_t kUserLocationInformation = 152;  // s7.7.51
constexpr uint8_t kMsTimeZone = 153;          // s7.7.52
constexpr uint8_t kImeiSv = 154;              // s7.7.53, TBCD
constexpr uint8_t kChargingGatewayAddress = 251;  // s7.7.44
constexpr uint8_t kPrivateExtension = 255;    // s7.7.46
}  // namespace ie

// Fixed value length of a TV information element (types < 128), 0 when the
// type is not defined (an unknown TV IE cannot be skipped: the message stops there).
uint8_t tv_length(uint8_t type);

// TS 29.060 s7.7.1 Table 38: cause values 128..191 accept a request ("Request
// accepted" = 128), 192..255 reject it; values below 128 are request causes.
constexpr uint8_t kCauseRequestAccepted = 128;
inline bool cause_accepted(uint8_t cause) { return cause >= 128 && cause <= 191; }

// TS 29.060 s7.7.27: End User Address PDP type organisation / number.
constexpr uint8_t kPdpOrgEtsi = 0;
constexpr uint8_t kPdpOrgIetf = 1;
constexpr uint8_t kPdpTypeIpv4 = 0x21;
constexpr uint8_t kPdpTypeIpv6 = 0x57;
constexpr uint8_t kPdpTypeIpv4v6 = 0x8D;
constexpr uint8_t kPdpTypePpp = 0x01;

// A stable snake_case name for statistics ("create_pdp_context_request"), or
// nullptr for a type gnpay has no name for (counted as "other"). Covers every
// message of TS 29.060 Table 1, including the GTP-U ones ("g_pdu",
// "end_marker", "error_indication", "tunnel_status").
const char* message_name(uint8_t type);

}  // namespace gtp1

namespace gtp2 {

// TS 29.274 s5.1: GTPv2-C header.
constexpr uint8_t kVersion = 2;
constexpr uint8_t kFlagP = 0x10;   // piggybacking
constexpr uint8_t kFlagT = 0x08;   // TEID present
constexpr uint8_t kFlagMp = 0x04;  // message priority present
constexpr size_t kMinHeaderLen = 8;   // without TEID
constexpr size_t kTeidHeaderLen = 12; // with TEID

// TS 29.274 s6.1 Table 6.1-1: messages.
namespace msg {
constexpr uint8_t kEchoRequest = 1;
constexpr uint8_t kEchoResponse = 2;
constexpr uint8_t kVersionNotSupported = 3;
constexpr uint8_t kCreateSessionRequest = 32;
constexpr uint8_t kCreateSessionResponse = 33;
constexpr uint8_t kModifyBearerRequest = 34;
constexpr uint8_t kModifyBearerResponse = 35;
constexpr uint8_t kDeleteSessionRequest = 36;
constexpr uint8_t kDeleteSessionResponse = 37;
constexpr uint8_t kCreateBearerRequest = 95;
constexpr uint8_t kCreateBearerResponse = 96;
constexpr uint8_t kUpdateBearerRequest = 97;
constexpr uint8_t kUpdateBearerResponse = 98;
constexpr uint8_t kDeleteBearerRequest = 99;
constexpr uint8_t kDeleteBearerResponse = 100;
constexpr uint8_t kReleaseAccessBearersRequest = 170;
constexpr uint8_t kReleaseAccessBearersResponse = 171;
constexpr uint8_t kModifyAccessBearersRequest = 211;
constexpr uint8_t kModifyAccessBearersResponse = 212;
constexpr uint8_t kDownlinkDataNotification = 176;
constexpr uint8_t kDownlinkDataNotificationAck = 177;
}  // namespace msg

// TS 29.274 s8.1 Table 8.1-1: information elements (type, 2-octet length, spare/instance).
namespace ie {
constexpr uint8_t kImsi = 1;           // s8.3, TBCD
constexpr uint8_t kCause = 2;          // s8.4
constexpr uint8_t kRecovery = 3;       // s8.5
constexpr uint8_t kApn = 71;           // s8.6, label-encoded
constexpr uint8_t kAmbr = 72;          // s8.7
constexpr uint8_t kEbi = 73;           // s8.8, low 4 bits
constexpr uint8_t kIpAddress = 74;     // s8.9
constexpr uint8_t kMei = 75;           // s8.10, TBCD
constexpr uint8_t kMsisdn = 76;        // s8.11, TBCD (no TON/NPI octet)
constexpr uint8_t kIndication = 77;    // s8.12
constexpr uint8_t kPco = 78;           // s8.13
constexpr uint8_t kPaa = 79;           // s8.14
constexpr uint8_t kBearerQos = 80;     // s8.15
constexpr uint8_t kRatType = 82;       // s8.17
constexpr uint8_t kServingNetwork = 83;  // s8.18
constexpr uint8_t kUli = 86;           // s8.21
constexpr uint8_t kFteid = 87;         // s8.22
constexpr uint8_t kBearerContext = 93; // s8.28, grouped
constexpr uint8_t kChargingId = 94;    // s8.29
constexpr uint8_t kPdnType = 99;       // s8.34
constexpr uint8_t kPdnConnection = 109;  // s8.39, grouped
constexpr uint8_t kPrivateExtension = 255;  // s8.67
}  // namespace ie

// TS 29.274 s8.4 Table 8.4-1: 16 "Request accepted", 17 "Request accepted
// partially", 18/19 new PDN type; 16..63 is the acceptance range, 64.. rejection.
constexpr uint8_t kCauseRequestAccepted = 16;
inline bool cause_accepted(uint8_t cause) { return cause >= 16 && cause <= 63; }

// TS 29.274 s8.14: PAA PDN type.
constexpr uint8_t kPdnIpv4 = 1;
constexpr uint8_t kPdnIpv6 = 2;
constexpr uint8_t kPdnIpv4v6 = 3;
constexpr uint8_t kPdnNonIp = 4;

// TS 29.274 s8.22 Table 8.22-1: F-TEID interface types.
namespace iface {
constexpr uint8_t kS1uEnodebGtpu = 0;
constexpr uint8_t kS1uSgwGtpu = 1;
constexpr uint8_t kS12RncGtpu = 2;
constexpr uint8_t kS12SgwGtpu = 3;
constexpr uint8_t kS5S8SgwGtpu = 4;
constexpr uint8_t kS5S8PgwGtpu = 5;
constexpr uint8_t kS5S8SgwGtpc = 6;
constexpr uint8_t kS5S8PgwGtpc = 7;
constexpr uint8_t kS11MmeGtpc = 10;
constexpr uint8_t kS11S4SgwGtpc = 11;
constexpr uint8_t kS4SgsnGtpu = 15;
constexpr uint8_t kS4SgwGtpu = 16;
constexpr uint8_t kS4SgsnGtpc = 17;
}  // namespace iface

// Where an F-TEID of a given interface type sits: user or control plane, and
// whether traffic arriving at it travels uplink (towards the core: SGW/PGW)
// or downlink (towards the UE: eNodeB/RNC/SGSN, or the SGW on S5/S8).
enum class Plane : uint8_t { None = 0, Control, User };
enum class Dir : uint8_t { Uplink = 0, Downlink = 1 };
struct IfaceRole { Plane plane; Dir dir; };
// Plane::None for interface types that are not on a bearer's path (PMIPv6,
// S10/S3/S16/N26, MBMS, handover data forwarding) or not defined.
IfaceRole iface_role(uint8_t iface_type);

// Snake_case name of a TS 29.274 Table 6.1-1 message ("create_session_request",
// "modify_bearer_response"...), nullptr when not defined there.
const char* message_name(uint8_t type);

}  // namespace gtp2
}  // namespace gnpay
