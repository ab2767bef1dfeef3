#include "utilities/firm/firm_role.h"

#include <kj/async.h>
#include <kj/debug.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "utilities/common/tables.h"
#include "utilities/firm/firm_admin.h"

namespace triad::firm {

// Runs one ExecutionBooker pass at a time on a thread of its own, each asked
// for from the event loop and answered there through a cross-thread promise.
class FirmRole::BookingWorker {
 public:
  BookingWorker(ExecutionBooker& booker, base::Logger& logger)
      : booker_(booker), logger_(logger), thread_([this] { run(); }) {}

  // Asks a running pass to stop between two bookings and waits for it.
  ~BookingWorker() {
    stop_.store(true);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  BookingWorker(const BookingWorker&) = delete;
  BookingWorker& operator=(const BookingWorker&) = delete;

  // One pass on the worker; resolves on the calling thread when it is done.
  // REQUIRES: the previous pass has resolved.
  kj::Promise<void> pass() {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      KJ_REQUIRE(request_ == nullptr, "one booking pass at a time");
      request_ = kj::mv(paf.fulfiller);
    }
    wake_.notify_one();
    return kj::mv(paf.promise);
  }

 private:
  void run() {
    for (;;) {
      kj::Maybe<kj::Own<kj::CrossThreadPromiseFulfiller<void>>> request;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || request_ != nullptr; });
        if (stopping_) return;
        request = kj::mv(request_);
        request_ = nullptr;  // a moved-from Maybe may still hold its value
      }
      KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                     const uint64_t booked = booker_.runPass(&stop_);
                     if (booked > 0) {
                       const ExecutionBookerStats stats = booker_.stats();
                       logger_.info("executions-booked",
                                    {{"count", booked}, {"total", stats.executionsBooked}});
                     }
                   })) {
        logger_.error("booking-pass-failed", {{"reason", exception->getDescription().cStr()}});
      }
      KJ_IF_MAYBE (fulfiller, request) {
        (*fulfiller)->fulfill();
      }
    }
  }

  ExecutionBooker& booker_;
  base::Logger& logger_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  kj::Maybe<kj::Own<kj::CrossThreadPromiseFulfiller<void>>> request_;  // a pass asked for
  std::thread thread_;                                                 // last: started last
};

namespace {

// Every street group's replica at this site.
std::vector<bdb::OwnershipGroup*> streetGroups(common::DaemonContext& context) {
  std::vector<bdb::OwnershipGroup*> groups;
  for (const std::unique_ptr<bdb::OwnershipGroup>& group : context.storage->groups()) {
    const topology::Utility* owner = context.topology.findUtility(group->name());
    if (owner != nullptr && owner->role == topology::Role::kStreet) groups.push_back(group.get());
  }
  return groups;
}

}  // namespace

FirmRole::FirmRole(common::DaemonContext& context) : DaemonRole(context) {
  KJ_REQUIRE(context.storage != nullptr && context.utility != nullptr &&
                 context.utility->role == topology::Role::kFirm,
             "triad-firmd runs the firm utility only", context.options.id);
  Result<std::unique_ptr<Books>> opened = Books::open(context.storage->owned(), BooksOptions{});
  if (!opened.isOk()) {
    KJ_FAIL_REQUIRE("cannot open the firm's books", opened.toString());
  }
  books_ = std::move(opened).value();
  context.logger.info("books-open", {{"group", context.storage->owned().name()}});
  base::Logger& logger = context.logger;
  booker_ = std::make_unique<ExecutionBooker>(
      *books_, streetGroups(context), [&logger](std::string_view line) {
        logger.warning("execution-booker", {{"problem", line}});
      });
}

FirmRole::~FirmRole() noexcept {
  // A settlement in progress finishes first.
  settlement_.reset();
  listening_ = nullptr;
  doorbell_.reset();
  ticking_ = nullptr;  // no further pass is asked for
  worker_.reset();     // a running pass stops between two bookings
  booker_.reset();
}

kj::Own<common::AdminServer> FirmRole::makeAdmin() {
  return kj::heap<FirmAdmin>(
      context().identity, *context().storage, context().health,
      FirmAdmin::Parts{.books = *books_,
                       .topology = context().topology,
                       .logger = context().logger,
                       .nowNanos = {},
                       .fourEyes = fourEyesOptionsFrom(context().variables)});
}

kj::Promise<void> FirmRole::start() {
  worker_ = std::make_unique<BookingWorker>(*booker_, context().logger);
  base::Logger& logger = context().logger;
  ticking_ = bookingLoop().eagerlyEvaluate([&logger](kj::Exception&& exception) {
    logger.error("booking-stopped", {{"reason", exception.getDescription().cStr()}});
  });
  if (const topology::Broker* bus = context().topology.broker(topology::Bus::kFirm)) {
    doorbell_ = std::make_unique<common::BusDoorbell>(
        context().io.unixEventPort, zmq_, *bus, std::vector<std::string>{"execution."},
        common::BusDoorbell::Consumer{// The announced execution is read by key from the street
                                      // group's replica; a gap makes the next pass scan whole.
                                      .onMessage =
                                          [this](const brokers::BusMessage& message) {
                                            auto record = message.envelope().getRecord();
                                            if (record.isExecution()) {
                                              auto execution = record.getExecution();
                                              booker_->announce(message.origin(),
                                                                execution.getId().cStr(),
                                                                tables::executionKey(execution));
                                            }
                                            ring();
                                          },
                                      .onCatchUp =
                                          [this](std::string_view) {
                                            booker_->requestFullScan();
                                            ring();
                                          }},
        context().health, logger, context().firmBusCurve);
    listening_ = doorbell_->run().eagerlyEvaluate([&logger](kj::Exception&& exception) {
      logger.error("bus-stopped", {{"reason", exception.getDescription().cStr()}});
    });
  }
  context().logger.info("booking-started", {{"interval-ms", 100}});
  const SettlementSchedule schedule(settlementOptionsFrom(context().variables));
  if (schedule.options().enabled()) {
    settlement_ = std::make_unique<ScheduledSettlement>(*books_, schedule, logger);
  }
  return kj::READY_NOW;
}

kj::Promise<void> FirmRole::bookingLoop() {
  kj::Promise<void> wait = kj::READY_NOW;
  if (!rangDuringPass_) {
    auto bell = kj::newPromiseAndFulfiller<void>();
    bell_ = kj::mv(bell.fulfiller);
    wait = context()
               .io.provider->getTimer()
               .afterDelay(100 * kj::MILLISECONDS)
               .exclusiveJoin(kj::mv(bell.promise));
  }
  rangDuringPass_ = false;
  return wait
      .then([this] {
        bell_ = nullptr;
        return worker_->pass();
      })
      .then([this] { return bookingLoop(); });
}

void FirmRole::ring() {
  if (bell_.get() != nullptr && bell_->isWaiting()) {
    bell_->fulfill();
  } else {
    rangDuringPass_ = true;  // the next pass starts as soon as this one ends
  }
}

}  // namespace triad::firm
