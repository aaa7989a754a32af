// HPACK (RFC 7541): the examples of Appendix C (requests, without and with
// Huffman coding, sharing one dynamic table), the Huffman code, and hostile
// blocks (bad integers, indexes, strings, padding, size updates, a small arena).
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "bytes.h"
#include "hpack.h"

using namespace gnpay;
using gnpay_test::hex;
using gnpay_test::span;

namespace {
std::string str(Span s) { return std::string(reinterpret_cast<const char*>(s.data), s.size); }

struct Decoder {
  std::unique_ptr<HpackTable> table{new HpackTable()};
  uint8_t arena[4096];
  Http2RequestHead head;
  AnomalyCounters an;
  Status decode(const std::string& h) {
    auto b = hex(h);
    return decode_hpack_block(span(b), *table, arena, sizeof arena, head, an);
  }
  std::string header(const char* name) const {
    for (uint16_t i = 0; i < head.n_headers; i++)
      if (str(head.headers[i].name) == name) return str(head.headers[i].value);
    return "<none>";
  }
};
}  // namespace

TEST_CASE("hpack: RFC 7541 C.3 requests without Huffman coding share the dynamic table") {
  Decoder d;
  REQUIRE(d.decode("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d") == Status::Ok);
  CHECK(str(d.head.method) == "GET");
  CHECK(str(d.head.scheme) == "http");
  CHECK(str(d.head.path) == "/");
  CHECK(str(d.head.authority) == "www.example.com");
  CHECK(d.table->size == 57);
  REQUIRE(d.decode("8286 84be 5808 6e6f 2d63 6163 6865") == Status::Ok);
  CHECK(str(d.head.authority) == "www.example.com");  // index 62
  CHECK(d.header("cache-control") == "no-cache");
  CHECK(d.table->size == 110);
  REQUIRE(d.decode("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65") == Status::Ok);
  CHECK(str(d.head.scheme) == "https");
  CHECK(str(d.head.path) == "/index.html");
  CHECK(str(d.head.authority) == "www.example.com");  // index 63
  CHECK(d.header("custom-key") == "custom-value");
  CHECK(d.table->size == 164);
  CHECK(d.an.total() == 0);
}

TEST_CASE("hpack: RFC 7541 C.4 requests with Huffman coding") {
  Decoder d;
  REQUIRE(d.decode("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff") == Status::Ok);
  CHECK(str(d.head.authority) == "www.example.com");
  REQUIRE(d.decode("8286 84be 5886 a8eb 1064 9cbf") == Status::Ok);
  CHECK(d.header("cache-control") == "no-cache");
  REQUIRE(d.decode("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf") == Status::Ok);
  CHECK(d.header("custom-key") == "custom-value");
  CHECK(str(d.head.authority) == "www.example.com");
  CHECK(d.table->size == 164);
}

TEST_CASE("hpack: Huffman code: every octet, padding and EOS") {
  uint8_t out[8];
  auto www = hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff");
  uint8_t buf[32];
  REQUIRE(hpack_huffman_decode(span(www), buf, sizeof buf) == 15);
  CHECK(std::string(reinterpret_cast<char*>(buf), 15) == "www.example.com");
  // '0' is 00000 (5 bits) + 3 bits of padding 111
  auto zero = hex("07");
  REQUIRE(hpack_huffman_decode(span(zero), out, sizeof out) == 1);
  CHECK(out[0] == '0');
  // padding that is not all ones, or 8 bits of it, is an error
  auto badpad = hex("00");  // '0' + padding 000
  CHECK(hpack_huffman_decode(span(badpad), out, sizeof out) == SIZE_MAX);
  auto longpad = hex("07 ff");
  CHECK(hpack_huffman_decode(span(longpad), out, sizeof out) == SIZE_MAX);
  // EOS (30 ones) inside the string
  auto eos = hex("ff ff ff fc");
  CHECK(hpack_huffman_decode(span(eos), out, sizeof out) == SIZE_MAX);
  // the output does not fit
  CHECK(hpack_huffman_decode(span(www), out, 4) == SIZE_MAX);
}

TEST_CASE("hpack: hostile blocks are malformed and counted, never read past") {
  Decoder d;
  CHECK(d.decode("80") == Status::Malformed);  // index 0
  CHECK(d.an.get(Anomaly::HpackBadIndex) == 1);
  CHECK(d.decode("ff 80 80 80 80 80 01") == Status::Malformed);  // an integer past 2^24
  CHECK(d.an.get(Anomaly::HpackBadInteger) >= 1);
  CHECK(d.decode("be") == Status::Malformed);  // a dynamic index into an empty table
  CHECK(d.an.get(Anomaly::HpackBadIndex) == 2);
  CHECK(d.decode("41 0f 77 77") == Status::Malformed);  // a string longer than the block
  CHECK(d.an.get(Anomaly::HpackBadString) == 1);
  CHECK(d.decode("41 81 00") == Status::Malformed);  // bad Huffman padding
  CHECK(d.an.get(Anomaly::HpackBadHuffman) == 1);
  CHECK(d.decode("82 3f e1 1f") == Status::Malformed);  // a size update after a field
  CHECK(d.decode("3f e2 1f") == Status::Malformed);     // a size update past 4096
  CHECK(d.an.get(Anomaly::HpackBadSizeUpdate) == 2);
  // a size update to 0 empties the table
  REQUIRE(d.decode("4104 6162 6364") == Status::Ok);  // :authority "abcd", indexed
  CHECK(d.table->n == 1);
  REQUIRE(d.decode("20 82") == Status::Ok);
  CHECK(d.table->n == 0);
}

TEST_CASE("hpack: an arena too small for the header list") {
  std::unique_ptr<HpackTable> t(new HpackTable());
  uint8_t arena[8];
  Http2RequestHead h;
  AnomalyCounters an;
  auto b = hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
  CHECK(decode_hpack_block(span(b), *t, arena, sizeof arena, h, an) == Status::Malformed);
  CHECK(an.get(Anomaly::HpackListTooLarge) == 1);
}

TEST_CASE("hpack: entries are evicted oldest first within 4096 octets") {
  Decoder d;
  // 40 entries of name "x" (1) + value of 100 octets: 133 octets each, so 30 fit
  std::string value(200, '6');  // 100 octets of '6' in hex = 100 octets
  for (int i = 0; i < 40; i++) {
    std::string block = "40 01 78 64 " + value;
    REQUIRE(d.decode(block) == Status::Ok);
  }
  CHECK(d.table->size <= HpackTable::kMaxSize);
  CHECK(d.table->n == 30);
  // the newest is index 62; index 62 + 30 does not exist any more
  REQUIRE(d.decode("be") == Status::Ok);
  CHECK(d.header("x").size() == 100);
  CHECK(d.decode("ff 21") == Status::Malformed);  // 127 + 33 = 160 > 61 + 30
}
