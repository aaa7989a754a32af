#include "input_stream.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <cerrno>
#include <cstring>

namespace gnpay {

namespace {

constexpr size_t kWindow = 1u << 20;     // initial window (grows to hold one record)
constexpr size_t kInChunk = 256u << 10;  // compressed bytes read at a time

bool is_gzip(const uint8_t* m, size_t n) { return n >= 2 && m[0] == 0x1f && m[1] == 0x8b; }
bool is_zstd(const uint8_t* m, size_t n) {
  return n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd;
}
// Compressions gnpay does not read, named in the error with the command that does.
const char* other_compression(const uint8_t* m, size_t n) {
  if (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') return "bzip2 (bzip2 -dc FILE | gnpay decode -)";
  if (n >= 4 && m[0] == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X') return "xz (xz -dc FILE | gnpay decode -)";
  if (n >= 4 && m[0] == 0x04 && m[1] == 0x22 && m[2] == 0x4d && m[3] == 0x18)
    return "lz4 (lz4 -dc FILE | gnpay decode -)";
  if (n >= 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4) return "zip (unzip -p FILE | gnpay decode -)";
  return nullptr;
}

std::string display(const std::string& path) { return path == "-" ? "standard input" : path; }

// A file descriptor, with a few bytes already read (the magic) given back first.
class FdStream : public ByteStream {
 public:
  // `name` is what an error calls the input. A regular file's size is taken
  // here: reaching its end before that many bytes means the file shrank
  // under the replay (truncated, rewritten), an error rather than a capture
  // that merely ends early. A file that grows is read to its new end.
  FdStream(int fd, const std::atomic<bool>* stop, std::string name) : fd_(fd), stop_(stop), name_(std::move(name)) {
    struct stat st;
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;
    const off_t at = ::lseek(fd_, 0, SEEK_CUR);  // standard input may be a file read part-way
    if (at >= 0 && st.st_size >= at) expected_ = uint64_t(st.st_size - at);
  }
  ~FdStream() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void unread(const uint8_t* p, size_t n) { pushback_.assign(p, p + n); }

  long read(uint8_t* buf, size_t n) override {
    if (n == 0) return 0;
    if (!pushback_.empty()) {
      const size_t k = n < pushback_.size() ? n : pushback_.size();
      std::memcpy(buf, pushback_.data(), k);
      pushback_.erase(pushback_.begin(), pushback_.begin() + long(k));
      return long(k);
    }
    for (;;) {
      if (stop_ && stop_->load()) {
        error_ = "stopped";
        return -1;
      }
      // poll with a timeout so that a stop request ends a read that waits on a quiet pipe
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, 200);
      if (r < 0 && errno != EINTR) {
        error_ = std::string("read failed: ") + std::strerror(errno);
        return -1;
      }
      if (r <= 0) continue;
      const ssize_t got = ::read(fd_, buf, n);
      if (got == 0 && raw_ < expected_) {
        error_ = name_ + " shrank while it was read";
        return -1;
      }
      if (got >= 0) {
        raw_ += uint64_t(got);
        return long(got);
      }
      if (errno == EINTR || errno == EAGAIN) continue;
      error_ = std::string("read failed: ") + std::strerror(errno);
      return -1;
    }
  }
  uint64_t raw_offset() const override { return raw_; }

 private:
  int fd_;
  const std::atomic<bool>* stop_;
  std::string name_;
  std::vector<uint8_t> pushback_;
  uint64_t raw_ = 0;
  uint64_t expected_ = 0;  // a regular file's size when opened (0: not a regular file)
};

// gzip (RFC 1952), members one after another as gzip and pigz write them.
class GzipStream : public ByteStream {
 public:
  explicit GzipStream(std::unique_ptr<ByteStream> in) : in_(std::move(in)), chunk_(kInChunk) {
    std::memset(&z_, 0, sizeof z_);
    ok_ = inflateInit2(&z_, 15 + 16) == Z_OK;
    if (!ok_) error_ = "cannot start the gzip decompressor";
  }
  ~GzipStream() override {
    if (ok_) inflateEnd(&z_);
  }

  long read(uint8_t* buf, size_t n) override {
    if (!ok_) return -1;
    if (n == 0 || done_) return 0;
    z_.next_out = buf;
    z_.avail_out = uInt(n > (1u << 30) ? (1u << 30) : n);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        if (z_.avail_out < n) break;  // hand out what is there before blocking on more input
        const long got = in_->read(chunk_.data(), chunk_.size());
        if (got < 0) {
          error_ = in_->error();
          return -1;
        }
        if (got == 0) {
          if (at_member_end_) {
            done_ = true;
            break;
          }
          error_ = "the gzip stream ends early (truncated .gz)";
          return -1;
        }
        z_.next_in = chunk_.data();
        z_.avail_in = uInt(got);
      }
      if (at_member_end_) {  // more bytes after a member: the next member
        inflateReset(&z_);
        at_member_end_ = false;
      }
      const int r = inflate(&z_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        at_member_end_ = true;
        continue;
      }
      if (r == Z_BUF_ERROR) continue;  // needs input
      if (r != Z_OK) {
        error_ = std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : "inflate failed");
        return -1;
      }
    }
    return long(n - z_.avail_out);
  }
  uint64_t raw_offset() const override { return in_->raw_offset(); }

