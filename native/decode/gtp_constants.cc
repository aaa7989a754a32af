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
    case ie::kCause: return 1;                   // 7.7.1
    case ie::kImsi: return 8;                    // 7.7.2
    case ie::kRai: return 6;                     // 7.7.3
    case ie::kTlli: return 4;                    // 7.7.4
    case ie::kPtmsi: return 4;                   // 7.7.5
    case ie::kReorderingRequired: return 1;      // 7.7.6
    case ie::kAuthenticationTriplet: return 28;  // 7.7.7
    case ie::kMapCause: return 1;                // 7.7.8
    case ie::kPtmsiSignature: return 3;          // 7.7.9
    case ie::kMsValidated: return 1;             // 7.7.10
    case ie::kRecovery: return 1;                // 7.7.11
    case ie::kSelectionMode: return 1;           // 7.7.12
    case ie::kTeidDataI: return 4;               // 7.7.13
    case ie::kTeidControlPlane: return 4;        // 7.7.14
    case ie::kTeidDataII: return 5;              // 7.7.15
    case ie::kTeardownInd: return 1;             // 7.7.16
    case ie::kNsapi: return 1;                   // 7.7.17
    case ie::kRanapCause: return 1;              // 7.7.18
    case ie::kRabContext: return 9;              // 7.7.19
    case ie::kRadioPrioritySms: return 1;        // 7.7.20
    case ie::kRadioPriority: return 1;           // 7.7.21
    case ie::kPacketFlowId: return 2;            // 7.7.22
    case ie::kChargingCharacteristics: return 2; // 7.7.23
    case ie::kTraceReference: return 2;          // 7.7.24
    case ie::kTraceType: return 2;               // 7.7.25
    case ie::kMsNotReachableReason: return 1;    // 7.7.25A
    case ie::kChargingId: return 4;              // 7.7.26
    default: return 0;
  }
}

