// TLS ClientHello server_name (RFC 8446 s4.1.2, RFC 6066 s3), first host_name only.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

constexpr size_t kMaxSniLen = 253;

struct TlsClientHelloInfo {
  uint16_t record_version = 0;
  uint16_t client_version = 0;
  uint8_t sni_len = 0;
  char sni[kMaxSniLen + 1] = {0};   // as sent, no trailing dot
  bool has_sni = false;

  void reset() { *this = TlsClientHelloInfo(); }
};

// True when data starts like a TLS handshake record carrying a ClientHello
// (content type 22, version 3.x, handshake type 1), as far as bytes allow.
bool looks_like_tls_client_hello(Span data);

// Bytes needed for the whole ClientHello message: the handshake message may
// span several TLS records, and records may span TCP segments. Returns 0 when
// it cannot be told yet (fewer than 9 bytes).
size_t tls_client_hello_needed(Span data);

// Parses a ClientHello (the bytes from the first record header on, possibly
// over several records). Truncated when the data ends before the extensions
// (the caller may feed more), Malformed on lengths that contradict each other.
Status parse_tls_client_hello(Span data, TlsClientHelloInfo& out, AnomalyCounters& an);

}  // namespace gnpay
