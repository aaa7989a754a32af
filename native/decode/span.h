// A non-owning view of bytes, and the address type used across decoders.
// Pure C++17: no N-API, no I/O, no logging (see native/decode/README.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gnpay {

struct Span {
  const uint8_t* data = nullptr;
  size_t size = 0;

  Span() = default;
  Span(const uint8_t* d, size_t n) : data(d), size(n) {}
  bool empty() const { return size == 0; }
  // Sub-view [off, off+len). Returns an empty span (and false) when out of range.
  bool sub(size_t off, size_t len, Span& out) const {
    if (off > size || len > size - off) {
      out = Span();
      return false;
    }
    out = Span(data + off, len);
    return true;
  }
  // Bytes from off to the end (empty if off >= size).
  Span from(size_t off) const { return off >= size ? Span() : Span(data + off, size - off); }
  // The first n bytes (all of it if n >= size).
  Span prefix(size_t n) const { return n >= size ? *this : Span(data, n); }
  uint8_t operator[](size_t i) const { return data[i]; }  // caller checks i < size
};

// An IPv4 or IPv6 address. IPv4 is held as an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) so that every address is 16 bytes and compares bytewise.
struct IpAddr {
  uint8_t b[16] = {0};
  uint8_t family = 0;  // 0 = unset, 4, 6

  static IpAddr v4(const uint8_t* p) {
    IpAddr a;
    a.b[10] = 0xff;
    a.b[11] = 0xff;
    std::memcpy(a.b + 12, p, 4);
    a.family = 4;
    return a;
  }
  static IpAddr v6(const uint8_t* p) {
    IpAddr a;
    std::memcpy(a.b, p, 16);
    a.family = 6;
    return a;
  }
  bool is_set() const { return family != 0; }
  uint32_t v4_value() const {  // host order, valid when family == 4
    return (uint32_t(b[12]) << 24) | (uint32_t(b[13]) << 16) | (uint32_t(b[14]) << 8) | uint32_t(b[15]);
  }
  bool operator==(const IpAddr& o) const { return family == o.family && std::memcmp(b, o.b, 16) == 0; }
  bool operator!=(const IpAddr& o) const { return !(*this == o); }
};

// Writes the textual form ("10.0.0.1", "2001:db8::1") into out (>= 46 bytes); returns its length.
size_t format_ip(const IpAddr& a, char* out, size_t cap);

}  // namespace gnpay
