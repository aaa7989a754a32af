// HTTP/1.x request heads (native/decode/http_request.h).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bytes.h"
#include "http_request.h"

using namespace gnpay;

// Shared by the application-layer tests (test_dns/tls/carriers/request_heads.cc
// declare these): real public captures read through tshark, the oracle.
namespace apptest {

// Path of a file under shared/fixtures/public, or "" when the folder is absent.
std::string public_fixture(const std::string& rel) {
  std::vector<std::string> roots;
  if (const char* env = std::getenv("GNPAY_PUBLIC_FIXTURES")) roots.push_back(env);
  for (const char* r : {"../shared/fixtures/public", "../../shared/fixtures/public", "../../../shared/fixtures/public",
                        "/work/shared/fixtures/public"})
    roots.push_back(r);
  for (const std::string& r : roots) {
    std::string p = r + "/" + rel;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      std::fclose(f);
      return p;
    }
  }
  return "";
}

bool have_tshark() {
  static int have = -1;
  if (have < 0) have = std::system("tshark -v >/dev/null 2>&1") == 0 ? 1 : 0;
  return have == 1;
}

// One row per displayed packet, tab-separated fields (last occurrence of each field,
// so the inner layer's value when a field repeats in a tunnel).
std::vector<std::vector<std::string>> tshark_fields(const std::string& file, const std::string& filter,
                                                    const std::vector<std::string>& fields) {
  std::vector<std::vector<std::string>> rows;
  std::string cmd = "tshark -r '" + file + "' -Y '" + filter + "' -T fields -E occurrence=l";
  for (const std::string& f : fields) cmd += " -e " + f;
  cmd += " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return rows;
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  size_t pos = 0;
  while (pos < out.size()) {
    size_t e = out.find('\n', pos);
    if (e == std::string::npos) e = out.size();
    std::string line = out.substr(pos, e - pos);
    pos = e + 1;
    std::vector<std::string> cols;
    size_t c = 0;
    for (;;) {
      size_t t = line.find('\t', c);
      cols.push_back(line.substr(c, t == std::string::npos ? std::string::npos : t - c));
      if (t == std::string::npos) break;
      c = t + 1;
    }
    rows.push_back(cols);
  }
  return rows;
}

}  // namespace apptest

