// HPACK (RFC 7541): the header blocks of HTTP/2 requests (RFC 9113), decoded
// into the request's pseudo-header fields and header fields.
// A header block refers to the connection's dynamic table, which the caller
// keeps per connection (HpackTable) and passes to every block in order; the
// decoder mutates only that table and writes decoded strings into the
// caller's arena. Nothing is allocated.
#pragma once
#include <cstdint>

#include "byte_reader.h"
#include "http_request.h"
#include "status.h"

namespace gnpay {

// The decoder's dynamic table. Its size is bounded by SETTINGS_HEADER_TABLE_SIZE,
// whose default (RFC 9113 s6.5.2) is 4096 octets: the size gnpay keeps. An
// encoder told of a larger size by the server may use more; entries past 4096
// octets are then evicted here sooner than at the server, and a later
// reference to one is an error (hpack.bad_index) that only loses that block.
struct HpackTable {
  static constexpr size_t kMaxSize = 4096;  // RFC 7541 s4.1 octets (entry = name + value + 32)
  static constexpr size_t kMaxEntries = kMaxSize / 32;
  struct Entry {
    uint16_t off = 0, name_len = 0, value_len = 0;
  };
  uint8_t data[kMaxSize];      // entry bytes, oldest first
  Entry entries[kMaxEntries];  // oldest first; the newest is index 62
  size_t n = 0, used = 0;      // entries, bytes in data
  size_t size = 0;             // RFC 7541 size of the entries
  size_t max_size = kMaxSize;  // the encoder's current limit (dynamic table size updates)

  void reset() {
    n = used = size = 0;
    max_size = kMaxSize;
  }
};

// A request's header list. Views point into the arena given to the decoder.
struct Http2RequestHead {
  Span method, scheme, authority, path;  // pseudo-header fields
  uint16_t n_headers = 0;
  HttpHeaderView headers[kMaxHttpHeaders];  // regular fields (a field past kMaxHttpHeaders is dropped, counted)
  void reset() { *this = Http2RequestHead(); }
};

// Decodes one header block (the concatenated fragments of a HEADERS frame and
// its CONTINUATION frames, padding and priority removed). Every decoded name
// and value is copied into `arena` (whose size bounds the header list).
// Ok: the block decoded; Malformed: an encoding error (hpack.bad_integer,
// hpack.bad_index, hpack.bad_huffman, hpack.bad_string, hpack.bad_size_update)
// or an arena too small (hpack.header_list_too_large): the fields decoded
// before it stay in `out`, and the table may be out of step with the
// encoder's (later blocks of that connection then fail where they refer to it).
Status decode_hpack_block(Span block, HpackTable& table, uint8_t* arena, size_t arena_size, Http2RequestHead& out,
                          AnomalyCounters& an);

// Huffman decoding (RFC 7541 s5.2, Appendix B) of `in` into `out` (cap
// octets); returns the length, or SIZE_MAX on a bad code, EOS inside the
// string, padding longer than 7 bits or not all ones, or too small an output.
size_t hpack_huffman_decode(Span in, uint8_t* out, size_t cap);

}  // namespace gnpay
