// DNS queries (native/decode/dns_query.h).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bytes.h"
#include "dns_query.h"

using namespace gnpay;

namespace apptest {  // defined in test_http.cc
std::string public_fixture(const std::string& rel);
bool have_tshark();
std::vector<std::vector<std::string>> tshark_fields(const std::string& file, const std::string& filter,
                                                    const std::vector<std::string>& fields);
}  // namespace apptest

namespace {

// A DNS message: header + one question (labels from a dotted name unless raw_qname given).
std::vector<uint8_t> dns_msg(uint16_t flags, const std::string& name, uint16_t qtype = 1, uint16_t qdcount = 1,
                             const std::vector<uint8_t>* raw_qname = nullptr) {
  std::vector<uint8_t> m = {
      0x12, 0x34, uint8_t(flags >> 8), uint8_t(flags), uint8_t(qdcount >> 8), uint8_t(qdcount), 0, 0, 0, 0, 0, 0};
  if (raw_qname) {
    for (uint8_t c : *raw_qname) m.push_back(c);  // (insert() trips a GCC 12 -Warray-bounds false positive)
  } else {
    size_t i = 0;
    while (i < name.size()) {
      size_t d = name.find('.', i);
      if (d == std::string::npos) d = name.size();
      m.push_back(uint8_t(d - i));
      m.insert(m.end(), name.begin() + long(i), name.begin() + long(d));
      i = d + 1;
    }
    m.push_back(0);
  }
  m.push_back(uint8_t(qtype >> 8));
  m.push_back(uint8_t(qtype));
  m.push_back(0);
  m.push_back(1);
  return m;
}

}  // namespace

TEST_CASE("dns: a standard query's first question") {
  auto m = dns_msg(0x0100, "Tok0123456789abcdef.pay.example.net", 28);
  DnsQuery q;
  AnomalyCounters an;
  REQUIRE(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ok);
  CHECK_FALSE(q.is_response);
  CHECK(q.id == 0x1234);
  CHECK(q.opcode == 0);
  CHECK(q.qdcount == 1);
  CHECK(q.qtype == 28);
  CHECK(q.qclass == 1);
  CHECK(std::string(q.name) == "Tok0123456789abcdef.pay.example.net");  // case kept
  CHECK(q.name_len == 35);
  CHECK_FALSE(q.truncated);
  CHECK(an.total() == 0);
}

TEST_CASE("dns: a response is recognised and never decoded") {
  auto m = dns_msg(0x8180, "tok0123456789abcdef.pay.example.net");
  DnsQuery q;
  AnomalyCounters an;
  REQUIRE(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ok);
  CHECK(q.is_response);
  CHECK(q.name_len == 0);
  CHECK(std::string(q.name).empty());
  // Even a response with a broken name is just a response.
  std::vector<uint8_t> raw = {0xc0, 0x0c};
  m = dns_msg(0x8180, "", 1, 1, &raw);
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ok);
  CHECK(q.is_response);
  CHECK(an.total() == 0);
}

TEST_CASE("dns: opcode, root name, no question") {
  DnsQuery q;
  AnomalyCounters an;
  auto m = dns_msg(0x2800, "zone.example");  // opcode 5 (UPDATE): the zone entry has the question's format
  REQUIRE(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ok);
  CHECK(q.opcode == 5);
  CHECK(std::string(q.name) == "zone.example");
  m = dns_msg(0x0100, "");  // the root
  REQUIRE(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ok);
  CHECK(q.name_len == 0);
  m = dns_msg(0x0100, "a.b", 1, 0);  // QDCOUNT 0
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ignored);
  CHECK(an.total() == 0);
}

TEST_CASE("dns: truncated header, name and question") {
  DnsQuery q;
  AnomalyCounters an;
  auto m = dns_msg(0x0100, "www.example.com");
  CHECK(parse_dns_query(gnpay_test::span(m).prefix(11), q, an) == Status::Truncated);
  CHECK(an.get(Anomaly::DnsTruncated) == 1);
  CHECK(parse_dns_query(gnpay_test::span(m).prefix(12), q, an) == Status::Truncated);  // no name at all
  CHECK(parse_dns_query(gnpay_test::span(m).prefix(18), q, an) == Status::Truncated);  // inside a label
  CHECK(q.name_len == 0);
  CHECK(an.get(Anomaly::DnsTruncated) == 3);
  // Whole name but no QTYPE/QCLASS: the name is usable, the cut is counted.
  REQUIRE(parse_dns_query(gnpay_test::span(m).prefix(m.size() - 3), q, an) == Status::Ok);
  CHECK(q.truncated);
  CHECK(std::string(q.name) == "www.example.com");
  CHECK(an.get(Anomaly::DnsTruncated) == 4);
}

