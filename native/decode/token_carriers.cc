// Token carriers: where a payment token travels in what the subscriber sends.
#include "token_carriers.h"

#include <cstring>

namespace gnpay {

namespace {

inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? uint8_t(c + 32) : c; }
inline bool is_token_char(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
inline bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }
inline int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Span trim_ows(Span s) {
  size_t b = 0, e = s.size;
  while (b < e && is_ows(s.data[b])) b++;
  while (e > b && is_ows(s.data[e - 1])) e--;
  return Span(s.data + b, e - b);
}

size_t find(Span s, uint8_t c, size_t from = 0) {
  for (size_t i = from; i < s.size; i++)
    if (s.data[i] == c) return i;
  return s.size;
}

// Percent-decodes s (RFC 3986 s2.1; '+' stays '+') into out[cap]. Returns the
// decoded length, or cap + 1 when it does not fit, or SIZE_MAX on a bad escape.
constexpr size_t kBadEscape = ~size_t(0);
size_t percent_decode(Span s, char* out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < s.size; i++) {
    uint8_t c = s.data[i];
    if (c == '%') {
      if (i + 2 >= s.size) return kBadEscape;
      int hi = hexval(s.data[i + 1]), lo = hexval(s.data[i + 2]);
      if (hi < 0 || lo < 0) return kBadEscape;
      c = uint8_t(hi << 4 | lo);
      i += 2;
    }
    if (n >= cap) return cap + 1;
    out[n++] = char(c);
  }
  return n;
}

// The request target's parts (RFC 9112 s3.2, RFC 3986 s3).
struct TargetParts {
  Span authority;  // absolute-form / authority-form host[:port] (userinfo removed)
  Span path;       // starts with '/' (empty for authority-form and '*')
  Span query;      // after '?', before '#'
};

TargetParts split_target(Span t) {
  TargetParts p;
  if (t.size == 0) return p;
  size_t path_start = 0;
  if (t.data[0] == '/') {
    path_start = 0;
  } else if (t.size == 1 && t.data[0] == '*') {
    return p;
  } else {
    size_t colon = find(t, ':');
    bool absolute = colon + 2 < t.size && t.data[colon + 1] == '/' && t.data[colon + 2] == '/';
    size_t a0 = absolute ? colon + 3 : 0;
    size_t a1 = a0;
    while (a1 < t.size && t.data[a1] != '/' && t.data[a1] != '?' && t.data[a1] != '#') a1++;
    Span auth(t.data + a0, a1 - a0);
    // userinfo "@" host
    for (size_t i = auth.size; i > 0; i--) {
      if (auth.data[i - 1] == '@') {
        auth = auth.from(i);
        break;
      }
    }
    p.authority = auth;
    if (!absolute) return p;  // authority-form (CONNECT host:port)
    path_start = a1;
  }
  size_t q = path_start;
  while (q < t.size && t.data[q] != '?' && t.data[q] != '#') q++;
  if (q > path_start && t.data[path_start] == '/') p.path = Span(t.data + path_start, q - path_start);
  if (q < t.size && t.data[q] == '?') {
    size_t e = find(t, '#', q + 1);
    p.query = Span(t.data + q + 1, e - q - 1);
  }
  return p;
}

// host[:port] -> host (an IPv6 literal "[...]" is returned as is: it is never under a suffix).
Span strip_port(Span h) {
  if (h.size && h.data[0] == '[') return h;
  size_t c = find(h, ':');
  return Span(h.data, c);
}

// Checks a candidate value and records it. Empty values are not counted.
void offer(CarrierKind kind, Via via, const char* v, size_t len, TokenMatches& out, AnomalyCounters& an) {
  if (len == 0) return;
  if (!is_token(Span(reinterpret_cast<const uint8_t*>(v), len))) {
    an.bump(Anomaly::TokenInvalid);
    return;
  }
  out.add(kind, via, v, len);
}
void offer(CarrierKind kind, Via via, Span v, TokenMatches& out, AnomalyCounters& an) {
  offer(kind, via, reinterpret_cast<const char*>(v.data), v.size, out, an);
}

