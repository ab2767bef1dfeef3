#include "base/systemd_notifier.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace triad::base {

SystemdNotifier::SystemdNotifier() {
  const char* socketName = std::getenv("NOTIFY_SOCKET");
  if (socketName == nullptr || socketName[0] == '\0') return;
  // A path, or an abstract name written with a leading '@' (sd_notify(3)).
  const size_t length = std::strlen(socketName);
  sockaddr_un address{};
  if (length >= sizeof address.sun_path) return;
  if (socketName[0] != '/' && socketName[0] != '@') return;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socketName, length);
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
  const size_t size = offsetof(sockaddr_un, sun_path) + length + (socketName[0] == '/' ? 1 : 0);

  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return;
  // Connected, so that poll() waits for room in the manager's queue.
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), static_cast<socklen_t>(size)) !=
      0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdogInterval_ = std::chrono::microseconds(usec / 2);
  }
}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

bool SystemdNotifier::send(std::string_view state, std::chrono::milliseconds timeout) {
  if (fd_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    ssize_t n = ::send(fd_, state.data(), state.size(), MSG_NOSIGNAL);
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    // The manager's queue is full: wait for room, up to the deadline.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLOUT, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
}

void SystemdNotifier::ready(std::string_view status) {
  send("READY=1\nSTATUS=" + std::string(status), kStateTimeout);
}

void SystemdNotifier::status(std::string_view status) {
  send("STATUS=" + std::string(status), kStateTimeout);
}

void SystemdNotifier::stopping(std::string_view status) {
  send("STOPPING=1\nSTATUS=" + std::string(status), kStateTimeout);
}

void SystemdNotifier::watchdog() { send("WATCHDOG=1", std::chrono::milliseconds(0)); }

}  // namespace triad::base
