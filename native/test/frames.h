// Minimal frame builders for engine tests: Ethernet / IPv4 / UDP / GTPv1-C,
// GTPv2-C, GTP-U, and a TCP segment inside. Only what the tests need.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gnpay_test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}
inline void append(Bytes& b, const Bytes& x) { b.insert(b.end(), x.begin(), x.end()); }
inline void append(Bytes& b, const std::string& s) { b.insert(b.end(), s.begin(), s.end()); }

inline Bytes ipv4_header(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, size_t payload_len) {
  Bytes h;
  h.push_back(0x45);
  h.push_back(0);
  put16(h, uint16_t(20 + payload_len));
  put16(h, 0x1234);
  put16(h, 0);
  h.push_back(64);
  h.push_back(proto);
  put16(h, 0);
  h.insert(h.end(), src, src + 4);
  h.insert(h.end(), dst, dst + 4);
  return h;
}

inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes u;
  put16(u, sport);
  put16(u, dport);
  put16(u, uint16_t(8 + payload.size()));
  put16(u, 0);
  append(u, payload);
  return u;
}

inline Bytes ipv4_udp(const uint8_t src[4], const uint8_t dst[4], uint16_t sport, uint16_t dport,
                      const Bytes& payload) {
  Bytes u = udp(sport, dport, payload);
  Bytes ip = ipv4_header(src, dst, 17, u.size());
  append(ip, u);
  return ip;
}

inline Bytes ethernet(const Bytes& ip) {
  Bytes f = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00};
  append(f, ip);
  return f;
}

// GTPv1 header with the S flag (sequence) for GTP-C.
inline Bytes gtp1c(uint8_t type, uint32_t teid, uint16_t seq, const Bytes& ies) {
  Bytes g;
  g.push_back(0x32);  // version 1, PT 1, S
  g.push_back(type);
  put16(g, uint16_t(ies.size() + 4));
  put32(g, teid);
  put16(g, seq);
  g.push_back(0);
  g.push_back(0);
  append(g, ies);
  return g;
}

inline Bytes gtpu(uint32_t teid, const Bytes& tpdu) {
  Bytes g;
  g.push_back(0x30);
  g.push_back(0xFF);
  put16(g, uint16_t(tpdu.size()));
  put32(g, teid);
  append(g, tpdu);
  return g;
}

// TBCD digits, filler F.
inline Bytes tbcd(const std::string& digits) {
  Bytes b;
  for (size_t i = 0; i < digits.size(); i += 2) {
    uint8_t lo = uint8_t(digits[i] - '0');
    uint8_t hi = i + 1 < digits.size() ? uint8_t(digits[i + 1] - '0') : 0xF;
    b.push_back(uint8_t(hi << 4 | lo));
  }
  return b;
}

namespace ie1 {
inline Bytes tv(uint8_t type, const Bytes& v) {
  Bytes b = {type};
  append(b, v);
  return b;
}
inline Bytes tlv(uint8_t type, const Bytes& v) {
  Bytes b = {type};
  put16(b, uint16_t(v.size()));
  append(b, v);
  return b;
}
inline Bytes cause(uint8_t c) { return tv(1, {c}); }
inline Bytes imsi(const std::string& d) {
  Bytes v = tbcd(d);
  while (v.size() < 8) v.push_back(0xFF);
  return tv(2, v);
}
inline Bytes teid_data(uint32_t t) {
  Bytes v;
  put32(v, t);
  return tv(16, v);
}
inline Bytes teid_cp(uint32_t t) {
  Bytes v;
  put32(v, t);
  return tv(17, v);
}
inline Bytes teardown() { return tv(19, {1}); }
inline Bytes nsapi(uint8_t n) { return tv(20, {n}); }
inline Bytes eua_v4(const uint8_t a[4]) {
  Bytes v = {0xF1, 0x21};
  v.insert(v.end(), a, a + 4);
  return tlv(128, v);
}
inline Bytes eua_empty_v4() { return tlv(128, {0xF1, 0x21}); }
inline Bytes apn(const std::string& dotted) {
  Bytes v;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    v.push_back(uint8_t(dot - start));
    v.insert(v.end(), dotted.begin() + long(start), dotted.begin() + long(dot));
    start = dot + 1;
  }
  return tlv(131, v);
}
inline Bytes gsn(const uint8_t a[4]) { return tlv(133, Bytes(a, a + 4)); }
inline Bytes msisdn(const std::string& d) {
  Bytes v = {0x91};
  append(v, tbcd(d));
  return tlv(134, v);
}
}  // namespace ie1

