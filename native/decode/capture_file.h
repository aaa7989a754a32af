// pcap (tcpdump.org, µs and ns magic, both byte orders) and pcapng
// (draft-ietf-opsawg-pcapng: SHB sections, several IDBs with their own link
// types and timestamp resolutions, EPB/SPB/OPB packets) over one byte span
// (a whole file in memory, or a stream's window: set_window()). Pure: no I/O.
#pragma once
#include <cstdint>
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

struct CaptureFrame {
  uint64_t ts_ns = 0;        // nanoseconds since the Unix epoch
  uint32_t linktype = 0;     // LINKTYPE_* of the interface the frame came on
  uint32_t iface = 0;        // interface index (0 for pcap)
  uint32_t caplen = 0;       // bytes present
  uint32_t origlen = 0;      // bytes on the wire
  Span data;                 // caplen bytes
  uint64_t file_offset = 0;  // where the record starts in the file
};

enum class CaptureFormat : uint8_t { Unknown = 0, Pcap, Pcapng };

enum class ReadStatus : uint8_t {
  Frame = 0,  // `frame` is set
  End,        // clean end of file
  Error,      // corrupt or truncated file: error(), error_offset() say what and where
  More,       // streaming only: the next record is not wholly in the window (see set_window)
};

constexpr size_t kMaxPcapngInterfaces = 256;
// Streaming: the longest record (pcap record, pcapng block) read from a
// stream; a longer one is an error there (the whole-file parser has no such bound).
constexpr uint64_t kMaxStreamRecord = 64ull << 20;

// What is an error (next() returns Error; error() is a static message,
// error_offset() the offset of the record/block at fault, packets() the frames
// returned before it; the parser stays in error):
//   pcap: a record header cut short, or a caplen running past the end of the
//         file (the classic damaged download). caplen > snaplen is only counted
//         (pcap.caplen_exceeds_snaplen) and the record returned.
//   pcapng: a block length < 12, not a multiple of 4, running past the end of
//         the file, or different from its trailing copy; a bad byte-order magic
//         or major version != 1 in a SHB; an IDB, EPB, OPB or SPB too short for
//         its fixed fields, packet data running past its block, malformed IDB
//         options, an if_tsresol beyond 10^-19 / 2^-63, more than
//         kMaxPcapngInterfaces IDBs in a section.
// Not errors: an EPB/OPB naming an interface the section has not described, or
// an SPB in a section without interface 0, is counted (pcapng.bad_interface_id)
// and skipped (not returned, not counted in packets()). Blocks gnpay does not
// read are skipped: NRB (4), ISB (5), systemd journal (9), DSB (10) and custom
// blocks (0xBAD, 0x40000BAD) silently, any other type counted as
// pcapng.unknown_block. An SPB has no timestamp (ts_ns 0); its caplen is
// min(original length, block space, interface snaplen when non-zero).
// Timestamps: pcap µs or ns; pcapng per interface if_tsresol (option 9, 10^-n,
// or 2^-n with the high bit) and if_tsoffset (option 14, seconds); converted
// to ns since the epoch, clamped at 0.
//
// Streaming (a pipe, a decompressor): the parser reads a window of the stream
// instead of the whole file. open(window, false) with a window holding the
// whole header (pcap: 24 bytes; pcapng: the first SHB; stream_header_size()
// says how much); then next() returns More when the next record is not wholly
// in the window: the caller keeps the window's bytes from consumed() on, reads
// more after them and calls set_window() with the new window (final when the
// stream has ended: then a record cut short is the same error as in a file).
// Offsets (offset(), frame.file_offset, error_offset()) count from the start
// of the stream. Spans in a returned frame are valid until set_window().
class CaptureFileParser {
 public:
  // `file` must outlive the parser. Returns false (with error()) when the
  // magic is neither pcap nor pcapng, or the header (or first SHB) is bad.
  bool open(Span file, bool final = true);
  ReadStatus next(CaptureFrame& frame, AnomalyCounters& an);
  // Streaming: bytes of the window already read (the next window starts there).
  uint64_t consumed() const { return offset_; }
  // Streaming: the next window, starting at the first byte not consumed().
  void set_window(Span window, bool final);
  // Streaming: how many leading bytes of a stream open() needs, given the
  // first `head` bytes (at least 12, or all there is): 24 for pcap, the SHB's
  // length for pcapng (capped at kMaxStreamRecord).
  static uint64_t stream_header_size(Span head);

  CaptureFormat format() const { return format_; }
  uint64_t packets() const { return packets_; }        // frames returned so far
  uint64_t offset() const { return base_ + offset_; }  // next byte to read
  uint64_t size() const { return base_ + file_.size; }
  const char* error() const { return error_; }  // static string, "" when none
  uint64_t error_offset() const { return error_offset_; }
  // Link type of the first interface (pcap: the global header's); 0 if none yet.
  uint32_t first_linktype() const;

 private:
  ReadStatus fail(const char* what, uint64_t at);
  // Streaming: More when the record at `at` is not wholly in the window; Error
  // when it is longer than kMaxStreamRecord; Frame (go on) otherwise.
  ReadStatus stream_check(uint64_t at);
  ReadStatus next_pcap(CaptureFrame& frame, AnomalyCounters& an);
  ReadStatus next_pcapng(CaptureFrame& frame, AnomalyCounters& an);
  bool parse_shb(uint64_t at);  // sets byte order, resets interfaces; false after fail()
  bool parse_idb(Span body, uint64_t at);
  bool block_length(uint64_t at, uint32_t& len);  // reads and checks a block's length; false after fail()
  uint32_t u32_at(uint64_t off) const;

  Span file_;
  uint64_t base_ = 0;  // stream offset of file_[0]
  bool final_ = true;  // the window ends where the stream ends
  CaptureFormat format_ = CaptureFormat::Unknown;
  bool big_endian_ = false;
  bool nanos_ = false;  // pcap: ns magic
  uint32_t pcap_linktype_ = 0;
  uint32_t pcap_snaplen_ = 0;
  uint64_t offset_ = 0;
  uint64_t packets_ = 0;
  const char* error_ = "";
  uint64_t error_offset_ = 0;

  struct Iface {
    uint32_t linktype = 0;
    uint32_t snaplen = 0;
    uint64_t ts_units_per_sec = 1000000;  // if_tsresol, default µs
    int64_t ts_offset_sec = 0;            // if_tsoffset
  };
  Iface ifaces_[kMaxPcapngInterfaces];
  uint32_t n_ifaces_ = 0;
};

}  // namespace gnpay