void match_query(const Carrier& c, Span query, TokenMatches& out, AnomalyCounters& an) {
  // Split on '&' first, then percent-decode name and value (so "%26" never splits).
  size_t i = 0;
  for (;;) {
    size_t e = find(query, '&', i);
    Span pair(query.data + i, e - i);
    i = e + 1;
    size_t eq = find(pair, '=');
    Span name(pair.data, eq);
    Span value = eq < pair.size ? pair.from(eq + 1) : Span();
    if (name.size >= c.len) {  // a decoded name is never longer than its encoded form
      char nbuf[kMaxCarrierArg + 1];
      size_t nl = percent_decode(name, nbuf, kMaxCarrierArg);
      if (nl == c.len && std::memcmp(nbuf, c.arg, nl) == 0) {
        char vbuf[kMaxTokenLen + 1];
        size_t vl = percent_decode(value, vbuf, kMaxTokenLen);
        // NOLINTNEXTLINE(misc-redundant-expression): names the bad-escape result, then bounds the length
        if (vl == kBadEscape || vl > kMaxTokenLen) {
          an.bump(Anomaly::TokenInvalid);
        } else {
          offer(CarrierKind::Query, Via::Http, vbuf, vl, out, an);
        }
      }
    }
    if (e >= query.size) break;
  }
}

void match_path(const Carrier& c, Span path, TokenMatches& out, AnomalyCounters& an) {
  if (path.size < c.len || std::memcmp(path.data, c.arg, c.len) != 0) return;
  size_t s = c.len;
  if (c.arg[c.len - 1] != '/') {  // "/pay" matches "/pay/<tok>", not "/payment"
    if (s >= path.size || path.data[s] != '/') return;
    s++;
  }
  size_t e = find(path, '/', s);
  Span seg(path.data + s, e - s);
  char vbuf[kMaxTokenLen + 1];
  size_t vl = percent_decode(seg, vbuf, kMaxTokenLen);
  // NOLINTNEXTLINE(misc-redundant-expression): names the bad-escape result, then bounds the length
  if (vl == kBadEscape || vl > kMaxTokenLen) {
    an.bump(Anomaly::TokenInvalid);
    return;
  }
  offer(CarrierKind::Path, Via::Http, vbuf, vl, out, an);
}

// Leftmost label of `name` when it lies under suffix `c.arg` on a label boundary.
void match_host(const Carrier& c, Span name, Via via, TokenMatches& out, AnomalyCounters& an) {
  if (name.size && name.data[name.size - 1] == '.') name.size--;
  if (name.size <= size_t(c.len) + 1) return;  // the suffix itself (or shorter) carries no token
  size_t cut = name.size - c.len;
  if (name.data[cut - 1] != '.') return;
  for (size_t i = 0; i < c.len; i++)
    if (lower(name.data[cut + i]) != uint8_t(c.arg[i])) return;
  size_t e = find(Span(name.data, cut - 1), '.');
  if (e > kMaxTokenLen) {
    an.bump(Anomaly::TokenInvalid);
    return;
  }
  char buf[kMaxTokenLen + 1];
  for (size_t i = 0; i < e; i++) buf[i] = char(lower(name.data[i]));
  offer(CarrierKind::Host, via, buf, e, out, an);
}

void match_cookies(const Carrier& c, Span value, TokenMatches& out, AnomalyCounters& an) {
  // cookie-string = cookie-pair *( ";" SP cookie-pair ) (RFC 6265 s4.2.1), read leniently.
  size_t i = 0;
  while (i < value.size) {
    size_t e = find(value, ';', i);
    Span pair = trim_ows(Span(value.data + i, e - i));
    i = e + 1;
    size_t eq = find(pair, '=');
    if (eq >= pair.size) continue;
    Span name = trim_ows(Span(pair.data, eq));
    if (name.size != c.len || std::memcmp(name.data, c.arg, c.len) != 0) continue;
    Span v = trim_ows(pair.from(eq + 1));
    if (v.size >= 2 && v.data[0] == '"' && v.data[v.size - 1] == '"') v = Span(v.data + 1, v.size - 2);
    offer(CarrierKind::Cookie, Via::Http, v, out, an);
  }
}

}  // namespace

const char* carrier_kind_name(CarrierKind k) {
  switch (k) {
    case CarrierKind::Query:
      return "query";
    case CarrierKind::Path:
      return "path";
    case CarrierKind::Host:
      return "host";
    case CarrierKind::Header:
      return "header";
    case CarrierKind::Cookie:
      return "cookie";
  }
  return "query";
}

const char* via_name(Via v) {
  switch (v) {
    case Via::Http:
      return "http";
    case Via::Dns:
      return "dns";
    case Via::TlsSni:
      return "tls-sni";
  }
  return "http";
}

