// Capture input: regular files, standard input ("-"), named pipes, process
// substitution (/dev/fd/N), and gzip or zstd compressed captures (files or
// streams). Bytes are read through a bounded window and parsed by
// CaptureFileParser, which also parses a whole file held in memory, so a
// stream decodes exactly as the file it carries (pcap and pcapng alike, several
// interfaces and link types included).
//   gzip: zlib's inflate (the zlib Node.js itself links and exports to addons),
//         concatenated members included.
//   zstd: libzstd (libzstd.so.1, loaded when a zstd capture is opened; it is
//         part of every Debian/Ubuntu install through apt and systemd).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture_file.h"

namespace gnpay {

// A sequential byte source. read() returns the bytes read (0 at the end), or
// -1 with error() set. A set stop flag ends a blocked read (returns -1, error "stopped").
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual long read(uint8_t* buf, size_t n) = 0;
  const std::string& error() const { return error_; }
  // Bytes taken from the underlying file or pipe so far (compressed bytes for
  // a decompressor): what a progress display compares with the file size.
  virtual uint64_t raw_offset() const = 0;

 protected:
  std::string error_;
};

// Whether `path` can be replayed, checked with stat(2) before it is opened:
// false with *error when it is missing or a directory. Nothing is opened here
// (a named pipe opened and closed would let its writer go on and lose what it
// wrote); "-" (standard input) is always fine.
bool check_input(const std::string& path, std::string* error);

// Opens `path` ("-": standard input) as a stream of capture bytes,
// decompressing gzip and zstd. Null with *error on failure. `stop` (optional)
// ends blocked reads.
std::unique_ptr<ByteStream> open_input_stream(const std::string& path, const std::atomic<bool>* stop,
                                              std::string* error);

// Frames from a ByteStream through a window. The window is a buffer of the
// reader's own (it moves its unparsed bytes to the front and grows as needed),
// or, after use_window(), memory the caller owns: the replay's reader thread
// reads each chunk's bytes straight into that chunk, so its frames need no
// copy and stay valid after the window has moved on to the next chunk's.
class StreamReader {
 public:
  explicit StreamReader(std::unique_ptr<ByteStream> in) : in_(std::move(in)) {}
  // Reads the capture header; false with error(), error_offset() when the
  // stream is not a capture (or fails).
  bool open();
  // Frame, End, Error, or More: the window needs refill() (which blocks on
  // the input) before the next call. Frames returned so far stay valid until
  // refill() of the reader's own window (a caller's window does not move).
  ReadStatus next(CaptureFrame& frame, AnomalyCounters& an) { return parser_.next(frame, an); }
  // Reads more input into the window; false with error() when reading failed.
  // A caller's window that is full is left as it is (window_full(): the
  // caller moves on to another with use_window()); into a caller's window
  // at most max_read bytes are read (what its frames are expected to need).
  bool refill(size_t max_read = SIZE_MAX);
  // Makes buf[0, cap) the window: the bytes of the current one not parsed
  // yet (the record it cut short) are moved to its start first; buf may be
  // the current window. cap must exceed unparsed().
  void use_window(uint8_t* buf, size_t cap);
  // Bytes of the window not parsed yet.
  size_t unparsed() const { return end_ - begin_ - size_t(parser_.consumed()); }
  // A caller's window with no room left for refill().
  bool window_full() const { return window_ != buf_.data() && end_ == cap_; }
  // Whether the last read of refill() took less than there was room for:
  // the input (a pipe, a decompressor) had no more ready then.
  bool read_short() const { return read_short_; }

  const CaptureFileParser& parser() const { return parser_; }
  uint64_t packets() const { return parser_.packets(); }
  uint64_t raw_offset() const { return in_->raw_offset(); }
  const std::string& error() const { return error_; }
  uint64_t error_offset() const { return error_offset_; }

 private:
  bool fill(uint64_t want);  // reads until the window holds `want` bytes, the input ends, or a caller's window is full

  std::unique_ptr<ByteStream> in_;
  CaptureFileParser parser_;
  std::vector<uint8_t> buf_;    // the reader's own window
  uint8_t* window_ = nullptr;   // buf_.data(), or the caller's buffer
  size_t cap_ = 0;              // the caller's buffer's size
  size_t begin_ = 0, end_ = 0;  // window = window_[begin_, end_)
  bool read_short_ = false;
  size_t max_read_ = SIZE_MAX;
  bool eof_ = false;
  std::string error_;
  uint64_t error_offset_ = 0;
};

}  // namespace gnpay
