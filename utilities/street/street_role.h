// triad-streetd's part in the daemon frame (DESIGN §3 step 4): the FIX
// initiator to this street utility's venues, the reports it records, and the
// catch-up pass every 100 ms.
//
// Threads: the pass runs on the daemon's event loop and blocks it on storage
// (the loop serves only Admin here); reports are recorded on QuickFIX's
// thread. The destructor stops QuickFIX before the recorder goes.

#pragma once

#include <kj/async.h>

#include <memory>

#include "utilities/common/daemon.h"
#include "utilities/street/order_router.h"
#include "utilities/street/report_recorder.h"
#include "utilities/street/street_fix_initiator.h"
#include "utilities/street/street_recorder.h"

namespace triad::street {

class StreetRole final : public common::DaemonRole, private kj::TaskSet::ErrorHandler {
 public:
  explicit StreetRole(common::DaemonContext& context);
  ~StreetRole() noexcept override;
  kj::Promise<void> start() override;

 private:
  kj::Promise<void> passEvery();
  void taskFailed(kj::Exception&& exception) override;

  StreetRecorder recorder_;
  ReportRecorder reports_;
  std::unique_ptr<StreetFixInitiator> initiator_;  // after reports_: stopped first
  std::unique_ptr<OrderRouter> router_;
  kj::TaskSet tasks_;
};

}  // namespace triad::street
