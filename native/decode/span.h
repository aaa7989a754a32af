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
    a.set_v4(p);
    return a;
  }
  static IpAddr v6(const uint8_t* p) {
    IpAddr a;
    std::memcpy(a.b, p, 16);
    a.family = 6;
    return a;
  }
  // ::ffff:a.b.c.d as two 8-byte words built in registers. Built byte by byte
  // on the stack, the address was then read back as 16 bytes, which the store
  // buffer cannot forward: a stall at every IPv4 header.
  void set_v4(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const uint64_t hi = (uint64_t(0xffff) << 32) | v;
#else
    const uint64_t hi = (uint64_t(v) << 32) | 0xffff0000u;
#endif
    const uint64_t lo = 0;
    std::memcpy(b, &lo, 8);
    std::memcpy(b + 8, &hi, 8);
    family = 4;
  }
  bool is_set() const { return family != 0; }
  uint32_t v4_value() const {  // host order, valid when family == 4
    return (uint32_t(b[12]) << 24) | (uint32_t(b[13]) << 16) | (uint32_t(b[14]) << 8) | uint32_t(b[15]);
  }
  bool operator==(const IpAddr& o) const {
    uint64_t x[2], y[2];
    std::memcpy(x, b, 16);
    std::memcpy(y, o.b, 16);
    return family == o.family && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
  bool operator!=(const IpAddr& o) const { return !(*this == o); }
};

// Writes the textual form ("10.0.0.1", "2001:db8::1") into out (>= 46 bytes); returns its length.
size_t format_ip(const IpAddr& a, char* out, size_t cap);

}  // namespace gnpay
