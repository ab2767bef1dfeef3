#include "bdb/status.h"

namespace triad::bdb {

std::string_view codeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kNotFound:
      return "NotFound";
    case Status::Code::kNotOwner:
      return "NotOwner";
    case Status::Code::kNotReplicated:
      return "NotReplicated";
    case Status::Code::kReplicaInitialising:
      return "ReplicaInitialising";
    case Status::Code::kUnavailable:
      return "Unavailable";
    case Status::Code::kInvalidArgument:
      return "InvalidArgument";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kIOError:
      return "IOError";
    case Status::Code::kConflict:
      return "Conflict";
    case Status::Code::kDiskFull:
      return "DiskFull";
  }
  return "Unknown";
}

std::string Status::toString() const {
  if (isOk()) return "OK";
  std::string text(codeName(code_));
  if (!message_.empty()) {
    text += ": ";
    text += message_;
  }
  return text;
}

}  // namespace triad::bdb