TEST_CASE("dns: compression pointer in a query's question") {
  std::vector<uint8_t> raw = {3, 'w', 'w', 'w', 0xc0, 0x0c};
  auto m = dns_msg(0x0100, "", 1, 1, &raw);
  DnsQuery q;
  AnomalyCounters an;
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Malformed);
  CHECK(an.get(Anomaly::DnsCompressionInQuery) == 1);
  CHECK(q.name_len == 0);
}

TEST_CASE("dns: bad names") {
  DnsQuery q;
  AnomalyCounters an;
  // A 63-byte label is fine, 64 is not (0x40 is an obsolete label type anyway).
  std::string l63(63, 'a');
  auto m = dns_msg(0x0100, l63 + ".example");
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ok);
  std::vector<uint8_t> raw = {64};
  raw.insert(raw.end(), 64, 'a');
  raw.push_back(0);
  m = dns_msg(0x0100, "", 1, 1, &raw);
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Malformed);
  CHECK(an.get(Anomaly::DnsBadName) == 1);
  // Total: 253 characters fine, 254 not.
  std::string n253 = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  REQUIRE(n253.size() == 253);
  m = dns_msg(0x0100, n253);
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Ok);
  CHECK(q.name_len == 253);
  m = dns_msg(0x0100, n253 + "c");
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Malformed);
  CHECK(an.get(Anomaly::DnsBadName) == 2);
  // Bytes outside printable ASCII, a space, or a dot inside a label.
  for (uint8_t c : {uint8_t(0x00), uint8_t(0x1f), uint8_t(' '), uint8_t('.'), uint8_t(0x7f), uint8_t(0xc3)}) {
    raw = {3, 'a', c, 'b', 3, 'n', 'e', 't', 0};
    m = dns_msg(0x0100, "", 1, 1, &raw);
    CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Malformed);
  }
  CHECK(an.get(Anomaly::DnsBadName) == 8);
  raw = {0x80, 'a', 0};  // 0x80: reserved label type
  m = dns_msg(0x0100, "", 1, 1, &raw);
  CHECK(parse_dns_query(gnpay_test::span(m), q, an) == Status::Malformed);
  CHECK(an.get(Anomaly::DnsBadName) == 9);
}

// Golden: open5gs/nonipsec_reg.pcapng (DNS queries and their responses inside
// GTP-U on S1-U and S5-U, the same query seen twice per hop, Linux cooked capture)
// and arkime/gtp-iphone.pcap (a handset's query and response).
TEST_CASE("dns: golden queries and responses against tshark") {
  if (!apptest::have_tshark()) {
    MESSAGE("skipped: tshark absent");
    return;
  }
  int queries = 0, responses = 0;
  for (const char* rel : {"open5gs/nonipsec_reg.pcapng", "arkime/gtp-iphone.pcap"}) {
    std::string f = apptest::public_fixture(rel);
    if (f.empty()) continue;
    auto rows =
        apptest::tshark_fields(f, "dns && udp.port==53",
                               {"frame.number", "dns.flags.response", "dns.qry.name", "dns.qry.type", "udp.payload"});
    for (auto& r : rows) {
      REQUIRE(r.size() == 5);
      auto bytes = gnpay_test::hex(r[4]);
      DnsQuery q;
      AnomalyCounters an;
      REQUIRE(parse_dns_query(gnpay_test::span(bytes), q, an) == Status::Ok);
      CHECK(an.total() == 0);
      if (r[1] == "1" || r[1] == "True") {
        CHECK(q.is_response);
        responses++;
      } else {
        CHECK_FALSE(q.is_response);
        CHECK(std::string(q.name) == r[2]);
        CHECK(std::to_string(q.qtype) == r[3]);
        queries++;
      }
    }
  }
  if (queries == 0) {
    MESSAGE("skipped: fixtures absent");
    return;
  }
  CHECK(queries >= 8);
  CHECK(responses >= 4);
}