 private:
  std::unique_ptr<ByteStream> in_;
  std::vector<uint8_t> chunk_;
  z_stream z_;
  bool ok_ = false;
  bool at_member_end_ = false;
  bool done_ = false;
};

// libzstd's streaming API, resolved from libzstd.so.1 at first use (stable ABI).
// GNPAY_LIBZSTD names another file to load instead (a libzstd outside the
// loader's path; a name that does not exist shows what happens without one).
struct ZstdApi {
  struct InBuf {
    const void* src;
    size_t size;
    size_t pos;
  };
  struct OutBuf {
    void* dst;
    size_t size;
    size_t pos;
  };
  void* (*create)() = nullptr;
  size_t (*free_)(void*) = nullptr;
  size_t (*decompress)(void*, OutBuf*, InBuf*) = nullptr;
  unsigned (*is_error)(size_t) = nullptr;
  const char* (*error_name)(size_t) = nullptr;
  bool ok = false;

  static const ZstdApi& get() {
    static const ZstdApi api = load();
    return api;
  }

 private:
  static ZstdApi load() {
    ZstdApi a;
    const char* name = std::getenv("GNPAY_LIBZSTD");
    void* h = dlopen(name && *name ? name : "libzstd.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return a;
    a.create = reinterpret_cast<void* (*)()>(dlsym(h, "ZSTD_createDStream"));
    a.free_ = reinterpret_cast<size_t (*)(void*)>(dlsym(h, "ZSTD_freeDStream"));
    a.decompress = reinterpret_cast<size_t (*)(void*, OutBuf*, InBuf*)>(dlsym(h, "ZSTD_decompressStream"));
    a.is_error = reinterpret_cast<unsigned (*)(size_t)>(dlsym(h, "ZSTD_isError"));
    a.error_name = reinterpret_cast<const char* (*)(size_t)>(dlsym(h, "ZSTD_getErrorName"));
    a.ok = a.create && a.free_ && a.decompress && a.is_error && a.error_name;
    return a;  // the library stays loaded for the life of the process
  }
};

const char* kNoZstd =
    "reading zstd captures needs libzstd.so.1 (apt-get install libzstd1), or decompress first: zstd -dc FILE | gnpay "
    "decode -";

// zstd (RFC 8878), frames one after another.
class ZstdStream : public ByteStream {
 public:
  explicit ZstdStream(std::unique_ptr<ByteStream> in) : in_(std::move(in)), api_(ZstdApi::get()), chunk_(kInChunk) {
    if (api_.ok) ds_ = api_.create();
    if (!ds_) error_ = api_.ok ? "cannot start the zstd decompressor" : kNoZstd;
  }
  ~ZstdStream() override {
    if (ds_) api_.free_(ds_);
  }

  long read(uint8_t* buf, size_t n) override {
    if (!ds_) return -1;
    if (n == 0 || done_) return 0;
    ZstdApi::OutBuf out{buf, n, 0};
    while (out.pos < out.size) {
      if (in_buf_.pos == in_buf_.size) {
        if (out.pos > 0) break;  // hand out what is there before blocking on more input
        const long got = in_->read(chunk_.data(), chunk_.size());
        if (got < 0) {
          error_ = in_->error();
          return -1;
        }
        if (got == 0) {
          if (frame_done_) {
            done_ = true;
            break;
          }
          error_ = "the zstd stream ends early (truncated .zst)";
          return -1;
        }
        in_buf_ = ZstdApi::InBuf{chunk_.data(), size_t(got), 0};
      }
      const size_t r = api_.decompress(ds_, &out, &in_buf_);
      if (api_.is_error(r)) {
        error_ = std::string("corrupt zstd data: ") + api_.error_name(r);
        return -1;
      }
      frame_done_ = r == 0;
    }
    return long(out.pos);
  }
  uint64_t raw_offset() const override { return in_->raw_offset(); }

