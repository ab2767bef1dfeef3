#include "base/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace triad::base {
namespace {

int64_t systemNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void writeToStderr(std::string_view line) {
  std::string whole(line);
  whole += '\n';
  // One write per line, so lines from several threads never interleave.
  size_t written = 0;
  while (written < whole.size()) {
    ssize_t n = ::write(STDERR_FILENO, whole.data() + written, whole.size() - written);
    if (n <= 0) return;  // nowhere left to report it
    written += static_cast<size_t>(n);
  }
}

// systemd sets JOURNAL_STREAM=<device>:<inode> when it connects stderr (or
// stdout) to the journal; the prefix is only right if stderr is that stream.
bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == device && st.st_ino == inode;
}

int syslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 7;
    case LogLevel::kInfo:
      return 6;
    case LogLevel::kWarning:
      return 4;
    case LogLevel::kError:
      return 3;
  }
  return 6;
}

bool needsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
        c == 0x7f) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warning" || text == "warn") return LogLevel::kWarning;
  if (text == "error") return LogLevel::kError;
  return std::nullopt;
}

std::string formatTimestamp(int64_t nanosSinceEpoch) {
  const int64_t seconds = nanosSinceEpoch >= 0 ? nanosSinceEpoch / 1'000'000'000
                                               : (nanosSinceEpoch - 999'999'999) / 1'000'000'000;
  const int64_t millis = (nanosSinceEpoch - seconds * 1'000'000'000) / 1'000'000;
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

void appendLogValue(std::string& out, std::string_view value) {
  if (!needsQuotes(value)) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

Logger::Logger(std::string daemon, std::string id) : Logger(std::move(daemon), std::move(id), {}) {}

Logger::Logger(std::string daemon, std::string id, Options options)
    : daemon_(std::move(daemon)), id_(std::move(id)), options_(std::move(options)) {
  if (!options_.syslogPriority) options_.syslogPriority = !options_.sink && stderrIsJournal();
  if (!options_.sink) options_.sink = writeToStderr;
  if (!options_.clock) options_.clock = systemNanos;
}

std::string Logger::format(LogLevel level, std::string_view event,
                           std::initializer_list<LogField> fields) const {
  std::string line;
  line.reserve(128);
  line += "ts=";
  line += formatTimestamp(options_.clock());
  line += " level=";
  line += levelName(level);
  line += " daemon=";
  appendLogValue(line, daemon_);
  if (!id_.empty()) {
    line += " id=";
    appendLogValue(line, id_);
  }
  line += " event=";
  appendLogValue(line, event);
  for (const LogField& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    appendLogValue(line, field.value);
  }
  return line;
}

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::string line = format(level, event, fields);
  if (*options_.syslogPriority) {
    line.insert(0, "<" + std::to_string(syslogPriority(level)) + ">");
  }
  std::lock_guard lock(mutex_);
  options_.sink(line);
}

}  // namespace triad::base
