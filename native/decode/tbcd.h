// TBCD digit strings (TS 29.002 / TS 23.003): IMSI, MSISDN, IMEI(SV).
#pragma once
#include "span.h"

namespace gnpay {

constexpr size_t kMaxDigits = 16;  // IMEISV has 16; IMSI and MSISDN at most 15

// A short digit string held inline (no allocation).
struct Digits {
  uint8_t len = 0;
  char d[kMaxDigits + 1] = {0};  // NUL-terminated
  bool empty() const { return len == 0; }
  void clear() {
    len = 0;
    d[0] = 0;
  }
};

// Decodes TBCD: low nibble first; 0xF is the filler and may only end the
// string (normally the last octet's high nibble; a fixed-size field such as the
// GTPv1 IMSI TV of 8 octets pads a shorter number with whole 0xFF octets, so
// every nibble after the first filler must be a filler too). Returns false (and
// clears out) on a digit 0xA-0xE, a digit after a filler, or more than
// kMaxDigits digits. An empty span (or fillers only) decodes to "".
bool decode_tbcd(Span bytes, Digits& out);

}  // namespace gnpay
