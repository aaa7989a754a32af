// sd_notify(3) without libsystemd: one datagram on the AF_UNIX socket systemd
// names in $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
#pragma once

#include <string>

namespace gnpay {

// Sends `state` ("READY=1", "WATCHDOG=1", "STATUS=...", newline-separated
// assignments) to `socket_path`. False with `*error` set when it cannot.
bool sd_notify_send(const std::string& socket_path, const std::string& state, std::string* error);

}  // namespace gnpay
