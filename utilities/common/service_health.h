// What a daemon says about itself in Admin.health beyond replication: whether
// it is ready (storage open, replication started, every service it offers
// listening) and the problems its parts report ("firm bus: no heartbeat for
// 5 s"). Each part reports under its own key and clears the key when the
// problem is gone, so a problem is listed once however often it is seen.
//
// Thread-safety: every method may be called from any thread.

#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace triad::common {

class ServiceHealth {
 public:
  void setReady(bool ready);
  bool ready() const;

  // Reports the problem under `key`, replacing what was reported there.
  void report(std::string_view key, std::string problem);
  void clear(std::string_view key);

  // Every reported problem, ordered by key.
  std::vector<std::string> problems() const;

 private:
  mutable std::mutex mutex_;  // guards every member below
  bool ready_ = false;
  std::map<std::string, std::string, std::less<>> problems_;
};

}  // namespace triad::common
