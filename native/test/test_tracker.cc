// The GTP-C tracker on handcrafted messages: one test per defect of the
// tracker's issue (pairing, SGW relocation, several PDN connections, GGSN-
// initiated updates, per-interface endpoints, piggybacking, dual stack,
// Bearer Context instances, bounded secondaries), the direction of unknown
// tunnels from the GSN roles, and the checkpoint format.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "engine.h"
#include "frames.h"

using namespace gnpay;
using namespace gnpay_test;

namespace {

Bytes operator+(const Bytes& a, const Bytes& b) {
  Bytes r = a;
  append(r, b);
  return r;
}

const uint8_t MME[4] = {192, 0, 2, 1}, SGW[4] = {192, 0, 2, 2}, PGW[4] = {192, 0, 2, 3};
const uint8_t ENB[4] = {192, 0, 2, 4}, SGW2[4] = {192, 0, 2, 5};
const uint8_t SGW_U[4] = {192, 0, 2, 12}, PGW_U[4] = {192, 0, 2, 13}, SGW2_U[4] = {192, 0, 2, 15};
const uint8_t SGSN[4] = {198, 51, 100, 1}, GGSN[4] = {198, 51, 100, 2}, SGSN_U[4] = {198, 51, 100, 11},
              GGSN_U[4] = {198, 51, 100, 12}, RNC[4] = {198, 51, 100, 21};
const uint8_t UE[4] = {10, 0, 0, 1}, UE2[4] = {10, 0, 0, 2}, WEB[4] = {203, 0, 113, 5};
const uint8_t SGW_U6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x12};
const uint8_t ENB6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x04};
const char* TOKEN = "abcdefghijklmnopqrstuvwxyz";
const std::string IMSI_A = "001010000000001", MSISDN_A = "491510000001";
const std::string IMSI_B = "001010000000002", MSISDN_B = "491510000002";

struct Probe {
  EngineOptions opt;
  std::unique_ptr<Engine> eng;
  EventSink sink;
  uint64_t packet = 0;
  uint64_t ts = 1700000000ull * 1000000000ull;

  explicit Probe(size_t max_sessions = 1000) {
    opt.carriers.add_spec("query:gnpay_token", 17);
    opt.limits.max_sessions = max_sessions;
    eng.reset(new Engine(opt));
  }
  std::vector<Event> feed(const Bytes& ip) {
    CaptureFrame fr;
    fr.data = Span(ip.data(), ip.size());
    fr.caplen = fr.origlen = uint32_t(ip.size());
    fr.linktype = 101;  // raw IP
    fr.ts_ns = ts;
    ts += 1000000;
    sink.events.clear();
    eng->process(fr, ++packet, 0, sink);
    return sink.events;
  }
  std::vector<Event> c(const uint8_t* src, uint16_t sport, const uint8_t* dst, uint16_t dport, const Bytes& msg) {
    return feed(ipv4_udp(src, dst, sport, dport, msg));
  }
  // An HTTP GET carrying the token, from `ue`, in a G-PDU to (dst, teid).
  std::vector<Event> get(const uint8_t* src, const uint8_t* dst, uint32_t teid, const uint8_t* ue = UE,
                         uint16_t sport = 40000) {
    std::string http = std::string("GET /pay?gnpay_token=") + TOKEN + " HTTP/1.1\r\nHost: pay.example.net\r\n\r\n";
    Bytes inner = ipv4_tcp(ue, WEB, sport, 80, 1000, 0x18, http);
    return feed(ipv4_udp(src, dst, 2152, 2152, gtpu(teid, inner)));
  }
  std::vector<Event> get6(const uint8_t* src6, const uint8_t* dst6, uint32_t teid, uint16_t sport = 40001) {
    std::string http = std::string("GET /pay?gnpay_token=") + TOKEN + " HTTP/1.1\r\nHost: pay.example.net\r\n\r\n";
    Bytes inner = ipv4_tcp(UE, WEB, sport, 80, 1000, 0x18, http);
    return feed(ipv6_udp(src6, dst6, 2152, 2152, gtpu(teid, inner)));
  }
  uint64_t anomaly(Anomaly a) const { return eng->stats().anomalies.get(a); }
  uint64_t unknown_or_unmatched() const {
    return anomaly(Anomaly::Gtp2cUnknownContext) + anomaly(Anomaly::Gtp2cUnmatchedResponse) +
           anomaly(Anomaly::Gtp1cUnknownContext) + anomaly(Anomaly::Gtp1cUnmatchedResponse);
  }
};

