// What a daemon says about itself in Admin.health beyond replication: whether
// it is ready (storage open, replication started, every service it offers
// listening) and the problems its parts report ("firm bus: no heartbeat for
// 5 s"). Each part reports under its own key and clears the key when the
// problem is gone, so a problem is listed once however often it is seen.
//
// Thread-safety: every method may be called from any thread.

#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triad::common {

// What a daemon heard from one publisher on one bus (Admin.busStats).
struct BusOriginStat {
  std::string bus;     // "customer" or "firm"
  std::string origin;  // the publishing utility
  uint64_t lastSequence = 0;
  uint64_t gaps = 0;
  uint64_t duplicates = 0;
  uint64_t catchUps = 0;
};

class ServiceHealth {
 public:
  void setReady(bool ready);
  bool ready() const;

  // Reports the problem under `key`, replacing what was reported there.
  void report(std::string_view key, std::string problem);
  void clear(std::string_view key);

  // Every reported problem, ordered by key.
  std::vector<std::string> problems() const;

  // Applies `change` to the counters of (bus, origin), created at zero.
  void updateBus(std::string_view bus, std::string_view origin,
                 const std::function<void(BusOriginStat&)>& change);
  // Every (bus, origin) heard from, ordered by bus then origin; empty for a
  // daemon that listens to no bus.
  std::vector<BusOriginStat> busStats() const;

 private:
  mutable std::mutex mutex_;  // guards every member below
  bool ready_ = false;
  std::map<std::string, std::string, std::less<>> problems_;
  std::map<std::pair<std::string, std::string>, BusOriginStat> buses_;
};

}  // namespace triad::common
