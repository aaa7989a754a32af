// Token carriers (native/decode/token_carriers.h).
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "bytes.h"
#include "token_carriers.h"

using namespace gnpay;

namespace apptest {  // defined in test_http.cc
std::string public_fixture(const std::string& rel);
bool have_tshark();
std::vector<std::vector<std::string>> tshark_fields(const std::string& file, const std::string& filter,
                                                    const std::vector<std::string>& fields);
}  // namespace apptest

namespace {

const std::string T16 = "ABCDEFGHIJKLMNOP";           // 16
const std::string T15 = T16.substr(0, 15);            // too short
const std::string T64 = std::string(62, 'x') + "_-";  // 64
const std::string T65 = T64 + "y";                    // too long
const std::string TOK = "k3jF9_a-Zq81LmN0pQr2";       // 20, a typical token
const std::string TOK2 = "zzzzzzzzzzzzzzzz0000";

Span S(const std::string& s) { return Span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

CarrierSet carriers(const std::vector<std::string>& specs) {
  CarrierSet cs;
  for (auto& s : specs) REQUIRE_MESSAGE(cs.add_spec(s.data(), s.size()), s);
  return cs;
}

struct Result {
  std::vector<std::pair<std::string, std::string>> m;  // (carrier kind, token)
  uint64_t invalid = 0;
  Via via = Via::Http;
};

// Parses `head` (a whole request head) and matches it.
Result match(const CarrierSet& cs, const std::string& head) {
  static std::string keep;
  static HttpRequestHead h;
  keep = head;
  AnomalyCounters an;
  Status st = parse_http_request_head(S(keep), h, an);
  REQUIRE(st != Status::Truncated);
  REQUIRE(!h.method.empty());
  TokenMatches tm;
  AnomalyCounters an2;
  match_http_request(cs, h, tm, an2);
  Result r;
  for (size_t i = 0; i < tm.n; i++) {
    r.m.emplace_back(carrier_kind_name(tm.m[i].kind), std::string(tm.m[i].token, tm.m[i].len));
    CHECK(std::strlen(tm.m[i].token) == tm.m[i].len);
    r.via = tm.m[i].via;
  }
  r.invalid = an2.get(Anomaly::TokenInvalid);
  CHECK(an2.total() == r.invalid);
  return r;
}
Result get(const CarrierSet& cs, const std::string& target, const std::string& headers = "") {
  return match(cs, "GET " + target + " HTTP/1.1\r\n" + headers + "\r\n");
}
using Pairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("carriers: CarrierSet specs") {
  CarrierSet cs;
  CHECK(cs.add_spec("query:gnpay_token", 17));
  CHECK(cs.add_spec("host:.Pay.Example.NET.", 21));
  CHECK(cs.add_spec("HEADER:X-Pay", 12));  // the kind is read case-insensitively
  CHECK(cs.add_spec("cookie:gp", 9));
  CHECK(cs.add_spec("path:/pay/", 10));
  REQUIRE(cs.size() == 5);
  CHECK(cs.at(0).kind == CarrierKind::Query);
  CHECK(std::string(cs.at(0).arg) == "gnpay_token");
  CHECK(cs.at(1).kind == CarrierKind::Host);
  CHECK(std::string(cs.at(1).arg) == "pay.example.net");  // lower-case, no dots at the ends
  CHECK(cs.at(1).len == 15);
  CHECK(std::string(cs.at(2).arg) == "X-Pay");
  CHECK(cs.has_kind(CarrierKind::Path));
  for (const char* bad : {"bogus:x", "query:", "query", ":x", "host:...", "path:pay/", "query:a b", "cookie:\x01"})
    CHECK_FALSE_MESSAGE(cs.add_spec(bad, std::strlen(bad)), bad);
  std::string a255(255, 'a'), a256(256, 'a');
  CHECK(cs.add(CarrierKind::Query, a255.data(), a255.size()));
  CHECK_FALSE(cs.add(CarrierKind::Query, a256.data(), a256.size()));
  CHECK_FALSE(cs.add(CarrierKind::Query, "", 0));
  while (cs.size() < kMaxCarriers) CHECK(cs.add(CarrierKind::Query, "n", 1));
  CHECK_FALSE(cs.add(CarrierKind::Query, "n", 1));  // full
  cs.clear();
  CHECK(cs.size() == 0);
  CHECK_FALSE(cs.has_kind(CarrierKind::Query));
  CHECK(std::string(carrier_kind_name(CarrierKind::Cookie)) == "cookie");
  CHECK(std::string(carrier_kind_name(CarrierKind::Path)) == "path");
  CHECK(std::string(via_name(Via::TlsSni)) == "tls-sni");
  CHECK(std::string(via_name(Via::Dns)) == "dns");
  CHECK(std::string(via_name(Via::Http)) == "http");
}

TEST_CASE("carriers: is_token bounds and alphabet") {
  CHECK_FALSE(is_token(S(T15)));
  CHECK(is_token(S(T16)));
  CHECK(is_token(S(T64)));
  CHECK_FALSE(is_token(S(T65)));
  CHECK(is_token(S(TOK)));
  CHECK_FALSE(is_token(S("")));
  for (char c : std::string("+/.=%~ !\"'&;:,@\x7f")) {
    std::string t = T16;
    t[5] = c;
    CHECK_FALSE_MESSAGE(is_token(S(t)), c);
  }
  std::string t = T16;
  t[3] = char(0xc3);
  CHECK_FALSE(is_token(S(t)));
}

TEST_CASE("carriers: query parameter") {
  CarrierSet cs = carriers({"query:gnpay_token"});
  CHECK(get(cs, "/p?gnpay_token=" + TOK).m == Pairs{{"query", TOK}});
  CHECK(get(cs, "/p?a=1&gnpay_token=" + TOK + "&b=2").m == Pairs{{"query", TOK}});
  CHECK(get(cs, "/p?gnpay_token=" + TOK + "#frag").m == Pairs{{"query", TOK}});
  CHECK(get(cs, "http://shop.example/p?gnpay_token=" + TOK).m == Pairs{{"query", TOK}});  // absolute-form
  // NAME is compared exactly.
  Result r = get(cs, "/p?Gnpay_token=" + TOK + "&gnpay_token2=" + TOK + "&xgnpay_token=" + TOK);
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  // Name and value are percent-decoded after the split.
  CHECK(get(cs, "/p?gnpay%5Ftoken=" + TOK).m == Pairs{{"query", TOK}});
  CHECK(get(cs, "/p?gnpay_token=%41" + TOK.substr(1)).m == Pairs{{"query", "A" + TOK.substr(1)}});
  // '&' split BEFORE decoding: an encoded '&' / '=' never makes a parameter.
  r = get(cs, "/p?a=1%26gnpay_token%3D" + TOK);
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  r = get(cs, "/p?gnpay_token=" + TOK + "%26x=1");  // the decoded value holds '&'
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  // '+' is not a space and not a token character.
  r = get(cs, "/p?gnpay_token=" + TOK.substr(0, 10) + "+" + TOK.substr(10));
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  r = get(cs, "/p?gnpay_token=" + TOK.substr(0, 10) + "%2");  // broken escape
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  r = get(cs, "/p?gnpay_token=%zz" + TOK);
  CHECK(r.invalid == 1);
  // Length bounds: 15 / 16 / 64 / 65, never truncated into a token.
  r = get(cs, "/p?gnpay_token=" + T15);
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  CHECK(get(cs, "/p?gnpay_token=" + T16).m == Pairs{{"query", T16}});
  CHECK(get(cs, "/p?gnpay_token=" + T64).m == Pairs{{"query", T64}});
  r = get(cs, "/p?gnpay_token=" + T65);
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  r = get(cs, "/p?gnpay_token=" + TOK + ".");
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  // Empty value / no '=': nothing, not counted.
  r = get(cs, "/p?gnpay_token=&gnpay_token");
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  // Several distinct values: each; the same one twice: once.
  CHECK(get(cs, "/p?gnpay_token=" + TOK + "&gnpay_token=" + TOK2).m == Pairs{{"query", TOK}, {"query", TOK2}});
  CHECK(get(cs, "/p?gnpay_token=" + TOK + "&gnpay_token=" + TOK).m == Pairs{{"query", TOK}});
  // Not in the path, not without a query.
  CHECK(get(cs, "/gnpay_token=" + TOK).m.empty());
  CHECK(get(cs, "/p?&&").m.empty());
}

TEST_CASE("carriers: path segment after a prefix at the start of the path") {
  CarrierSet cs = carriers({"path:/pay/"});
  CHECK(get(cs, "/pay/" + TOK).m == Pairs{{"path", TOK}});
  CHECK(get(cs, "/pay/" + TOK + "/x").m == Pairs{{"path", TOK}});
  CHECK(get(cs, "/pay/" + TOK + "?q=1").m == Pairs{{"path", TOK}});
  CHECK(get(cs, "/pay/" + TOK + "#f").m == Pairs{{"path", TOK}});
  CHECK(get(cs, "http://h.example/pay/" + TOK).m == Pairs{{"path", TOK}});
  Result r = get(cs, "/x/pay/" + TOK);  // prefix not at the start
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  CHECK(get(cs, "/PAY/" + TOK).m.empty());
  CHECK(get(cs, "/x?u=/pay/" + TOK).m.empty());  // the query is not the path
  r = get(cs, "/pay/");
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  r = get(cs, "/pay/" + T15 + "/x");
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  r = get(cs, "/pay/" + TOK + ".html");
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  // A prefix without a trailing slash ends on a segment boundary.
  CarrierSet cs2 = carriers({"path:/pay"});
  CHECK(get(cs2, "/pay/" + TOK).m == Pairs{{"path", TOK}});
  r = get(cs2, "/payment" + TOK);
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  CarrierSet cs3 = carriers({"path:/a/b/"});
  CHECK(get(cs3, "/a/b/" + TOK).m == Pairs{{"path", TOK}});
  CHECK(get(cs3, "/a/" + TOK).m.empty());
}

TEST_CASE("carriers: host label under a suffix") {
  CarrierSet cs = carriers({"host:pay.example.net"});
  std::string lower = "tok0123456789abcdef";
  CHECK(get(cs, "/", "Host: " + lower + ".pay.example.net\r\n").m == Pairs{{"host", lower}});
  CHECK(get(cs, "/", "Host: TOK0123456789ABCDEF.Pay.Example.NET\r\n").m == Pairs{{"host", lower}});  // lower-cased
  CHECK(get(cs, "/", "Host: " + lower + ".pay.example.net:8080\r\n").m == Pairs{{"host", lower}});   // port ignored
  CHECK(get(cs, "/", "Host: " + lower + ".pay.example.net.\r\n").m == Pairs{{"host", lower}});       // trailing dot
  CHECK(get(cs, "http://" + lower + ".pay.example.net/x").m == Pairs{{"host", lower}});              // absolute-form
  CHECK(get(cs, "http://" + lower + ".pay.example.net:81/x", "Host: " + lower + ".pay.example.net:81\r\n").m ==
        Pairs{{"host", lower}});  // both: once
  CHECK(get(cs, "http://user@" + lower + ".pay.example.net/").m == Pairs{{"host", lower}});
  Result r = match(cs, "CONNECT " + lower + ".pay.example.net:443 HTTP/1.1\r\n\r\n");  // authority-form
  CHECK(r.m == Pairs{{"host", lower}});
  // Label boundary only; the suffix itself has no token.
  r = get(cs, "/", "Host: " + lower + ".evilpay.example.net\r\n");
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  r = get(cs, "/", "Host: pay.example.net\r\n");
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  r = get(cs, "/", "Host: .pay.example.net\r\n");
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  r = get(cs, "/", "Host: " + lower + ".pay.example.net.evil.com\r\n");
  CHECK(r.m.empty());
  r = get(cs, "/", "Host: [2001:db8::1]:80\r\n");
  CHECK(r.m.empty());
  // The leftmost label is the token: a deeper name whose leftmost label is not a token counts.
  r = get(cs, "/", "Host: www." + lower + ".pay.example.net\r\n");
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  r = get(cs, "/", "Host: tok_short.pay.example.net\r\n");
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  // Only the Host header and the target: not other headers.
  CHECK(get(cs, "/", "Referer: http://" + lower + ".pay.example.net/\r\n").m.empty());
}

TEST_CASE("carriers: header and cookie") {
  CarrierSet cs = carriers({"header:X-Pay-Token"});
  CHECK(get(cs, "/", "x-pay-token: " + TOK + "\r\n").m == Pairs{{"header", TOK}});
  CHECK(get(cs, "/", "X-PAY-TOKEN:" + TOK + "  \r\n").m == Pairs{{"header", TOK}});
  CHECK(get(cs, "/", "X-Pay-Token: " + TOK + "\r\nX-Pay-Token: " + TOK2 + "\r\n").m ==
        Pairs{{"header", TOK}, {"header", TOK2}});
  Result r = get(cs, "/", "X-Pay-Token: Bearer " + TOK + "\r\n");
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  CHECK(get(cs, "/", "X-Pay-Tokens: " + TOK + "\r\n").m.empty());

  CarrierSet cc = carriers({"cookie:gp"});
  CHECK(get(cc, "/", "Cookie: a=b; gp=" + TOK + "; c=d\r\n").m == Pairs{{"cookie", TOK}});
  CHECK(get(cc, "/", "Cookie: gp=" + TOK + "\r\n").m == Pairs{{"cookie", TOK}});
  CHECK(get(cc, "/", "cookie: a=b;gp=\"" + TOK + "\"\r\n").m == Pairs{{"cookie", TOK}});         // quoted value
  CHECK(get(cc, "/", "Cookie: a=b\r\nCookie: gp=" + TOK + "\r\n").m == Pairs{{"cookie", TOK}});  // any Cookie header
  r = get(cc, "/", "Cookie: GP=" + TOK + "; gpx=" + TOK + "; xgp=" + TOK + "\r\n");              // name exact
  CHECK(r.m.empty());
  CHECK(r.invalid == 0);
  r = get(cc, "/", "Cookie: gp=" + TOK + "==\r\n");
  CHECK(r.m.empty());
  CHECK(r.invalid == 1);
  CHECK(get(cc, "/", "Set-Cookie: gp=" + TOK + "\r\n").m.empty());
  CHECK(get(cc, "/?gp=" + TOK).m.empty());
}

TEST_CASE("carriers: one report per token, first carrier in configured order") {
  std::string h = "Cookie: gp=" + TOK + "\r\n";
  CarrierSet qc = carriers({"query:gnpay_token", "cookie:gp"});
  CHECK(get(qc, "/p?gnpay_token=" + TOK, h).m == Pairs{{"query", TOK}});
  CarrierSet cq = carriers({"cookie:gp", "query:gnpay_token"});
  CHECK(get(cq, "/p?gnpay_token=" + TOK, h).m == Pairs{{"cookie", TOK}});
  // Distinct tokens from different carriers: each.
  CHECK(get(qc, "/p?gnpay_token=" + TOK2, h).m == Pairs{{"query", TOK2}, {"cookie", TOK}});
  // Bounded by kMaxTokenMatches.
  std::string q = "/p?";
  for (int i = 0; i < 12; i++) q += "gnpay_token=" + T16.substr(0, 14) + char('a' + i) + "z&";
  Result r = get(qc, q);
  CHECK(r.m.size() == kMaxTokenMatches);
  TokenMatches tm;
  CHECK(tm.add(CarrierKind::Query, Via::Http, TOK.data(), TOK.size()));
  CHECK(tm.add(CarrierKind::Cookie, Via::Http, TOK.data(), TOK.size()));  // deduped, not full
  CHECK(tm.n == 1);
  CHECK(tm.m[0].kind == CarrierKind::Query);
  tm.clear();
  CHECK(tm.n == 0);
}

TEST_CASE("carriers: DNS names and TLS SNI use the host carriers only") {
  CarrierSet cs = carriers({"query:gnpay_token", "host:pay.example.net", "header:Host"});
  TokenMatches tm;
  AnomalyCounters an;
  match_hostname(cs, S("Tok0123456789abcdef.pay.example.net."), Via::Dns, tm, an);
  REQUIRE(tm.n == 1);
  CHECK(std::string(tm.m[0].token) == "tok0123456789abcdef");
  CHECK(tm.m[0].kind == CarrierKind::Host);
  CHECK(tm.m[0].via == Via::Dns);
  tm.clear();
  match_hostname(cs, S("tok0123456789abcdef.pay.example.net"), Via::TlsSni, tm, an);
  REQUIRE(tm.n == 1);
  CHECK(tm.m[0].via == Via::TlsSni);
  tm.clear();
  match_hostname(cs, S("tok0123456789abcdef.evilpay.example.net"), Via::TlsSni, tm, an);
  match_hostname(cs, S("pay.example.net"), Via::Dns, tm, an);
  match_hostname(cs, S("gnpay_token=x"), Via::Dns, tm, an);
  match_hostname(cs, S(""), Via::Dns, tm, an);
  CHECK(tm.n == 0);
  CHECK(an.total() == 0);
  match_hostname(cs, S("short.pay.example.net"), Via::Dns, tm, an);
  CHECK(tm.n == 0);
  CHECK(an.get(Anomaly::TokenInvalid) == 1);
  // Two host carriers: a name under both gives its token once.
  CarrierSet two = carriers({"host:example.net", "host:pay.example.net"});
  match_hostname(two, S("tok0123456789abcdef.pay.example.net"), Via::Dns, tm, an);
  CHECK(tm.n == 1);
}

// Golden: the real request head of zeek/gtp1_gn_normal_incl_fragmentation.pcap
// (YouTube, 2100 bytes over two segments): long query with %-escapes, a 2 KB cookie.
TEST_CASE("carriers: golden request from zeek gtp1_gn_normal_incl_fragmentation") {
  std::string f = apptest::public_fixture("zeek/gtp1_gn_normal_incl_fragmentation.pcap");
  if (f.empty() || !apptest::have_tshark()) {
    MESSAGE("skipped: fixture or tshark absent");
    return;
  }
  auto segs = apptest::tshark_fields(f, "tcp.srcport==1923 && tcp.len>0", {"tcp.payload"});
  REQUIRE(segs.size() == 2);
  auto bytes = gnpay_test::hex(segs[0][0] + segs[1][0]);
  std::string head(bytes.begin(), bytes.end());
  CarrierSet cs = carriers({"query:upn", "query:id", "cookie:use_hitbox", "query:signature", "query:sparams",
                            "host:c.youtube.com", "cookie:VISITOR_INFO1_LIVE", "query:itag"});
  Result r = match(cs, head);
  CHECK(r.m == Pairs{{"query", "MTU2MDY5NzQ5OTM0NTI3NDY4NDc"},
                     {"query", "ebf1e932d4bd1286"},
                     {"cookie", "d5c5516c3379125f43aa0d495d100d6ddAEAAAAw"}});
  // signature has '.', sparams decodes to ',' , the host label "o-o" and the cookie
  // "0byDwHk-y_0" are too short, itag=34 too: five values matched that are not tokens.
  CHECK(r.invalid == 5);
}
