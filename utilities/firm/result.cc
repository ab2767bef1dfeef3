#include "utilities/firm/result.h"

namespace triad::firm {

Error Error::fromStorage(bdb::Status status) {
  KJ_REQUIRE(!status.isOk(), "an ok status is not an error");
  idl::ErrorCode code = idl::ErrorCode::INTERNAL;
  switch (status.code()) {
    case bdb::Status::Code::kNotReplicated:
      code = idl::ErrorCode::NOT_REPLICATED;
      break;
    case bdb::Status::Code::kReplicaInitialising:
    case bdb::Status::Code::kUnavailable:
    case bdb::Status::Code::kConflict:
    case bdb::Status::Code::kDiskFull:
      code = idl::ErrorCode::UNAVAILABLE;
      break;
    case bdb::Status::Code::kOk:
    case bdb::Status::Code::kNotFound:
    case bdb::Status::Code::kNotOwner:
    case bdb::Status::Code::kInvalidArgument:
    case bdb::Status::Code::kCorruption:
    case bdb::Status::Code::kIOError:
      break;
  }
  std::string reason = status.toString();
  return Error{code, std::move(reason), std::move(status)};
}

}  // namespace triad::firm
