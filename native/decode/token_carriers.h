// Where a payment token travels in what the subscriber sends (docs/carriers.md).
//   query:NAME   value of query parameter NAME in the request target (split on '&'
//                first, then percent-decoded; NAME compared exactly after decoding)
//   path:PREFIX  the path segment right after PREFIX, PREFIX only at the start of the path
//   host:SUFFIX  leftmost label of a name under SUFFIX, on a label boundary
//                (HTTP Host / absolute-form target, DNS query name, TLS SNI);
//                case-insensitive, token reported lower-case; a Host port is ignored
//   header:NAME  value of header NAME (name case-insensitive)
//   cookie:NAME  value of cookie NAME in Cookie headers
// A token is 16..64 characters of [A-Za-z0-9_-]; a value with any other
// character is not a token (never truncated into one) and counts token.invalid_value.
#pragma once
#include "http_request.h"
#include "status.h"

namespace gnpay {

enum class CarrierKind : uint8_t { Query = 0, Path, Host, Header, Cookie };
enum class Via : uint8_t { Http = 0, Dns, TlsSni };
const char* carrier_kind_name(CarrierKind k);  // "query", "path", "host", "header", "cookie"
const char* via_name(Via v);                   // "http", "dns", "tls-sni"

constexpr size_t kMinTokenLen = 16;
constexpr size_t kMaxTokenLen = 64;
constexpr size_t kMaxCarriers = 32;
constexpr size_t kMaxCarrierArg = 255;
constexpr size_t kMaxTokenMatches = 8;

struct Carrier {
  CarrierKind kind = CarrierKind::Query;
  uint8_t len = 0;
  char arg[kMaxCarrierArg + 1] = {0};  // host: lower-case, no leading/trailing dot
};

class CarrierSet {
 public:
  // Adds a carrier; false when the set is full or the argument is empty or too long.
  bool add(CarrierKind kind, const char* arg, size_t len);
  // Parses "kind:arg" (e.g. "query:gnpay_token"); false when malformed.
  bool add_spec(const char* spec, size_t len);
  size_t size() const { return n_; }
  const Carrier& at(size_t i) const { return items_[i]; }
  bool has_kind(CarrierKind k) const;
  void clear() { n_ = 0; }

 private:
  Carrier items_[kMaxCarriers];
  size_t n_ = 0;
};

bool is_token(Span s);

struct TokenMatch {
  CarrierKind kind = CarrierKind::Query;
  Via via = Via::Http;
  uint8_t len = 0;
  char token[kMaxTokenLen + 1] = {0};
};

// Matches found in one request / query / ClientHello. The same token found by
// two carriers is reported once (the first carrier in CarrierSet order wins).
struct TokenMatches {
  uint8_t n = 0;
  TokenMatch m[kMaxTokenMatches];
  void clear() { n = 0; }
  bool add(CarrierKind kind, Via via, const char* tok, size_t len);  // dedupes; false when full
};

void match_http_request(const CarrierSet& carriers, const HttpRequestHead& head, TokenMatches& out,
                        AnomalyCounters& an);
// `name` is a DNS query name or a TLS SNI (host carriers only).
void match_hostname(const CarrierSet& carriers, Span name, Via via, TokenMatches& out, AnomalyCounters& an);

}  // namespace gnpay