std::string msisdn_of(const Event& e) { return e.has_subscriber ? std::string(e.sub.msisdn.d) : std::string(); }
std::string imsi_of(const Event& e) { return e.has_subscriber ? std::string(e.sub.imsi.d) : std::string(); }

// The sighting among events (a copy), or a failure.
Event sighting(const std::vector<Event>& ev) {
  for (const Event& e : ev)
    if (e.type == EventType::Sighting) return e;
  FAIL("no sighting");
  return Event();
}

bool has_tunnel(const Event& e, uint8_t plane, uint8_t dir, uint32_t teid, const IpAddr& addr) {
  for (uint8_t i = 0; i < e.n_tunnels; i++)
    if (e.tunnels[i].plane == plane && e.tunnels[i].dir == dir && e.tunnels[i].teid == teid &&
        e.tunnels[i].addr == addr)
      return true;
  return false;
}

size_t count(const std::vector<Event>& ev, SessionChange c) {
  size_t n = 0;
  for (const Event& e : ev) n += e.type == EventType::Session && e.change == c;
  return n;
}

// S11 Create Session for one PDN connection: MME -> SGW, and the answer.
struct S11Pdn {
  uint32_t mme_teid, sgw_teid, pgw_teid, s1u_teid, s5u_pgw_teid;
  uint8_t ebi;
};
Bytes s11_cs_req(uint32_t seq, const std::string& imsi, const std::string& msisdn, const std::string& apn,
                 const S11Pdn& p, const Bytes& extra = Bytes()) {
  Bytes ies;
  append(ies, ie2::imsi(imsi));
  if (!msisdn.empty()) append(ies, ie2::msisdn(msisdn));
  append(ies, ie2::apn(apn));
  append(ies, ie2::fteid(10, p.mme_teid, MME));
  append(ies, ie2::fteid(7, 0, PGW, nullptr, 1));
  append(ies, ie2::bearer(ie2::ebi(p.ebi)));
  append(ies, extra);
  return gtp2c(32, 0, seq, ies);
}
Bytes s11_cs_resp(uint32_t seq, const S11Pdn& p, const uint8_t* ue, bool piggyback = false) {
  Bytes ies;
  append(ies, ie2::cause(16));
  append(ies, ie2::fteid(11, p.sgw_teid, SGW));
  append(ies, ie2::fteid(7, p.pgw_teid, PGW, nullptr, 1));
  append(ies, ie2::paa_v4(ue));
  Bytes bc;
  append(bc, ie2::ebi(p.ebi));
  append(bc, ie2::cause(16));
  append(bc, ie2::fteid(1, p.s1u_teid, SGW_U));
  append(bc, ie2::fteid(5, p.s5u_pgw_teid, PGW_U, nullptr, 2));
  append(ies, ie2::bearer(bc));
  return gtp2c(33, p.mme_teid, seq, ies, piggyback);
}
// Modify Bearer on S11 giving the eNodeB's S1-U F-TEID; the answer gives the SGW's.
Bytes s11_mb_req(uint32_t seq, uint32_t sgw_teid, uint8_t ebi, uint32_t enb_teid) {
  return gtp2c(34, sgw_teid, seq, ie2::bearer(ie2::ebi(ebi) + ie2::fteid(0, enb_teid, ENB)));
}
Bytes s11_mb_resp(uint32_t seq, uint32_t mme_teid, uint8_t ebi, uint32_t s1u_teid = 0) {
  Bytes bc = ie2::ebi(ebi) + ie2::cause(16);
  if (s1u_teid) append(bc, ie2::fteid(1, s1u_teid, SGW_U));
  return gtp2c(35, mme_teid, seq, ie2::cause(16) + ie2::bearer(bc));
}

}  // namespace

