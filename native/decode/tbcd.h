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
  void clear() { len = 0; d[0] = 0; }
};

// Decodes TBCD: low nibble first, 0xF only as the filler of the last octet's
// high nibble. Returns false (and clears out) on a digit 0xA-0xE, a filler
// anywhere else, or more than kMaxDigits digits. An empty span decodes to "".
bool decode_tbcd(Span bytes, Digits& out);

}  // namespace gnpay
