// The processes of one storage floor topology, from the coordinator's side:
// a master and its replicas of one stack, each a site process of this
// benchmark (site_role.h) on 127.0.0.1 with ports the kernel says are free
// and, for the new stack, certificates from a fresh CA. Every process is watched by the
// run's limit and killed and reaped when this goes away, whatever happened.
//
// Thread-safety: one thread (the coordinator's main thread: the site
// processes die with the thread that started them, PR_SET_PDEATHSIG).

#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_site.h"
#include "bench/process_usage.h"
#include "bench/run_limit.h"
#include "tests/support/child_process.h"

namespace triad::bench {

// What one configuration measured, in its window.
struct Measurement {
  Stack stack = Stack::kNew;
  int replicas = 0;
  int writers = 0;
  nlohmann::json window;          // the master's WindowResult and diagnostics (site_role.cc)
  ProcessUsage master;            // used by the master process in the window
  ProcessUsage replicaProcesses;  // by all replica processes together
  // The whole machine over the same window, every process of every user
  // (/proc/stat): what the configuration shared its cores with.
  double machineBusySeconds = 0;
  double machineSeconds = 0;  // the window by the coordinator's clock
};

class SiteProcesses {
 public:
  struct Options {
    std::string program;  // this benchmark's executable
    Stack stack = Stack::kNew;
    int replicas = 2;
    std::filesystem::path folder;  // the sites' environments go below it
    std::chrono::milliseconds ackTimeout{2000};
    bool verbose = false;
    int batchesInFlight = -1;  // new stack: GroupOptions::batchesInFlight; -1: its default
  };

  // Starts the master and the replicas and waits until each replica has
  // caught up with the master. nullptr and *error on failure.
  static std::unique_ptr<SiteProcesses> start(const Options& options, RunLimit& limit,
                                              std::string* error);
  ~SiteProcesses();  // kills and reaps whatever still runs

  // Runs `writers` writers on the master for `warmup`, then measures
  // `seconds`.
  std::optional<Measurement> measure(int writers, std::chrono::nanoseconds warmup,
                                     std::chrono::nanoseconds seconds, std::string* error);

  // Asks every site to close and exit; kills those that do not in time.
  void stop();

 private:
  struct Site {
    std::string id;
    std::unique_ptr<testing::ChildProcess> process;
  };

  SiteProcesses(const Options& options, RunLimit& limit) : options_(options), limit_(limit) {}
  bool spawn(const BenchSiteConfig& config, std::string* error);
  // Reads one line from `site`; *error says what was expected, on failure.
  std::optional<std::string> expect(Site& site, const std::string& prefix,
                                    std::chrono::milliseconds timeout, std::string* error);
  void reap(Site& site);

  const Options options_;
  RunLimit& limit_;
  std::vector<Site> sites_;  // [0] is the master
};

}  // namespace triad::bench
