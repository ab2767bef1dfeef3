#include "utilities/street/street_role.h"

#include <chrono>
#include <filesystem>
#include <variant>

#include "utilities/common/tables.h"

namespace triad::street {

namespace po = boost::program_options;

namespace {

constexpr int64_t kDefaultCatchUpIntervalMs = 1000;
// How soon to look again for an announced record that has not replicated.
constexpr kj::Duration kAwaitRetry = 2 * kj::MILLISECONDS;
// How long to keep looking before leaving it to the periodic pass.
constexpr kj::Duration kAwaitLimit = 10 * kj::SECONDS;

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The street's Admin: the common methods and venueAlarms.
class StreetAdmin final : public common::AdminServer {
 public:
  StreetAdmin(common::DaemonContext& context, StreetRecorder& recorder, const VenueWatch& watch)
      : AdminServer(context.identity, context.storage, context.health),
        recorder_(recorder),
        watch_(watch) {}

 protected:
  kj::Promise<void> venueAlarms(VenueAlarmsContext context) override {
    const VenueWatch::Snapshot snapshot = watch_.snapshot();
    auto alarms = context.getResults().initAlarms();
    const auto fill = [](auto list, const std::vector<VenueWatch::Request>& requests) {
      for (size_t i = 0; i < requests.size(); ++i) {
        const VenueWatch::Request& request = requests[i];
        auto out = list[i];
        out.setKind(request.kind == VenueWatch::Kind::kCancel ? "cancel" : "order");
        out.setClOrdId(request.clOrdId);
        out.setOrderId(request.orderId);
        out.setVenue(request.venue);
        out.setSinceNanos(request.sinceNanos);
        out.setStatusRequested(request.statusRequested);
      }
    };
    fill(alarms.initStuck(snapshot.stuck.size()), snapshot.stuck);
    fill(alarms.initUnconfirmed(snapshot.unconfirmed.size()), snapshot.unconfirmed);
    alarms.setVenueRejects(snapshot.counters.venueRejects);
    alarms.setRefusedReports(snapshot.counters.refusedReports);
    alarms.setOverfills(snapshot.counters.overfills);
    alarms.setStatusRequests(snapshot.counters.statusRequests);
    alarms.setUnknownReferences(snapshot.counters.unknownReferences);
    auto kept = recorder_.refusedReports();
    if (auto* error = std::get_if<RecordError>(&kept)) {
      return KJ_EXCEPTION(FAILED, "reading the refused reports", error->toString());
    }
    alarms.setRefusedReportsKept(std::get<0>(kept).size());
    return kj::READY_NOW;
  }