bool CarrierSet::add(CarrierKind kind, const char* arg, size_t len) {
  if (n_ >= kMaxCarriers || arg == nullptr || len == 0 || len > kMaxCarrierArg) return false;
  Carrier c;
  c.kind = kind;
  size_t b = 0, e = len;
  if (kind == CarrierKind::Host) {  // lower-case, no leading/trailing dot
    while (b < e && arg[b] == '.') b++;
    while (e > b && arg[e - 1] == '.') e--;
    if (b == e) return false;
  }
  if (kind == CarrierKind::Path && arg[0] != '/') return false;  // a path always starts with '/'
  for (size_t i = b; i < e; i++) {
    uint8_t ch = uint8_t(arg[i]);
    if (ch <= 0x20 || ch >= 0x7f) return false;  // printable, no spaces
    c.arg[i - b] = char(kind == CarrierKind::Host ? lower(ch) : ch);
  }
  c.len = uint8_t(e - b);
  c.arg[c.len] = 0;
  items_[n_++] = c;
  return true;
}

bool CarrierSet::add_spec(const char* spec, size_t len) {
  if (spec == nullptr) return false;
  size_t colon = 0;
  while (colon < len && spec[colon] != ':') colon++;
  if (colon >= len) return false;
  Span kind(reinterpret_cast<const uint8_t*>(spec), colon);
  const char* arg = spec + colon + 1;
  size_t alen = len - colon - 1;
  static const struct {
    const char* name;
    CarrierKind kind;
  } kKinds[] = {{"query", CarrierKind::Query},
                {"path", CarrierKind::Path},
                {"host", CarrierKind::Host},
                {"header", CarrierKind::Header},
                {"cookie", CarrierKind::Cookie}};
  for (const auto& k : kKinds)
    if (ascii_iequals(kind, k.name, std::strlen(k.name))) return add(k.kind, arg, alen);
  return false;
}

bool CarrierSet::has_kind(CarrierKind k) const {
  for (size_t i = 0; i < n_; i++)
    if (items_[i].kind == k) return true;
  return false;
}

bool is_token(Span s) {
  if (s.size < kMinTokenLen || s.size > kMaxTokenLen) return false;
  for (size_t i = 0; i < s.size; i++)
    if (!is_token_char(s.data[i])) return false;
  return true;
}

bool TokenMatches::add(CarrierKind kind, Via via, const char* tok, size_t len) {
  if (len > kMaxTokenLen) return false;
  for (size_t i = 0; i < n; i++)
    if (m[i].len == len && std::memcmp(m[i].token, tok, len) == 0) return true;  // first carrier wins
  if (n >= kMaxTokenMatches) return false;
  TokenMatch& t = m[n++];
  t.kind = kind;
  t.via = via;
  t.len = uint8_t(len);
  std::memcpy(t.token, tok, len);
  t.token[len] = 0;
  return true;
}

void match_http_request(const CarrierSet& carriers, const HttpRequestHead& head, TokenMatches& out,
                        AnomalyCounters& an) {
  TargetParts tp = split_target(head.target);
  for (size_t ci = 0; ci < carriers.size(); ci++) {
    const Carrier& c = carriers.at(ci);
    switch (c.kind) {
      case CarrierKind::Query:
        if (tp.query.size) match_query(c, tp.query, out, an);
        break;
      case CarrierKind::Path:
        if (tp.path.size) match_path(c, tp.path, out, an);
        break;
      case CarrierKind::Host:
        if (head.host.size) match_host(c, strip_port(head.host), Via::Http, out, an);
        if (tp.authority.size) match_host(c, strip_port(tp.authority), Via::Http, out, an);
        break;
      case CarrierKind::Header:
        for (size_t h = 0; h < head.n_headers; h++)
          if (ascii_iequals(head.headers[h].name, c.arg, c.len))
            offer(c.kind, Via::Http, head.headers[h].value, out, an);
        break;
      case CarrierKind::Cookie:
        for (size_t h = 0; h < head.n_headers; h++)
          if (ascii_iequals(head.headers[h].name, "cookie", 6)) match_cookies(c, head.headers[h].value, out, an);
        break;
    }
  }
}

void match_hostname(const CarrierSet& carriers, Span name, Via via, TokenMatches& out, AnomalyCounters& an) {
  for (size_t ci = 0; ci < carriers.size(); ci++) {
    const Carrier& c = carriers.at(ci);
    if (c.kind == CarrierKind::Host) match_host(c, name, via, out, an);
  }
}

}  // namespace gnpay
