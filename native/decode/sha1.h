// SHA-1 (FIPS 180-4), for Community ID flow hashes (community_id.h). Not for
// anything that needs collision resistance. Incremental, no allocation.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gnpay {

constexpr size_t kSha1Len = 20;

class Sha1 {
 public:
  Sha1() { reset(); }
  void reset();
  void update(const void* data, size_t n);
  void finish(uint8_t out[kSha1Len]);  // the object must be reset() before reuse

 private:
  void block(const uint8_t* p);
  uint32_t h_[5];
  uint64_t total_ = 0;  // bytes hashed
  uint8_t buf_[64];
  size_t used_ = 0;
};

}  // namespace gnpay
