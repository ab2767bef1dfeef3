// triad-firmd's part in the daemon frame (utilities/common/daemon.h): the
// firm's books, opened on the group this site owns, and the Admin that
// operators write them through (firm_admin.h).
//
// The books are opened when the role is built, before Admin listens, so
// every Admin call finds them; they are closed when the role is destroyed,
// after Admin has stopped and before the storage closes.
//
// Not here yet: booking the street groups' executions as they replicate
// (DESIGN §3 step 5, §4) runs beside Admin, off the event loop.

#pragma once

#include <memory>

#include "utilities/common/daemon.h"
#include "utilities/firm/books.h"

namespace triad::firm {

class FirmRole final : public common::DaemonRole {
 public:
  // REQUIRES: the context's site is the firm utility (it owns the firm
  // group). Throws (the daemon exits 1) if the books cannot be opened.
  explicit FirmRole(common::DaemonContext& context);

  kj::Own<common::AdminServer> makeAdmin() override;

  Books& books() { return *books_; }

 private:
  std::unique_ptr<Books> books_;
};

}  // namespace triad::firm
