#include "sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace gnpay {

bool sd_notify_send(const std::string& socket_path, const std::string& state, std::string* error) {
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (socket_path.size() < 2 || (socket_path[0] != '/' && socket_path[0] != '@')) {
    *error = "NOTIFY_SOCKET must be an absolute path or an abstract name (@...)";
    return false;
  }
  if (socket_path.size() >= sizeof addr.sun_path) {
    *error = "NOTIFY_SOCKET is too long";
    return false;
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace: no terminating NUL counted
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + socket_path.size() + (socket_path[0] == '@' ? 0 : 1));
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  ssize_t n;
  do {
    n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  ::close(fd);
  if (n < 0) {
    *error = std::string("sendto ") + socket_path + ": " + std::strerror(saved);
    return false;
  }
  if (size_t(n) != state.size()) {
    *error = "short write to NOTIFY_SOCKET";
    return false;
  }
  return true;
}

}  // namespace gnpay
