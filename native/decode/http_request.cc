// HTTP/1.x request heads (RFC 9112 s2-s7). Views into the input; nothing allocated.
#include "http_request.h"

#include <cstring>

namespace gnpay {

namespace {

struct Method {
  const char* text;  // with the trailing space
  size_t len;
};
const Method kMethods[] = {
    {"GET ", 4},     {"POST ", 5},  {"HEAD ", 5},    {"PUT ", 4},   {"DELETE ", 7},
    {"OPTIONS ", 8}, {"PATCH ", 6}, {"CONNECT ", 8}, {"TRACE ", 6},
};

inline bool is_tchar(uint8_t c) {
  // RFC 9110 s5.6.2 token characters.
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}
inline bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }
inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? uint8_t(c + 32) : c; }

Span trim_ows(Span s) {
  size_t b = 0, e = s.size;
  while (b < e && is_ows(s.data[b])) b++;
  while (e > b && is_ows(s.data[e - 1])) e--;
  return Span(s.data + b, e - b);
}

// Next line of `head` from *off: returns the line without its CR LF / LF and moves *off past it.
// False when no LF is left.
bool next_line(Span head, size_t* off, Span* line) {
  if (*off >= head.size) return false;
  const uint8_t* p = head.data + *off;
  size_t rem = head.size - *off;
  const void* lf = std::memchr(p, '\n', rem);
  if (!lf) return false;
  size_t n = size_t(static_cast<const uint8_t*>(lf) - p);
  *off += n + 1;
  if (n > 0 && p[n - 1] == '\r') n--;
  *line = Span(p, n);
  return true;
}

// "1*DIGIT" into v; false on empty, non-digit or overflow past 2^63.
bool parse_decimal(Span s, uint64_t* v) {
  if (s.size == 0 || s.size > 18) return false;  // 18 digits < 2^63: no overflow check needed
  uint64_t x = 0;
  for (size_t i = 0; i < s.size; i++) {
    uint8_t c = s.data[i];
    if (c < '0' || c > '9') return false;
    x = x * 10 + uint64_t(c - '0');
  }
  *v = x;
  return true;
}

bool valid_request_line(Span line, Span* method, Span* target, Span* version) {
  size_t i = 0, n = line.size;
  size_t m0 = i;
  while (i < n && is_tchar(line.data[i])) i++;
  if (i == m0 || i >= n || line.data[i] != ' ') return false;
  *method = Span(line.data + m0, i - m0);
  while (i < n && line.data[i] == ' ') i++;
  size_t t0 = i;
  while (i < n && line.data[i] > 0x20 && line.data[i] != 0x7f) i++;
  if (i == t0 || i >= n || line.data[i] != ' ') return false;
  *target = Span(line.data + t0, i - t0);
  while (i < n && line.data[i] == ' ') i++;
  size_t v0 = i;
  // HTTP-version = "HTTP/" DIGIT "." DIGIT, major 1 only (RFC 9112 s2.3).
  if (n - i != 8 || std::memcmp(line.data + i, "HTTP/1.", 7) != 0) return false;
  uint8_t minor = line.data[i + 7];
  if (minor < '0' || minor > '9') return false;
  *version = Span(line.data + v0, 8);
  // request-target forms (RFC 9112 s3.2): origin-form, absolute-form, authority-form (CONNECT), '*'.
  uint8_t c0 = target->data[0];
  bool is_connect = method->size == 7 && std::memcmp(method->data, "CONNECT", 7) == 0;
  if (c0 == '/' || (target->size == 1 && c0 == '*')) return !is_connect;
  if (is_connect) return true;  // authority-form: host:port
  // absolute-form: scheme ":" ... with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z'))) return false;
  for (size_t k = 1; k < target->size; k++) {
    uint8_t c = target->data[k];
    if (c == ':') return true;
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return false;
}

struct FramingState {
  bool cl_seen = false;
  uint64_t cl = 0;
  bool te_seen = false;
  bool chunked = false;
  bool bad = false;
};

// Returns false when the Content-Length value is bad (non-digit, empty element, conflict).
bool take_content_length(Span value, FramingState& f) {
  // A list of identical values ("5, 5") is accepted (RFC 9110 s8.6).
  size_t i = 0;
  bool any = false;
  while (i <= value.size) {
    size_t j = i;
    while (j < value.size && value.data[j] != ',') j++;
    Span elem = trim_ows(Span(value.data + i, j - i));
    uint64_t v = 0;
    if (!parse_decimal(elem, &v)) return false;
    if (f.cl_seen && v != f.cl) return false;
    f.cl_seen = true;
    f.cl = v;
    any = true;
    i = j + 1;
  }
  return any;
}

void take_transfer_encoding(Span value, FramingState& f) {
  f.te_seen = true;
  // The final coding of the last Transfer-Encoding field decides.
  size_t j = value.size;
  while (j > 0 && value.data[j - 1] != ',') j--;
  Span last = trim_ows(Span(value.data + j, value.size - j));
  f.chunked = ascii_iequals(last, "chunked", 7);
}

// One pass over a whole head. `out` and `an` may be null (framing only).
Status parse_impl(Span data, HttpRequestHead* out, AnomalyCounters* an, FramingState& fr, bool* line_ok) {
  *line_ok = false;
  size_t head_len = http_head_length(data);
  if (head_len == 0) return Status::Truncated;
  Span head = data.prefix(head_len);
  if (out) out->head_len = head_len;

  size_t off = 0;
  Span line;
  // Skip empty lines before the request line (RFC 9112 s2.2).
  do {
    if (!next_line(head, &off, &line)) return Status::Truncated;
  } while (line.size == 0 && off < head.size);

  Span method, target, version;
  if (!valid_request_line(line, &method, &target, &version)) {
    if (an) an->bump(Anomaly::HttpBadRequestLine);
    return Status::Malformed;
  }
  *line_ok = true;
  if (out) {
    out->method = method;
    out->target = target;
    out->version = version;
  }

  bool bad = false, too_many = false, host_seen = false;
  uint16_t bad_lines = 0;
  while (next_line(head, &off, &line)) {
    if (line.size == 0) break;   // the blank line
    if (is_ows(line.data[0])) {  // obs-fold (RFC 9112 s5.2): not accepted
      bad = true;
      bad_lines++;
      if (an) an->bump(Anomaly::HttpBadHeader);
      continue;
    }
    size_t k = 0;
    while (k < line.size && is_tchar(line.data[k])) k++;
    if (k == 0 || k >= line.size || line.data[k] != ':') {  // no colon, space before colon, bad name
      bad = true;
      bad_lines++;
      if (an) an->bump(Anomaly::HttpBadHeader);
      continue;
    }
    Span name(line.data, k);
    Span value = trim_ows(line.from(k + 1));
    if (ascii_iequals(name, "content-length", 14)) {
      if (!take_content_length(value, fr)) {
        fr.bad = true;
        bad = true;
        bad_lines++;
        if (an) an->bump(Anomaly::HttpBadHeader);
        continue;
      }
    } else if (ascii_iequals(name, "transfer-encoding", 17)) {
      take_transfer_encoding(value, fr);
    } else if (!host_seen && ascii_iequals(name, "host", 4)) {
      host_seen = true;
      if (out) out->host = value;
    }
    if (out) {
      if (out->n_headers < kMaxHttpHeaders) {
        out->headers[out->n_headers].name = name;
        out->headers[out->n_headers].value = value;
        out->n_headers++;
      } else if (!too_many) {
        too_many = true;
        if (an) an->bump(Anomaly::HttpTooManyHeaders);
      }
    }
  }
  if (fr.te_seen && !fr.chunked) fr.bad = true;  // body length cannot be determined (RFC 9112 s6.3 item 4)
  if (out) {
    out->bad_header_lines = bad_lines;
    out->bad_framing = fr.bad;
    out->chunked = fr.chunked && !fr.bad;
    out->has_content_length = fr.cl_seen && !fr.bad;
    out->content_length = out->has_content_length ? fr.cl : 0;
  }
  return bad ? Status::Malformed : Status::Ok;
}

}  // namespace