TEST_CASE("tracker 1: two MME sockets on one address reuse a sequence number; each answer pairs with its own request") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5}, b{0x101, 0x201, 0x301, 0x401, 0x501, 5};
  p.c(MME, 40001, SGW, 2123, s11_cs_req(7, IMSI_A, MSISDN_A, "internet", a));
  p.c(MME, 40002, SGW, 2123, s11_cs_req(7, IMSI_B, MSISDN_B, "internet", b));
  // answers in the other order, the second from another SGW socket (TS 29.274 s4.2: to the request's port)
  auto ev = p.c(SGW, 2123, MME, 40002, s11_cs_resp(7, b, UE2));
  REQUIRE(ev.size() == 1);
  CHECK(imsi_of(ev[0]) == IMSI_B);
  CHECK(ev[0].sub.v4[3] == 2);
  ev = p.c(SGW, 33333, MME, 40001, s11_cs_resp(7, a, UE));
  REQUIRE(ev.size() == 1);
  CHECK(imsi_of(ev[0]) == IMSI_A);
  CHECK(ev[0].sub.v4[3] == 1);
  CHECK(p.unknown_or_unmatched() == 0);
  CHECK(msisdn_of(sighting(p.get(ENB, SGW_U, 0x400))) == MSISDN_A);
  CHECK(msisdn_of(sighting(p.get(ENB, SGW_U, 0x401, UE2))) == MSISDN_B);
}

TEST_CASE("tracker 1: a response whose header TEID is not the requester's does not take the request") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5};
  p.c(MME, 2123, SGW, 2123, s11_cs_req(9, IMSI_A, MSISDN_A, "internet", a));
  S11Pdn wrong = a;
  wrong.mme_teid = 0x999;  // the answer to some other request with this number
  auto ev = p.c(SGW, 2123, MME, 2123, s11_cs_resp(9, wrong, UE));
  CHECK(ev.empty());
  CHECK(p.anomaly(Anomaly::Gtp2cTeidMismatch) == 1);
  CHECK(p.eng->tables().pending == 1);
  ev = p.c(SGW, 2123, MME, 2123, s11_cs_resp(9, a, UE));  // the real answer still pairs
  CHECK(count(ev, SessionChange::Create) == 1);
}

TEST_CASE("tracker 1: a capture on loopback (source address = destination address) pairs by ports") {
  Probe p;
  const uint8_t LO[4] = {127, 0, 0, 1};
  Bytes req;
  append(req, ie1::imsi(IMSI_A));
  append(req, ie1::teid_data(0x1000));
  append(req, ie1::teid_cp(0x1001));
  append(req, ie1::nsapi(5));
  append(req, ie1::apn("internet"));
  append(req, ie1::gsn(LO));
  append(req, ie1::gsn(LO));
  append(req, ie1::msisdn(MSISDN_A));
  p.c(LO, 2123, LO, 3386 + 1000, gtp1c(16, 0, 5, req));  // the GGSN listens on another port
  Bytes resp =
      ie1::cause(128) + ie1::teid_data(0x2000) + ie1::teid_cp(0x2001) + ie1::eua_v4(UE) + ie1::gsn(LO) + ie1::gsn(LO);
  auto ev = p.c(LO, 4386, LO, 2123, gtp1c(17, 0x1001, 5, resp));
  REQUIRE(count(ev, SessionChange::Create) == 1);
  CHECK(msisdn_of(ev[0]) == MSISDN_A);
}

TEST_CASE("tracker 1: a response between two ports that are not GTP-C's still pairs") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5};
  p.c(MME, 40001, SGW, 2123, s11_cs_req(3, IMSI_A, MSISDN_A, "internet", a));
  auto ev = p.c(SGW, 40555, MME, 40001, s11_cs_resp(3, a, UE));
  CHECK(count(ev, SessionChange::Create) == 1);
  CHECK(p.eng->stats().other_udp == 0);
}

