// pcap (tcpdump.org, µs and ns magic, both byte orders) and pcapng
// (draft-ietf-opsawg-pcapng: SHB sections, several IDBs with their own link
// types and timestamp resolutions, EPB/SPB/OPB packets) over one byte span
// (the whole file, memory-mapped by the source layer). Pure: no I/O.
#pragma once
#include <cstdint>
#include "byte_reader.h"
#include "status.h"

namespace gnpay {

struct CaptureFrame {
  uint64_t ts_ns = 0;      // nanoseconds since the Unix epoch
  uint32_t linktype = 0;   // LINKTYPE_* of the interface the frame came on
  uint32_t iface = 0;      // interface index (0 for pcap)
  uint32_t caplen = 0;     // bytes present
  uint32_t origlen = 0;    // bytes on the wire
  Span data;               // caplen bytes
  uint64_t file_offset = 0;  // where the record starts in the file
};

enum class CaptureFormat : uint8_t { Unknown = 0, Pcap, Pcapng };

enum class ReadStatus : uint8_t {
  Frame = 0,   // `frame` is set
  End,         // clean end of file
  Error,       // corrupt or truncated file: error(), error_offset() say what and where
};

constexpr size_t kMaxPcapngInterfaces = 256;

class CaptureFileParser {
 public:
  // `file` must outlive the parser. Returns false (with error()) when the
  // magic is neither pcap nor pcapng, or the header is truncated.
  bool open(Span file);
  ReadStatus next(CaptureFrame& frame, AnomalyCounters& an);

  CaptureFormat format() const { return format_; }
  uint64_t packets() const { return packets_; }      // frames returned so far
  uint64_t offset() const { return offset_; }        // next byte to read
  uint64_t size() const { return file_.size; }
  const char* error() const { return error_; }       // static string, "" when none
  uint64_t error_offset() const { return error_offset_; }
  // Link type of the first interface (pcap: the global header's); 0 if none yet.
  uint32_t first_linktype() const;

 private:
  ReadStatus fail(const char* what, uint64_t at);
  ReadStatus next_pcap(CaptureFrame& frame, AnomalyCounters& an);
  ReadStatus next_pcapng(CaptureFrame& frame, AnomalyCounters& an);
  bool parse_shb(uint64_t at, uint32_t block_len);  // sets byte order, resets interfaces
  bool parse_idb(Span body);

  Span file_;
  CaptureFormat format_ = CaptureFormat::Unknown;
  bool big_endian_ = false;
  bool nanos_ = false;          // pcap: ns magic
  uint32_t pcap_linktype_ = 0;
  uint32_t pcap_snaplen_ = 0;
  uint64_t offset_ = 0;
  uint64_t packets_ = 0;
  const char* error_ = "";
  uint64_t error_offset_ = 0;

  struct Iface {
    uint32_t linktype = 0;
    uint64_t ts_units_per_sec = 1000000;  // if_tsresol, default µs
    int64_t ts_offset_sec = 0;            // if_tsoffset
  };
  Iface ifaces_[kMaxPcapngInterfaces];
  uint32_t n_ifaces_ = 0;
};

}  // namespace gnpay
