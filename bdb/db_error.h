// Turns Berkeley DB return codes into Status values. Only bdb/ includes this.

#pragma once

#include <string>
#include <string_view>

#include "bdb/status.h"

namespace triad::bdb {

// Maps a Berkeley DB or errno code met while doing `what` to a Status.
Status fromDb(int ret, std::string_view what);

// "EINVAL (Invalid argument): <Berkeley DB's last message on this thread>".
std::string describeDbError(int ret);

// Berkeley DB reports detail through its error callback, separately from the
// return code; the callback remembers the last message per thread here.
void rememberDbMessage(const char* message);

}  // namespace triad::bdb
