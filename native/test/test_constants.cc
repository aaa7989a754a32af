// The GTP constant tables against the spec tables (values transcribed from
// TS 29.060 Table 1 / Table 37, TS 29.281 Table 6.1-1, TS 29.274 Table 6.1-1 /
// Table 8.1-1 / Table 8.22-1, independently of gtp_constants.*).
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "gtp_constants.h"

using namespace gnpay;

namespace {
std::string name1(uint8_t t) {
  const char* n = gtp1::message_name(t);
  return n ? n : "(null)";
}
std::string name2(uint8_t t) {
  const char* n = gtp2::message_name(t);
  return n ? n : "(null)";
}
}  // namespace

TEST_CASE("constants: GTPv1 message types (TS 29.060 Table 1, TS 29.281 Table 6.1-1)") {
  CHECK(gtp1::msg::kEchoRequest == 1);
  CHECK(gtp1::msg::kEchoResponse == 2);
  CHECK(gtp1::msg::kVersionNotSupported == 3);
  CHECK(gtp1::msg::kCreatePdpContextRequest == 16);  // not 7
  CHECK(gtp1::msg::kCreatePdpContextResponse == 17);
  CHECK(gtp1::msg::kUpdatePdpContextRequest == 18);
  CHECK(gtp1::msg::kUpdatePdpContextResponse == 19);
  CHECK(gtp1::msg::kDeletePdpContextRequest == 20);
  CHECK(gtp1::msg::kDeletePdpContextResponse == 21);
  CHECK(gtp1::msg::kInitiatePdpContextActivationRequest == 22);
  CHECK(gtp1::msg::kInitiatePdpContextActivationResponse == 23);
  CHECK(gtp1::msg::kErrorIndication == 26);
  CHECK(gtp1::msg::kPduNotificationRequest == 27);
  CHECK(gtp1::msg::kPduNotificationResponse == 28);
  CHECK(gtp1::msg::kSupportedExtensionHeadersNotification == 31);
  CHECK(gtp1::msg::kSgsnContextRequest == 50);
  CHECK(gtp1::msg::kSgsnContextResponse == 51);
  CHECK(gtp1::msg::kSgsnContextAcknowledge == 52);
  CHECK(gtp1::msg::kTunnelStatus == 253);
  CHECK(gtp1::msg::kEndMarker == 254);
  CHECK(gtp1::msg::kGpdu == 255);
}

TEST_CASE("constants: GTPv1 message names") {
  CHECK(name1(1) == "echo_request");
  CHECK(name1(2) == "echo_response");
  CHECK(name1(16) == "create_pdp_context_request");
  CHECK(name1(17) == "create_pdp_context_response");
  CHECK(name1(18) == "update_pdp_context_request");
  CHECK(name1(19) == "update_pdp_context_response");
  CHECK(name1(20) == "delete_pdp_context_request");
  CHECK(name1(21) == "delete_pdp_context_response");
  CHECK(name1(26) == "error_indication");
  CHECK(name1(31) == "supported_extension_headers_notification");
  CHECK(name1(51) == "sgsn_context_response");
  CHECK(name1(128) == "ms_info_change_notification_request");
  CHECK(name1(254) == "end_marker");
  CHECK(name1(255) == "g_pdu");
  // "for future use" in Table 1
  for (int t : {0, 8, 15, 24, 25, 38, 47, 63, 69, 71, 95, 106, 111, 122, 127, 130, 239, 242, 252})
    CHECK_MESSAGE(gtp1::message_name(uint8_t(t)) == nullptr, t);
}

