// A read-only memory map of a whole capture file.
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
  bool open(const std::string& path);
  void close();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& error() const { return error_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string error_;
};

}  // namespace gnpay
