#include "utilities/street/street_bus.h"

#include <chrono>

namespace triad::street {
namespace {

std::string endpoint(const topology::Broker& bus) {
  return "tcp://" + bus.address + ":" + std::to_string(bus.publishPort);
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StreetBus::StreetBus(const topology::Topology& topology, std::string street,
                     const brokers::CurveClient* firmCurve)
    : street_(std::move(street)) {
  if (const topology::Broker* bus = topology.broker(topology::Bus::kFirm)) {
    brokers::BusPublisher::Options options;
    if (firmCurve != nullptr) options.curve = *firmCurve;
    firm_ = std::make_unique<brokers::BusPublisher>(zmq_, endpoint(*bus), street_, options);
  }
  if (const topology::Broker* bus = topology.broker(topology::Bus::kCustomer)) {
    customer_ = std::make_unique<brokers::BusPublisher>(zmq_, endpoint(*bus), street_);
  }
}

// The publishers close (lingering briefly) before the context.
StreetBus::~StreetBus() {
  firm_.reset();
  customer_.reset();
}

void StreetBus::announce(idl::Route::Reader route) {
  std::lock_guard lock(mutex_);
  if (firm_) firm_->publish("route." + street_, [&](auto record) { record.setRoute(route); });
}

void StreetBus::announce(idl::Execution::Reader execution) {
  std::lock_guard lock(mutex_);
  if (firm_) {
    firm_->publish("execution." + street_, [&](auto record) { record.setExecution(execution); });
  }
}

void StreetBus::announce(idl::Reject::Reader reject) {
  std::lock_guard lock(mutex_);
  if (firm_) firm_->publish("reject." + street_, [&](auto record) { record.setReject(reject); });
}

void StreetBus::announce(idl::Closure::Reader closure) {
  std::lock_guard lock(mutex_);
  if (firm_) firm_->publish("closure." + street_, [&](auto record) { record.setClosure(closure); });
}

void StreetBus::relay(const std::string& venue, const exchange::MarketDataMessage& update) {
  std::lock_guard lock(mutex_);
  Top& top = tops_[{venue, update.symbol}];
  const int64_t price = update.present ? update.priceMicros : 0;
  const int64_t quantity = update.present ? update.quantity : 0;
  switch (update.type) {
    case exchange::MarketDataEntryType::kBid:
      top.bidPriceMicros = price;
      top.bidQuantity = quantity;
      break;
    case exchange::MarketDataEntryType::kOffer:
      top.askPriceMicros = price;
      top.askQuantity = quantity;
      break;
    case exchange::MarketDataEntryType::kTrade:
      top.lastPriceMicros = price;
      top.lastQuantity = quantity;
      break;
  }
  if (!customer_) return;
  customer_->publish("md." + venue + "." + update.symbol, [&](auto record) {
    idl::MarketData::Builder data = record.initMarketData();
    data.setVenue(venue);
    data.setSymbol(update.symbol);
    data.setBidPriceMicros(top.bidPriceMicros);
    data.setBidQuantity(top.bidQuantity);
    data.setAskPriceMicros(top.askPriceMicros);
    data.setAskQuantity(top.askQuantity);
    data.setLastPriceMicros(top.lastPriceMicros);
    data.setLastQuantity(top.lastQuantity);
    data.setAtNanos(nowNanos());
  });
}

void StreetBus::publishVenueStatus(const std::string& venue, const Session& session) {
  if (!customer_) return;
  customer_->publish("venue." + venue, [&](auto record) {
    idl::VenueStatus::Builder status = record.initVenueStatus();
    status.setVenue(venue);
    status.setStreet(street_);
    status.setUp(session.up);
    status.setReason(session.reason);
    status.setAtNanos(session.sinceNanos);
  });
}

void StreetBus::venueStatus(const std::string& venue, bool up, const std::string& reason) {
  std::lock_guard lock(mutex_);
  Session& session = sessions_[venue];
  session = {up, reason, nowNanos()};
  publishVenueStatus(venue, session);
}

void StreetBus::announce(idl::Halt::Reader halt) {
  std::lock_guard lock(mutex_);
  if (customer_) customer_->publish("halt", [&](auto record) { record.setHalt(halt); });
}

void StreetBus::heartbeat() {
  std::lock_guard lock(mutex_);
  if (firm_) firm_->publishHeartbeats();
  if (customer_) customer_->publishHeartbeats();
  if (++heartbeats_ % 5 == 0) {
    for (const auto& [venue, session] : sessions_) publishVenueStatus(venue, session);
  }
}

}  // namespace triad::street
