// TLS ClientHello (RFC 8446 s4.1.2, RFC 5246 s7.4.1.2) and server_name (RFC 6066 s3).
// The handshake message may span several records (RFC 8446 s5.1): it is read
// through a cursor that steps over record headers, so nothing is copied.
#include "tls_client_hello.h"

namespace gnpay {

namespace {

constexpr uint8_t kContentHandshake = 22;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr size_t kMinClientHelloBody = 2 + 32 + 1 + 2 + 1;  // version, random, sid len, suites len, comp len
constexpr uint16_t kExtServerName = 0;
constexpr uint8_t kNameTypeHostName = 0;
constexpr size_t kTlsMaxRecordsPerHello = 32;

enum class Fail : uint8_t { None, Truncated, Malformed };

// Reads the bytes of one handshake message across record boundaries.
class HsReader {
 public:
  explicit HsReader(Span data) : d_(data) {}
  Fail fail() const { return fail_; }

  bool u8(uint8_t& v) {
    if (!ensure()) return false;
    v = d_.data[pos_];
    pos_++;
    rec_left_--;
    return true;
  }
  bool be16(uint16_t& v) {
    uint8_t a, b;
    if (!u8(a) || !u8(b)) return false;
    v = uint16_t((uint16_t(a) << 8) | b);
    return true;
  }
  bool be24(uint32_t& v) {
    uint8_t a, b, c;
    if (!u8(a) || !u8(b) || !u8(c)) return false;
    v = (uint32_t(a) << 16) | (uint32_t(b) << 8) | c;
    return true;
  }
  bool skip(size_t n) {
    while (n > 0) {
      if (!ensure()) return false;
      size_t avail = d_.size - pos_;
      size_t k = rec_left_ < avail ? rec_left_ : avail;
      if (k > n) k = n;
      pos_ += k;
      rec_left_ -= k;
      n -= k;
    }
    return true;
  }

 private:
  // Makes sure a byte of handshake data is readable at pos_, stepping over a record header.
  bool ensure() {
    if (fail_ != Fail::None) return false;
    if (rec_left_ == 0) {
      if (d_.size - pos_ < 5) return set(Fail::Truncated);
      const uint8_t* h = d_.data + pos_;
      size_t len = (size_t(h[3]) << 8) | h[4];
      if (h[0] != kContentHandshake || h[1] != 3 || len == 0 || len > kTlsMaxRecord) return set(Fail::Malformed);
      pos_ += 5;
      rec_left_ = len;
    }
    if (pos_ >= d_.size) return set(Fail::Truncated);
    return true;
  }
  bool set(Fail f) {
    fail_ = f;
    return false;
  }

