#include "utilities/common/service_health.h"

namespace triad::common {

void ServiceHealth::setReady(bool ready) {
  std::lock_guard lock(mutex_);
  ready_ = ready;
}

bool ServiceHealth::ready() const {
  std::lock_guard lock(mutex_);
  return ready_;
}

void ServiceHealth::report(std::string_view key, std::string problem) {
  std::lock_guard lock(mutex_);
  problems_.insert_or_assign(std::string(key), std::move(problem));
}

void ServiceHealth::clear(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (auto it = problems_.find(key); it != problems_.end()) problems_.erase(it);
}

std::vector<std::string> ServiceHealth::problems() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(problems_.size());
  for (const auto& [key, problem] : problems_) out.push_back(problem);
  return out;
}

void ServiceHealth::updateBus(std::string_view bus, std::string_view origin,
                              const std::function<void(BusOriginStat&)>& change) {
  std::lock_guard lock(mutex_);
  auto [it, added] = buses_.try_emplace({std::string(bus), std::string(origin)});
  if (added) {
    it->second.bus = bus;
    it->second.origin = origin;
  }
  change(it->second);
}

std::vector<BusOriginStat> ServiceHealth::busStats() const {
  std::lock_guard lock(mutex_);
  std::vector<BusOriginStat> out;
  out.reserve(buses_.size());
  for (const auto& [key, stat] : buses_) out.push_back(stat);
  return out;
}

}  // namespace triad::common
