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
  Span host;                     // Host header value (first one), empty if none
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;          // Transfer-Encoding: chunked
  size_t head_len = 0;           // bytes up to and including the blank line

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
Status parse_http_request_head(Span data, HttpRequestHead& out, AnomalyCounters& an);

// Case-insensitive ASCII comparison helper used by the carriers.
bool ascii_iequals(Span a, const char* b, size_t blen);

}  // namespace gnpay