TEST_CASE("tracker 2: SGW relocation keeps the new SGW's S11 endpoint and every bearer; the old one goes") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5};
  p.c(MME, 2123, SGW, 2123, s11_cs_req(1, IMSI_A, MSISDN_A, "internet", a));
  p.c(SGW, 2123, MME, 2123, s11_cs_resp(1, a, UE));
  // TAU with SGW change: the MME names the known PGW S5/S8-C F-TEID, the default
  // bearer (LBI 5) and a dedicated bearer 6; the new SGW answers with its own F-TEIDs
  Bytes ies = ie2::imsi(IMSI_A) + ie2::apn("internet") + ie2::ebi(5) + ie2::fteid(10, 0x110, MME) +
              ie2::fteid(7, 0x300, PGW, nullptr, 1) +
              ie2::bearer(ie2::ebi(5) + ie2::fteid(5, 0x500, PGW_U, nullptr, 3)) +
              ie2::bearer(ie2::ebi(6) + ie2::fteid(5, 0x501, PGW_U, nullptr, 3));
  p.c(MME, 2123, SGW2, 2123, gtp2c(32, 0, 2, ies));
  Bytes resp = ie2::cause(16) + ie2::fteid(11, 0x210, SGW2) + ie2::fteid(7, 0x300, PGW, nullptr, 1) +
               ie2::bearer(ie2::ebi(5) + ie2::cause(16) + ie2::fteid(1, 0x410, SGW2_U)) +
               ie2::bearer(ie2::ebi(6) + ie2::cause(16) + ie2::fteid(1, 0x411, SGW2_U));
  auto ev = p.c(SGW2, 2123, MME, 2123, gtp2c(33, 0x110, 2, resp));
  REQUIRE(count(ev, SessionChange::Create) == 2);
  CHECK(ev[0].bearer == 5);
  CHECK(msisdn_of(ev[0]) == MSISDN_A);                      // from the PDN connection it continues
  CHECK(has_tunnel(ev[0], 0, 0, 0x210, IpAddr::v4(SGW2)));  // the new SGW's own S11 endpoint
  CHECK(ev[1].bearer == 6);
  CHECK(ev[1].linked_bearer == 5);
  // X2 handover on the new SGW, then the old SGW's session is deleted (no LBI: all of it)
  ev = p.c(MME, 2123, SGW2, 2123, s11_mb_req(3, 0x210, 5, 0x900));
  ev = p.c(SGW2, 2123, MME, 2123, s11_mb_resp(3, 0x110, 5));
  CHECK(count(ev, SessionChange::Update) == 1);
  p.c(MME, 2123, SGW, 2123, gtp2c(36, 0x200, 4, Bytes()));
  ev = p.c(SGW, 2123, MME, 2123, gtp2c(37, 0x100, 4, ie2::cause(16)));
  CHECK(count(ev, SessionChange::Delete) == 1);
  CHECK(msisdn_of(sighting(p.get(ENB, SGW2_U, 0x411))) == MSISDN_A);
  CHECK(sighting(p.get(ENB, SGW_U, 0x400)).resolved_by != ResolvedBy::Teid);
  // the new SGW's PDN connection goes: nothing resolves to the subscriber any more
  p.c(MME, 2123, SGW2, 2123, gtp2c(36, 0x210, 5, ie2::ebi(5)));
  ev = p.c(SGW2, 2123, MME, 2123, gtp2c(37, 0x110, 5, ie2::cause(16)));
  CHECK(count(ev, SessionChange::Delete) == 2);
  CHECK_FALSE(sighting(p.get(ENB, SGW2_U, 0x410)).has_subscriber);
  CHECK(p.unknown_or_unmatched() == 0);
  CHECK(p.eng->tables().sessions == 0);
}

TEST_CASE("tracker 3: two PDN connections on one per-UE S11 TEID: the Linked EBI picks the PDN") {
  Probe p;
  S11Pdn inet{0x100, 0x200, 0x300, 0x400, 0x500, 5}, ims{0x100, 0x200, 0x301, 0x401, 0x501, 6};
  p.c(MME, 2123, SGW, 2123, s11_cs_req(1, IMSI_A, MSISDN_A, "internet", inet));
  p.c(SGW, 2123, MME, 2123, s11_cs_resp(1, inet, UE));
  p.c(MME, 2123, SGW, 2123, s11_cs_req(2, IMSI_A, MSISDN_A, "ims", ims));
  p.c(SGW, 2123, MME, 2123, s11_cs_resp(2, ims, UE2));
  // a dedicated bearer (EBI 7) for the IMS PDN: SGW -> MME, header TEID = the MME's per-UE TEID
  Bytes cb = ie2::ebi(6) + ie2::bearer(ie2::ebi(0) + ie2::fteid(1, 0x402, SGW_U));
  p.c(SGW, 2123, MME, 2123, gtp2c(95, 0x100, 0x77, cb));
  Bytes cbr = ie2::cause(16) + ie2::bearer(ie2::ebi(7) + ie2::cause(16) + ie2::fteid(0, 0x902, ENB));
  auto ev = p.c(MME, 2123, SGW, 2123, gtp2c(96, 0x200, 0x77, cbr));
  REQUIRE(count(ev, SessionChange::Create) == 1);
  CHECK(ev[0].linked_bearer == 6);
  Apn apn = ev[0].sub.apn;
  CHECK(std::string(apn.s) == "ims");
  // the internet PDN goes; IMS (and its dedicated bearer) stays and stays addressable
  p.c(MME, 2123, SGW, 2123, gtp2c(36, 0x200, 3, ie2::ebi(5)));
  ev = p.c(SGW, 2123, MME, 2123, gtp2c(37, 0x100, 3, ie2::cause(16)));
  REQUIRE(count(ev, SessionChange::Delete) == 1);
  CHECK(ev[0].bearer == 5);
  CHECK(std::string(sighting(p.get(ENB, SGW_U, 0x402, UE2)).sub.apn.s) == "ims");
  CHECK_FALSE(sighting(p.get(ENB, SGW_U, 0x400)).has_subscriber);
  p.c(MME, 2123, SGW, 2123, gtp2c(36, 0x200, 4, ie2::ebi(6)));
  ev = p.c(SGW, 2123, MME, 2123, gtp2c(37, 0x100, 4, ie2::cause(16)));
  CHECK(count(ev, SessionChange::Delete) == 2);
  CHECK(p.unknown_or_unmatched() == 0);
  CHECK(p.eng->tables().sessions == 0);
}