namespace {

Span S(const std::string& s) { return Span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
std::string str(Span s) { return std::string(reinterpret_cast<const char*>(s.data), s.size); }

struct Parsed {
  std::string in;  // the views in h point here
  HttpRequestHead h;
  AnomalyCounters an;
  Status st = Status::Ok;
};
// The HttpRequestHead is ~2 KB: keep it off the doctest stack frames.
Parsed* parse(const std::string& s) {
  static Parsed p;
  p.an.reset();
  p.in = s;
  p.st = parse_http_request_head(S(p.in), p.h, p.an);
  return &p;
}

}  // namespace

TEST_CASE("http: looks_like_http_request knows the methods and waits on prefixes") {
  for (const char* m :
       {"GET /", "POST /", "HEAD /", "PUT /", "DELETE /", "OPTIONS *", "PATCH /", "CONNECT h:443", "TRACE /"})
    CHECK(looks_like_http_request(S(m)));
  CHECK(looks_like_http_request(S("G")));
  CHECK(looks_like_http_request(S("GE")));
  CHECK(looks_like_http_request(S("GET")));
  CHECK(looks_like_http_request(S("OPTIO")));
  CHECK_FALSE(looks_like_http_request(S("")));
  CHECK_FALSE(looks_like_http_request(S("get /")));
  CHECK_FALSE(looks_like_http_request(S("GETX /")));
  CHECK_FALSE(looks_like_http_request(S("GET/")));
  CHECK_FALSE(looks_like_http_request(S("HTTP/1.1 200 OK\r\n")));
  CHECK_FALSE(looks_like_http_request(S("PRI * HTTP/2.0")));
  CHECK_FALSE(looks_like_http_request(S("\x16\x03\x01")));
  CHECK_FALSE(looks_like_http_request(S(" GET /")));
}

TEST_CASE("http: head length with CRLF, bare LF and mixed endings") {
  CHECK(http_head_length(S("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) == 27);
  CHECK(http_head_length(S("GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY")) == 27);
  CHECK(http_head_length(S("GET / HTTP/1.1\nHost: a\n\n")) == 24);
  CHECK(http_head_length(S("GET / HTTP/1.1\r\nHost: a\n\r\n")) == 26);
  CHECK(http_head_length(S("GET / HTTP/1.1\nHost: a\r\n\n")) == 25);
  CHECK(http_head_length(S("GET / HTTP/1.1\r\nHost: a\r\n\r")) == 0);
  CHECK(http_head_length(S("GET / HTTP/1.1\r\nHost: a\r\n")) == 0);
  CHECK(http_head_length(S("GET / HTTP/1.1\r\n\r\r\n")) == 0);  // CR CR LF is not a blank line
  CHECK(http_head_length(S("")) == 0);
}

TEST_CASE("http: a simple GET") {
  Parsed* p = parse(
      "GET /pay?gnpay_token=abc HTTP/1.1\r\nHost:  shop.example.com \r\nUser-Agent: x\ty\r\n"
      "Accept:\r\n\r\nignored body");
  REQUIRE(p->st == Status::Ok);
  CHECK(str(p->h.method) == "GET");
  CHECK(str(p->h.target) == "/pay?gnpay_token=abc");
  CHECK(str(p->h.version) == "HTTP/1.1");
  CHECK(str(p->h.host) == "shop.example.com");
  REQUIRE(p->h.n_headers == 3);
  CHECK(str(p->h.headers[0].name) == "Host");
  CHECK(str(p->h.headers[1].value) == "x\ty");
  CHECK(str(p->h.headers[2].name) == "Accept");
  CHECK(str(p->h.headers[2].value) == "");
  CHECK(p->h.head_len == p->in.find("\r\n\r\n") + 4);
  CHECK_FALSE(p->h.has_content_length);
  CHECK_FALSE(p->h.chunked);
  CHECK(p->an.total() == 0);
}

TEST_CASE("http: every method, HTTP/1.0, and the request-target forms") {
  for (const char* m : {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"}) {
    Parsed* p = parse(std::string(m) + " /x HTTP/1.0\r\n\r\n");
    CHECK(p->st == Status::Ok);
    CHECK(str(p->h.method) == m);
    CHECK(str(p->h.version) == "HTTP/1.0");
  }
  Parsed* p = parse("GET http://tok.pay.example.net:8080/a?b=c HTTP/1.1\r\n\r\n");  // absolute-form (proxies)
  CHECK(p->st == Status::Ok);
  CHECK(str(p->h.target) == "http://tok.pay.example.net:8080/a?b=c");
  p = parse("CONNECT tok.pay.example.net:443 HTTP/1.1\r\nHost: tok.pay.example.net:443\r\n\r\n");  // authority-form
  CHECK(p->st == Status::Ok);
  CHECK(str(p->h.target) == "tok.pay.example.net:443");
  p = parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");  // asterisk-form
  CHECK(p->st == Status::Ok);
  CHECK(str(p->h.target) == "*");
  p = parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n");  // leading empty lines: http_head_length stops at them first
  CHECK(p->st == Status::Malformed);
  p = parse("\r\nGET / HTTP/1.1\r\n\r\n");  // one leading CRLF before the request line is skipped
  CHECK(p->st == Status::Ok);
  CHECK(str(p->h.method) == "GET");
}

TEST_CASE("http: bad request lines are malformed and counted") {
  const char* bad[] = {
      "GET /x\r\n\r\n",                 // HTTP/0.9 style, no version
      "GET /x HTTP/2.0\r\n\r\n",        // not HTTP/1.x
      "GET /x HTTP/1.1 extra\r\n\r\n",  // junk after the version
      "GET x HTTP/1.1\r\n\r\n",         // not a request-target form
      "CONNECT /x HTTP/1.1\r\n\r\n",    // CONNECT needs authority-form
      "G(T /x HTTP/1.1\r\n\r\n",        // not a token
      "GET\t/x HTTP/1.1\r\n\r\n",       // TAB is not the separator
      "GET /a\x01 HTTP/1.1\r\n\r\n",    // control byte in the target
      "GET /x HTTP/1.a\r\n\r\n",
  };
  for (const char* b : bad) {
    Parsed* p = parse(b);
    CHECK_MESSAGE(p->st == Status::Malformed, b);
    CHECK(p->an.get(Anomaly::HttpBadRequestLine) == 1);
    CHECK(p->h.method.empty());
  }
}

TEST_CASE("http: obs-fold and broken header lines are counted, parsing continues") {
  Parsed* p =
      parse("GET /a HTTP/1.1\r\nX-A: 1\r\n  folded\r\nNoColon\r\nBad Name: v\r\nSpace : v\r\nCookie: c=d\r\n\r\n");
  CHECK(p->st == Status::Malformed);
  CHECK(p->an.get(Anomaly::HttpBadHeader) == 4);
  CHECK(p->h.bad_header_lines == 4);
  CHECK(str(p->h.method) == "GET");
  REQUIRE(p->h.n_headers == 2);
  CHECK(str(p->h.headers[0].name) == "X-A");
  CHECK(str(p->h.headers[1].name) == "Cookie");
  CHECK(str(p->h.headers[1].value) == "c=d");
}

TEST_CASE("http: bare LF line endings") {
  Parsed* p = parse("POST /u HTTP/1.1\nHost: h\nContent-Length: 3\n\nabc");
  REQUIRE(p->st == Status::Ok);
  CHECK(str(p->h.host) == "h");
  CHECK(p->h.has_content_length);
  CHECK(p->h.content_length == 3);
  CHECK(p->h.head_len == 44);
}

TEST_CASE("http: at most kMaxHttpHeaders are kept, the rest counted once") {
  std::string s = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 70; i++) s += "X-" + std::to_string(i) + ": v\r\n";
  s += "Content-Length: 2\r\n\r\nab";
  Parsed* p = parse(s);
  CHECK(p->st == Status::Ok);
  CHECK(p->h.n_headers == kMaxHttpHeaders);
  CHECK(p->an.get(Anomaly::HttpTooManyHeaders) == 1);
  CHECK(str(p->h.headers[63].name) == "X-63");
  // Framing headers past the limit are still honoured (a body must be skipped).
  CHECK(p->h.has_content_length);
  CHECK(p->h.content_length == 2);
}

TEST_CASE("http: Content-Length and Transfer-Encoding framing") {
  Parsed* p = parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n");
  CHECK(p->st == Status::Ok);
  CHECK(p->h.content_length == 10);
  p = parse("POST / HTTP/1.1\r\nContent-Length: 10, 10\r\ncontent-length: 10\r\n\r\n");
  CHECK(p->st == Status::Ok);
  CHECK(p->h.content_length == 10);
  CHECK_FALSE(p->h.bad_framing);
  for (const char* cl : {"1O", "+5", "-1", "", "5,", "0x10", "1 0", "12345678901234567890"}) {
    p = parse(std::string("POST / HTTP/1.1\r\nContent-Length: ") + cl + "\r\n\r\n");
    CHECK_MESSAGE(p->st == Status::Malformed, cl);
    CHECK(p->an.get(Anomaly::HttpBadHeader) == 1);
    CHECK(p->h.bad_framing);
    CHECK_FALSE(p->h.has_content_length);
    CHECK(http_request_framing(S(std::string("POST / HTTP/1.1\r\nContent-Length: ") + cl + "\r\n\r\n")).kind ==
          HttpBodyKind::Invalid);
  }
  p = parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");  // conflicting duplicates
  CHECK(p->st == Status::Malformed);
  CHECK(p->h.bad_framing);
  CHECK(http_request_framing(S("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")).kind ==
        HttpBodyKind::Invalid);

  p = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(p->st == Status::Ok);
  CHECK(p->h.chunked);
  p = parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
  CHECK(p->h.chunked);
  p = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");  // chunked not final
  CHECK_FALSE(p->h.chunked);
  CHECK(p->h.bad_framing);
  CHECK(p->st == Status::Ok);  // the head itself is fine; its body length is not

  HttpFraming f = http_request_framing(S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  CHECK(f.kind == HttpBodyKind::None);
  f = http_request_framing(S("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
  CHECK(f.kind == HttpBodyKind::None);
  f = http_request_framing(S("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n"));
  CHECK(f.kind == HttpBodyKind::Length);
  CHECK(f.length == 42);
  f = http_request_framing(S("POST / HTTP/1.1\r\nContent-Length: 42\r\nTransfer-Encoding: chunked\r\n\r\n"));
  CHECK(f.kind == HttpBodyKind::Chunked);  // TE overrides CL
  f = http_request_framing(S("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"));
  CHECK(f.kind == HttpBodyKind::Invalid);
  f = http_request_framing(S("GET /x HTTP/9.9\r\n\r\n"));
  CHECK(f.kind == HttpBodyKind::Invalid);
  f = http_request_framing(S("GET / HTTP/1.1\r\nHost: a\r\n"));
  CHECK(f.kind == HttpBodyKind::Invalid);
}

TEST_CASE("http: no terminator is Truncated, nothing counted") {
  Parsed* p = parse("GET / HTTP/1.1\r\nHost: a\r\n");
  CHECK(p->st == Status::Truncated);
  CHECK(p->an.total() == 0);
  p = parse("");
  CHECK(p->st == Status::Truncated);
}

TEST_CASE("http: ascii_iequals") {
  CHECK(ascii_iequals(S("Content-LENGTH"), "content-length", 14));
  CHECK_FALSE(ascii_iequals(S("Content-Lengt"), "content-length", 14));
  CHECK_FALSE(ascii_iequals(S("Content_Length"), "content-length", 14));
  CHECK(ascii_iequals(S(""), "", 0));
}

// Golden: zeek/gtp1_gn_normal_incl_fragmentation.pcap. Odd because the request head
// (2100 bytes, a long query and a long Cookie) spans two TCP segments and the first
// segment's outer IPv4 packet is fragmented (tshark reassembles it).
TEST_CASE("http: golden request head from zeek gtp1_gn_normal_incl_fragmentation") {
  std::string f = apptest::public_fixture("zeek/gtp1_gn_normal_incl_fragmentation.pcap");
  if (f.empty() || !apptest::have_tshark()) {
    MESSAGE("skipped: fixture or tshark absent");
    return;
  }
  auto segs = apptest::tshark_fields(f, "tcp.srcport==1923 && tcp.len>0", {"tcp.payload"});
  REQUIRE(segs.size() == 2);
  auto head = gnpay_test::hex(segs[0][0] + segs[1][0]);
  auto truth = apptest::tshark_fields(
      f, "http.request", {"http.request.method", "http.request.uri", "http.host", "http.cookie", "http.user_agent"});
  REQUIRE(truth.size() == 1);
  REQUIRE(truth[0].size() == 5);
  CHECK(http_head_length(gnpay_test::span(head)) == head.size());
  CHECK(http_head_length(gnpay_test::span(head).prefix(1440)) == 0);  // the first segment alone is not a head
  static HttpRequestHead h;
  AnomalyCounters an;
  REQUIRE(parse_http_request_head(gnpay_test::span(head), h, an) == Status::Ok);
  CHECK(an.total() == 0);
  CHECK(str(h.method) == truth[0][0]);
  CHECK(str(h.target) == truth[0][1]);
  CHECK(str(h.host) == truth[0][2]);
  bool cookie = false, ua = false;
  for (size_t i = 0; i < h.n_headers; i++) {
    if (ascii_iequals(h.headers[i].name, "cookie", 6)) cookie = str(h.headers[i].value) == truth[0][3];
    if (ascii_iequals(h.headers[i].name, "user-agent", 10)) ua = str(h.headers[i].value) == truth[0][4];
  }
  CHECK(cookie);
  CHECK(ua);
  CHECK(http_request_framing(gnpay_test::span(head)).kind == HttpBodyKind::None);
}