// TS 29.060 s7.1 Table 1 (and TS 29.281 Table 6.1-1 for the GTP-U messages).
const char* message_name(uint8_t type) {
  switch (type) {
    case 1: return "echo_request";
    case 2: return "echo_response";
    case 3: return "version_not_supported";
    case 4: return "node_alive_request";
    case 5: return "node_alive_response";
    case 6: return "redirection_request";
    case 7: return "redirection_response";
    case 16: return "create_pdp_context_request";
    case 17: return "create_pdp_context_response";
    case 18: return "update_pdp_context_request";
    case 19: return "update_pdp_context_response";
    case 20: return "delete_pdp_context_request";
    case 21: return "delete_pdp_context_response";
    case 22: return "initiate_pdp_context_activation_request";
    case 23: return "initiate_pdp_context_activation_response";
    case 26: return "error_indication";
    case 27: return "pdu_notification_request";
    case 28: return "pdu_notification_response";
    case 29: return "pdu_notification_reject_request";
    case 30: return "pdu_notification_reject_response";
    case 31: return "supported_extension_headers_notification";
    case 32: return "send_routeing_information_for_gprs_request";
    case 33: return "send_routeing_information_for_gprs_response";
    case 34: return "failure_report_request";
    case 35: return "failure_report_response";
    case 36: return "note_ms_gprs_present_request";
    case 37: return "note_ms_gprs_present_response";
    case 48: return "identification_request";
    case 49: return "identification_response";
    case 50: return "sgsn_context_request";
    case 51: return "sgsn_context_response";
    case 52: return "sgsn_context_acknowledge";
    case 53: return "forward_relocation_request";
    case 54: return "forward_relocation_response";
    case 55: return "forward_relocation_complete";
    case 56: return "relocation_cancel_request";
    case 57: return "relocation_cancel_response";
    case 58: return "forward_srns_context";
    case 59: return "forward_relocation_complete_acknowledge";
    case 60: return "forward_srns_context_acknowledge";
    case 61: return "ue_registration_query_request";
    case 62: return "ue_registration_query_response";
    case 70: return "ran_information_relay";
    case 96: return "mbms_notification_request";
    case 97: return "mbms_notification_response";
    case 98: return "mbms_notification_reject_request";
    case 99: return "mbms_notification_reject_response";
    case 100: return "create_mbms_context_request";
    case 101: return "create_mbms_context_response";
    case 102: return "update_mbms_context_request";
    case 103: return "update_mbms_context_response";
    case 104: return "delete_mbms_context_request";
    case 105: return "delete_mbms_context_response";
    case 112: return "mbms_registration_request";
    case 113: return "mbms_registration_response";
    case 114: return "mbms_de_registration_request";
    case 115: return "mbms_de_registration_response";
    case 116: return "mbms_session_start_request";
    case 117: return "mbms_session_start_response";
    case 118: return "mbms_session_stop_request";
    case 119: return "mbms_session_stop_response";
    case 120: return "mbms_session_update_request";
    case 121: return "mbms_session_update_response";
    case 128: return "ms_info_change_notification_request";
    case 129: return "ms_info_change_notification_response";
    case 240: return "data_record_transfer_request";   // GTP' (TS 32.295)
    case 241: return "data_record_transfer_response";  // GTP' (TS 32.295)
    case 253: return "tunnel_status";                  // TS 29.281
    case 254: return "end_marker";                     // TS 29.281
    case 255: return "g_pdu";                          // TS 29.281
    default: return nullptr;
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
    case 0: return {Plane::User, Dir::Downlink};      // S1-U eNodeB GTP-U
    case 1: return {Plane::User, Dir::Uplink};        // S1-U SGW GTP-U
    case 2: return {Plane::User, Dir::Downlink};      // S12 RNC GTP-U
    case 3: return {Plane::User, Dir::Uplink};        // S12 SGW GTP-U
    case 4: return {Plane::User, Dir::Downlink};      // S5/S8 SGW GTP-U
    case 5: return {Plane::User, Dir::Uplink};        // S5/S8 PGW GTP-U
    case 6: return {Plane::Control, Dir::Downlink};   // S5/S8 SGW GTP-C
    case 7: return {Plane::Control, Dir::Uplink};     // S5/S8 PGW GTP-C
    case 10: return {Plane::Control, Dir::Downlink};  // S11 MME GTP-C
    case 11: return {Plane::Control, Dir::Uplink};    // S11/S4 SGW GTP-C
    case 15: return {Plane::User, Dir::Downlink};     // S4 SGSN GTP-U
    case 16: return {Plane::User, Dir::Uplink};       // S4 SGW GTP-U
    case 17: return {Plane::Control, Dir::Downlink};  // S4 SGSN GTP-C
    case 30: return {Plane::Control, Dir::Downlink};  // S2b ePDG GTP-C
    case 31: return {Plane::User, Dir::Downlink};     // S2b-U ePDG GTP-U
    case 32: return {Plane::Control, Dir::Uplink};    // S2b PGW GTP-C
    case 33: return {Plane::User, Dir::Uplink};       // S2b-U PGW GTP-U
    case 34: return {Plane::User, Dir::Downlink};     // S2a TWAN GTP-U
    case 35: return {Plane::Control, Dir::Downlink};  // S2a TWAN GTP-C
    case 36: return {Plane::Control, Dir::Uplink};    // S2a PGW GTP-C
    case 37: return {Plane::User, Dir::Uplink};       // S2a PGW GTP-U
    case 38: return {Plane::User, Dir::Downlink};     // S11 MME GTP-U
    case 39: return {Plane::User, Dir::Uplink};       // S11 SGW GTP-U
    // 8/9 S5/S8 PMIPv6, 12 S10/N26 MME, 13 S3 MME, 14 S3 SGSN, 18 S16 SGSN,
    // 19..23 and 28 data forwarding, 24..27 and 29 MBMS, 40 N26 AMF
    default: return {Plane::None, Dir::Uplink};
  }
}

