// The result of every operation at the storage boundary (LevelDB-style).
// Raw Berkeley DB codes and errno never leave bdb/: they become one of these
// codes, with a message a person can act on.

#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace triad::bdb {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kNotFound,             // no such key (or the table has not replicated here yet)
    kNotOwner,             // this site does not own the group: the write was refused
    kNotReplicated,        // committed locally, but no replica acknowledged in time
    kReplicaInitialising,  // this replica is being re-initialised: no consistent read now
    kUnavailable,          // the group is not open or has not joined its master yet
    kInvalidArgument,      // a caller's mistake (unknown table, malformed key)
    kCorruption,           // a stored value does not decode
    kIOError,              // the disk or the environment failed
    kDiskFull,             // the data folder's filesystem is full (ENOSPC): nothing was written
    kConflict,             // deadlock or lock timeout: retry the transaction
  };

  Status() = default;  // ok
  static Status ok() { return Status(); }
  static Status notFound(std::string message) { return {Code::kNotFound, std::move(message)}; }
  static Status notOwner(std::string message) { return {Code::kNotOwner, std::move(message)}; }
  static Status notReplicated(std::string message) {
    return {Code::kNotReplicated, std::move(message)};
  }
  static Status replicaInitialising(std::string message) {
    return {Code::kReplicaInitialising, std::move(message)};
  }
  static Status unavailable(std::string message) {
    return {Code::kUnavailable, std::move(message)};
  }
  static Status invalidArgument(std::string message) {
    return {Code::kInvalidArgument, std::move(message)};
  }
  static Status corruption(std::string message) { return {Code::kCorruption, std::move(message)}; }
  static Status ioError(std::string message) { return {Code::kIOError, std::move(message)}; }
  static Status diskFull(std::string message) { return {Code::kDiskFull, std::move(message)}; }
  static Status conflict(std::string message) { return {Code::kConflict, std::move(message)}; }

  bool isOk() const { return code_ == Code::kOk; }
  bool isNotFound() const { return code_ == Code::kNotFound; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NotOwner: group cf2 is owned by cf2; this site (cf1) holds a read-only replica".
  std::string toString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view codeName(Status::Code code);

// Runs `read` again, up to `attempts` times in all, while it loses a lock
// conflict: readers use non-transactional cursors and are the deadlock
// detector's victims (DB_LOCK_MINWRITE), so a read racing the owner's writer
// may be told to start over. `read` must start over each time (forget what
// it collected) and return its Status.
template <typename Read>
Status retryOnConflict(Read&& read, int attempts = 5) {
  Status s = read();
  for (int attempt = 1; attempt < attempts && s.code() == Status::Code::kConflict; ++attempt) {
    s = read();
  }
  return s;
}

}  // namespace triad::bdb
