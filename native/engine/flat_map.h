// Open-addressing hash map from a 64-bit key to a small trivially-copyable
// value: linear probing, backward-shift deletion (no tombstones), power-of-two
// capacity grown at 3/4 load. Keys and values live in two flat arrays, so an
// entry costs 8 + sizeof(V) bytes over the capacity. Growth allocates (amortised,
// bounded by the caller's table limits); lookups and erases never allocate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gnpay {

inline uint64_t mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

template <typename V>
class FlatMap64 {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t(0);  // never a valid key

  explicit FlatMap64(size_t initial_capacity = 16) { rehash(round_up(initial_capacity)); }

  size_t size() const { return size_; }
  size_t capacity() const { return keys_.size(); }
  size_t memory_bytes() const { return keys_.capacity() * sizeof(uint64_t) + vals_.capacity() * sizeof(V); }

  V* find(uint64_t key) {
    size_t i = mix64(key) & mask_;
    for (;;) {
      uint64_t k = keys_[i];
      if (k == key) return &vals_[i];
      if (k == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }
  const V* find(uint64_t key) const { return const_cast<FlatMap64*>(this)->find(key); }

  // Inserts or overwrites. Returns true when the key was new.
  bool put(uint64_t key, const V& v) {
    if ((size_ + 1) * 4 > keys_.size() * 3) rehash(keys_.size() * 2);
    size_t i = mix64(key) & mask_;
    for (;;) {
      uint64_t k = keys_[i];
      if (k == key) { vals_[i] = v; return false; }
      if (k == kEmpty) {
        keys_[i] = key;
        vals_[i] = v;
        size_++;
        return true;
      }
      i = (i + 1) & mask_;
    }
  }

  bool erase(uint64_t key) {
    size_t i = mix64(key) & mask_;
    for (;;) {
      uint64_t k = keys_[i];
      if (k == kEmpty) return false;
      if (k == key) break;
      i = (i + 1) & mask_;
    }
    // backward-shift: pull later members of the probe run into the hole
    size_t j = i;
    for (;;) {
      j = (j + 1) & mask_;
      uint64_t k = keys_[j];
      if (k == kEmpty) break;
      size_t ideal = mix64(k) & mask_;
      // move k to i when i lies cyclically in [ideal, j)
      if (((j - ideal) & mask_) >= ((j - i) & mask_)) {
        keys_[i] = k;
        vals_[i] = vals_[j];
        i = j;
      }
    }
    keys_[i] = kEmpty;
    size_--;
    return true;
  }

  void clear() {
    std::vector<uint64_t>().swap(keys_);
    std::vector<V>().swap(vals_);
    size_ = 0;
    rehash(16);
  }

  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); i++)
      if (keys_[i] != kEmpty) f(keys_[i], vals_[i]);
  }

 private:
  static size_t round_up(size_t n) {
    size_t c = 16;
    while (c < n) c <<= 1;
    return c;
  }
  void rehash(size_t cap) {
    std::vector<uint64_t> old_k;
    std::vector<V> old_v;
    old_k.swap(keys_);
    old_v.swap(vals_);
    keys_.assign(cap, kEmpty);
    vals_.assign(cap, V());
    mask_ = cap - 1;
    size_ = 0;
    for (size_t i = 0; i < old_k.size(); i++)
      if (old_k[i] != kEmpty) put(old_k[i], old_v[i]);
  }

  std::vector<uint64_t> keys_;
  std::vector<V> vals_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace gnpay
