// Every input in native/fuzz/regressions/ (a folder per decoder of hand-made
// hostile inputs, and found/ for what the fuzzer ever crashed on) is replayed
// through the same entry point forever. Under ASan/UBSan (make asan) a fault
// there aborts the run.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "fuzz_entry.h"

TEST_CASE("fuzz regressions: every saved input replays without fault") {
  size_t n = 0;
  const char* dir = "fuzz/regressions";
  REQUIRE(std::filesystem::exists(dir));
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename().string()[0] == '.' || e.path().extension() == ".md") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(e.path().string());
    CHECK(gnpay::fuzz_one(data.data(), data.size()) == 0);
    n++;
  }
  MESSAGE("replayed " << n << " regression inputs");
  CHECK(n >= 30);
}

TEST_CASE("fuzz entry: every selector on empty and tiny inputs") {
  for (int sel = 0; sel < 256; sel++) {
    uint8_t one[1] = {uint8_t(sel)};
    gnpay::fuzz_one(one, 1);
    uint8_t two[3] = {uint8_t(sel), 0xFF, 0xFF};
    gnpay::fuzz_one(two, sizeof two);
  }
  CHECK(gnpay::fuzz_one(nullptr, 0) == 0);
}
