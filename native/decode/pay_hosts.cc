#include "pay_hosts.h"

namespace gnpay {

namespace {
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
inline bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}
}  // namespace

bool PayHostSet::add(const char* name, size_t len) {
  if (n_ >= kMaxPayHosts || name == nullptr) return false;
  if (len > 0 && name[len - 1] == '.') len--;
  if (len == 0 || len > kMaxPayHostLen || name[0] == '.') return false;
  Host& h = items_[n_];
  for (size_t i = 0; i < len; i++) {
    char c = lower(name[i]);
    if (!host_char(c)) return false;
    h.s[i] = c;
  }
  h.s[len] = 0;
  h.len = uint8_t(len);
  n_++;
  return true;
}

bool PayHostSet::matches(Span name) const {
  size_t n = name.size;
  if (n > 0 && name.data[n - 1] == '.') n--;
  for (size_t k = 0; k < n_; k++) {
    const Host& h = items_[k];
    if (n < h.len) continue;
    size_t off = n - h.len;
    if (off > 0 && name.data[off - 1] != '.') continue;  // on a label boundary only
    if (off == 1) continue;                              // ".host" is no name
    bool eq = true;
    for (size_t i = 0; i < h.len && eq; i++) eq = lower(char(name.data[off + i])) == h.s[i];
    if (eq) return true;
  }
  return false;
}

}  // namespace gnpay
