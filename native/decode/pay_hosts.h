// The pay host(s): the names under which the pay page is served. A ClientHello
// whose SNI is one of them (or a name under one, on a label boundary) is
// reported with its client random, so that the pay listener can bind the TLS
// connection it terminates to the subscriber whose tunnel carried it.
#pragma once
#include "span.h"

namespace gnpay {

constexpr size_t kMaxPayHosts = 8;
constexpr size_t kMaxPayHostLen = 253;

class PayHostSet {
 public:
  // Adds a host name (case-insensitive, a trailing dot dropped); false when the
  // set is full or the name is empty, too long or has characters a DNS name
  // cannot have.
  bool add(const char* name, size_t len);
  size_t size() const { return n_; }
  void clear() { n_ = 0; }
  // True when `name` equals a pay host or ends with "." + a pay host.
  bool matches(Span name) const;

 private:
  struct Host {
    uint8_t len = 0;
    char s[kMaxPayHostLen + 1] = {0};
  };
  Host items_[kMaxPayHosts];
  size_t n_ = 0;
};

}  // namespace gnpay
