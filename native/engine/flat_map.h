// Open-addressing hash map from a 64-bit key to a small trivially-copyable
// value: linear probing, backward-shift deletion (no tombstones). The capacity
// is any size (slot = multiply-shift of the hash, no power of two) and grows by
// 1.5x at 85% load, so the table is never less than ~57% full once grown: an
// entry costs (8 + sizeof(V)) / load bytes - this is what keeps a tunnel table
// of a million subscribers small. Keys and values live in two flat arrays.
// Growth allocates (amortised, bounded by the caller's table limits); lookups
// and erases never allocate.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "prefetch.h"

namespace gnpay {

// Large arrays straight from mmap, small ones from malloc. A table that grows
// frees its previous arrays; memory from mmap goes back to the system at once,
// while glibc's heap would keep it resident (its mmap threshold rises after the
// first large free), inflating the resident size of a grown table by a third.
template <typename T>
struct BigAllocator {
  using value_type = T;
  static constexpr size_t kMmapBytes = 256 * 1024;
  BigAllocator() = default;
  template <typename U>
  BigAllocator(const BigAllocator<U>&) {}
  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes >= kMmapBytes) {
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
    void* p = std::malloc(bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes >= kMmapBytes)
      munmap(p, bytes);
    else
      std::free(p);
  }
  template <typename U>
  bool operator==(const BigAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const BigAllocator<U>&) const {
    return false;
  }
};

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

  explicit FlatMap64(size_t initial_capacity = 16) { rehash(initial_capacity < 16 ? 16 : initial_capacity); }

  size_t size() const { return size_; }
  size_t capacity() const { return keys_.size(); }
  size_t memory_bytes() const { return keys_.capacity() * sizeof(uint64_t) + vals_.capacity() * sizeof(V); }

  V* find(uint64_t key) {
    size_t i = slot(key);
    for (;;) {
      uint64_t k = keys_[i];
      if (k == key) return &vals_[i];
      if (k == kEmpty) return nullptr;
      if (++i == cap_) i = 0;
    }
  }
  const V* find(uint64_t key) const { return const_cast<FlatMap64*>(this)->find(key); }
  // Starts loading the cache lines a find(key) begins with (its slot's key and
  // value), so a lookup issued a few packets later does not wait on memory.
  void prefetch(uint64_t key) const {
    const size_t i = slot(key);
    prefetch_line(keys_.data() + i);
    prefetch_line(vals_.data() + i);
  }

  // Inserts or overwrites. Returns true when the key was new.
  bool put(uint64_t key, const V& v) {
    if ((size_ + 1) * 20 > cap_ * 17) rehash(cap_ + cap_ / 2);
    size_t i = slot(key);
    for (;;) {
      uint64_t k = keys_[i];
      if (k == key) {
        vals_[i] = v;
        return false;
      }
      if (k == kEmpty) {
        keys_[i] = key;
        vals_[i] = v;
        size_++;
        return true;
      }
      if (++i == cap_) i = 0;
    }
  }

  bool erase(uint64_t key) {
    size_t i = slot(key);
    for (;;) {
      uint64_t k = keys_[i];
      if (k == kEmpty) return false;
      if (k == key) break;
      if (++i == cap_) i = 0;
    }
    // backward-shift: pull later members of the probe run into the hole
    size_t j = i;
    for (;;) {
      if (++j == cap_) j = 0;
      uint64_t k = keys_[j];
      if (k == kEmpty) break;
      size_t ideal = slot(k);
      // move k to i when i lies cyclically in [ideal, j)
      if (dist(ideal, j) >= dist(i, j)) {
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
    std::vector<uint64_t, BigAllocator<uint64_t>>().swap(keys_);
    std::vector<V, BigAllocator<V>>().swap(vals_);
    size_ = 0;
    rehash(16);
  }

  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); i++)
      if (keys_[i] != kEmpty) f(keys_[i], vals_[i]);
  }

 private:
  // slot of a key: the high half of hash * capacity (Lemire's multiply-shift)
  size_t slot(uint64_t key) const { return size_t((static_cast<unsigned __int128>(mix64(key)) * cap_) >> 64); }
  size_t dist(size_t from, size_t to) const { return to >= from ? to - from : to + cap_ - from; }
  void rehash(size_t cap) {
    std::vector<uint64_t, BigAllocator<uint64_t>> old_k;
    std::vector<V, BigAllocator<V>> old_v;
    old_k.swap(keys_);
    old_v.swap(vals_);
    keys_.assign(cap, kEmpty);
    vals_.assign(cap, V());
    keys_.shrink_to_fit();
    vals_.shrink_to_fit();
    cap_ = cap;
    size_ = 0;
    for (size_t i = 0; i < old_k.size(); i++)
      if (old_k[i] != kEmpty) put(old_k[i], old_v[i]);
  }

  std::vector<uint64_t, BigAllocator<uint64_t>> keys_;
  std::vector<V, BigAllocator<V>> vals_;
  size_t cap_ = 0;
  size_t size_ = 0;
};

}  // namespace gnpay
