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
constexpr uint8_t kVersionShift = 5;  // bits 8-6: version (1)
constexpr uint8_t kFlagPt = 0x10;     // protocol type: 1 = GTP, 0 = GTP'
constexpr uint8_t kFlagE = 0x04;      // extension header flag
constexpr uint8_t kFlagS = 0x02;      // sequence number flag
constexpr uint8_t kFlagPn = 0x01;     // N-PDU number flag
constexpr size_t kHeaderLen = 8;      // mandatory part
constexpr size_t kOptionalLen = 4;    // seq (2) + N-PDU (1) + next ext type (1)

// TS 29.060 s7.1 Table 1 (and TS 29.281 Table 6.1-1 for the GTP-U messages):
// X(identifier, value, "stable_name"). The constants below and message_name()
// come from this one table; the names appear in statistics and metrics.
#define GNPAY_GTP1_MESSAGES(X)                                                                 \
  X(EchoRequest, 1, "echo_request")                                                            \
  X(EchoResponse, 2, "echo_response")                                                          \
  X(VersionNotSupported, 3, "version_not_supported")                                           \
  X(NodeAliveRequest, 4, "node_alive_request")                                                 \
  X(NodeAliveResponse, 5, "node_alive_response")                                               \
  X(RedirectionRequest, 6, "redirection_request")                                              \
  X(RedirectionResponse, 7, "redirection_response")                                            \
  X(CreatePdpContextRequest, 16, "create_pdp_context_request")                                 \
  X(CreatePdpContextResponse, 17, "create_pdp_context_response")                               \
  X(UpdatePdpContextRequest, 18, "update_pdp_context_request")                                 \
  X(UpdatePdpContextResponse, 19, "update_pdp_context_response")                               \
  X(DeletePdpContextRequest, 20, "delete_pdp_context_request")                                 \
  X(DeletePdpContextResponse, 21, "delete_pdp_context_response")                               \
  X(InitiatePdpContextActivationRequest, 22, "initiate_pdp_context_activation_request")        \
  X(InitiatePdpContextActivationResponse, 23, "initiate_pdp_context_activation_response")      \
  X(ErrorIndication, 26, "error_indication")                                                   \
  X(PduNotificationRequest, 27, "pdu_notification_request")                                    \
  X(PduNotificationResponse, 28, "pdu_notification_response")                                  \
  X(PduNotificationRejectRequest, 29, "pdu_notification_reject_request")                       \
  X(PduNotificationRejectResponse, 30, "pdu_notification_reject_response")                     \
  X(SupportedExtensionHeadersNotification, 31, "supported_extension_headers_notification")     \
  X(SendRouteingInformationForGprsRequest, 32, "send_routeing_information_for_gprs_request")   \
  X(SendRouteingInformationForGprsResponse, 33, "send_routeing_information_for_gprs_response") \
  X(FailureReportRequest, 34, "failure_report_request")                                        \
  X(FailureReportResponse, 35, "failure_report_response")                                      \
  X(NoteMsGprsPresentRequest, 36, "note_ms_gprs_present_request")                              \
  X(NoteMsGprsPresentResponse, 37, "note_ms_gprs_present_response")                            \
  X(IdentificationRequest, 48, "identification_request")                                       \
  X(IdentificationResponse, 49, "identification_response")                                     \
  X(SgsnContextRequest, 50, "sgsn_context_request")                                            \
  X(SgsnContextResponse, 51, "sgsn_context_response")                                          \
  X(SgsnContextAcknowledge, 52, "sgsn_context_acknowledge")                                    \
  X(ForwardRelocationRequest, 53, "forward_relocation_request")                                \
  X(ForwardRelocationResponse, 54, "forward_relocation_response")                              \
  X(ForwardRelocationComplete, 55, "forward_relocation_complete")                              \
  X(RelocationCancelRequest, 56, "relocation_cancel_request")                                  \
  X(RelocationCancelResponse, 57, "relocation_cancel_response")                                \
  X(ForwardSrnsContext, 58, "forward_srns_context")                                            \
  X(ForwardRelocationCompleteAcknowledge, 59, "forward_relocation_complete_acknowledge")       \
  X(ForwardSrnsContextAcknowledge, 60, "forward_srns_context_acknowledge")                     \
  X(UeRegistrationQueryRequest, 61, "ue_registration_query_request")                           \
  X(UeRegistrationQueryResponse, 62, "ue_registration_query_response")                         \
  X(RanInformationRelay, 70, "ran_information_relay")                                          \
  X(MbmsNotificationRequest, 96, "mbms_notification_request")                                  \
  X(MbmsNotificationResponse, 97, "mbms_notification_response")                                \
  X(MbmsNotificationRejectRequest, 98, "mbms_notification_reject_request")                     \
  X(MbmsNotificationRejectResponse, 99, "mbms_notification_reject_response")                   \
  X(CreateMbmsContextRequest, 100, "create_mbms_context_request")                              \
  X(CreateMbmsContextResponse, 101, "create_mbms_context_response")                            \
  X(UpdateMbmsContextRequest, 102, "update_mbms_context_request")                              \
  X(UpdateMbmsContextResponse, 103, "update_mbms_context_response")                            \
  X(DeleteMbmsContextRequest, 104, "delete_mbms_context_request")                              \
  X(DeleteMbmsContextResponse, 105, "delete_mbms_context_response")                            \
  X(MbmsRegistrationRequest, 112, "mbms_registration_request")                                 \
  X(MbmsRegistrationResponse, 113, "mbms_registration_response")                               \
  X(MbmsDeRegistrationRequest, 114, "mbms_de_registration_request")                            \
  X(MbmsDeRegistrationResponse, 115, "mbms_de_registration_response")                          \
  X(MbmsSessionStartRequest, 116, "mbms_session_start_request")                                \
  X(MbmsSessionStartResponse, 117, "mbms_session_start_response")                              \
  X(MbmsSessionStopRequest, 118, "mbms_session_stop_request")                                  \
  X(MbmsSessionStopResponse, 119, "mbms_session_stop_response")                                \
  X(MbmsSessionUpdateRequest, 120, "mbms_session_update_request")                              \
  X(MbmsSessionUpdateResponse, 121, "mbms_session_update_response")                            \
  X(MsInfoChangeNotificationRequest, 128, "ms_info_change_notification_request")               \
  X(MsInfoChangeNotificationResponse, 129, "ms_info_change_notification_response")             \
  X(DataRecordTransferRequest, 240, "data_record_transfer_request")   /* GTP' (TS 32.295) */   \
  X(DataRecordTransferResponse, 241, "data_record_transfer_response") /* GTP' (TS 32.295) */   \
  X(TunnelStatus, 253, "tunnel_status")                               /* TS 29.281 */          \
  X(EndMarker, 254, "end_marker")                                     /* TS 29.281 */          \
  X(Gpdu, 255, "g_pdu")                                               /* TS 29.281 */

