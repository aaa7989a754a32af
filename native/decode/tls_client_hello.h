// TLS ClientHello server_name (RFC 8446 s4.1.2, RFC 6066 s3), first host_name only.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

constexpr size_t kMaxSniLen = 253;
constexpr size_t kTlsRandomLen = 32;

struct TlsClientHelloInfo {
  uint16_t record_version = 0;
  uint16_t client_version = 0;
  uint8_t sni_len = 0;
  char sni[kMaxSniLen + 1] = {0};  // as sent, no trailing dot
  bool has_sni = false;
  // The 32-byte ClientHello.random (RFC 8446 s4.1.2): unique per connection,
  // seen by the probe here and by the TLS server that terminates it.
  uint8_t random[kTlsRandomLen] = {0};
  bool has_random = false;
  // Added: the bytes end before the ClientHello does, after a complete
  // server_name extension: the result is Ok with the SNI, tls.truncated counted
  // (snaplen-cut captures, or a head flushed after capture loss).
  bool truncated = false;

  void reset() { *this = TlsClientHelloInfo(); }
};

// True when data starts like a TLS handshake record carrying a ClientHello
// (content type 22, version 3.x, handshake type 1), as far as bytes allow.
bool looks_like_tls_client_hello(Span data);

// Bytes needed for the whole ClientHello message: the handshake message may
// span several TLS records, and records may span TCP segments. Returns 0 when
// it cannot be told yet (fewer than 9 bytes).
// Details (added): the count runs from the first record header to the last
// byte of the handshake message (which may end inside a record). While later
// record headers are not there yet it returns a lower bound > data.size(), so
// callers wait until needed <= data.size(). It returns kTlsNotClientHello when
// the bytes contradict a ClientHello (record type not 22, version not 3.x,
// record length 0 or over 2^14, handshake type not 1, message under 38 bytes,
// another record type before the message ends, or more than 32 records).
constexpr size_t kTlsNotClientHello = ~size_t(0);
constexpr size_t kTlsMaxRecord = 16384;  // RFC 8446 s5.1: TLSPlaintext.length <= 2^14
size_t tls_client_hello_needed(Span data);

// Parses a ClientHello (the bytes from the first record header on, possibly
// over several records). Truncated when the data ends before the extensions
// (the caller may feed more), Malformed on lengths that contradict each other.
// Details (added): Truncated (tls.truncated) whenever the data ends before the
// message does and no complete server_name was read; with a complete
// server_name before the cut the result is Ok and `truncated` is set (see
// above). Malformed counts tls.bad_client_hello (record/handshake framing,
// session id > 32, odd or empty cipher suites, no compression method, lengths
// that overrun the message, extensions not filling the message exactly) or
// tls.bad_server_name (server_name list lengths, an empty, over-long or
// non-printable host_name); has_sni is false on Malformed. A trailing dot on
// the host_name is dropped.
Status parse_tls_client_hello(Span data, TlsClientHelloInfo& out, AnomalyCounters& an);

}  // namespace gnpay
