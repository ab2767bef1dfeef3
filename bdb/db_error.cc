#include "bdb/db_error.h"

#include <db_cxx.h>

#include <cerrno>

namespace triad::bdb {
namespace {
thread_local std::string tLastMessage;
}

void rememberDbMessage(const char* message) { tLastMessage = message != nullptr ? message : ""; }

std::string describeDbError(int ret) {
  std::string text = DbEnv::strerror(ret);
  if (!tLastMessage.empty()) {
    text += ": ";
    text += tLastMessage;
    tLastMessage.clear();
  }
  return text;
}

Status fromDb(int ret, std::string_view what) {
  std::string context(what);
  switch (ret) {
    case 0:
      return Status::ok();
    case DB_NOTFOUND:
    case DB_KEYEMPTY:
      return Status::notFound(context + ": not found");
    case DB_REP_LOCKOUT:
    case DB_REP_HANDLE_DEAD:
      return Status::replicaInitialising(
          context + ": this replica is being re-initialised from its owner; retry shortly");
    case DB_REP_UNAVAIL:
      return Status::unavailable(context + ": the group's owner is not reachable");
    case DB_LOCK_DEADLOCK:
    case DB_LOCK_NOTGRANTED:
      return Status::conflict(context + ": lock conflict; retry");
    case ENOSPC:
      return Status::diskFull(context + ": disk full (" + describeDbError(ret) + ")");
    case DB_RUNRECOVERY:
      return Status::ioError(context + ": the environment needs recovery; restart the site");
    default:
      return Status::ioError(context + ": " + describeDbError(ret));
  }
}

}  // namespace triad::bdb
