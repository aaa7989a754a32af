// TLS ClientHello and server_name (native/decode/tls_client_hello.h).
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "bytes.h"
#include "tls_client_hello.h"

using namespace gnpay;
using Bytes = std::vector<uint8_t>;

namespace apptest {  // defined in test_http.cc
std::string public_fixture(const std::string& rel);
bool have_tshark();
std::vector<std::vector<std::string>> tshark_fields(const std::string& file, const std::string& filter,
                                                    const std::vector<std::string>& fields);
}  // namespace apptest

namespace tlstest {

void put16(Bytes& b, size_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void put24(Bytes& b, size_t v) {
  b.push_back(uint8_t(v >> 16));
  put16(b, v & 0xffff);
}

Bytes ext(uint16_t type, const Bytes& body) {
  Bytes e;
  put16(e, type);
  put16(e, body.size());
  e.insert(e.end(), body.begin(), body.end());
  return e;
}

Bytes sni_ext(const std::vector<std::pair<uint8_t, std::string>>& names) {
  Bytes list;
  for (auto& n : names) {
    list.push_back(n.first);
    put16(list, n.second.size());
    list.insert(list.end(), n.second.begin(), n.second.end());
  }
  Bytes body;
  put16(body, list.size());
  body.insert(body.end(), list.begin(), list.end());
  return ext(0, body);
}
Bytes sni_ext(const std::string& host) { return sni_ext({{0, host}}); }

// A post-quantum hybrid key share (X25519MLKEM768 0x11ec: 1216 bytes, + x25519): what
// makes modern ClientHellos ~1.8 KB, more than one TCP segment.
Bytes pq_key_share() {
  Bytes ks;
  put16(ks, 0x11ec);
  put16(ks, 1216);
  for (int i = 0; i < 1216; i++) ks.push_back(uint8_t(i * 7));
  put16(ks, 0x001d);
  put16(ks, 32);
  for (int i = 0; i < 32; i++) ks.push_back(uint8_t(i));
  Bytes body;
  put16(body, ks.size());
  body.insert(body.end(), ks.begin(), ks.end());
  return ext(51, body);
}

struct Hello {
  uint16_t legacy = 0x0303;
  size_t sid = 32;
  size_t suites_bytes = 32;
  size_t comp = 1;
  bool with_ext = true;
  std::vector<Bytes> exts;
};

// The handshake message: type 1, 24-bit length, body.
Bytes hello_msg(const Hello& h) {
  Bytes b;
  put16(b, h.legacy);
  for (int i = 0; i < 32; i++) b.push_back(uint8_t(0xa0 + i));  // random
  b.push_back(uint8_t(h.sid));
  for (size_t i = 0; i < h.sid; i++) b.push_back(uint8_t(i));
  put16(b, h.suites_bytes);
  for (size_t i = 0; i < h.suites_bytes; i++) b.push_back(uint8_t(0x13 + (i & 1)));
  b.push_back(uint8_t(h.comp));
  for (size_t i = 0; i < h.comp; i++) b.push_back(0);
  if (h.with_ext) {
    Bytes all;
    for (auto& e : h.exts) all.insert(all.end(), e.begin(), e.end());
    put16(b, all.size());
    b.insert(b.end(), all.begin(), all.end());
  }
  Bytes m;
  m.push_back(1);
  put24(m, b.size());
  m.insert(m.end(), b.begin(), b.end());
  return m;
}

// Wraps a handshake message into records of at most the given sizes (the last size repeats).
Bytes records(const Bytes& msg, std::vector<size_t> sizes = {16384}, uint16_t ver = 0x0301) {
  Bytes out;
  size_t off = 0, k = 0;
  while (off < msg.size()) {
    size_t n = sizes[k < sizes.size() ? k : sizes.size() - 1];
    k++;
    if (n > msg.size() - off) n = msg.size() - off;
    out.push_back(22);
    put16(out, ver);
    put16(out, n);
    out.insert(out.end(), msg.begin() + long(off), msg.begin() + long(off + n));
    off += n;
  }
  return out;
}

Bytes simple_hello(const std::string& host) {
  Hello h;
  h.exts = {ext(23, {}), sni_ext(host), ext(10, {0, 2, 0, 0x1d})};
  return records(hello_msg(h));
}

Span sp(const Bytes& b) { return Span(b.data(), b.size()); }

}  // namespace tlstest

using namespace tlstest;

TEST_CASE("tls: looks_like_tls_client_hello as far as the bytes go") {
  Bytes ch = simple_hello("a.example");
  for (size_t n = 1; n <= ch.size(); n++) CHECK(looks_like_tls_client_hello(sp(ch).prefix(n)));
  CHECK_FALSE(looks_like_tls_client_hello(Span()));
  Bytes b = ch;
  b[0] = 23;  // application data
  CHECK_FALSE(looks_like_tls_client_hello(sp(b)));
  b = ch;
  b[1] = 2;  // SSL 2 / not 3.x
  CHECK_FALSE(looks_like_tls_client_hello(sp(b)));
  b = ch;
  b[5] = 2;  // ServerHello
  CHECK_FALSE(looks_like_tls_client_hello(sp(b)));
  b = ch;
  b[3] = 0;
  b[4] = 0;  // empty record
  CHECK_FALSE(looks_like_tls_client_hello(sp(b)));
  b = ch;
  b[3] = 0x40;
  b[4] = 0x01;  // 16385 > 2^14
  CHECK_FALSE(looks_like_tls_client_hello(sp(b)));
  b = ch;
  b[6] = 0;
  b[7] = 0;
  b[8] = 37;  // shorter than the fixed part of a ClientHello
  CHECK_FALSE(looks_like_tls_client_hello(sp(b)));
  CHECK_FALSE(looks_like_tls_client_hello(sp(gnpay_test::hex("14 03 03 00 01 01"))));  // ChangeCipherSpec
}

TEST_CASE("tls: tls_client_hello_needed over records and segments") {
  Bytes one = simple_hello("a.example");
  CHECK(tls_client_hello_needed(sp(one).prefix(8)) == 0);
  CHECK(tls_client_hello_needed(sp(one)) == one.size());
  Bytes more = one;
  more.insert(more.end(), {0x17, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb});  // early data after it
  CHECK(tls_client_hello_needed(sp(more)) == one.size());
  for (size_t n = 9; n < one.size(); n++) {
    size_t need = tls_client_hello_needed(sp(one).prefix(n));
    CHECK(need > n);
    CHECK(need <= one.size());
  }
  // A message over three records: needed counts every record header.
  Hello h;
  h.exts = {pq_key_share(), sni_ext("tok0123456789abcdef.pay.example.net")};
  Bytes msg = hello_msg(h);
  Bytes three = records(msg, {600, 700});
  REQUIRE(three.size() == msg.size() + 15);
  CHECK(tls_client_hello_needed(sp(three)) == three.size());
  for (size_t n = 9; n < three.size(); n += 37) {
    size_t need = tls_client_hello_needed(sp(three).prefix(n));
    CHECK(need > n);
    CHECK(need <= three.size());
  }
  // The message ends inside a record that holds more handshake data.
  Bytes two_msgs = msg;
  two_msgs.insert(two_msgs.end(), {20, 0, 0, 0});
  Bytes rec = records(two_msgs);
  CHECK(tls_client_hello_needed(sp(rec)) == 5 + msg.size());
}

TEST_CASE("tls: tls_client_hello_needed refuses what cannot be a ClientHello") {
  Bytes one = simple_hello("a.example");
  Bytes b = one;
  b[0] = 23;
  CHECK(tls_client_hello_needed(sp(b)) == kTlsNotClientHello);
  CHECK(tls_client_hello_needed(sp(b).prefix(3)) == kTlsNotClientHello);
  b = one;
  b[5] = 2;
  CHECK(tls_client_hello_needed(sp(b)) == kTlsNotClientHello);
  Hello h;
  h.exts = {pq_key_share()};
  Bytes msg = hello_msg(h);
  Bytes two = records(msg, {500});
  two[505] = 21;  // an alert record before the message ends
  CHECK(tls_client_hello_needed(sp(two)) == kTlsNotClientHello);
  two = records(msg, {500});
  two[508] = 0;
  two[509] = 0;  // zero-length second record
  CHECK(tls_client_hello_needed(sp(two)) == kTlsNotClientHello);
  Bytes tiny = records(msg, {40});  // 33 records of 40 bytes and more
  CHECK(tls_client_hello_needed(sp(tiny)) == kTlsNotClientHello);
  Bytes ok = records(msg, {100});  // 13 records: fine
  CHECK(tls_client_hello_needed(sp(ok)) == ok.size());
}

TEST_CASE("tls: SNI from a one-record ClientHello") {
  Bytes ch = simple_hello("Tok0123456789abcdef.pay.example.net");
  TlsClientHelloInfo info;
  AnomalyCounters an;
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK(info.has_sni);
  CHECK(std::string(info.sni) == "Tok0123456789abcdef.pay.example.net");  // as sent
  CHECK(info.sni_len == 35);
  CHECK(info.record_version == 0x0301);
  CHECK(info.client_version == 0x0303);
  CHECK_FALSE(info.truncated);
  CHECK(an.total() == 0);
}

TEST_CASE("tls: server_name variants") {
  TlsClientHelloInfo info;
  AnomalyCounters an;
  Hello h;
  h.exts = {sni_ext("a.example.")};  // trailing dot dropped
  Bytes ch = records(hello_msg(h));
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK(std::string(info.sni) == "a.example");
  h.exts = {sni_ext({{1, "other-type"}, {0, "first.example"}, {0, "second.example"}})};
  ch = records(hello_msg(h));
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK(std::string(info.sni) == "first.example");
  h.exts = {ext(10, {0, 2, 0, 0x1d})};  // no server_name
  ch = records(hello_msg(h));
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK_FALSE(info.has_sni);
  h.exts = {ext(0, {})};  // empty server_name extension (as in a ServerHello)
  ch = records(hello_msg(h));
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK_FALSE(info.has_sni);
  h.with_ext = false;  // no extensions block at all (old clients)
  ch = records(hello_msg(h));
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK_FALSE(info.has_sni);
  h = Hello();
  h.exts = {sni_ext(std::string(253, 'a'))};
  ch = records(hello_msg(h));
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK(info.sni_len == 253);
  h.exts = {sni_ext(std::string(253, 'a') + ".")};
  ch = records(hello_msg(h));
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK(info.sni_len == 253);
  CHECK(an.total() == 0);
}

TEST_CASE("tls: a ClientHello split over two and three records") {
  Hello h;
  h.exts = {ext(23, {}), sni_ext("tok0123456789abcdef.pay.example.net"), ext(10, {0, 2, 0, 0x1d})};
  Bytes msg = hello_msg(h);
  // Split inside the server_name: the name straddles the record boundary.
  size_t sni_at = 4 + 2 + 32 + 1 + 32 + 2 + 32 + 2 + 2 + 4 + 4 + 5 + 10;
  for (auto sizes : std::vector<std::vector<size_t>>{{sni_at}, {50, sni_at - 50}, {1, 3, 60}}) {
    Bytes ch = records(msg, sizes);
    TlsClientHelloInfo info;
    AnomalyCounters an;
    REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
    CHECK(std::string(info.sni) == "tok0123456789abcdef.pay.example.net");
    CHECK(an.total() == 0);
    CHECK(tls_client_hello_needed(sp(ch)) == ch.size());
  }
}

TEST_CASE("tls: a post-quantum sized ClientHello (~1.8 KB) with the SNI after the key share") {
  Hello h;
  // Extension set and sizes as a current browser sends them (GREASE, ECH outer ~250 B,
  // ALPN, signature algorithms, the hybrid key share).
  h.exts = {ext(0x0a0a, {}),
            ext(43, {4, 3, 4, 3, 3}),
            ext(16, gnpay_test::hex("000c02683208687474702f312e31")),
            ext(13, Bytes(18, 4)),
            ext(0xfe0d, Bytes(250, 0x5a)),
            pq_key_share(),
            ext(45, {1, 1}),
            sni_ext("tok0123456789abcdef.pay.example.net"),
            ext(0x1a1a, {0})};
  Bytes ch = records(hello_msg(h));
  CHECK(ch.size() > 1700);
  TlsClientHelloInfo info;
  AnomalyCounters an;
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK(std::string(info.sni) == "tok0123456789abcdef.pay.example.net");
  // Cut where one TCP segment would end: before the SNI, so Truncated.
  CHECK(parse_tls_client_hello(sp(ch).prefix(1400), info, an) == Status::Truncated);
  CHECK_FALSE(info.has_sni);
  CHECK(an.get(Anomaly::TlsTruncated) == 1);
}

TEST_CASE("tls: truncation before and after the server_name") {
  Hello h;
  h.exts = {sni_ext("a.example"), pq_key_share()};
  Bytes ch = records(hello_msg(h));
  TlsClientHelloInfo info;
  AnomalyCounters an;
  CHECK(parse_tls_client_hello(sp(ch).prefix(3), info, an) == Status::Truncated);
  CHECK(parse_tls_client_hello(sp(ch).prefix(60), info, an) == Status::Truncated);   // inside the random
  CHECK(parse_tls_client_hello(sp(ch).prefix(130), info, an) == Status::Truncated);  // inside the suites/extensions
  CHECK(an.get(Anomaly::TlsTruncated) == 3);
  size_t sni_end = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 32 + 2 + 2 + 9 + 9;
  CHECK(parse_tls_client_hello(sp(ch).prefix(sni_end - 1), info, an) == Status::Truncated);  // inside the name
  CHECK_FALSE(info.has_sni);
  REQUIRE(parse_tls_client_hello(sp(ch).prefix(sni_end), info, an) == Status::Ok);
  CHECK(info.has_sni);
  CHECK(info.truncated);
  CHECK(std::string(info.sni) == "a.example");
  CHECK(an.get(Anomaly::TlsTruncated) == 5);
  REQUIRE(parse_tls_client_hello(sp(ch).prefix(sni_end + 500), info, an) == Status::Ok);
  CHECK(info.truncated);
  REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
  CHECK_FALSE(info.truncated);
}

TEST_CASE("tls: malformed ClientHellos") {
  TlsClientHelloInfo info;
  auto check_bad = [&](const Bytes& ch, Anomaly which, const char* what_c) {
    std::string what(what_c);
    AnomalyCounters an;
    CHECK_MESSAGE(parse_tls_client_hello(sp(ch), info, an) == Status::Malformed, what);
    CHECK_MESSAGE(an.get(which) == 1, what);
    CHECK_MESSAGE(an.total() == 1, what);
    CHECK_FALSE(info.has_sni);
  };
  Hello h;
  h.exts = {sni_ext("a.example")};
  Bytes good = records(hello_msg(h));
  Bytes b = good;
  b[0] = 23;
  check_bad(b, Anomaly::TlsBadClientHello, "record type");
  b = good;
  b[5] = 2;
  check_bad(b, Anomaly::TlsBadClientHello, "handshake type");
  b = good;
  b[6] = 0, b[7] = 0, b[8] = 20;
  check_bad(b, Anomaly::TlsBadClientHello, "message under 38 bytes");
  Hello x = h;
  x.sid = 33;
  check_bad(records(hello_msg(x)), Anomaly::TlsBadClientHello, "session id 33");
  x = h;
  x.suites_bytes = 31;
  check_bad(records(hello_msg(x)), Anomaly::TlsBadClientHello, "odd suites");
  x = h;
  x.suites_bytes = 0;
  check_bad(records(hello_msg(x)), Anomaly::TlsBadClientHello, "no suites");
  x = h;
  x.comp = 0;
  check_bad(records(hello_msg(x)), Anomaly::TlsBadClientHello, "no compression method");
  // Suites longer than the message.
  Bytes m = hello_msg(h);
  m[4 + 2 + 32 + 1 + 32] = 0x7f;
  check_bad(records(m), Anomaly::TlsBadClientHello, "suites overrun");
  // Extensions block length not filling the message.
  m = hello_msg(h);
  size_t ext_len_at = 4 + 2 + 32 + 1 + 32 + 2 + 32 + 2;
  m[ext_len_at + 1] -= 1;
  check_bad(records(m), Anomaly::TlsBadClientHello, "extensions short of the message");
  m = hello_msg(h);
  m[ext_len_at + 1] += 1;
  check_bad(records(m), Anomaly::TlsBadClientHello, "extensions past the message");
  // One extension longer than the block.
  m = hello_msg(h);
  m[ext_len_at + 2 + 3] += 1;  // the first extension's length, low byte
  check_bad(records(m), Anomaly::TlsBadClientHello, "extension overrun");
  // server_name list length not matching the extension.
  m = hello_msg(h);
  m[ext_len_at + 2 + 4 + 1] -= 1;
  check_bad(records(m), Anomaly::TlsBadSni, "server_name list length");
  // host_name length past the list.
  m = hello_msg(h);
  m[ext_len_at + 2 + 4 + 2 + 2] += 1;
  check_bad(records(m), Anomaly::TlsBadSni, "host_name overrun");
  Hello y = h;
  y.exts = {sni_ext("a b.example")};
  check_bad(records(hello_msg(y)), Anomaly::TlsBadSni, "space in host_name");
  y.exts = {sni_ext(std::string("a\x01.example"))};
  check_bad(records(hello_msg(y)), Anomaly::TlsBadSni, "control byte in host_name");
  y.exts = {sni_ext("")};
  check_bad(records(hello_msg(y)), Anomaly::TlsBadSni, "empty host_name");
  y.exts = {sni_ext(".")};
  check_bad(records(hello_msg(y)), Anomaly::TlsBadSni, "only a dot");
  y.exts = {sni_ext(std::string(254, 'a'))};
  check_bad(records(hello_msg(y)), Anomaly::TlsBadSni, "254-byte host_name");
  // A second record that is not a handshake record.
  Bytes two = records(hello_msg(h), {40});
  two[45] = 21;
  check_bad(two, Anomaly::TlsBadClientHello, "alert record inside the message");
}

// Golden: nDPI/ja3_lots_of_cipher_suites_2_anon.pcap (a ClientHello with 131 cipher
// suites, inside GTP-U, anonymised so that its SNI is an IPv4 literal) and
// zeek/gtp6_gtp_0x32.pcap (a ClientHello without server_name, G-PDUs with the S flag).
TEST_CASE("tls: golden ClientHellos against tshark") {
  if (!apptest::have_tshark()) {
    MESSAGE("skipped: tshark absent");
    return;
  }
  int seen = 0;
  for (const char* rel : {"nDPI/ja3_lots_of_cipher_suites_2_anon.pcap", "zeek/gtp6_gtp_0x32.pcap"}) {
    std::string f = apptest::public_fixture(rel);
    if (f.empty()) continue;
    auto rows = apptest::tshark_fields(
        f, "tls.handshake.type==1", {"tcp.payload", "tls.handshake.extensions_server_name", "tls.handshake.version"});
    REQUIRE(rows.size() == 1);
    REQUIRE(rows[0].size() == 3);
    Bytes ch = gnpay_test::hex(rows[0][0]);
    CHECK(looks_like_tls_client_hello(sp(ch)));
    CHECK(tls_client_hello_needed(sp(ch)) == ch.size());
    TlsClientHelloInfo info;
    AnomalyCounters an;
    REQUIRE(parse_tls_client_hello(sp(ch), info, an) == Status::Ok);
    CHECK(an.total() == 0);
    CHECK(info.has_sni == !rows[0][1].empty());
    CHECK(std::string(info.sni) == rows[0][1]);
    CHECK(info.client_version == std::stoul(rows[0][2], nullptr, 16));
    seen++;
  }
  // nDPI/tls_change_cipher.pcap: a flow seen mid-stream (ChangeCipherSpec, application
  // data): nothing in it starts like a ClientHello.
  std::string f = apptest::public_fixture("nDPI/tls_change_cipher.pcap");
  if (!f.empty()) {
    auto rows = apptest::tshark_fields(f, "tcp.len>0", {"tcp.payload"});
    CHECK(rows.size() >= 10);
    for (auto& r : rows) CHECK_FALSE(looks_like_tls_client_hello(sp(gnpay_test::hex(r[0]))));
  }
  if (!seen) MESSAGE("skipped: fixtures absent");
}
