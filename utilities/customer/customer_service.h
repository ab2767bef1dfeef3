// What a customer utility's sessions share: the order desk, the pre-trade
// check, the pool that runs blocking storage work, and the firm-bus publisher
// that rings the street utilities' doorbell for each new order or cancel.
//
// Thread-safety: created and used on the event loop thread; the desk runs on
// pool threads (it is thread-safe); the publisher only on the loop thread.

#pragma once

#include <kj/async.h>
#include <zmq.hpp>

#include <memory>

#include "base/log.h"
#include "base/topology.h"
#include "brokers/bus_publisher.h"
#include "utilities/common/site_storage.h"
#include "utilities/customer/buying_power.h"
#include "utilities/customer/login_guard.h"
#include "utilities/customer/offload.h"
#include "utilities/customer/order_desk.h"

namespace triad::customer {

class WatchHub;

class CustomerService {
 public:
  CustomerService(const topology::Topology& topology, common::SiteStorage& storage,
                  base::Logger& logger, size_t threads, LoginGuardOptions login = {},
                  const brokers::CurveClient* firmCurve = nullptr);  // CURVE if not null

  OrderDesk& desk() { return desk_; }
  Offload& offload() { return offload_; }
  common::SiteStorage& storage() { return storage_; }
  bdb::OwnershipGroup& firmReplica();
  base::Logger& logger() { return logger_; }
  // The daemon's one ZeroMQ context (each costs an I/O and a reaper thread):
  // the publisher's here, the role's bus subscribers too.
  zmq::context_t& zmq() { return zmq_; }
  // Failed-login limits and session expiry. Loop thread only.
  LoginGuard& loginGuard() { return loginGuard_; }
  // "<utility>-s<n>": unique across this utility's connections. Loop thread only.
  std::string newSessionId() { return storage_.site().id + "-s" + std::to_string(++sessions_); }

  // Rings the firm bus: the street utility's catch-up scan finds the record
  // anyway, so a dropped message only costs latency. Loop thread only.
  void announceOrder(idl::Order::Reader order);
  void announceCancel(std::string_view street, std::string_view orderId, std::string_view cancelId);
  // Lets subscribers notice a lost last message. About once a second.
  void heartbeat();

  // Session.watch's hub, once the role has started one (null before).
  void attachWatchHub(WatchHub* hub) { watchHub_ = hub; }
  WatchHub* watchHub() const { return watchHub_; }

 private:
  const topology::Topology& topology_;
  common::SiteStorage& storage_;
  base::Logger& logger_;
  BuyingPower buyingPower_;
  OrderDesk desk_;
  Offload offload_;
  zmq::context_t zmq_;
  std::unique_ptr<brokers::BusPublisher> publisher_;
  WatchHub* watchHub_ = nullptr;
  LoginGuard loginGuard_;
  uint64_t sessions_ = 0;
};

}  // namespace triad::customer