TEST_CASE("tracker 4: a GGSN-initiated Update PDP Context moves only the SGSN's user endpoint; its Delete works") {
  Probe p;
  Bytes req = ie1::imsi(IMSI_A) + ie1::teid_data(0x1000) + ie1::teid_cp(0x1001) + ie1::nsapi(5) + ie1::eua_empty_v4() +
              ie1::apn("internet") + ie1::gsn(SGSN) + ie1::gsn(SGSN_U) + ie1::msisdn(MSISDN_A);
  p.c(SGSN, 2123, GGSN, 2123, gtp1c(16, 0, 1, req));
  Bytes resp = ie1::cause(128) + ie1::teid_data(0x2000) + ie1::teid_cp(0x2001) + ie1::eua_v4(UE) + ie1::gsn(GGSN) +
               ie1::gsn(GGSN_U);
  p.c(GGSN, 2123, SGSN, 2123, gtp1c(17, 0x1001, 1, resp));
  // GGSN-initiated (header TEID = the SGSN's TEID-C); the SGSN answers with a direct tunnel to the RNC
  p.c(GGSN, 2123, SGSN, 2123, gtp1c(18, 0x1001, 0x8001, ie1::nsapi(5)));
  auto ev =
      p.c(SGSN, 2123, GGSN, 2123, gtp1c(19, 0x2001, 0x8001, ie1::cause(128) + ie1::teid_data(0x3000) + ie1::gsn(RNC)));
  REQUIRE(count(ev, SessionChange::Update) == 1);
  CHECK(has_tunnel(ev[0], 0, 1, 0x1001, IpAddr::v4(SGSN)));  // control downlink unchanged
  CHECK(has_tunnel(ev[0], 1, 1, 0x3000, IpAddr::v4(RNC)));   // the new downlink user endpoint
  CHECK_FALSE(has_tunnel(ev[0], 1, 1, 0x1000, IpAddr::v4(SGSN_U)));
  // GGSN-initiated Delete
  p.c(GGSN, 2123, SGSN, 2123, gtp1c(20, 0x1001, 0x8002, ie1::nsapi(5) + ie1::teardown()));
  ev = p.c(SGSN, 2123, GGSN, 2123, gtp1c(21, 0x2001, 0x8002, ie1::cause(128)));
  CHECK(count(ev, SessionChange::Delete) == 1);
  CHECK_FALSE(sighting(p.get(RNC, GGSN_U, 0x2000)).has_subscriber);
  CHECK(p.unknown_or_unmatched() == 0);
}

