// TBCD digit strings (TS 29.002 TBCD-STRING, TS 23.003): two digits per octet,
// low nibble first; 0xF is the filler.
#include "tbcd.h"

namespace gnpay {

bool decode_tbcd(Span bytes, Digits& out) {
  out.clear();
  bool filler_seen = false;
  size_t n = 0;
  for (size_t i = 0; i < bytes.size; i++) {
    const uint8_t o = bytes[i];
    const uint8_t nib[2] = {uint8_t(o & 0x0F), uint8_t(o >> 4)};
    for (uint8_t d : nib) {
      if (d == 0x0F) {
        filler_seen = true;
        continue;
      }
      if (filler_seen || d > 9 || n >= kMaxDigits) {  // a digit after a filler, A-E, or too long
        out.clear();
        return false;
      }
      out.d[n++] = char('0' + d);
    }
  }
  out.len = uint8_t(n);
  out.d[n] = 0;
  return true;
}

}  // namespace gnpay
