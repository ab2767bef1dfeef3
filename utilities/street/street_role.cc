#include "utilities/street/street_role.h"

#include <chrono>
#include <filesystem>

namespace triad::street {

namespace {

constexpr kj::Duration kPassInterval = 100 * kj::MILLISECONDS;

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StreetRole::StreetRole(common::DaemonContext& context)
    : DaemonRole(context),
      recorder_(context.topology, *context.storage, nowNanos),
      reports_(recorder_, context.logger),
      tasks_(*this) {}

// Members go in reverse order: the pass (tasks_), the router, then QuickFIX,
// stopped before the recorder its callbacks use.
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
                             .port = exchange->fixPort});
  }
  std::error_code created;
  std::filesystem::create_directories(fix, created);
  std::string error;
  initiator_ = StreetFixInitiator::start(config, reports_, error);
  if (!initiator_) {
    return KJ_EXCEPTION(FAILED, "the FIX initiator did not start", error);
  }
  router_ = std::make_unique<OrderRouter>(site, recorder_, *initiator_, context().logger);
  context().logger.info("fix-started", {{"sessions", config.venues.size()}});
  tasks_.add(passEvery());
  return kj::READY_NOW;
}

kj::Promise<void> StreetRole::passEvery() {
  router_->pass();
  return context().io.provider->getTimer().afterDelay(kPassInterval).then([this] {
    return passEvery();
  });
}

void StreetRole::taskFailed(kj::Exception&& exception) {
  context().logger.error("street-pass-failed", {{"reason", exception.getDescription().cStr()}});
}

}  // namespace triad::street