TEST_CASE("tracker 5: Modify Bearer on S11 replaces the S1-U endpoints only; the S5/S8-U ones stay") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5};
  p.c(MME, 2123, SGW, 2123, s11_cs_req(1, IMSI_A, MSISDN_A, "internet", a));
  p.c(SGW, 2123, MME, 2123, s11_cs_resp(1, a, UE));
  p.c(MME, 2123, SGW, 2123, s11_mb_req(2, 0x200, 5, 0x900));
  auto ev = p.c(SGW, 2123, MME, 2123, s11_mb_resp(2, 0x100, 5, 0x444));  // a new S1-U SGW F-TEID
  REQUIRE(count(ev, SessionChange::Update) == 1);
  CHECK(has_tunnel(ev[0], 1, 0, 0x444, IpAddr::v4(SGW_U)));
  CHECK_FALSE(has_tunnel(ev[0], 1, 0, 0x400, IpAddr::v4(SGW_U)));
  CHECK(has_tunnel(ev[0], 1, 0, 0x500, IpAddr::v4(PGW_U)));  // S5/S8-U PGW kept
  CHECK(has_tunnel(ev[0], 1, 1, 0x900, IpAddr::v4(ENB)));
  const Event s5 = sighting(p.get(SGW_U, PGW_U, 0x500));  // S5-U uplink still resolves by TEID
  CHECK(msisdn_of(s5) == MSISDN_A);
  CHECK(s5.resolved_by == ResolvedBy::Teid);
  CHECK(msisdn_of(sighting(p.get(ENB, SGW_U, 0x444))) == MSISDN_A);
}

TEST_CASE("tracker 6: a Create Bearer Request piggybacked on a Create Session Response is applied") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5};
  p.c(MME, 2123, SGW, 2123, s11_cs_req(1, IMSI_A, MSISDN_A, "internet", a));
  Bytes cb = gtp2c(95, 0x100, 0x55, ie2::ebi(5) + ie2::bearer(ie2::ebi(0) + ie2::fteid(1, 0x402, SGW_U)));
  auto ev = p.c(SGW, 2123, MME, 2123, s11_cs_resp(1, a, UE, true) + cb);
  CHECK(count(ev, SessionChange::Create) == 1);
  CHECK(p.eng->stats().gtpv2c[95] == 1);
  CHECK(p.anomaly(Anomaly::Gtp2cPiggyback) == 0);
  ev = p.c(
      MME, 2123, SGW, 2123,
      gtp2c(96, 0x200, 0x55, ie2::cause(16) + ie2::bearer(ie2::ebi(6) + ie2::cause(16) + ie2::fteid(0, 0x902, ENB))));
  REQUIRE(count(ev, SessionChange::Create) == 1);
  CHECK(ev[0].bearer == 6);
  CHECK(msisdn_of(sighting(p.get(ENB, SGW_U, 0x402))) == MSISDN_A);
  CHECK(p.unknown_or_unmatched() == 0);
}

TEST_CASE("tracker 7: a dual-stack F-TEID is one endpoint with two addresses; both resolve") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5};
  p.c(MME, 2123, SGW, 2123, s11_cs_req(1, IMSI_A, MSISDN_A, "internet", a));
  Bytes ies = ie2::cause(16) + ie2::fteid(11, 0x200, SGW) + ie2::paa_v4(UE) +
              ie2::bearer(ie2::ebi(5) + ie2::cause(16) + ie2::fteid(1, 0x400, SGW_U, SGW_U6));
  auto ev = p.c(SGW, 2123, MME, 2123, gtp2c(33, 0x100, 1, ies));
  REQUIRE(count(ev, SessionChange::Create) == 1);
  CHECK(has_tunnel(ev[0], 1, 0, 0x400, IpAddr::v4(SGW_U)));
  CHECK(has_tunnel(ev[0], 1, 0, 0x400, IpAddr::v6(SGW_U6)));
  CHECK(msisdn_of(sighting(p.get6(ENB6, SGW_U6, 0x400))) == MSISDN_A);
  CHECK(sighting(p.get6(ENB6, SGW_U6, 0x400, 40002)).resolved_by == ResolvedBy::Teid);
  CHECK(msisdn_of(sighting(p.get(ENB, SGW_U, 0x400))) == MSISDN_A);
}

TEST_CASE("tracker 8: a Bearer Context to be removed (instance 1) listed first is not the default bearer") {
  Probe p;
  Bytes ies = ie2::imsi(IMSI_A) + ie2::msisdn(MSISDN_A) + ie2::apn("internet") + ie2::fteid(10, 0x100, MME) +
              ie2::bearer(ie2::ebi(7), 1) + ie2::bearer(ie2::ebi(5));
  p.c(MME, 2123, SGW, 2123, gtp2c(32, 0, 1, ies));
  Bytes resp = ie2::cause(16) + ie2::fteid(11, 0x200, SGW) + ie2::paa_v4(UE) +
               ie2::bearer(ie2::ebi(7) + ie2::cause(16), 1) +
               ie2::bearer(ie2::ebi(5) + ie2::cause(16) + ie2::fteid(1, 0x400, SGW_U));
  auto ev = p.c(SGW, 2123, MME, 2123, gtp2c(33, 0x100, 1, resp));
  REQUIRE(count(ev, SessionChange::Create) == 1);
  CHECK(ev[0].bearer == 5);
  CHECK(msisdn_of(sighting(p.get(ENB, SGW_U, 0x400))) == MSISDN_A);
}

