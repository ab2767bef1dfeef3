// What one process has used so far, every thread of it, living or exited
// (getrusage(RUSAGE_SELF)): CPU time and context switches. The benchmark
// reads it in every process of a configuration before and after the
// measured interval.

#pragma once

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include <cstdint>

namespace triad::bench {

struct ProcessUsage {
  int64_t userNanos = 0;
  int64_t systemNanos = 0;
  int64_t voluntarySwitches = 0;
  int64_t involuntarySwitches = 0;

  static ProcessUsage ofThisProcess() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto nanos = [](const timeval& t) {
      return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 +
             static_cast<int64_t>(t.tv_usec) * 1000;
    };
    return {nanos(usage.ru_utime), nanos(usage.ru_stime), usage.ru_nvcsw, usage.ru_nivcsw};
  }

  int64_t cpuNanos() const { return userNanos + systemNanos; }
  int64_t switches() const { return voluntarySwitches + involuntarySwitches; }

  ProcessUsage operator-(const ProcessUsage& before) const {
    return {userNanos - before.userNanos, systemNanos - before.systemNanos,
            voluntarySwitches - before.voluntarySwitches,
            involuntarySwitches - before.involuntarySwitches};
  }
  ProcessUsage& operator+=(const ProcessUsage& other) {
    userNanos += other.userNanos;
    systemNanos += other.systemNanos;
    voluntarySwitches += other.voluntarySwitches;
    involuntarySwitches += other.involuntarySwitches;
    return *this;
  }
};

inline void to_json(nlohmann::json& json, const ProcessUsage& usage) {
  json = {{"userNanos", usage.userNanos},
          {"systemNanos", usage.systemNanos},
          {"voluntarySwitches", usage.voluntarySwitches},
          {"involuntarySwitches", usage.involuntarySwitches}};
}

inline void from_json(const nlohmann::json& json, ProcessUsage& usage) {
  usage.userNanos = json.at("userNanos").get<int64_t>();
  usage.systemNanos = json.at("systemNanos").get<int64_t>();
  usage.voluntarySwitches = json.at("voluntarySwitches").get<int64_t>();
  usage.involuntarySwitches = json.at("involuntarySwitches").get<int64_t>();
}

}  // namespace triad::bench
