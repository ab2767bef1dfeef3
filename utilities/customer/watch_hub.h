// Session.watch (idl/customer.capnp): pushes each watching session's order
// updates as they replicate into this customer utility, and the market data
// the street utilities relay on the customer bus.
//
// What a watcher is told is always derived here, from the local replicas
// (DESIGN §3 step 6), never taken from a bus message: the buses only say
// when to look. A refresh runs when any group's commit position moved (checked
// every kTick) or a bus message asks for one; it derives the statuses of
// every watched account's orders and pushes those that changed since the
// watcher last heard of them (all of them when a watch starts).
//
// Each watcher has at most one call in flight; while it is busy, updates
// queue, conflated to the latest per order and per (venue, symbol), so a slow
// listener costs memory bounded by its orders and symbols, never a backlog.
// A listener whose call fails (the client went away) is dropped; so is one
// whose Subscription is released.
//
// Thread-safety: lives on the event loop thread; derivation runs on the
// service's pool.

#pragma once

#include <capnp/message.h>
#include <kj/async.h>
#include <kj/timer.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "idl/bus.capnp.h"
#include "idl/customer.capnp.h"
#include "utilities/customer/customer_service.h"

namespace triad::customer {

class WatchHub final : private kj::TaskSet::ErrorHandler {
 public:
  static constexpr kj::Duration kTick = 50 * kj::MILLISECONDS;

  WatchHub(CustomerService& service, kj::Timer& timer);
  ~WatchHub() noexcept;
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Starts pushing `account`'s updates to `listener`; the watch ends when the
  // returned Subscription is released.
  idl::Subscription::Client watch(std::string account, idl::OrderListener::Client listener);

  // Something may have changed (a street record was announced): refresh at
  // the next tick even if no commit position has moved yet.
  void poke() { poked_ = true; }

  // Relays a quote or trade to every watcher.
  void marketData(idl::MarketData::Reader data);

  // Ticks until the promise is dropped.
  kj::Promise<void> run();

  size_t watchers() const { return watchers_.size(); }

 private:
  struct Watcher;
  class SubscriptionServer;

  kj::Promise<void> tick();
  kj::Promise<void> refresh();
  std::vector<uint64_t> positions() const;
  void send(const std::shared_ptr<Watcher>& watcher);
  void taskFailed(kj::Exception&& exception) override;

  CustomerService& service_;
  kj::Timer& timer_;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  std::vector<uint64_t> lastPositions_;
  bool poked_ = false;
  bool refreshing_ = false;
  kj::TaskSet tasks_;  // calls to listeners, refreshes
};

}  // namespace triad::customer