namespace msg {
#define GNPAY_X(id, value, name) constexpr uint8_t k##id = value;
GNPAY_GTP1_MESSAGES(GNPAY_X)
#undef GNPAY_X
}  // namespace msg

// TS 29.060 s7.7 Table 37: information elements. Types < 128 are TV with a
// fixed length (kTvLength); types >= 128 are TLV with a 2-octet length.
namespace ie {
constexpr uint8_t kCause = 1;                      // s7.7.1, TV 1
constexpr uint8_t kImsi = 2;                       // s7.7.2, TV 8, TBCD
constexpr uint8_t kRai = 3;                        // s7.7.3, TV 6
constexpr uint8_t kTlli = 4;                       // s7.7.4, TV 4
constexpr uint8_t kPtmsi = 5;                      // s7.7.5, TV 4
constexpr uint8_t kReorderingRequired = 8;         // s7.7.6, TV 1
constexpr uint8_t kAuthenticationTriplet = 9;      // s7.7.7, TV 28
constexpr uint8_t kMapCause = 11;                  // s7.7.8, TV 1
constexpr uint8_t kPtmsiSignature = 12;            // s7.7.9, TV 3
constexpr uint8_t kMsValidated = 13;               // s7.7.10, TV 1
constexpr uint8_t kRecovery = 14;                  // s7.7.11, TV 1
constexpr uint8_t kSelectionMode = 15;             // s7.7.12, TV 1
constexpr uint8_t kTeidDataI = 16;                 // s7.7.13, TV 4
constexpr uint8_t kTeidControlPlane = 17;          // s7.7.14, TV 4
constexpr uint8_t kTeidDataII = 18;                // s7.7.15, TV 5
constexpr uint8_t kTeardownInd = 19;               // s7.7.16, TV 1
constexpr uint8_t kNsapi = 20;                     // s7.7.17, TV 1
constexpr uint8_t kRanapCause = 21;                // s7.7.18, TV 1
constexpr uint8_t kRabContext = 22;                // s7.7.19, TV 9
constexpr uint8_t kRadioPrioritySms = 23;          // s7.7.20, TV 1
constexpr uint8_t kRadioPriority = 24;             // s7.7.21, TV 1
constexpr uint8_t kPacketFlowId = 25;              // s7.7.22, TV 2
constexpr uint8_t kChargingCharacteristics = 26;   // s7.7.23, TV 2
constexpr uint8_t kTraceReference = 27;            // s7.7.24, TV 2
constexpr uint8_t kTraceType = 28;                 // s7.7.25, TV 2
constexpr uint8_t kMsNotReachableReason = 29;      // s7.7.25A, TV 1
constexpr uint8_t kChargingId = 127;               // s7.7.26, TV 4
constexpr uint8_t kEndUserAddress = 128;           // s7.7.27, TLV
constexpr uint8_t kMmContext = 129;                // s7.7.28
constexpr uint8_t kPdpContext = 130;               // s7.7.29
constexpr uint8_t kApn = 131;                      // s7.7.30, label-encoded (TS 23.003 s9.1)
constexpr uint8_t kPco = 132;                      // s7.7.31
constexpr uint8_t kGsnAddress = 133;               // s7.7.32, 4 or 16 octets
constexpr uint8_t kMsisdn = 134;                   // s7.7.33, TON/NPI octet then TBCD
constexpr uint8_t kQosProfile = 135;               // s7.7.34
constexpr uint8_t kTft = 137;                      // s7.7.36
constexpr uint8_t kCommonFlags = 148;              // s7.7.48
constexpr uint8_t kRatType = 151;                  // s7.7.50
constexpr uint8_t kUserLocationInformation = 152;  // s7.7.51
constexpr uint8_t kMsTimeZone = 153;               // s7.7.52
constexpr uint8_t kImeiSv = 154;                   // s7.7.53, TBCD
constexpr uint8_t kChargingGatewayAddress = 251;   // s7.7.44
constexpr uint8_t kPrivateExtension = 255;         // s7.7.46
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
constexpr uint8_t kFlagP = 0x10;       // piggybacking
constexpr uint8_t kFlagT = 0x08;       // TEID present
constexpr uint8_t kFlagMp = 0x04;      // message priority present
constexpr size_t kMinHeaderLen = 8;    // without TEID
constexpr size_t kTeidHeaderLen = 12;  // with TEID

// TS 29.274 s6.1 Table 6.1-1: X(identifier, value, "stable_name"), as above.
#define GNPAY_GTP2_MESSAGES(X)                                                                          \
  X(EchoRequest, 1, "echo_request")                                                                     \
  X(EchoResponse, 2, "echo_response")                                                                   \
  X(VersionNotSupported, 3, "version_not_supported_indication")                                         \
  X(CreateSessionRequest, 32, "create_session_request")                                                 \
  X(CreateSessionResponse, 33, "create_session_response")                                               \
  X(ModifyBearerRequest, 34, "modify_bearer_request")                                                   \
  X(ModifyBearerResponse, 35, "modify_bearer_response")                                                 \
  X(DeleteSessionRequest, 36, "delete_session_request")                                                 \
  X(DeleteSessionResponse, 37, "delete_session_response")                                               \
  X(ChangeNotificationRequest, 38, "change_notification_request")                                       \
  X(ChangeNotificationResponse, 39, "change_notification_response")                                     \
  X(RemoteUeReportNotification, 40, "remote_ue_report_notification")                                    \
  X(RemoteUeReportAcknowledge, 41, "remote_ue_report_acknowledge")                                      \
  X(ModifyBearerCommand, 64, "modify_bearer_command")                                                   \
  X(ModifyBearerFailureIndication, 65, "modify_bearer_failure_indication")                              \
  X(DeleteBearerCommand, 66, "delete_bearer_command")                                                   \
  X(DeleteBearerFailureIndication, 67, "delete_bearer_failure_indication")                              \
  X(BearerResourceCommand, 68, "bearer_resource_command")                                               \
  X(BearerResourceFailureIndication, 69, "bearer_resource_failure_indication")                          \
  X(DownlinkDataNotificationFailureIndication, 70, "downlink_data_notification_failure_indication")     \
  X(TraceSessionActivation, 71, "trace_session_activation")                                             \
  X(TraceSessionDeactivation, 72, "trace_session_deactivation")                                         \
  X(StopPagingIndication, 73, "stop_paging_indication")                                                 \
  X(CreateBearerRequest, 95, "create_bearer_request")                                                   \
  X(CreateBearerResponse, 96, "create_bearer_response")                                                 \
  X(UpdateBearerRequest, 97, "update_bearer_request")                                                   \
  X(UpdateBearerResponse, 98, "update_bearer_response")                                                 \
  X(DeleteBearerRequest, 99, "delete_bearer_request")                                                   \
  X(DeleteBearerResponse, 100, "delete_bearer_response")                                                \
  X(DeletePdnConnectionSetRequest, 101, "delete_pdn_connection_set_request")                            \
  X(DeletePdnConnectionSetResponse, 102, "delete_pdn_connection_set_response")                          \
  X(PgwDownlinkTriggeringNotification, 103, "pgw_downlink_triggering_notification")                     \
  X(PgwDownlinkTriggeringAcknowledge, 104, "pgw_downlink_triggering_acknowledge")                       \
  X(IdentificationRequest, 128, "identification_request")                                               \
  X(IdentificationResponse, 129, "identification_response")                                             \
  X(ContextRequest, 130, "context_request")                                                             \
  X(ContextResponse, 131, "context_response")                                                           \
  X(ContextAcknowledge, 132, "context_acknowledge")                                                     \
  X(ForwardRelocationRequest, 133, "forward_relocation_request")                                        \
  X(ForwardRelocationResponse, 134, "forward_relocation_response")                                      \
  X(ForwardRelocationCompleteNotification, 135, "forward_relocation_complete_notification")             \
  X(ForwardRelocationCompleteAcknowledge, 136, "forward_relocation_complete_acknowledge")               \
  X(ForwardAccessContextNotification, 137, "forward_access_context_notification")                       \
  X(ForwardAccessContextAcknowledge, 138, "forward_access_context_acknowledge")                         \
  X(RelocationCancelRequest, 139, "relocation_cancel_request")                                          \
  X(RelocationCancelResponse, 140, "relocation_cancel_response")                                        \
  X(ConfigurationTransferTunnel, 141, "configuration_transfer_tunnel")                                  \
  X(DetachNotification, 149, "detach_notification")                                                     \
  X(DetachAcknowledge, 150, "detach_acknowledge")                                                       \
  X(CsPagingIndication, 151, "cs_paging_indication")                                                    \
  X(RanInformationRelay, 152, "ran_information_relay")                                                  \
  X(AlertMmeNotification, 153, "alert_mme_notification")                                                \
  X(AlertMmeAcknowledge, 154, "alert_mme_acknowledge")                                                  \
  X(UeActivityNotification, 155, "ue_activity_notification")                                            \
  X(UeActivityAcknowledge, 156, "ue_activity_acknowledge")                                              \
  X(IsrStatusIndication, 157, "isr_status_indication")                                                  \
  X(UeRegistrationQueryRequest, 158, "ue_registration_query_request")                                   \
  X(UeRegistrationQueryResponse, 159, "ue_registration_query_response")                                 \
  X(CreateForwardingTunnelRequest, 160, "create_forwarding_tunnel_request")                             \
  X(CreateForwardingTunnelResponse, 161, "create_forwarding_tunnel_response")                           \
  X(SuspendNotification, 162, "suspend_notification")                                                   \
  X(SuspendAcknowledge, 163, "suspend_acknowledge")                                                     \
  X(ResumeNotification, 164, "resume_notification")                                                     \
  X(ResumeAcknowledge, 165, "resume_acknowledge")                                                       \
  X(CreateIndirectDataForwardingTunnelRequest, 166, "create_indirect_data_forwarding_tunnel_request")   \
  X(CreateIndirectDataForwardingTunnelResponse, 167, "create_indirect_data_forwarding_tunnel_response") \
  X(DeleteIndirectDataForwardingTunnelRequest, 168, "delete_indirect_data_forwarding_tunnel_request")   \
  X(DeleteIndirectDataForwardingTunnelResponse, 169, "delete_indirect_data_forwarding_tunnel_response") \
  X(ReleaseAccessBearersRequest, 170, "release_access_bearers_request")                                 \
  X(ReleaseAccessBearersResponse, 171, "release_access_bearers_response")                               \
  X(DownlinkDataNotification, 176, "downlink_data_notification")                                        \
  X(DownlinkDataNotificationAck, 177, "downlink_data_notification_acknowledge")                         \
  X(PgwRestartNotification, 179, "pgw_restart_notification")                                            \
  X(PgwRestartNotificationAcknowledge, 180, "pgw_restart_notification_acknowledge")                     \
  X(UpdatePdnConnectionSetRequest, 200, "update_pdn_connection_set_request")                            \
  X(UpdatePdnConnectionSetResponse, 201, "update_pdn_connection_set_response")                          \
  X(ModifyAccessBearersRequest, 211, "modify_access_bearers_request")                                   \
  X(ModifyAccessBearersResponse, 212, "modify_access_bearers_response")                                 \
  X(MbmsSessionStartRequest, 231, "mbms_session_start_request")                                         \
  X(MbmsSessionStartResponse, 232, "mbms_session_start_response")                                       \
  X(MbmsSessionUpdateRequest, 233, "mbms_session_update_request")                                       \
  X(MbmsSessionUpdateResponse, 234, "mbms_session_update_response")                                     \
  X(MbmsSessionStopRequest, 235, "mbms_session_stop_request")                                           \
  X(MbmsSessionStopResponse, 236, "mbms_session_stop_response")

namespace msg {
#define GNPAY_X(id, value, name) constexpr uint8_t k##id = value;
GNPAY_GTP2_MESSAGES(GNPAY_X)
#undef GNPAY_X
}  // namespace msg

// TS 29.274 s8.1 Table 8.1-1: information elements (type, 2-octet length, spare/instance).
namespace ie {
constexpr uint8_t kImsi = 1;                // s8.3, TBCD
constexpr uint8_t kCause = 2;               // s8.4
constexpr uint8_t kRecovery = 3;            // s8.5
constexpr uint8_t kApn = 71;                // s8.6, label-encoded
constexpr uint8_t kAmbr = 72;               // s8.7
constexpr uint8_t kEbi = 73;                // s8.8, low 4 bits
constexpr uint8_t kIpAddress = 74;          // s8.9
constexpr uint8_t kMei = 75;                // s8.10, TBCD
constexpr uint8_t kMsisdn = 76;             // s8.11, TBCD (no TON/NPI octet)
constexpr uint8_t kIndication = 77;         // s8.12
constexpr uint8_t kPco = 78;                // s8.13
constexpr uint8_t kPaa = 79;                // s8.14
constexpr uint8_t kBearerQos = 80;          // s8.15
constexpr uint8_t kRatType = 82;            // s8.17
constexpr uint8_t kServingNetwork = 83;     // s8.18
constexpr uint8_t kUli = 86;                // s8.21
constexpr uint8_t kFteid = 87;              // s8.22
constexpr uint8_t kBearerContext = 93;      // s8.28, grouped
constexpr uint8_t kChargingId = 94;         // s8.29
constexpr uint8_t kPdnType = 99;            // s8.34
constexpr uint8_t kPdnConnection = 109;     // s8.39, grouped
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
struct IfaceRole {
  Plane plane;
  Dir dir;
};
// Plane::None for interface types that are not on a bearer's path (PMIPv6,
// S10/S3/S16/N26, MBMS, handover data forwarding) or not defined.
IfaceRole iface_role(uint8_t iface_type);

// Snake_case name of a TS 29.274 Table 6.1-1 message ("create_session_request",
// "modify_bearer_response"...), nullptr when not defined there.
const char* message_name(uint8_t type);

}  // namespace gtp2
}  // namespace gnpay