TEST_CASE("tracker 9: secondary PDP contexts are bounded at creation; a teardown removes them all") {
  Probe p;
  Bytes req = ie1::imsi(IMSI_A) + ie1::teid_data(0x1000) + ie1::teid_cp(0x1001) + ie1::nsapi(5) + ie1::eua_empty_v4() +
              ie1::apn("internet") + ie1::gsn(SGSN) + ie1::gsn(SGSN) + ie1::msisdn(MSISDN_A);
  p.c(SGSN, 2123, GGSN, 2123, gtp1c(16, 0, 1, req));
  p.c(GGSN, 2123, SGSN, 2123,
      gtp1c(17, 0x1001, 1,
            ie1::cause(128) + ie1::teid_data(0x2000) + ie1::teid_cp(0x2001) + ie1::eua_v4(UE) + ie1::gsn(GGSN) +
                ie1::gsn(GGSN)));
  size_t created = 0;
  for (uint32_t i = 0; i < 20; i++) {  // 20 secondaries with distinct TEIDs (NSAPIs wrap: 4 bits)
    uint16_t seq = uint16_t(100 + i);
    Bytes sreq = ie1::teid_data(0x1100 + i) + ie1::nsapi(uint8_t(i)) + ie1::nsapi(5) + ie1::gsn(SGSN) + ie1::gsn(SGSN);
    p.c(SGSN, 2123, GGSN, 2123, gtp1c(16, 0x2001, seq, sreq));
    auto ev =
        p.c(GGSN, 2123, SGSN, 2123,
            gtp1c(17, 0x1001, seq, ie1::cause(128) + ie1::teid_data(0x2100 + i) + ie1::gsn(GGSN) + ie1::gsn(GGSN)));
    created += count(ev, SessionChange::Create);
  }
  CHECK(p.eng->tables().sessions <= kMaxGroupContexts);
  CHECK(created >= kMaxSecondaries);
  p.c(SGSN, 2123, GGSN, 2123, gtp1c(20, 0x2001, 500, ie1::nsapi(5) + ie1::teardown()));
  auto ev = p.c(GGSN, 2123, SGSN, 2123, gtp1c(21, 0x1001, 500, ie1::cause(128)));
  CHECK(count(ev, SessionChange::Delete) >= 1);
  CHECK(p.eng->tables().sessions == 0);
  for (uint32_t i = 0; i < 20; i++)
    CHECK_FALSE(sighting(p.get(SGSN, GGSN, 0x2100 + i, UE, uint16_t(41000 + i))).has_subscriber);
}

TEST_CASE("tracker: unknown tunnels take their direction from the GSN roles GTP-C taught, never from ports") {
  Probe p;
  Bytes req = ie1::imsi(IMSI_A) + ie1::teid_data(0x1000) + ie1::teid_cp(0x1001) + ie1::nsapi(5) + ie1::eua_empty_v4() +
              ie1::apn("internet") + ie1::gsn(SGSN) + ie1::gsn(SGSN_U) + ie1::msisdn(MSISDN_A);
  p.c(SGSN, 2123, GGSN, 2123, gtp1c(16, 0, 1, req));
  p.c(GGSN, 2123, SGSN, 2123,
      gtp1c(17, 0x1001, 1,
            ie1::cause(128) + ie1::teid_data(0x2000) + ie1::teid_cp(0x2001) + ie1::eua_v4(UE) + ie1::gsn(GGSN) +
                ie1::gsn(GGSN_U)));
  // an unknown TEID at the GGSN's user address: uplink; the subscriber by UE address, as information
  const Event s = sighting(p.get(SGSN_U, GGSN_U, 0x7777));
  CHECK(s.resolved_by == ResolvedBy::UeIp);
  CHECK(p.eng->stats().gpdu_undecided == 0);
  // an unknown TEID at the SGSN's user address, from a server: downlink, not examined (even from port 80)
  std::string http = std::string("GET /pay?gnpay_token=") + TOKEN + " HTTP/1.1\r\nHost: x\r\n\r\n";
  auto ev = p.feed(ipv4_udp(GGSN_U, SGSN_U, 2152, 2152, gtpu(0x7778, ipv4_tcp(WEB, UE2, 80, 40000, 1, 0x18, http))));
  CHECK(ev.empty());
  // nodes GTP-C never named: undecided, examined, counted
  const uint8_t A[4] = {203, 0, 113, 100}, B[4] = {203, 0, 113, 101};
  ev = p.feed(ipv4_udp(A, B, 2152, 2152, gtpu(0x7779, ipv4_tcp(UE2, WEB, 40000, 80, 1, 0x18, http))));
  CHECK(sighting(ev).resolved_by == ResolvedBy::None);
  CHECK(p.eng->stats().gpdu_undecided == 1);
}

