// Structured log lines for the daemons, one event per line in logfmt:
//
//   ts=2024-05-01T12:00:00.123Z level=info daemon=triad-customerd id=cf1 event=started port=7200
//
// Lines go to stderr by default, which systemd hands to the journal. When
// stderr is the journal (JOURNAL_STREAM names it), each line also starts with
// the syslog priority ("<6>"), so `journalctl -p warning` filters by level.
// Values that contain spaces, quotes, '=' or control characters are quoted
// and escaped; every other value is written as is.
//
// There is no global logger: a daemon makes one and passes `Logger&` to
// whatever logs. Tests hand in their own sink and clock.
//
// Thread-safety: a Logger may be used from any thread; each line is written
// whole, under a mutex.

#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace triad::base {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

std::string_view levelName(LogLevel level);  // "debug", "info", "warning", "error"
// Parses "debug", "info", "warning" (or "warn") and "error".
std::optional<LogLevel> parseLogLevel(std::string_view text);

// One key=value pair of a line. Keys are written as given: use lower-case
// words joined by '-' ("ack-timeout-ms").
struct LogField {
  LogField(std::string_view key, std::string_view value) : key(key), value(value) {}
  LogField(std::string_view key, const std::string& value) : key(key), value(value) {}
  LogField(std::string_view key, const char* value) : key(key), value(value) {}
  LogField(std::string_view key, bool value) : key(key), value(value ? "true" : "false") {}
  template <std::integral T>
  LogField(std::string_view key, T value) : key(key), value(std::to_string(value)) {}

  std::string_view key;
  std::string value;
};

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;  // gets a line without its '\n'
  using Clock = std::function<int64_t()>;                   // nanoseconds since the Unix epoch

  struct Options {
    LogLevel minimum = LogLevel::kInfo;
    Sink sink{};    // default: stderr
    Clock clock{};  // default: the system clock
    // Start each line with "<priority>" for the journal; default: when
    // stderr is the journal and no sink is given.
    std::optional<bool> syslogPriority{};
  };

  // `daemon` ("triad-customerd") and `id` ("cf1", or empty when not yet
  // known) are written on every line.
  Logger(std::string daemon, std::string id);
  Logger(std::string daemon, std::string id, Options options);

  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
  void debug(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kDebug, event, fields);
  }
  void info(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kInfo, event, fields);
  }
  void warning(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kWarning, event, fields);
  }
  void error(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kError, event, fields);
  }

  bool enabled(LogLevel level) const { return level >= options_.minimum; }
  const std::string& daemon() const { return daemon_; }
  const std::string& id() const { return id_; }

  // The line `log` would write, without a priority prefix (for tests).
  std::string format(LogLevel level, std::string_view event,
                     std::initializer_list<LogField> fields) const;

 private:
  const std::string daemon_;
  const std::string id_;
  Options options_;
  std::mutex mutex_;  // serialises writes to the sink
};

// "2024-05-01T12:00:00.123Z" (UTC, milliseconds).
std::string formatTimestamp(int64_t nanosSinceEpoch);

// Appends `value` to `out`, quoted and escaped if logfmt needs it.
void appendLogValue(std::string& out, std::string_view value);

}  // namespace triad::base
