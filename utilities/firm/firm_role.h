// triad-firmd's part in the daemon frame (utilities/common/daemon.h): the
// firm's books, opened on the group this site owns, and the Admin that
// operators write them through (firm_admin.h).
//
// The books are opened when the role is built, before Admin listens, so
// every Admin call finds them; they are closed when the role is destroyed,
// after Admin has stopped and before the storage closes.
//
// Booking the street groups' executions as they replicate (DESIGN §3 step 5,
// §4): from start(), the event loop asks for one ExecutionBooker pass as soon
// as the firm bus announces an execution (or says one may have been missed),
// and at the latest 100 ms after the last pass ended, for one (execution_booker.h), which runs on a
// worker thread of the role's own. Not on the loop: each fill booked is one acknowledged commit
// (~1 ms, up to the ack timeout when no replica answers), and a catch-up after
// a restart may book thousands, during which Admin must still answer. The
// next 100 ms wait starts only when a pass has finished, so two passes never
// run at once. Destroying the role cancels the timer, asks a running pass to
// stop between two bookings, and joins the worker, before the books close.
//
// Settling on a schedule (settlement_schedule.h): from start(), on a thread
// of its own, as triad-firmd's --settle-at / --settle-every say.

#pragma once

#include <zmq.hpp>

#include <memory>

#include "utilities/common/bus_doorbell.h"
#include "utilities/common/daemon.h"
#include "utilities/firm/books.h"
#include "utilities/firm/execution_booker.h"
#include "utilities/firm/settlement_schedule.h"

namespace triad::firm {

class FirmRole final : public common::DaemonRole {
 public:
  // REQUIRES: the context's site is the firm utility (it owns the firm
  // group). Throws (the daemon exits 1) if the books cannot be opened.
  explicit FirmRole(common::DaemonContext& context);
  ~FirmRole() noexcept override;

  kj::Own<common::AdminServer> makeAdmin() override;
  // Starts booking the street groups' executions (see above).
  kj::Promise<void> start() override;

  Books& books() { return *books_; }
  ExecutionBooker& booker() { return *booker_; }

 private:
  class BookingWorker;

  // One pass after the bell or 100 ms, whichever comes first, then again.
  kj::Promise<void> bookingLoop();
  void ring();

  std::unique_ptr<Books> books_;
  std::unique_ptr<ExecutionBooker> booker_;
  std::unique_ptr<BookingWorker> worker_;     // from start()
  kj::Promise<void> ticking_ = nullptr;       // bookingLoop(), from start()
  kj::Own<kj::PromiseFulfiller<void>> bell_;  // while bookingLoop() waits
  bool rangDuringPass_ = false;
  zmq::context_t zmq_;
  std::unique_ptr<common::BusDoorbell> doorbell_;  // the firm bus, from start()
  kj::Promise<void> listening_ = nullptr;
  // From start(), when triad-firmd was given a schedule.
  std::unique_ptr<ScheduledSettlement> settlement_;
};

}  // namespace triad::firm