TEST_CASE("tracker: the checkpoint keeps per-interface endpoints, dual-stack nodes and roles; version 1 is refused") {
  Probe p;
  S11Pdn a{0x100, 0x200, 0x300, 0x400, 0x500, 5};
  p.c(MME, 2123, SGW, 2123, s11_cs_req(1, IMSI_A, MSISDN_A, "internet", a));
  Bytes ies = ie2::cause(16) + ie2::fteid(11, 0x200, SGW) + ie2::paa_v4(UE) +
              ie2::bearer(ie2::ebi(5) + ie2::cause(16) + ie2::fteid(1, 0x400, SGW_U, SGW_U6) +
                          ie2::fteid(5, 0x500, PGW_U, nullptr, 2));
  p.c(SGW, 2123, MME, 2123, gtp2c(33, 0x100, 1, ies));
  std::vector<uint8_t> cp;
  p.eng->export_sessions(cp);
  Probe q;
  const char* err = nullptr;
  REQUIRE(q.eng->import_sessions(Span(cp.data(), cp.size()), p.ts, 0, &err) == 1);
  CHECK(err == nullptr);
  CHECK(msisdn_of(sighting(q.get6(ENB6, SGW_U6, 0x400))) == MSISDN_A);
  // the restored S11 context still knows the MME's per-UE TEID: a Modify Bearer applies
  q.c(MME, 2123, SGW, 2123, s11_mb_req(2, 0x200, 5, 0x900));
  auto ev = q.c(SGW, 2123, MME, 2123, s11_mb_resp(2, 0x100, 5));
  REQUIRE(count(ev, SessionChange::Update) == 1);
  CHECK(has_tunnel(ev[0], 1, 0, 0x500, IpAddr::v4(PGW_U)));
  // a format-1 checkpoint is refused with a message, never read as format 2
  cp[4] = 1;
  Probe r;
  CHECK(r.eng->import_sessions(Span(cp.data(), cp.size()), p.ts, 0, &err) == 0);
  REQUIRE(err != nullptr);
  CHECK(std::string(err).find("older gnpay") != std::string::npos);
  cp[4] = 9;
  CHECK(r.eng->import_sessions(Span(cp.data(), cp.size()), p.ts, 0, &err) == 0);
  CHECK(std::string(err).find("unsupported") != std::string::npos);
  CHECK(r.eng->tables().sessions == 0);
}

TEST_CASE("PagedVector: records in blocks of their own, in order, constructed on first use") {
  for (size_t max : {size_t(1), size_t(64), size_t(100), size_t(16384), size_t(100000)}) {
    CAPTURE(max);
    PagedVector<Session> v(max);
    CHECK(v.size() == 0);
    const size_t n = max + 70000;  // past the bound: the table evicts, the storage would still grow
    for (size_t i = 0; i < n; i++) {
      Session& s = v.emplace_back();
      CHECK(s.primary == kNone);  // a fresh record
      s.touched = uint32_t(i);
      s.ue_v4 = uint32_t(i * 7);
    }
    CHECK(v.size() == n);
    bool ok = true;
    for (size_t i = 0; i < n; i++) ok = ok && v[i].touched == uint32_t(i) && v[i].ue_v4 == uint32_t(i * 7);
    CHECK(ok);
    // whole blocks: at least the records, less than one block more (plus the block list)
    CHECK(v.memory_bytes() >= n * sizeof(Session));
    CHECK(v.memory_bytes() < n * sizeof(Session) + 16384 * sizeof(Session) + 2 * sizeof(void*) * (n / 64 + 64));
  }
}
