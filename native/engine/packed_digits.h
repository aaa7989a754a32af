// IMSI / MSISDN / IMEI(SV) packed into 64 bits: one digit per nibble, first
// digit in the lowest nibble, 0xF after the last digit (16 digits fill all 64
// bits). All-F (kNoDigits) means absent. Used to keep a session record small.
#pragma once
#include <cstdint>
#include "tbcd.h"

namespace gnpay {

constexpr uint64_t kNoDigits = ~uint64_t(0);

inline uint64_t pack_digits(const Digits& d) {
  if (d.len == 0) return kNoDigits;
  uint64_t v = kNoDigits;
  for (size_t i = 0; i < d.len && i < 16; i++) {
    v &= ~(uint64_t(0xF) << (4 * i));
    v |= uint64_t(d.d[i] - '0') << (4 * i);
  }
  return v;
}

inline void unpack_digits(uint64_t v, Digits& out) {
  out.clear();
  for (size_t i = 0; i < 16; i++) {
    unsigned nib = unsigned(v >> (4 * i)) & 0xF;
    if (nib > 9) break;
    out.d[out.len++] = char('0' + nib);
  }
  out.d[out.len] = 0;
}

}  // namespace gnpay