TEST_CASE("constants: GTPv1 names are stable snake_case") {
  for (int t = 0; t < 256; t++) {
    const char* n = gtp1::message_name(uint8_t(t));
    if (!n) continue;
    for (const char* p = n; *p; p++) CHECK(((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'));
  }
  for (int t = 0; t < 256; t++) {
    const char* n = gtp2::message_name(uint8_t(t));
    if (!n) continue;
    for (const char* p = n; *p; p++) CHECK(((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'));
  }
}

TEST_CASE("constants: GTPv1 IE types and TV lengths (TS 29.060 s7.7 Table 37)") {
  struct {
    uint8_t type;
    uint8_t len;
  } tv[] = {{1, 1},  {2, 8},  {3, 6},  {4, 4},  {5, 4},  {8, 1},  {9, 28}, {11, 1}, {12, 3},
            {13, 1}, {14, 1}, {15, 1}, {16, 4}, {17, 4}, {18, 5}, {19, 1}, {20, 1}, {21, 1},
            {22, 9}, {23, 1}, {24, 1}, {25, 2}, {26, 2}, {27, 2}, {28, 2}, {29, 1}, {127, 4}};
  for (auto& e : tv) CHECK_MESSAGE(gtp1::tv_length(e.type) == e.len, int(e.type));
  for (int t : {0, 6, 7, 10, 30, 31, 100, 126}) CHECK_MESSAGE(gtp1::tv_length(uint8_t(t)) == 0, t);
  for (int t = 128; t < 256; t++) CHECK(gtp1::tv_length(uint8_t(t)) == 0);  // TLV
  CHECK(gtp1::ie::kCause == 1);
  CHECK(gtp1::ie::kImsi == 2);
  CHECK(gtp1::ie::kRecovery == 14);
  CHECK(gtp1::ie::kTeidDataI == 16);
  CHECK(gtp1::ie::kTeidControlPlane == 17);
  CHECK(gtp1::ie::kTeardownInd == 19);
  CHECK(gtp1::ie::kNsapi == 20);
  CHECK(gtp1::ie::kChargingId == 127);
  CHECK(gtp1::ie::kEndUserAddress == 128);
  CHECK(gtp1::ie::kApn == 131);
  CHECK(gtp1::ie::kPco == 132);
  CHECK(gtp1::ie::kGsnAddress == 133);
  CHECK(gtp1::ie::kMsisdn == 134);
  CHECK(gtp1::ie::kQosProfile == 135);
  CHECK(gtp1::ie::kCommonFlags == 148);
  CHECK(gtp1::ie::kRatType == 151);
  CHECK(gtp1::ie::kUserLocationInformation == 152);
  CHECK(gtp1::ie::kMsTimeZone == 153);
  CHECK(gtp1::ie::kImeiSv == 154);
  CHECK(gtp1::ie::kChargingGatewayAddress == 251);
  CHECK(gtp1::ie::kPrivateExtension == 255);
}

TEST_CASE("constants: GTPv1 header flags, causes, PDP types") {
  CHECK(gtp1::kFlagPt == 0x10);
  CHECK(gtp1::kFlagE == 0x04);
  CHECK(gtp1::kFlagS == 0x02);
  CHECK(gtp1::kFlagPn == 0x01);
  CHECK(gtp1::kHeaderLen == 8);
  CHECK(gtp1::kOptionalLen == 4);
  CHECK(gtp1::cause_accepted(128));
  CHECK(gtp1::cause_accepted(129));
  CHECK(gtp1::cause_accepted(191));
  CHECK_FALSE(gtp1::cause_accepted(127));
  CHECK_FALSE(gtp1::cause_accepted(192));
  CHECK_FALSE(gtp1::cause_accepted(0));
  CHECK(gtp1::kPdpTypeIpv4 == 0x21);
  CHECK(gtp1::kPdpTypeIpv6 == 0x57);
  CHECK(gtp1::kPdpTypeIpv4v6 == 0x8D);
  CHECK(gtp1::kPdpOrgIetf == 1);
}

TEST_CASE("constants: GTPv2 message types and names (TS 29.274 Table 6.1-1)") {
  CHECK(gtp2::msg::kCreateSessionRequest == 32);
  CHECK(gtp2::msg::kCreateSessionResponse == 33);
  CHECK(gtp2::msg::kModifyBearerRequest == 34);
  CHECK(gtp2::msg::kModifyBearerResponse == 35);
  CHECK(gtp2::msg::kDeleteSessionRequest == 36);
  CHECK(gtp2::msg::kDeleteSessionResponse == 37);
  CHECK(gtp2::msg::kCreateBearerRequest == 95);
  CHECK(gtp2::msg::kCreateBearerResponse == 96);
  CHECK(gtp2::msg::kUpdateBearerRequest == 97);
  CHECK(gtp2::msg::kUpdateBearerResponse == 98);
  CHECK(gtp2::msg::kDeleteBearerRequest == 99);
  CHECK(gtp2::msg::kDeleteBearerResponse == 100);
  CHECK(gtp2::msg::kReleaseAccessBearersRequest == 170);
  CHECK(gtp2::msg::kReleaseAccessBearersResponse == 171);
  CHECK(gtp2::msg::kDownlinkDataNotification == 176);
  CHECK(gtp2::msg::kDownlinkDataNotificationAck == 177);
  CHECK(name2(1) == "echo_request");
  CHECK(name2(3) == "version_not_supported_indication");
  CHECK(name2(32) == "create_session_request");
  CHECK(name2(33) == "create_session_response");
  CHECK(name2(34) == "modify_bearer_request");
  CHECK(name2(35) == "modify_bearer_response");
  CHECK(name2(36) == "delete_session_request");
  CHECK(name2(37) == "delete_session_response");
  CHECK(name2(95) == "create_bearer_request");
  CHECK(name2(99) == "delete_bearer_request");
  CHECK(name2(100) == "delete_bearer_response");
  CHECK(name2(170) == "release_access_bearers_request");
  CHECK(name2(176) == "downlink_data_notification");
  CHECK(name2(211) == "modify_access_bearers_request");
  for (int t :
       {0, 4, 16, 17, 24, 31, 42, 63, 74, 94, 105, 127, 142, 148, 172, 178, 181, 199, 202, 210, 213, 230, 237, 255})
    CHECK_MESSAGE(gtp2::message_name(uint8_t(t)) == nullptr, t);
}

TEST_CASE("constants: GTPv2 IE types (TS 29.274 Table 8.1-1) and header") {
  CHECK(gtp2::ie::kImsi == 1);
  CHECK(gtp2::ie::kCause == 2);
  CHECK(gtp2::ie::kRecovery == 3);
  CHECK(gtp2::ie::kApn == 71);
  CHECK(gtp2::ie::kAmbr == 72);
  CHECK(gtp2::ie::kEbi == 73);
  CHECK(gtp2::ie::kIpAddress == 74);
  CHECK(gtp2::ie::kMei == 75);
  CHECK(gtp2::ie::kMsisdn == 76);
  CHECK(gtp2::ie::kIndication == 77);
  CHECK(gtp2::ie::kPco == 78);
  CHECK(gtp2::ie::kPaa == 79);
  CHECK(gtp2::ie::kBearerQos == 80);
  CHECK(gtp2::ie::kRatType == 82);
  CHECK(gtp2::ie::kServingNetwork == 83);
  CHECK(gtp2::ie::kUli == 86);
  CHECK(gtp2::ie::kFteid == 87);
  CHECK(gtp2::ie::kBearerContext == 93);
  CHECK(gtp2::ie::kChargingId == 94);
  CHECK(gtp2::ie::kPdnType == 99);
  CHECK(gtp2::ie::kPdnConnection == 109);
  CHECK(gtp2::ie::kPrivateExtension == 255);
  CHECK(gtp2::kFlagP == 0x10);
  CHECK(gtp2::kFlagT == 0x08);
  CHECK(gtp2::kFlagMp == 0x04);
  CHECK(gtp2::kMinHeaderLen == 8);
  CHECK(gtp2::kTeidHeaderLen == 12);
  CHECK(gtp2::kCauseRequestAccepted == 16);
  CHECK(gtp2::cause_accepted(16));
  CHECK(gtp2::cause_accepted(19));
  CHECK_FALSE(gtp2::cause_accepted(15));
  CHECK_FALSE(gtp2::cause_accepted(64));
  CHECK(gtp2::kPdnIpv4 == 1);
  CHECK(gtp2::kPdnIpv6 == 2);
  CHECK(gtp2::kPdnIpv4v6 == 3);
  CHECK(gtp2::kPdnNonIp == 4);
}

TEST_CASE("constants: F-TEID interface types and roles (TS 29.274 Table 8.22-1)") {
  using gtp2::Dir;
  using gtp2::Plane;
  CHECK(gtp2::iface::kS1uEnodebGtpu == 0);
  CHECK(gtp2::iface::kS1uSgwGtpu == 1);
  CHECK(gtp2::iface::kS12RncGtpu == 2);
  CHECK(gtp2::iface::kS12SgwGtpu == 3);
  CHECK(gtp2::iface::kS5S8SgwGtpu == 4);
  CHECK(gtp2::iface::kS5S8PgwGtpu == 5);
  CHECK(gtp2::iface::kS5S8SgwGtpc == 6);
  CHECK(gtp2::iface::kS5S8PgwGtpc == 7);
  CHECK(gtp2::iface::kS11MmeGtpc == 10);
  CHECK(gtp2::iface::kS11S4SgwGtpc == 11);
  CHECK(gtp2::iface::kS4SgsnGtpu == 15);
  CHECK(gtp2::iface::kS4SgwGtpu == 16);
  CHECK(gtp2::iface::kS4SgsnGtpc == 17);
  struct {
    uint8_t t;
    Plane p;
    Dir d;
  } roles[] = {
      {0, Plane::User, Dir::Downlink},     {1, Plane::User, Dir::Uplink},    {2, Plane::User, Dir::Downlink},
      {3, Plane::User, Dir::Uplink},       {4, Plane::User, Dir::Downlink},  {5, Plane::User, Dir::Uplink},
      {6, Plane::Control, Dir::Downlink},  {7, Plane::Control, Dir::Uplink}, {10, Plane::Control, Dir::Downlink},
      {11, Plane::Control, Dir::Uplink},   {15, Plane::User, Dir::Downlink}, {16, Plane::User, Dir::Uplink},
      {17, Plane::Control, Dir::Downlink}, {31, Plane::User, Dir::Downlink}, {33, Plane::User, Dir::Uplink},
      {38, Plane::User, Dir::Downlink},    {39, Plane::User, Dir::Uplink},
  };
  for (auto& r : roles) {
    auto got = gtp2::iface_role(r.t);
    CHECK_MESSAGE(got.plane == r.p, int(r.t));
    CHECK_MESSAGE(got.dir == r.d, int(r.t));
  }
  for (int t : {8, 9, 12, 13, 14, 18, 19, 20, 21, 22, 23, 24, 28, 29, 40, 41, 63})
    CHECK_MESSAGE(gtp2::iface_role(uint8_t(t)).plane == Plane::None, t);
}