 private:
  StreetRecorder& recorder_;
  const VenueWatch& watch_;
};

}  // namespace

kj::Own<common::AdminServer> StreetRole::makeAdmin() {
  return kj::heap<StreetAdmin>(context(), recorder_, watch_);
}

void StreetRole::addOptions(po::options_description& options) {
  options.add_options()(
      "catch-up-interval-ms", po::value<int64_t>()->default_value(kDefaultCatchUpIntervalMs),
      "how often to scan the customer replicas for orders and cancels whatever the bus says");
}

StreetRole::StreetRole(common::DaemonContext& context)
    : DaemonRole(context),
      recorder_(context.topology, *context.storage, nowNanos),
      watch_(context.topology),
      bus_(context.topology, context.utility->id, context.firmBusCurve),
      reports_(recorder_, watch_, context.logger, nowNanos, &bus_),
      tasks_(*this) {}

// Members go in reverse order: the tasks, the doorbell, the router, then
// QuickFIX, stopped before the recorder and bus its callbacks use.
StreetRole::~StreetRole() noexcept = default;

kj::Promise<void> StreetRole::start() {
  const topology::Utility& site = *context().utility;
  const std::filesystem::path fix = context().options.dataRoot / "fix";
  StreetFixConfig config{.street = site.id,
                         .venues = {},
                         .storeDirectory = (fix / "store").string(),
                         .logDirectory = (fix / "log").string()};
  for (const std::string& venue : site.venues) {
    const topology::Exchange* exchange = context().topology.findExchange(venue);
    KJ_REQUIRE(exchange != nullptr, "a street venue is an exchange of the topology", venue);
    config.venues.push_back({.venue = exchange->id,
                             .beginString = exchange->fixVersion,
                             .host = exchange->firmAddress,
                             .port = exchange->fixPort,
                             .sourceHost = site.firmAddress});
  }
  std::error_code created;
  std::filesystem::create_directories(fix, created);
  std::string error;
  initiator_ = StreetFixInitiator::start(config, reports_, error);
  if (!initiator_) {
    return KJ_EXCEPTION(FAILED, "the FIX initiator did not start", error);
  }
  router_ = std::make_unique<OrderRouter>(context().topology, site, recorder_, *initiator_, watch_,
                                          context().logger, nowNanos, &bus_);
  context().logger.info("fix-started", {{"sessions", config.venues.size()}});

  const int64_t intervalMs = context().variables["catch-up-interval-ms"].as<int64_t>();
  if (intervalMs <= 0) {
    return KJ_EXCEPTION(FAILED, "--catch-up-interval-ms must be positive", intervalMs);
  }
  if (const topology::Broker* firmBus = context().topology.broker(topology::Bus::kFirm)) {
    doorbell_ = std::make_unique<common::BusDoorbell>(
        context().io.unixEventPort, zmq_, *firmBus,
        std::vector<std::string>{"order." + site.id, "cancel." + site.id},
        common::BusDoorbell::Consumer{
            .onMessage = [this](const brokers::BusMessage& message) { onBusMessage(message); },
            .onCatchUp = [this](std::string_view) { passSoon(); }},
        context().health, context().logger, context().firmBusCurve);
    tasks_.add(doorbell_->run());
  }
  tasks_.add(passEvery(intervalMs * kj::MILLISECONDS));
  tasks_.add(heartbeatEverySecond());
  return kj::READY_NOW;
}

void StreetRole::onBusMessage(const brokers::BusMessage& message) {
  const kj::TimePoint now = context().io.provider->getTimer().now();
  idl::Envelope::Record::Reader record = message.envelope().getRecord();
  if (record.isOrder()) {
    router_->announced(record.getOrder().getId());
    awaited_.push_back({record.getOrder().getId(), "", now});
  } else if (record.isCancelRequest()) {
    awaited_.push_back(
        {record.getCancelRequest().getOrderId(), record.getCancelRequest().getId(), now});
  } else {
    return;
  }
  passSoon();
}

void StreetRole::passSoon() {
  if (passQueued_) return;
  passQueued_ = true;
  tasks_.add(kj::evalLater([this] {
    passQueued_ = false;
    runPass();
  }));
}

void StreetRole::publishHalts() {
  bdb::OwnershipGroup* firm = nullptr;
  for (const topology::Utility& utility : context().topology.utilities()) {
    if (utility.role == topology::Role::kFirm) firm = context().storage->group(utility.id);
  }
  // Not while the replica joins or is being initialised: a read then waits
  // on Berkeley DB's lockout, and on the loop that would hold up routing.
  if (firm == nullptr || firm->status().role != bdb::ReplicationRole::kClient) return;
  const uint64_t position = firm->commitPosition().sequence;
  if (haltsPosition_ == position) return;
  std::vector<bdb::Record<idl::Halt>> changed;
  bdb::Status s = bdb::retryOnConflict([&] {
    changed.clear();
    return tables::kHalts.scan(*firm, "", [&](std::string_view, idl::Halt::Reader halt) {
      auto known = halts_.find(halt.getSymbol().cStr());
      if (known == halts_.end() ||
          known->second != std::pair(halt.getHalted(), halt.getAtNanos())) {
        changed.push_back(bdb::Record<idl::Halt>::copyOf(halt));
      }
      return true;
    });
  });
  if (!s.isOk()) {
    context().logger.warning("halts-not-read", {{"reason", s.toString()}});
    return;
  }
  haltsPosition_ = position;
  for (const bdb::Record<idl::Halt>& halt : changed) {
    halts_[halt->getSymbol().cStr()] = {halt->getHalted(), halt->getAtNanos()};
    bus_.announce(halt.reader());
  }
}

void StreetRole::runPass() {
  router_->pass();
  // An order that replicated here after the pass read its group: the pass
  // did not see it, and nothing would run another for it.
  router_->routeIfUnrouted(pruneAwaited());
  if (awaited_.empty() || retryQueued_) return;
  retryQueued_ = true;
  tasks_.add(context().io.provider->getTimer().afterDelay(kAwaitRetry).then([this] {
    retryQueued_ = false;
    passSoon();
  }));
}

std::vector<std::string> StreetRole::pruneAwaited() {
  const kj::TimePoint now = context().io.provider->getTimer().now();
  std::vector<std::string> replicated;
  std::erase_if(awaited_, [&](const Awaited& awaited) {
    if (now - awaited.since > kAwaitLimit) {
      context().logger.warning("announced-record-not-replicated",
                               {{"order", awaited.orderId}, {"cancel", awaited.cancelId}});
      return true;
    }
    if (awaited.cancelId.empty()) {
      const bool here =
          std::holds_alternative<bdb::Record<idl::Order>>(recorder_.findOrder(awaited.orderId));
      if (here) replicated.push_back(awaited.orderId);
      return here;
    }
    auto found = recorder_.hasCancel(awaited.orderId, awaited.cancelId);
    const bool* visible = std::get_if<bool>(&found);
    // Replicated after the pass read its group: one more pass reads it.
    if (visible != nullptr && *visible) passSoon();
    return visible != nullptr && *visible;
  });
  return replicated;
}

kj::Promise<void> StreetRole::passEvery(kj::Duration interval) {
  runPass();
  return context().io.provider->getTimer().afterDelay(interval).then(
      [this, interval] { return passEvery(interval); });
}

kj::Promise<void> StreetRole::heartbeatEverySecond() {
  return context().io.provider->getTimer().afterDelay(1 * kj::SECONDS).then([this] {
    bus_.heartbeat();
    publishHalts();
    return heartbeatEverySecond();
  });
}

void StreetRole::taskFailed(kj::Exception&& exception) {
  context().logger.error("street-task-failed", {{"reason", exception.getDescription().cStr()}});
}

}  // namespace triad::street