// IPv4 + TCP segment (no options) carrying `payload`.
inline Bytes ipv4_tcp(const uint8_t src[4], const uint8_t dst[4], uint16_t sport, uint16_t dport, uint32_t seq,
                      uint8_t flags, const std::string& payload) {
  Bytes t;
  put16(t, sport);
  put16(t, dport);
  put32(t, seq);
  put32(t, 1);
  t.push_back(0x50);
  t.push_back(flags);
  put16(t, 65535);
  put16(t, 0);
  put16(t, 0);
  append(t, payload);
  Bytes ip = ipv4_header(src, dst, 6, t.size());
  append(ip, t);
  return ip;
}

}  // namespace gnpay_test

namespace gnpay_test {

inline Bytes ipv6_udp(const uint8_t src[16], const uint8_t dst[16], uint16_t sport, uint16_t dport,
                      const Bytes& payload) {
  Bytes u = udp(sport, dport, payload);
  Bytes ip = {0x60, 0, 0, 0};
  put16(ip, uint16_t(u.size()));
  ip.push_back(17);
  ip.push_back(64);
  ip.insert(ip.end(), src, src + 16);
  ip.insert(ip.end(), dst, dst + 16);
  append(ip, u);
  return ip;
}

// GTPv2-C header with the T flag (P: a piggybacked message follows).
inline Bytes gtp2c(uint8_t type, uint32_t teid, uint32_t seq, const Bytes& ies, bool piggyback = false) {
  Bytes g;
  g.push_back(uint8_t(0x48 | (piggyback ? 0x10 : 0)));
  g.push_back(type);
  put16(g, uint16_t(ies.size() + 8));
  put32(g, teid);
  g.push_back(uint8_t(seq >> 16));
  g.push_back(uint8_t(seq >> 8));
  g.push_back(uint8_t(seq));
  g.push_back(0);
  append(g, ies);
  return g;
}

namespace ie2 {
inline Bytes ie(uint8_t type, const Bytes& v, uint8_t instance = 0) {
  Bytes b = {type};
  put16(b, uint16_t(v.size()));
  b.push_back(instance);
  append(b, v);
  return b;
}
inline Bytes imsi(const std::string& d) { return ie(1, tbcd(d)); }
inline Bytes cause(uint8_t c) { return ie(2, {c, 0}); }
inline Bytes msisdn(const std::string& d) { return ie(76, tbcd(d)); }
inline Bytes mei(const std::string& d) { return ie(75, tbcd(d)); }
inline Bytes apn(const std::string& dotted) {
  Bytes v;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    v.push_back(uint8_t(dot - start));
    v.insert(v.end(), dotted.begin() + long(start), dotted.begin() + long(dot));
    start = dot + 1;
  }
  return ie(71, v);
}
inline Bytes ebi(uint8_t e, uint8_t instance = 0) { return ie(73, {e}, instance); }
inline Bytes paa_v4(const uint8_t a[4]) { return ie(79, {1, a[0], a[1], a[2], a[3]}); }
inline Bytes fteid(uint8_t iface, uint32_t teid, const uint8_t* v4, const uint8_t* v6 = nullptr, uint8_t instance = 0) {
  Bytes v = {uint8_t((v4 ? 0x80 : 0) | (v6 ? 0x40 : 0) | iface)};
  put32(v, teid);
  if (v4) v.insert(v.end(), v4, v4 + 4);
  if (v6) v.insert(v.end(), v6, v6 + 16);
  return ie(87, v, instance);
}
inline Bytes bearer(const Bytes& inner, uint8_t instance = 0) { return ie(93, inner, instance); }
}  // namespace ie2

}  // namespace gnpay_test
