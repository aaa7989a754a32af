// format_ip: IPv4 dotted quad; IPv6 per RFC 5952 s4 (lower-case hex, leading
// zeros dropped, the longest run of two or more zero groups replaced by "::",
// the leftmost run on ties).
#include "span.h"

namespace gnpay {

namespace {

size_t put_dec(char* p, unsigned v) {
  char tmp[4];
  size_t n = 0;
  do {
    tmp[n++] = char('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof(tmp));
  for (size_t i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
  return n;
}

size_t put_hex16(char* p, unsigned v) {
  static const char kHex[] = "0123456789abcdef";
  size_t n = 0;
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    unsigned d = (v >> shift) & 0xF;
    if (d != 0 || started || shift == 0) {
      p[n++] = kHex[d];
      started = true;
    }
  }
  return n;
}

}  // namespace

size_t format_ip(const IpAddr& a, char* out, size_t cap) {
  if (out == nullptr || cap == 0) return 0;
  char buf[48];
  size_t n = 0;
  if (a.family == 4) {
    for (int i = 0; i < 4; i++) {
      if (i) buf[n++] = '.';
      n += put_dec(buf + n, a.b[12 + i]);
    }
  } else if (a.family == 6) {
    unsigned g[8];
    for (int i = 0; i < 8; i++) g[i] = (unsigned(a.b[2 * i]) << 8) | a.b[2 * i + 1];
    // Longest run of zero groups (length >= 2), leftmost on ties.
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) j++;
      if (j - i > best_len) {
        best = i;
        best_len = j - i;
      }
      i = j;
    }
    if (best_len < 2) best = -1;
    for (int i = 0; i < 8;) {
      if (i == best) {
        buf[n++] = ':';
        buf[n++] = ':';
        i += best_len;
        continue;
      }
      bool after_gap = best >= 0 && i == best + best_len;
      if (i != 0 && !after_gap) buf[n++] = ':';
      n += put_hex16(buf + n, g[i]);
      i++;
    }
  }
  if (n >= cap) n = cap - 1;
  std::memcpy(out, buf, n);
  out[n] = 0;
  return n;
}

}  // namespace gnpay