  Span d_;
  size_t pos_ = 0;
  size_t rec_left_ = 0;
  Fail fail_ = Fail::None;
};

}  // namespace

bool looks_like_tls_client_hello(Span data) {
  if (data.size < 1 || data[0] != kContentHandshake) return false;
  if (data.size >= 2 && data[1] != 3) return false;
  if (data.size >= 5) {
    size_t len = (size_t(data[3]) << 8) | data[4];
    if (len == 0 || len > kTlsMaxRecord) return false;
    if (data.size >= 6 && data[5] != kHandshakeClientHello) return false;
    if (len >= 4 && data.size >= 9) {
      size_t hl = (size_t(data[6]) << 16) | (size_t(data[7]) << 8) | data[8];
      if (hl < kMinClientHelloBody) return false;
    }
  }
  return true;
}

size_t tls_client_hello_needed(Span data) {
  if (data.size < 9) {
    // Still reject what cannot be a ClientHello, so callers stop waiting early.
    return looks_like_tls_client_hello(data) ? 0 : kTlsNotClientHello;
  }
  size_t off = 0;        // next record header
  size_t hs_seen = 0;    // handshake bytes in the records walked so far
  uint8_t hdr[4] = {0};  // handshake header, possibly split over records
  size_t hdr_n = 0;
  size_t msg_need = 0;  // 4 + length, once known
  for (size_t records = 0;; records++) {
    // Real clients use one to three records; a message cut into more is refused
    // (bounds the work callers repeat while the bytes arrive).
    if (records >= kTlsMaxRecordsPerHello) return kTlsNotClientHello;
    if (data.size - off < 5) {
      // The next record header is not there yet: a lower bound past the end.
      size_t more = msg_need ? (msg_need - hs_seen) : (4 - hdr_n);
      return off + 5 + more;
    }
    const uint8_t* h = data.data + off;
    size_t len = (size_t(h[3]) << 8) | h[4];
    if (h[0] != kContentHandshake || h[1] != 3 || len == 0 || len > kTlsMaxRecord) return kTlsNotClientHello;
    size_t body = off + 5;
    size_t avail = data.size - body;
    // Collect the handshake header bytes that lie in this record.
    for (size_t i = 0; hdr_n < 4 && i < len; i++) {
      if (i >= avail) return data.size + 1;  // the handshake header is not all here yet
      hdr[hdr_n++] = data.data[body + i];
    }
    if (!msg_need && hdr_n == 4) {
      if (hdr[0] != kHandshakeClientHello) return kTlsNotClientHello;
      size_t l = (size_t(hdr[1]) << 16) | (size_t(hdr[2]) << 8) | hdr[3];
      if (l < kMinClientHelloBody) return kTlsNotClientHello;
      msg_need = 4 + l;
    }
    if (msg_need && hs_seen + len >= msg_need) return body + (msg_need - hs_seen);
    hs_seen += len;
    if (avail < len) {
      // The record continues past the data: the message needs at least the rest of it.
      size_t more = msg_need ? (msg_need - hs_seen) : 1;
      return body + len + more;
    }
    off = body + len;
  }
}

Status parse_tls_client_hello(Span data, TlsClientHelloInfo& out, AnomalyCounters& an) {
  out.reset();
  if (data.size < 5) {
    if (data.size >= 1 && data[0] != kContentHandshake) {
      an.bump(Anomaly::TlsBadClientHello);
      return Status::Malformed;
    }
    an.bump(Anomaly::TlsTruncated);
    return Status::Truncated;
  }
  out.record_version = uint16_t((uint16_t(data[1]) << 8) | data[2]);

  HsReader r(data);
  auto failed = [&]() -> Status {
    if (r.fail() == Fail::Truncated) {
      an.bump(Anomaly::TlsTruncated);
      if (out.has_sni) {
        out.truncated = true;
        return Status::Ok;
      }
      return Status::Truncated;
    }
    an.bump(Anomaly::TlsBadClientHello);  // record framing
    out.has_sni = false;
    out.sni_len = 0;
    out.sni[0] = 0;
    return Status::Malformed;
  };
  auto malformed = [&](Anomaly a) -> Status {
    an.bump(a);
    out.has_sni = false;
    out.sni_len = 0;
    out.sni[0] = 0;
    return Status::Malformed;
  };

  uint8_t hs_type = 0;
  uint32_t msg_len = 0;
  if (!r.u8(hs_type)) return failed();
  if (hs_type != kHandshakeClientHello) return malformed(Anomaly::TlsBadClientHello);
  if (!r.be24(msg_len)) return failed();
  if (msg_len < kMinClientHelloBody) return malformed(Anomaly::TlsBadClientHello);

  size_t used = 0;  // bytes of the message body read so far
  uint8_t sid_len = 0, comp_len = 0;
  uint16_t suites_len = 0;
  if (!r.be16(out.client_version)) return failed();
  for (size_t i = 0; i < kTlsRandomLen; i++)
    if (!r.u8(out.random[i])) return failed();
  out.has_random = true;
  if (!r.u8(sid_len)) return failed();
  if (sid_len > 32) return malformed(Anomaly::TlsBadClientHello);
  if (!r.skip(sid_len)) return failed();
  if (!r.be16(suites_len)) return failed();
  if (suites_len < 2 || (suites_len & 1)) return malformed(Anomaly::TlsBadClientHello);
  used = 2 + 32 + 1 + size_t(sid_len) + 2;
  if (used + suites_len + 1 > msg_len) return malformed(Anomaly::TlsBadClientHello);
  if (!r.skip(suites_len)) return failed();
  used += suites_len;
  if (!r.u8(comp_len)) return failed();
  used += 1;
  if (comp_len < 1 || used + comp_len > msg_len) return malformed(Anomaly::TlsBadClientHello);
  if (!r.skip(comp_len)) return failed();
  used += comp_len;
  if (used == msg_len) return Status::Ok;  // no extensions (RFC 5246 s7.4.1.2)

  uint16_t ext_total = 0;
  if (used + 2 > msg_len) return malformed(Anomaly::TlsBadClientHello);
  if (!r.be16(ext_total)) return failed();
  used += 2;
  if (used + ext_total != msg_len) return malformed(Anomaly::TlsBadClientHello);

  size_t ext_left = ext_total;
  while (ext_left > 0) {
    if (ext_left < 4) return malformed(Anomaly::TlsBadClientHello);
    uint16_t type = 0, len = 0;
    if (!r.be16(type) || !r.be16(len)) return failed();
    ext_left -= 4;
    if (len > ext_left) return malformed(Anomaly::TlsBadClientHello);
    ext_left -= len;
    if (type != kExtServerName || out.has_sni || len == 0) {
      if (!r.skip(len)) return failed();
      continue;
    }
    // ServerNameList (RFC 6066 s3): 2-byte list length, then entries of type(1) length(2) name.
    uint16_t list_len = 0;
    if (len < 2) return malformed(Anomaly::TlsBadSni);
    if (!r.be16(list_len)) return failed();
    if (size_t(list_len) + 2 != len) return malformed(Anomaly::TlsBadSni);
    size_t list_left = list_len;
    while (list_left > 0) {
      if (list_left < 3) return malformed(Anomaly::TlsBadSni);
      uint8_t ntype = 0;
      uint16_t nlen = 0;
      if (!r.u8(ntype) || !r.be16(nlen)) return failed();
      list_left -= 3;
      if (nlen > list_left) return malformed(Anomaly::TlsBadSni);
      list_left -= nlen;
      if (ntype != kNameTypeHostName || out.has_sni) {
        if (!r.skip(nlen)) return failed();
        continue;
      }
      if (nlen == 0 || nlen > kMaxSniLen + 1) return malformed(Anomaly::TlsBadSni);
      size_t n = 0;
      for (size_t i = 0; i < nlen; i++) {
        uint8_t c = 0;
        if (!r.u8(c)) {
          out.sni_len = 0;
          out.sni[0] = 0;
          return failed();
        }
        if (c <= 0x20 || c >= 0x7f) return malformed(Anomaly::TlsBadSni);
        out.sni[n++] = char(c);
      }
      if (n > 0 && out.sni[n - 1] == '.') n--;  // a trailing dot is not part of the name
      if (n == 0 || n > kMaxSniLen) return malformed(Anomaly::TlsBadSni);
      out.sni[n] = 0;
      out.sni_len = uint8_t(n);
      out.has_sni = true;
    }
  }
  return Status::Ok;
}

}  // namespace gnpay
