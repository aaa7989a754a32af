// The whole decode path under one entry point, for libFuzzer and for the
// regression replay in the unit tests.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gnpay {
// data[0] selects the entry layer (as gopacket's fuzzer does):
//   0: a capture file (pcap / pcapng) read by CaptureFileParser, every frame through the engine;
//   1-5: a sequence of frames, each prefixed by a 2-byte big-endian length, on link type
//        Ethernet, raw IP, Linux SLL, Linux SLL2, BSD loopback, through one engine
//        (so that GTP-C state built by early frames is used by later ones);
//   6: the application parsers directly: HTTP request head, DNS query, TLS ClientHello, carriers,
//      HPACK header blocks and Huffman strings;
//   7: the TCP request-head assembler: segments described by (flags, seq delta, length, flow)
//      quadruples (flow bit 0x40: to port 53, DNS over TCP; else port 80: HTTP/1.x, TLS, HTTP/2).
// Bounds are small so that eviction paths run often. Returns 0.
int fuzz_one(const uint8_t* data, size_t size);
}  // namespace gnpay
