// TBCD digit strings (TS 29.002 TBCD-STRING): low nibble first, 0xF filler.
#include <doctest/doctest.h>

#include <string>

#include "bytes.h"
#include "tbcd.h"

using gnpay::decode_tbcd;
using gnpay::Digits;
using gnpay_test::hex;
using gnpay_test::span;

namespace {
std::string tbcd(const std::string& h, bool* ok = nullptr) {
  auto b = hex(h);
  Digits d;
  bool r = decode_tbcd(span(b), d);
  if (ok) *ok = r;
  CHECK(std::string(d.d).size() == d.len);
  return std::string(d.d, d.len);
}
}  // namespace

TEST_CASE("tbcd: odd digit count ends with a filler in the last high nibble") {
  bool ok = false;
  CHECK(tbcd("21 43 65 f7", &ok) == "1234567");
  CHECK(ok);
  // the IMSI of zeek/gtp_create_pdp_ctx.pcap frame 2 (TV IE 2, 8 octets)
  CHECK(tbcd("64 00 40 01 00 00 01 f1", &ok) == "460004100000101");
  CHECK(ok);
}

TEST_CASE("tbcd: even digit count, no filler") {
  bool ok = false;
  CHECK(tbcd("21 43", &ok) == "1234");
  CHECK(ok);
}

TEST_CASE("tbcd: empty span and fillers only decode to the empty string") {
  bool ok = false;
  CHECK(tbcd("", &ok).empty());
  CHECK(ok);
  CHECK(tbcd("ff ff", &ok).empty());
  CHECK(ok);
}

TEST_CASE("tbcd: whole 0xFF octets may pad a shorter number in a fixed-size field") {
  bool ok = false;
  CHECK(tbcd("21 f3 ff ff", &ok) == "123");
  CHECK(ok);
}

TEST_CASE("tbcd: digits A-E are rejected and the output cleared") {
  bool ok = true;
  auto b = hex("21 a3");
  Digits d;
  d.len = 3;
  d.d[0] = 'x';
  CHECK_FALSE(decode_tbcd(span(b), d));
  CHECK(d.len == 0);
  CHECK(d.d[0] == 0);
  for (const char* h : {"1a", "b1", "c1", "1d", "e1"}) {
    tbcd(h, &ok);
    CHECK_FALSE(ok);
  }
}

TEST_CASE("tbcd: a digit after a filler is rejected") {
  bool ok = true;
  tbcd("1f", &ok);  // filler in the low nibble, then a digit
  CHECK_FALSE(ok);
  tbcd("21 f3 45", &ok);  // filler in the middle
  CHECK_FALSE(ok);
}

TEST_CASE("tbcd: at most kMaxDigits digits") {
  bool ok = false;
  CHECK(tbcd("21 43 65 87 09 21 43 65", &ok) == "1234567890123456");  // 16: IMEISV
  CHECK(ok);
  tbcd("21 43 65 87 09 21 43 65 f7", &ok);  // 17
  CHECK_FALSE(ok);
}
