// libFuzzer target over the whole decode path (see fuzz_entry.h).
//   npm run fuzz -- <seconds>
#include <cstddef>
#include <cstdint>

#include "fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return gnpay::fuzz_one(data, size); }
