#include "utilities/common/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <string_view>

namespace triad::common {
namespace {

// Written once at start-up, before any thread that passes a crash point.
std::string armedName;
std::atomic<bool> armed{false};
std::atomic<int64_t> passesLeft{0};

}  // namespace

bool armCrashPoint(const std::string& spec, std::string& error) {
  if (spec.empty()) return true;
  // Views of `spec` itself: std::string::substr would make temporaries.
  const std::string_view text = spec;
  std::string_view name = text;
  int64_t nth = 1;
  if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    name = text.substr(0, colon);
    const std::string_view count = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), nth);
    if (ec != std::errc() || end != count.data() + count.size() || nth < 1) {
      error = "--crash-at wants NAME or NAME:N with N a positive count, not '" + std::string(spec) +
              "'";
      return false;
    }
  }
  if (name.empty()) {
    error = "--crash-at names no crash point";
    return false;
  }
  armedName = std::string(name);
  passesLeft.store(nth);
  armed.store(true, std::memory_order_release);
  return true;
}

void crashPoint(const char* name) {
  if (!armed.load(std::memory_order_acquire) || armedName != name) return;
  if (passesLeft.fetch_sub(1) == 1) {
    static constexpr char kLine[] = "crash point reached: SIGKILL\n";
    [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, kLine, sizeof kLine - 1);
    ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace triad::common
