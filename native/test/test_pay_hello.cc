// Pay hosts and `hello` events: the ClientHello's random, reported for
// ClientHellos to a pay host, with the tunnel's subscriber and GSN addresses;
// sightings carry their request's host and number.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>

#include "engine.h"
#include "frames.h"
#include "pay_hosts.h"
#include "tls_client_hello.h"

using namespace gnpay;
using namespace gnpay_test;

namespace {

Span text(const char* s) { return Span(reinterpret_cast<const uint8_t*>(s), std::strlen(s)); }

// A one-record ClientHello with the given random and SNI.
Bytes client_hello(const std::string& sni, uint8_t random_base) {
  Bytes body;
  put16(body, 0x0303);
  for (int i = 0; i < 32; i++) body.push_back(uint8_t(random_base + i));
  body.push_back(0);  // session id
  put16(body, 2);
  put16(body, 0x1301);
  body.push_back(1);
  body.push_back(0);
  Bytes ext;
  put16(ext, 0);  // server_name
  put16(ext, uint16_t(sni.size() + 5));
  put16(ext, uint16_t(sni.size() + 3));
  ext.push_back(0);
  put16(ext, uint16_t(sni.size()));
  append(ext, sni);
  put16(body, uint16_t(ext.size()));
  append(body, ext);
  Bytes rec;
  rec.push_back(22);
  put16(rec, 0x0301);
  put16(rec, uint16_t(body.size() + 4));
  rec.push_back(1);
  rec.push_back(0);
  put16(rec, uint16_t(body.size()));
  append(rec, body);
  return rec;
}

const uint8_t SGSN[4] = {192, 0, 2, 10}, GGSN[4] = {192, 0, 2, 20};
const uint8_t UE[4] = {10, 1, 2, 3}, PAY[4] = {203, 0, 113, 7};

struct Lab {
  EngineOptions opt;
  std::unique_ptr<Engine> eng;
  EventSink sink;
  uint64_t packet = 0;
  uint64_t ts = 1700000000ull * 1000000000ull;

  explicit Lab(bool pay_hosts = true) {
    opt.carriers.add_spec("query:pay_token", 15);
    opt.carriers.add_spec("host:tok.example.net", 20);
    if (pay_hosts) REQUIRE(opt.pay_hosts.add("pay.example.net", 15));
    eng.reset(new Engine(opt));
  }
  std::vector<Event> feed(const Bytes& ip) {
    Bytes f = ethernet(ip);
    CaptureFrame fr;
    fr.data = Span(f.data(), f.size());
    fr.caplen = fr.origlen = uint32_t(f.size());
    fr.linktype = 1;
    fr.ts_ns = ts;
    ts += 1000000;
    sink.events.clear();
    eng->process(fr, ++packet, 0, sink);
    return sink.events;
  }
  void create(const std::string& msisdn, uint32_t sgsn_teid, uint32_t ggsn_teid) {
    Bytes req;
    append(req, ie1::imsi("262011234567890"));
    append(req, ie1::teid_data(sgsn_teid));
    append(req, ie1::teid_cp(sgsn_teid + 1));
    append(req, ie1::nsapi(5));
    append(req, ie1::eua_empty_v4());
    append(req, ie1::apn("internet"));
    append(req, ie1::gsn(SGSN));
    append(req, ie1::gsn(SGSN));
    append(req, ie1::msisdn(msisdn));
    feed(ipv4_udp(SGSN, GGSN, 2123, 2123, gtp1c(16, 0, 9, req)));
    Bytes resp;
    append(resp, ie1::cause(128));
    append(resp, ie1::teid_data(ggsn_teid));
    append(resp, ie1::teid_cp(ggsn_teid + 1));
    append(resp, ie1::eua_v4(UE));
    append(resp, ie1::gsn(GGSN));
    append(resp, ie1::gsn(GGSN));
    REQUIRE(feed(ipv4_udp(GGSN, SGSN, 2123, 2123, gtp1c(17, sgsn_teid + 1, 9, resp))).size() == 1);
  }
  std::vector<Event> tls(uint32_t teid, const std::string& sni, uint8_t random_base, uint16_t sport = 40000) {
    Bytes ch = client_hello(sni, random_base);
    std::string payload(ch.begin(), ch.end());
    Bytes inner = ipv4_tcp(UE, PAY, sport, 443, 1000, 0x18, payload);
    return feed(ipv4_udp(SGSN, GGSN, 2152, 2152, gtpu(teid, inner)));
  }
  std::vector<Event> http(uint32_t teid, const std::string& host, const std::string& target, uint16_t sport) {
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    Bytes inner = ipv4_tcp(UE, PAY, sport, 80, 1000, 0x18, req);
    return feed(ipv4_udp(SGSN, GGSN, 2152, 2152, gtpu(teid, inner)));
  }
};

}  // namespace