 private:
  std::unique_ptr<ByteStream> in_;
  const ZstdApi& api_;
  void* ds_ = nullptr;
  std::vector<uint8_t> chunk_;
  ZstdApi::InBuf in_buf_{nullptr, 0, 0};
  bool frame_done_ = false;
  bool done_ = false;
};

int open_fd(const std::string& path, std::string* error) {
  const int fd = path == "-" ? ::fcntl(0, F_DUPFD_CLOEXEC, 3) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) *error = "cannot open " + display(path) + ": " + std::strerror(errno);
  return fd;
}

}  // namespace

bool check_input(const std::string& path, std::string* error) {
  if (path == "-") return true;
  // stat before any open: a named pipe opened here and closed again would
  // let its writer's open return, and what it wrote before the real open
  // would be lost with the pipe (the replay then waits for a writer forever)
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *error = path + " is a directory, not a capture file";
    return false;
  }
  return true;  // what it holds (a capture, gzip, zstd, another compression) open_input_stream() finds out
}

std::unique_ptr<ByteStream> open_input_stream(const std::string& path, const std::atomic<bool>* stop,
                                              std::string* error) {
  const int fd = open_fd(path, error);
  if (fd < 0) return nullptr;
  std::unique_ptr<FdStream> raw(new FdStream(fd, stop, display(path)));
  uint8_t m[4];
  size_t n = 0;
  while (n < sizeof m) {
    const long got = raw->read(m + n, sizeof m - n);
    if (got < 0) {
      *error = display(path) + ": " + raw->error();
      return nullptr;
    }
    if (got == 0) break;
    n += size_t(got);
  }
  raw->unread(m, n);
  if (const char* other = other_compression(m, n)) {
    *error = display(path) + " is compressed with " + other + "; gnpay reads gzip and zstd";
    return nullptr;
  }
  if (is_gzip(m, n)) {
    std::unique_ptr<ByteStream> s(new GzipStream(std::move(raw)));
    if (!s->error().empty()) {
      *error = s->error();
      return nullptr;
    }
    return s;
  }
  if (is_zstd(m, n)) {
    std::unique_ptr<ByteStream> s(new ZstdStream(std::move(raw)));
    if (!s->error().empty()) {
      *error = display(path) + ": " + s->error();
      return nullptr;
    }
    return s;
  }
  return raw;
}

bool StreamReader::fill(uint64_t want) {
  const bool own = window_ == buf_.data();
  while (!eof_ && end_ - begin_ < want) {
    if (own) {
      if (begin_ > 0) {  // keep the unread bytes at the front
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      // grows by doubling: a record longer than the window is read in as few reads as its size allows
      if (buf_.size() < want || end_ == buf_.size())
        buf_.resize(want > buf_.size() * 2 ? size_t(want) : buf_.size() * 2);
      window_ = buf_.data();
      cap_ = buf_.size();
    } else if (end_ == cap_) {
      return true;  // full: the caller moves on to another window
    }
    // a caller's window takes at most max_read_ at a time (own: as much as there is room for)
    const size_t ask = !own && max_read_ < cap_ - end_ ? max_read_ : cap_ - end_;
    const long got = in_->read(window_ + end_, ask);
    if (got < 0) {
      error_ = in_->error();
      return false;
    }
    if (got == 0) eof_ = true;
    read_short_ = got > 0 && size_t(got) < ask;
    end_ += size_t(got);
  }
  return true;
}

bool StreamReader::open() {
  buf_.resize(kWindow);
  window_ = buf_.data();
  cap_ = buf_.size();
  if (!fill(12)) return false;
  const uint64_t header = CaptureFileParser::stream_header_size(Span(window_ + begin_, end_ - begin_));
  if (!fill(header)) return false;
  if (!parser_.open(Span(window_ + begin_, end_ - begin_), eof_)) {
    error_ = parser_.error();
    error_offset_ = parser_.error_offset();
    return false;
  }
  return true;
}

bool StreamReader::refill(size_t max_read) {
  begin_ += size_t(parser_.consumed());
  read_short_ = false;
  max_read_ = max_read ? max_read : 1;
  // at least one byte more than the window holds now (the record that did not fit);
  // one read takes whatever more the input has ready
  const bool ok = fill(uint64_t(end_ - begin_) + 1);
  parser_.set_window(Span(window_ + begin_, end_ - begin_), eof_);
  return ok;
}

void StreamReader::use_window(uint8_t* buf, size_t cap) {
  const size_t from = begin_ + size_t(parser_.consumed());
  const size_t n = end_ - from;
  if (n) std::memmove(buf, window_ + from, n);  // buf may be the window itself
  window_ = buf;
  cap_ = cap;
  begin_ = 0;
  end_ = n;
  parser_.set_window(Span(buf, n), eof_);
}

}  // namespace gnpay