void HttpRequestHead::reset() {
  method = target = version = host = Span();
  n_headers = 0;
  has_content_length = false;
  content_length = 0;
  chunked = false;
  head_len = 0;
  bad_framing = false;
  bad_header_lines = 0;
}

bool looks_like_http_request(Span data) {
  if (data.empty()) return false;
  for (const Method& m : kMethods) {
    size_t n = data.size < m.len ? data.size : m.len;
    if (std::memcmp(data.data, m.text, n) == 0) return true;
  }
  return false;
}

size_t http_head_length(Span data) {
  size_t off = 0;
  while (off < data.size) {
    const void* lf = std::memchr(data.data + off, '\n', data.size - off);
    if (!lf) return 0;
    size_t i = size_t(static_cast<const uint8_t*>(lf) - data.data);
    if (i + 1 < data.size && data.data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size && data.data[i + 1] == '\r' && data.data[i + 2] == '\n') return i + 3;
    off = i + 1;
  }
  return 0;
}

Status parse_http_request_head(Span data, HttpRequestHead& out, AnomalyCounters& an) {
  out.reset();
  FramingState fr;
  bool line_ok = false;
  return parse_impl(data, &out, &an, fr, &line_ok);
}

HttpFraming http_request_framing(Span head) {
  FramingState fr;
  bool line_ok = false;
  HttpFraming f;
  Status st = parse_impl(head, nullptr, nullptr, fr, &line_ok);
  if (st == Status::Truncated || !line_ok || fr.bad) {
    f.kind = HttpBodyKind::Invalid;
  } else if (fr.chunked) {
    f.kind = HttpBodyKind::Chunked;  // Transfer-Encoding overrides Content-Length (RFC 9112 s6.3 item 3)
  } else if (fr.cl_seen && fr.cl > 0) {
    f.kind = HttpBodyKind::Length;
    f.length = fr.cl;
  }
  return f;
}

bool ascii_iequals(Span a, const char* b, size_t blen) {
  if (a.size != blen) return false;
  for (size_t i = 0; i < blen; i++)
    if (lower(a.data[i]) != lower(uint8_t(b[i]))) return false;
  return true;
}

}  // namespace gnpay
