#include "utilities/customer/customer_service.h"

#include <chrono>

namespace triad::customer {
namespace {

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CustomerService::CustomerService(const topology::Topology& topology, common::SiteStorage& storage,
                                 base::Logger& logger, size_t threads, LoginGuardOptions login,
                                 const brokers::CurveClient* firmCurve)
    : topology_(topology),
      storage_(storage),
      logger_(logger),
      buyingPower_(topology, storage),
      desk_(topology, storage, nowNanos,
            [this](std::string_view account, idl::Order::Builder order) {
              return buyingPower_.check(desk_, account, order);
            }),
      offload_(threads),
      loginGuard_(login) {
  if (const topology::Broker* bus = topology.broker(topology::Bus::kFirm)) {
    brokers::BusPublisher::Options options;
    if (firmCurve != nullptr) options.curve = *firmCurve;
    publisher_ = std::make_unique<brokers::BusPublisher>(
        zmq_, "tcp://" + bus->address + ":" + std::to_string(bus->publishPort), storage.site().id,
        options);
  }
}

bdb::OwnershipGroup& CustomerService::firmReplica() {
  for (const topology::Utility& utility : topology_.utilities()) {
    if (utility.role == topology::Role::kFirm) return *storage_.group(utility.id);
  }
  KJ_FAIL_ASSERT("a parsed topology always has a firm utility");
}

void CustomerService::announceOrder(idl::Order::Reader order) {
  if (!publisher_) return;
  publisher_->publish("order." + std::string(order.getStreet().cStr()),
                      [&](idl::Envelope::Record::Builder record) { record.setOrder(order); });
}

void CustomerService::announceCancel(std::string_view street, std::string_view orderId,
                                     std::string_view cancelId) {
  if (!publisher_) return;
  publisher_->publish("cancel." + std::string(street), [&](idl::Envelope::Record::Builder record) {
    auto cancel = record.initCancelRequest();
    cancel.setId(std::string(cancelId));
    cancel.setOrderId(std::string(orderId));
    cancel.setStreet(std::string(street));
  });
}

void CustomerService::heartbeat() {
  if (publisher_) publisher_->publishHeartbeats();
}

}  // namespace triad::customer
