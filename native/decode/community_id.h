// Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec):
// the string "1:" + base64(SHA-1(seed . addr . addr . proto . 0 . port . port)) that
// Zeek, Suricata, Arkime and Wireshark print for a flow, with the endpoints ordered
// so that both directions give the same ID. ICMP and ICMPv6 take type and code as
// ports (a type with a counterpart, such as echo request/reply, maps its code to
// the counterpart type; other types are one-way and never swapped), TCP, UDP and
// SCTP their ports; other protocols hash the addresses and protocol only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "span.h"

namespace gnpay {

constexpr size_t kCommunityIdLen = 30;  // "1:" + 28 base64 characters

// Writes the ID and a NUL into out (at least kCommunityIdLen + 1 bytes); returns
// its length, or 0 (out = "") when the addresses are unset or of different families.
// For ICMP (1) and ICMPv6 (58), sport is the type and dport the code.
size_t community_id_v1(const IpAddr& src, const IpAddr& dst, uint8_t proto, uint16_t sport, uint16_t dport,
                       uint16_t seed, char* out);

}  // namespace gnpay
