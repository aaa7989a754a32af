// The one bounds-checked cursor every decoder reads through.
// Every accessor returns false (and does not move) when the bytes are not there;
// length arithmetic is in size_t and never forms a pointer past the end.
#pragma once
#include "span.h"

namespace gnpay {

class ByteReader {
 public:
  ByteReader() = default;
  ByteReader(const uint8_t* p, size_t n) : p_(p), n_(n), off_(0) {}
  explicit ByteReader(Span s) : p_(s.data), n_(s.size), off_(0) {}

  size_t offset() const { return off_; }
  size_t remaining() const { return n_ - off_; }
  bool empty() const { return off_ == n_; }
  bool has(size_t k) const { return k <= n_ - off_; }

  bool u8(uint8_t& v) {
    if (!has(1)) return false;
    v = p_[off_];
    off_ += 1;
    return true;
  }
  bool be16(uint16_t& v) {
    if (!has(2)) return false;
    v = uint16_t((uint16_t(p_[off_]) << 8) | p_[off_ + 1]);
    off_ += 2;
    return true;
  }
  bool be24(uint32_t& v) {
    if (!has(3)) return false;
    v = (uint32_t(p_[off_]) << 16) | (uint32_t(p_[off_ + 1]) << 8) | p_[off_ + 2];
    off_ += 3;
    return true;
  }
  bool be32(uint32_t& v) {
    if (!has(4)) return false;
    v = (uint32_t(p_[off_]) << 24) | (uint32_t(p_[off_ + 1]) << 16) | (uint32_t(p_[off_ + 2]) << 8) |
        uint32_t(p_[off_ + 3]);
    off_ += 4;
    return true;
  }
  bool le16(uint16_t& v) {
    if (!has(2)) return false;
    v = uint16_t(p_[off_] | (uint16_t(p_[off_ + 1]) << 8));
    off_ += 2;
    return true;
  }
  bool le32(uint32_t& v) {
    if (!has(4)) return false;
    v = uint32_t(p_[off_]) | (uint32_t(p_[off_ + 1]) << 8) | (uint32_t(p_[off_ + 2]) << 16) |
        (uint32_t(p_[off_ + 3]) << 24);
    off_ += 4;
    return true;
  }
  // 32-bit in the given byte order (pcap/pcapng files carry either).
  bool u32(uint32_t& v, bool big_endian) { return big_endian ? be32(v) : le32(v); }
  bool u16(uint16_t& v, bool big_endian) { return big_endian ? be16(v) : le16(v); }

  bool skip(size_t k) {
    if (!has(k)) return false;
    off_ += k;
    return true;
  }
  bool span(size_t k, Span& out) {
    if (!has(k)) return false;
    out = Span(p_ + off_, k);
    off_ += k;
    return true;
  }
  bool copy(void* dst, size_t k) {
    if (!has(k)) return false;
    std::memcpy(dst, p_ + off_, k);
    off_ += k;
    return true;
  }
  bool peek_u8(uint8_t& v) const {
    if (!has(1)) return false;
    v = p_[off_];
    return true;
  }
  bool peek_at(size_t ahead, uint8_t& v) const {
    if (ahead >= remaining()) return false;
    v = p_[off_ + ahead];
    return true;
  }
  Span rest() const { return Span(p_ + off_, n_ - off_); }
  Span whole() const { return Span(p_, n_); }

 private:
  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
  size_t off_ = 0;
};

}  // namespace gnpay
