// triad-streetd's part in the daemon frame (DESIGN §3 step 4, §4): the FIX
// initiator to this street utility's venues, the reports it records, and the
// routing pass.
//
// When a pass runs: as soon as the firm bus announces an order or a cancel
// for this street utility (again every 2 ms while the announced record has
// not yet replicated here, for up to kAwaitLimit), when the bus says messages
// were missed (a gap, a publisher restart, its own start), and every
// --catch-up-interval-ms whatever the bus says. The pass works from the
// replicas only, so every report later finds its order there.
//
// Threads: the pass runs on the daemon's event loop and blocks it on storage
// (the loop serves only Admin here); reports are recorded on QuickFIX's
// thread. The destructor stops QuickFIX before the recorder goes.

#pragma once

#include <kj/async.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "utilities/common/bus_doorbell.h"
#include "utilities/common/daemon.h"
#include "utilities/street/order_router.h"
#include "utilities/street/report_recorder.h"
#include "utilities/street/street_bus.h"
#include "utilities/street/street_fix_initiator.h"
#include "utilities/street/street_recorder.h"
#include "utilities/street/venue_watch.h"

namespace triad::street {

class StreetRole final : public common::DaemonRole, private kj::TaskSet::ErrorHandler {
 public:
  // The daemon's own options (--catch-up-interval-ms).
  static void addOptions(boost::program_options::options_description& options);

  explicit StreetRole(common::DaemonContext& context);
  ~StreetRole() noexcept override;
  kj::Promise<void> start() override;
  // Admin with venueAlarms: what the VenueWatch holds.
  kj::Own<common::AdminServer> makeAdmin() override;

 private:
  // An order or cancel the bus announced, awaited in the replicas.
  struct Awaited {
    std::string orderId;
    std::string cancelId;  // empty for an order
    kj::TimePoint since;
  };

  void onBusMessage(const brokers::BusMessage& message);
  // Runs a pass on the loop soon, once however often it is asked for.
  void passSoon();
  void runPass();
  // Drops what has replicated or waited too long; the orders among them
  // that have replicated.
  std::vector<std::string> pruneAwaited();
  // Publishes on the customer bus every halt or resume in the firm replica
  // not yet published (all of them once at start). Once a second, with the
  // bus heartbeat.
  void publishHalts();
  kj::Promise<void> passEvery(kj::Duration interval);
  kj::Promise<void> heartbeatEverySecond();
  void taskFailed(kj::Exception&& exception) override;

  StreetRecorder recorder_;
  VenueWatch watch_;
  StreetBus bus_;
  ReportRecorder reports_;
  std::unique_ptr<StreetFixInitiator> initiator_;  // after reports_: stopped first
  std::unique_ptr<OrderRouter> router_;
  zmq::context_t zmq_;
  std::unique_ptr<common::BusDoorbell> doorbell_;
  std::deque<Awaited> awaited_;
  std::map<std::string, std::pair<bool, int64_t>> halts_;  // published: symbol -> (halted, at)
  std::optional<uint64_t> haltsPosition_;                  // the firm replica's, when read
  bool passQueued_ = false;
  bool retryQueued_ = false;
  kj::TaskSet tasks_;
};

}  // namespace triad::street
