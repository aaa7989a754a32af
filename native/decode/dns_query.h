// DNS queries (RFC 1035 s4.1): the first question's name, for queries only.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

constexpr size_t kMaxDnsName = 253;

struct DnsQuery {
  uint16_t id = 0;
  bool is_response = false;  // QR bit
  uint8_t opcode = 0;
  uint16_t qdcount = 0;
  uint16_t qtype = 0, qclass = 0;
  uint8_t name_len = 0;
  char name[kMaxDnsName + 1] = {0};  // dotted, as sent (case kept), no trailing dot
  // Added: the name was decoded but the capture ends before QTYPE/QCLASS
  // (dns.truncated is counted, the result is still Ok: the name is usable).
  bool truncated = false;

  void reset() { *this = DnsQuery(); }
};

// Ok with is_response=false: a query whose first question was decoded.
// Ok with is_response=true: a response (caller ignores it; name not decoded).
// A compression pointer in a query's question is Malformed (dns.compression_in_question);
// labels over 63, names over 253, or a label with a byte outside printable
// ASCII are Malformed (dns.bad_name).
// Details (added): fewer than 12 header bytes, or a name cut by the end of the
// capture, is Truncated (dns.truncated). A query with QDCOUNT 0 is Ignored.
// A label holding '.' or a space, and the obsolete label types 0x40/0x80, are
// dns.bad_name. The root name gives name_len 0. Any opcode is decoded (the
// first question / zone entry has the same format); `opcode` tells which.
Status parse_dns_query(Span udp_payload, DnsQuery& out, AnomalyCounters& an);

}  // namespace gnpay
