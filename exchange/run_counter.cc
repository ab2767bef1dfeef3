#include "exchange/run_counter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace triad::exchange {
namespace {

// Writes all of `data` and fsyncs; false (errno set) on failure.
bool writeDurably(int fd, const std::string& data) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    written += static_cast<size_t>(n);
  }
  return ::fsync(fd) == 0;
}

}  // namespace

std::variant<uint64_t, std::string> advanceRunCounter(const std::filesystem::path& file) {
  const std::string name = file.string();
  uint64_t last = 0;
  std::error_code error;
  if (std::filesystem::exists(file, error)) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return name + ": cannot read: " + strerror(errno);
    std::string digits = text.str();
    while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' ')) digits.pop_back();
    const auto [end, fault] = std::from_chars(digits.data(), digits.data() + digits.size(), last);
    if (digits.empty() || fault != std::errc() || end != digits.data() + digits.size()) {
      return name + ": holds '" + digits + "', not a run number";
    }
  } else if (error) {
    return name + ": " + error.message();
  }

  const uint64_t next = last + 1;
  const std::string aside = name + ".new";
  const int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return aside + ": cannot create: " + strerror(errno);
  const bool written = writeDurably(fd, std::to_string(next) + "\n");
  const int savedErrno = errno;
  ::close(fd);
  if (!written) return aside + ": cannot write: " + strerror(savedErrno);
  if (::rename(aside.c_str(), name.c_str()) != 0) {
    return name + ": cannot replace: " + strerror(errno);
  }
  const std::string directory =
      file.has_parent_path() ? file.parent_path().string() : std::string(".");
  const int dirFd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0 || ::fsync(dirFd) != 0) {
    const int dirErrno = errno;
    if (dirFd >= 0) ::close(dirFd);
    return directory + ": cannot sync: " + strerror(dirErrno);
  }
  ::close(dirFd);
  return next;
}

}  // namespace triad::exchange
