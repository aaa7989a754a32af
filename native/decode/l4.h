// UDP (RFC 768) and TCP (RFC 9293) headers.
#pragma once
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

namespace port {
constexpr uint16_t kDns = 53;
constexpr uint16_t kGtpC = 2123;      // TS 29.060 / 29.274
constexpr uint16_t kGtpU = 2152;      // TS 29.281
constexpr uint16_t kGtpPrime = 3386;  // TS 32.295 GTP' (and GTPv0)
}  // namespace port

struct UdpDatagram {
  uint16_t sport = 0, dport = 0;
  Span payload;            // trimmed to the UDP length when the capture holds more
  bool truncated = false;  // the capture holds fewer bytes than the UDP length says
};
// A UDP length smaller than 8 or larger than the IP payload (when the IP
// payload is complete) is Malformed (udp.bad_length). When the capture cut the
// IP datagram (ip_truncated), a longer UDP length is Ok with truncated = true
// (not counted again) and a header cut short is Truncated (udp.truncated); a
// complete IP payload too short for the 8-octet header is udp.bad_length.
// Checksums are never verified.
Status decode_udp(Span bytes, bool ip_truncated, UdpDatagram& out, AnomalyCounters& an);

namespace tcpflag {
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

struct TcpSegment {
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  Span payload;
};
// Truncated (tcp.truncated): the header or its options run past the bytes and
// the IP layer said the capture cut the datagram; Malformed (tcp.bad_data_offset):
// a data offset below 5 words, or past a complete IP payload.
// The 3-argument form does not know whether the IP payload is complete and
// treats a short header as truncated.
Status decode_tcp(Span bytes, bool ip_truncated, TcpSegment& out, AnomalyCounters& an);
Status decode_tcp(Span bytes, TcpSegment& out, AnomalyCounters& an);

}  // namespace gnpay
