// A BPF filter expression (tcpdump syntax) applied to frames read from files,
// compiled with libpcap once per link type met (a pcapng file may mix them).
// Not thread-safe: one per reading thread.
#pragma once
#include <pcap/pcap.h>

#include <cstdint>
#include <string>
#include <vector>

#include "capture_file.h"

namespace gnpay {

class BpfFilter {
 public:
  BpfFilter() = default;
  ~BpfFilter();
  BpfFilter(const BpfFilter&) = delete;
  BpfFilter& operator=(const BpfFilter&) = delete;

  // Sets the expression; an empty one matches everything. False (with
  // *error) when it does not compile for Ethernet, the common case, so that a
  // typo is reported before any file is read.
  bool set(const std::string& expression, std::string* error);
  bool active() const { return !expression_.empty(); }

  enum class Verdict : uint8_t { Pass, Drop, Error };
  // Error: the expression cannot apply to this frame's link type (error() says why).
  Verdict check(const CaptureFrame& frame);
  const std::string& error() const { return error_; }

 private:
  struct Program {
    uint32_t linktype = 0;
    bool ok = false;
    bpf_program prog{};
  };
  bool compile(uint32_t linktype, Program& p);

  std::string expression_;
  std::string error_;
  std::vector<Program> programs_;  // few: one per link type
};

}  // namespace gnpay
