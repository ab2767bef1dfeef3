// One daemon per data folder: an exclusive flock(2) on <data>/triad.lock,
// taken before any storage is opened and held for the life of the process
// (the kernel drops it when the process ends, however it ends, so a kill -9
// never leaves a stale lock behind). The file holds the holder's PID so that
// a refused second instance can name it.

#pragma once

#include <sys/types.h>
#include <filesystem>
#include <string>

namespace triad::common {

class DataLock {
 public:
  // Takes the lock on `dataRoot` (created if missing). On failure returns
  // false and says why in *error, naming the holder's PID when another
  // process holds the lock.
  bool acquire(const std::filesystem::path& dataRoot, std::string* error);

  DataLock() = default;
  ~DataLock();
  DataLock(const DataLock&) = delete;
  DataLock& operator=(const DataLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace triad::common
