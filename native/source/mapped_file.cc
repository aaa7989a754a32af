#include "mapped_file.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gnpay {

namespace {

// The guarded ranges: a fixed table the signal handler reads without locks.
// A slot is claimed (`used`), then its range published (`begin` last, with
// release order); it is cleared before its mapping goes away.
struct GuardSlot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> used{false};
  std::atomic<bool> hit{false};
};
constexpr int kGuardSlots = 64;
GuardSlot g_slots[kGuardSlots];
struct sigaction g_previous;
std::once_flag g_installed;
uintptr_t g_page = 4096;
// release_before() drops page-table entries this many bytes at a time.
constexpr size_t kReleaseStep = size_t(8) << 20;

static_assert(std::atomic<uintptr_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the SIGBUS handler reads these atomics");

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(info->si_addr);
  for (GuardSlot& s : g_slots) {
    const uintptr_t b = s.begin.load(std::memory_order_acquire);
    if (b == 0 || a < b) continue;
    const uintptr_t e = s.end.load(std::memory_order_relaxed);
    if (a >= e) continue;
    // Zero pages from the faulting page to the end of the range: the load is
    // retried when the handler returns and reads zeros.
    const uintptr_t in_page = a & (g_page - 1);
    char* page = static_cast<char*>(info->si_addr) - in_page;
    void* p = mmap(page, e - (a - in_page), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != MAP_FAILED) {
      s.hit.store(true, std::memory_order_relaxed);
      return;
    }
    break;
  }
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // Not ours and nobody else's: the default action, when the load is retried.
  signal(SIGBUS, SIG_DFL);
}

void install_guard() {
  const long page = sysconf(_SC_PAGESIZE);
  if (page > 0) g_page = uintptr_t(page);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_previous);
}

int claim_slot(const uint8_t* data, size_t size) {
  std::call_once(g_installed, install_guard);
  for (int i = 0; i < kGuardSlots; i++) {
    bool expected = false;
    if (!g_slots[i].used.compare_exchange_strong(expected, true)) continue;
    g_slots[i].hit.store(false);
    g_slots[i].end.store(reinterpret_cast<uintptr_t>(data) + size);
    g_slots[i].begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
    return i;
  }
  return -1;
}

void free_slot(int i) {
  g_slots[i].begin.store(0, std::memory_order_release);
  g_slots[i].end.store(0);
  g_slots[i].used.store(false);
}

}  // namespace

bool MappedFile::open(const std::string& path) {
  close();
  path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error_ = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    error_ = "cannot stat " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error_ = path + " is not a regular file";
    ::close(fd);
    return false;
  }
  size_ = size_t(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    data_ = nullptr;
    return true;
  }
  void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    error_ = "cannot map " + path + ": " + std::strerror(errno);
    size_ = 0;
    return false;
  }
  const uint8_t* data = static_cast<const uint8_t*>(p);
  slot_ = claim_slot(data, size_);
  if (slot_ < 0) {
    munmap(p, size_);
    error_ = "cannot map " + path + ": too many capture files mapped at once";
    size_ = 0;
    return false;
  }
  madvise(p, size_, MADV_SEQUENTIAL);
  data_ = data;
  released_ = 0;
  prefetched_ = 0;
  return true;
}

bool MappedFile::truncated() const { return slot_ >= 0 && g_slots[slot_].hit.load(std::memory_order_relaxed); }

void MappedFile::release_before(size_t offset) {
  if (!data_ || offset > size_) return;
  const size_t end = offset & ~size_t(g_page - 1);
  if (end < released_ + kReleaseStep) return;
  madvise(const_cast<uint8_t*>(data_) + released_, end - released_, MADV_DONTNEED);
  released_ = end;
}

void MappedFile::close() {
  if (slot_ >= 0) {
    free_slot(slot_);
    slot_ = -1;
  }
  if (data_) munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
  released_ = 0;
}

}  // namespace gnpay
