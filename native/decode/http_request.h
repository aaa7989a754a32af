// HTTP/1.x request heads (RFC 9112 s3): request line and header fields.
// Views point into the input; nothing is allocated.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

constexpr size_t kMaxHttpHeaders = 64;

struct HttpHeaderView {
  Span name;   // as sent (compare case-insensitively)
  Span value;  // leading/trailing optional whitespace removed
};

struct HttpRequestHead {
  Span method, target, version;  // "GET", "/pay?x=1" (or absolute-form), "HTTP/1.1"
  uint16_t n_headers = 0;
  HttpHeaderView headers[kMaxHttpHeaders];
  Span host;  // Host header value (first one), empty if none
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;  // Transfer-Encoding: chunked
  size_t head_len = 0;   // bytes up to and including the blank line
  // Added: the body length cannot be told (Content-Length not 1*DIGIT or
  // conflicting duplicates, or a Transfer-Encoding whose final coding is not
  // chunked): the connection must resync on the next request start.
  bool bad_framing = false;
  uint16_t bad_header_lines = 0;  // header lines skipped as malformed (obs-fold, no colon, ...)

  void reset();
};

// True when `data` starts like a request line: a known method token
// (GET, POST, HEAD, PUT, DELETE, OPTIONS, PATCH, CONNECT, TRACE) and a space.
// `data` may be shorter than a full method: then returns true when it is a
// prefix of one ("GE"), so the caller can wait for more bytes.
bool looks_like_http_request(Span data);

// Length of the request head (through CRLFCRLF, or LFLF) when data holds a
// whole head, 0 when it does not (yet).
size_t http_head_length(Span data);

// Parses a whole head (data must contain the terminator; head_len set).
// Malformed: bad request line (http.bad_request_line) or header
// (http.bad_header); headers past kMaxHttpHeaders are counted
// (http.too_many_headers) and ignored, the rest stays usable (Ok).
// Details (added): leading empty lines before the request line are skipped
// (RFC 9112 s2.2); bare LF line endings are accepted. A bad request line leaves
// method/target/version empty. A bad header line (obs-fold, no colon, space
// before the colon, bad name) or a bad Content-Length is counted and skipped
// and parsing continues: the result is Malformed but `out` still holds the
// request line and every good header, so carriers can still be matched
// (check `!out.method.empty()`). Truncated (nothing counted) when data holds
// no terminator.
Status parse_http_request_head(Span data, HttpRequestHead& out, AnomalyCounters& an);

// Added: body framing of a whole head (RFC 9112 s6.3), the same rules as
// parse_http_request_head but without storing headers or counting anomalies
// (the request-head assembler uses it to skip bodies).
enum class HttpBodyKind : uint8_t { None = 0, Length, Chunked, Invalid };
struct HttpFraming {
  HttpBodyKind kind = HttpBodyKind::None;
  uint64_t length = 0;  // for Length
};
// Invalid when the request line is bad or bad_framing would be set.
HttpFraming http_request_framing(Span head);

// Case-insensitive ASCII comparison helper used by the carriers.
bool ascii_iequals(Span a, const char* b, size_t blen);

}  // namespace gnpay
