// Cache prefetch hints, for loads and stores whose addresses are known a few
// steps before they happen.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gnpay {

// A prefetch hint for the cache line at p. GCC 12 at -O2 drops a
// __builtin_prefetch whose address it computed from a hash (seen with
// flat_map.h's slot arithmetic); an empty asm taking the address keeps it.
inline void prefetch_line(const void* p) {
  __asm__ volatile("" : : "r"(p));
  __builtin_prefetch(p);
}
// The same, for a line about to be written: fetched exclusive, so that the
// store need not ask the other cores again. On x86-64 PREFETCHW itself: GCC
// emits it for __builtin_prefetch(p, 1) only with -mprfchw, and processors
// without it take it as a no-op.
inline void prefetch_line_for_write(const void* p) {
#if defined(__x86_64__)
  __asm__ volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __asm__ volatile("" : : "r"(p));
  __builtin_prefetch(p, 1);
#endif
}

// Every line that [p, p + n) touches, for writing: a buffer about to be
// filled whose lines the other core read last.
inline void prefetch_range_for_write(const void* p, size_t n) {
  if (n == 0) return;
  const char* c = static_cast<const char*>(p);
  prefetch_line_for_write(c);
  // then the start of each later line the range reaches
  for (size_t at = 64 - (reinterpret_cast<uintptr_t>(c) & 63); at < n; at += 64) prefetch_line_for_write(c + at);
}
}  // namespace gnpay