TEST_CASE("tls: the client random is read from the ClientHello") {
  Bytes ch = client_hello("pay.example.net", 0x40);
  TlsClientHelloInfo info;
  AnomalyCounters an;
  REQUIRE(parse_tls_client_hello(Span(ch.data(), ch.size()), info, an) == Status::Ok);
  REQUIRE(info.has_random);
  for (int i = 0; i < 32; i++) CHECK(info.random[i] == uint8_t(0x40 + i));
  // cut inside the random: no random, truncated
  TlsClientHelloInfo cut;
  CHECK(parse_tls_client_hello(Span(ch.data(), 5 + 4 + 2 + 10), cut, an) == Status::Truncated);
  CHECK_FALSE(cut.has_random);
}

TEST_CASE("pay hosts: exact names and names under them, on label boundaries, any case") {
  PayHostSet s;
  CHECK(s.add("Pay.Example.NET.", 16));
  CHECK(s.add("checkout.test", 13));
  CHECK_FALSE(s.add("", 0));
  CHECK_FALSE(s.add(".", 1));
  CHECK_FALSE(s.add(".pay.example.net", 16));
  CHECK_FALSE(s.add("pay example", 11));
  CHECK(s.matches(text("pay.example.net")));
  CHECK(s.matches(text("PAY.example.net.")));
  CHECK(s.matches(text("tok123.pay.example.net")));
  CHECK(s.matches(text("checkout.test")));
  CHECK_FALSE(s.matches(text("evilpay.example.net")));
  CHECK_FALSE(s.matches(text("pay.example.net.evil.test")));
  CHECK_FALSE(s.matches(text(".pay.example.net")));
  CHECK_FALSE(s.matches(text("example.net")));
  CHECK_FALSE(s.matches(text("")));
  std::string big(300, 'a');
  CHECK_FALSE(s.add(big.c_str(), big.size()));
  for (size_t i = s.size(); i < kMaxPayHosts; i++) CHECK(s.add("x.test", 6));
  CHECK_FALSE(s.add("y.test", 6));  // full
  PayHostSet empty;
  CHECK_FALSE(empty.matches(text("pay.example.net")));
}

TEST_CASE("engine: a ClientHello to a pay host is a hello event with the random, subscriber and GSN addresses") {
  Lab lab;
  lab.create("491701234567", 0x10, 0x20);
  auto ev = lab.tls(0x20, "pay.example.net", 0x80);
  REQUIRE(ev.size() == 1);
  const Event& e = ev[0];
  CHECK(e.type == EventType::Hello);
  CHECK(std::string(e.name) == "pay.example.net");
  for (int i = 0; i < 32; i++) CHECK(e.random[i] == uint8_t(0x80 + i));
  CHECK(e.resolved_by == ResolvedBy::Teid);
  CHECK(e.teid == 0x20);
  CHECK(std::string(e.sub.msisdn.d) == "491701234567");
  CHECK(e.gsn_src == IpAddr::v4(SGSN));
  CHECK(e.gsn_dst == IpAddr::v4(GGSN));
  CHECK(e.request == 1);

  // another host: no hello; a token in its SNI is a sighting with host and request number
  ev = lab.tls(0x20, "abcdefghijklmnopqrst.tok.example.net", 0x10, 40001);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].type == EventType::Sighting);
  CHECK(std::string(ev[0].host) == "abcdefghijklmnopqrst.tok.example.net");
  CHECK(ev[0].request == 2);

  // on an unknown tunnel the hello is still reported, unresolved
  ev = lab.tls(0x99, "x.pay.example.net", 0x01, 40002);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].type == EventType::Hello);
  CHECK(ev[0].resolved_by != ResolvedBy::Teid);
}

TEST_CASE("engine: several tokens in one HTTP request share its request number and host") {
  Lab lab;
  lab.create("491701234567", 0x10, 0x20);
  auto ev =
      lab.http(0x20, "ads.attacker.test",
               "/p.gif?pay_token=aaaaaaaaaaaaaaaa1&pay_token=bbbbbbbbbbbbbbbb2&pay_token=cccccccccccccccc3", 40010);
  REQUIRE(ev.size() == 3);
  for (auto& e : ev) {
    CHECK(e.type == EventType::Sighting);
    CHECK(std::string(e.host) == "ads.attacker.test");
    CHECK(e.request == ev[0].request);
  }
  auto next = lab.http(0x20, "pay.example.net", "/?pay_token=dddddddddddddddd4", 40011);
  REQUIRE(next.size() == 1);
  CHECK(next[0].request == ev[0].request + 1);
}

TEST_CASE("engine: no pay hosts configured, no hello events") {
  Lab lab(false);
  lab.create("491701234567", 0x10, 0x20);
  CHECK(lab.tls(0x20, "pay.example.net", 0x80).empty());
}
