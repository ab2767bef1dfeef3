#include "utilities/common/data_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace triad::common {

bool DataLock::acquire(const std::filesystem::path& dataRoot, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dataRoot, ec);
  if (ec) {
    *error = "cannot create " + dataRoot.string() + ": " + ec.message();
    return false;
  }
  const std::filesystem::path path = dataRoot / "triad.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open " + path.string() + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      char pid[32] = {};
      const ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
      std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      *error = "the data folder " + dataRoot.string() + " is in use by another instance (pid " +
               (holder.empty() ? "unknown" : holder) + ", lock " + path.string() + ")";
    } else {
      *error = "cannot lock " + path.string() + ": " + std::strerror(err);
    }
    ::close(fd);
    return false;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock is held all the same; only the holder's name is missing.
    *error = "";
  }
  fd_ = fd;
  return true;
}

DataLock::~DataLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace triad::common
