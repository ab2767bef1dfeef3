// The daemon's side of systemd's notification protocol (sd_notify(3)):
// READY=1 once it serves, STATUS= lines an operator sees in `systemctl
// status`, WATCHDOG=1 pings when the unit sets WatchdogSec=, STOPPING=1 on
// the way down. Outside systemd (NOTIFY_SOCKET unset) every call does
// nothing, so daemons and tests need no special case.
//
// Never blocks the caller for long: libsystemd's sd_notify() sends with a
// blocking sendmsg(), which waits for as long as the manager does not read
// its socket, and the caller here is the event loop that serves Admin. So
// messages are sent without blocking; a state change (READY, STATUS,
// STOPPING) waits at most kStateTimeout for room, a watchdog ping not at
// all (if the manager is not reading, a lost ping changes nothing).
//
// Thread-safety: every method may be called from any thread.

#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace triad::base {

class SystemdNotifier {
 public:
  static constexpr std::chrono::milliseconds kStateTimeout{1000};

  // Reads NOTIFY_SOCKET and WATCHDOG_USEC (and WATCHDOG_PID) once.
  SystemdNotifier();
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  bool enabled() const { return fd_ >= 0; }

  void ready(std::string_view status);
  void status(std::string_view status);
  void stopping(std::string_view status);
  void watchdog();

  // How often to send WATCHDOG=1: half the unit's WatchdogSec, as
  // sd_watchdog_enabled(3) advises; nullopt when no watchdog is asked for.
  std::optional<std::chrono::microseconds> watchdogInterval() const { return watchdogInterval_; }

 private:
  // False if the message could not be sent in time (a notification is
  // advice to the manager: the daemon goes on either way).
  bool send(std::string_view state, std::chrono::milliseconds timeout);

  int fd_ = -1;  // connected to NOTIFY_SOCKET; -1 outside systemd
  std::optional<std::chrono::microseconds> watchdogInterval_;
};

}  // namespace triad::base
