// A read-only memory map of a whole capture file, guarded against the file
// shrinking under it.
//
// A page of a mapping past the end of its file raises SIGBUS when touched:
// another process truncating the capture while it is replayed would kill the
// daemon. While a MappedFile is open its range is registered with a process
// wide SIGBUS handler that, for a fault inside a registered range, maps
// zero-filled anonymous pages over the rest of the range and flags the
// mapping as truncated(); the faulting load then reads zeros and the replay,
// which checks truncated() after each chunk of frames it decoded, ends with
// an error.
// Faults outside every registered range go to the handler that was there
// before (or the default action: the process dies as it would have).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace gnpay {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile() { close(); }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // False with error() set ("cannot open x: No such file or directory").
  // Pages are mapped as they are first touched.
  bool open(const std::string& path);
  void close();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  // The file shrank while mapped: some of data() now reads as zeros.
  bool truncated() const;
  // Drops this process's page-table entries for the mapping's bytes before
  // `offset` (whole pages only); the file's pages stay in the page cache and
  // a later read of those bytes maps them again. Keeps the resident set of a
  // long replay bounded.
  void release_before(size_t offset);
  // Prefetches (into the CPU cache) every cache line from the last one
  // prefetched up to kReadAhead bytes past `offset`: a reader walking the
  // mapping forwards then finds its bytes in the cache. Records of varying
  // length are a chain of dependent loads (each one's length gives the next
  // one's place) that the hardware prefetchers do not follow across pages;
  // without this, each record's first load waits for memory. A prefetch
  // never faults (a page not yet mapped is skipped).
  void read_ahead(size_t offset) {
    size_t end = offset + kReadAhead;
    if (end > size_) end = size_;
    for (; prefetched_ < end; prefetched_ += kLine) __builtin_prefetch(data_ + prefetched_);
  }
  static constexpr size_t kReadAhead = 8192;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t released_ = 0;    // bytes before this were released (page aligned)
  size_t prefetched_ = 0;  // read_ahead(): lines before this were prefetched
  static constexpr size_t kLine = 64;
  int slot_ = -1;  // the guard's slot while mapped
  std::string path_;
  std::string error_;
};

}  // namespace gnpay
