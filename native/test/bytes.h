// Helpers for tests that build packets from hex.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "span.h"

namespace gnpay_test {

// "45 00 0a" or "45000a" -> bytes (spaces and newlines ignored).
inline std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (hi < 0)
      hi = v;
    else {
      out.push_back(uint8_t(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}
inline gnpay::Span span(const std::vector<uint8_t>& v) { return gnpay::Span(v.data(), v.size()); }

}  // namespace gnpay_test