// TS 29.274 s6.1 Table 6.1-1 (4..31 are reserved for S101/S121/Sv, other specs).
const char* message_name(uint8_t type) {
  switch (type) {
    case 1: return "echo_request";
    case 2: return "echo_response";
    case 3: return "version_not_supported_indication";
    case 32: return "create_session_request";
    case 33: return "create_session_response";
    case 34: return "modify_bearer_request";
    case 35: return "modify_bearer_response";
    case 36: return "delete_session_request";
    case 37: return "delete_session_response";
    case 38: return "change_notification_request";
    case 39: return "change_notification_response";
    case 40: return "remote_ue_report_notification";
    case 41: return "remote_ue_report_acknowledge";
    case 64: return "modify_bearer_command";
    case 65: return "modify_bearer_failure_indication";
    case 66: return "delete_bearer_command";
    case 67: return "delete_bearer_failure_indication";
    case 68: return "bearer_resource_command";
    case 69: return "bearer_resource_failure_indication";
    case 70: return "downlink_data_notification_failure_indication";
    case 71: return "trace_session_activation";
    case 72: return "trace_session_deactivation";
    case 73: return "stop_paging_indication";
    case 95: return "create_bearer_request";
    case 96: return "create_bearer_response";
    case 97: return "update_bearer_request";
    case 98: return "update_bearer_response";
    case 99: return "delete_bearer_request";
    case 100: return "delete_bearer_response";
    case 101: return "delete_pdn_connection_set_request";
    case 102: return "delete_pdn_connection_set_response";
    case 103: return "pgw_downlink_triggering_notification";
    case 104: return "pgw_downlink_triggering_acknowledge";
    case 128: return "identification_request";
    case 129: return "identification_response";
    case 130: return "context_request";
    case 131: return "context_response";
    case 132: return "context_acknowledge";
    case 133: return "forward_relocation_request";
    case 134: return "forward_relocation_response";
    case 135: return "forward_relocation_complete_notification";
    case 136: return "forward_relocation_complete_acknowledge";
    case 137: return "forward_access_context_notification";
    case 138: return "forward_access_context_acknowledge";
    case 139: return "relocation_cancel_request";
    case 140: return "relocation_cancel_response";
    case 141: return "configuration_transfer_tunnel";
    case 149: return "detach_notification";
    case 150: return "detach_acknowledge";
    case 151: return "cs_paging_indication";
    case 152: return "ran_information_relay";
    case 153: return "alert_mme_notification";
    case 154: return "alert_mme_acknowledge";
    case 155: return "ue_activity_notification";
    case 156: return "ue_activity_acknowledge";
    case 157: return "isr_status_indication";
    case 158: return "ue_registration_query_request";
    case 159: return "ue_registration_query_response";
    case 160: return "create_forwarding_tunnel_request";
    case 161: return "create_forwarding_tunnel_response";
    case 162: return "suspend_notification";
    case 163: return "suspend_acknowledge";
    case 164: return "resume_notification";
    case 165: return "resume_acknowledge";
    case 166: return "create_indirect_data_forwarding_tunnel_request";
    case 167: return "create_indirect_data_forwarding_tunnel_response";
    case 168: return "delete_indirect_data_forwarding_tunnel_request";
    case 169: return "delete_indirect_data_forwarding_tunnel_response";
    case 170: return "release_access_bearers_request";
    case 171: return "release_access_bearers_response";
    case 176: return "downlink_data_notification";
    case 177: return "downlink_data_notification_acknowledge";
    case 179: return "pgw_restart_notification";
    case 180: return "pgw_restart_notification_acknowledge";
    case 200: return "update_pdn_connection_set_request";
    case 201: return "update_pdn_connection_set_response";
    case 211: return "modify_access_bearers_request";
    case 212: return "modify_access_bearers_response";
    case 231: return "mbms_session_start_request";
    case 232: return "mbms_session_start_response";
    case 233: return "mbms_session_update_request";
    case 234: return "mbms_session_update_response";
    case 235: return "mbms_session_stop_request";
    case 236: return "mbms_session_stop_response";
    default: return nullptr;
  }
}

}  // namespace gtp2
}  // namespace gnpay
