// Storage floor (issue 3): commit latency and throughput of a 200-byte record
// in an owned group with 2 replicas, acknowledged vs. local-only, 1/8/64
// writer threads, group commit on and off, with and without TCP_NODELAY on
// Replication Manager's sockets. The owner and both replicas are separate
// Berkeley DB environments replicating over loopback TCP; they share this
// process (and its two cores), which is also what separate processes on this
// machine would share.
//
//   replicated_commit_bench [--seconds S] [--quick]
//
// Prints one Markdown table row per configuration.

#include <capnp/message.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "bdb/ownership_group.h"
#include "bench/latency_recorder.h"
#include "idl/records.capnp.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace triad::bench {
namespace {

using namespace std::chrono_literals;
using bdb::AckPolicy;

struct Config {
  const char* name;
  AckPolicy ack;
  bool noDelay;
  int writers;
  bool groupCommit;
  std::chrono::milliseconds duration;
  bool bulk = false;
};

struct Result {
  double medianMs, p99Ms, perSecond;
  size_t commits, failures;
};

Result run(const Config& config) {
  bdb::setReplicationTcpNoDelay(config.noDelay);  // before any socket is made
  testing::TempDir dir;
  std::vector<bdb::SiteAddress> sites;
  for (const char* site : {"owner", "r1", "r2"}) {
    sites.push_back({site, "127.0.0.1", testing::freePort("127.0.0.1")});
  }
  auto open = [&](const std::string& site) {
    bdb::GroupOptions options;
    options.group = "owner";
    options.localSite = site;
    options.home = dir / site;
    options.sites = sites;
    options.tables = {{"orders"}};
    options.ackPolicy = config.ack;
    options.ackTimeout = 5000ms;
    options.connectionRetry = 100ms;
    options.groupCommit = config.groupCommit;
    options.bulkTransfer = config.bulk;
    options.checkpointInterval = 0ms;
    std::unique_ptr<bdb::OwnershipGroup> group;
    bdb::Status s = bdb::OwnershipGroup::open(options, &group);
    if (!s.isOk()) {
      fprintf(stderr, "open %s: %s\n", site.c_str(), s.toString().c_str());
      std::exit(1);
    }
    return group;
  };
  auto owner = open("owner");
  auto r1 = open("r1");
  auto r2 = open("r2");
  if (!owner->waitForReplicas(2, 60s)) {
    fprintf(stderr, "replicas did not come up\n");
    std::exit(1);
  }

  LatencyRecorder latencies;
  std::atomic<size_t> failures{0};
  std::atomic<bool> stop{false};
  const std::string padding(150, 'x');  // ~200 bytes with the other fields
  auto writer = [&](int thread) {
    std::vector<int64_t> samples;
    for (uint64_t i = 0; !stop; ++i) {
      capnp::MallocMessageBuilder message;
      auto order = message.initRoot<idl::Order>();
      std::string id = "owner-" + std::to_string(thread) + "-" + std::to_string(i);
      order.setId(id);
      order.setAccount("acct-1");
      order.setSymbol("ACME");
      order.setQuantity(100);
      order.setSession(padding);
      const auto start = std::chrono::steady_clock::now();
      bdb::Status s = owner->write(
          [&](bdb::WriteTxn& txn) { return txn.put("orders", bdb::Key::of(id), message); });
      samples.push_back((std::chrono::steady_clock::now() - start).count());
      if (!s.isOk()) ++failures;
    }
    latencies.merge(samples);
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < config.writers; ++t) threads.emplace_back(writer, t);
  std::this_thread::sleep_for(config.duration);
  stop = true;
  for (std::thread& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t commits = latencies.count();
  return {latencies.percentileMs(50), latencies.percentileMs(99),
          static_cast<double>(commits) / seconds, commits, failures};
}

}  // namespace
}  // namespace triad::bench

int main(int argc, char** argv) {
  using namespace triad::bench;
  using std::chrono::milliseconds;
  milliseconds duration(3000);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      duration = milliseconds(static_cast<int64_t>(std::atof(argv[++i]) * 1000));
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      duration = milliseconds(300);
    }
  }
  const Config configs[] = {
      {"local only (ACKS_NONE)", AckPolicy::kNone, true, 1, false, duration},
      {"local only (ACKS_NONE)", AckPolicy::kNone, true, 8, false, duration},
      {"acknowledged, Nagle on (as shipped)", AckPolicy::kOne, false, 1, false, duration},
      {"acknowledged, Nagle on (as shipped)", AckPolicy::kOne, false, 8, true, duration},
      {"acknowledged, TCP_NODELAY", AckPolicy::kOne, true, 1, false, duration},
      {"acknowledged, TCP_NODELAY", AckPolicy::kOne, true, 8, false, duration},
      {"acknowledged, TCP_NODELAY, group commit", AckPolicy::kOne, true, 1, true, duration},
      {"acknowledged, TCP_NODELAY, group commit", AckPolicy::kOne, true, 8, true, duration},
      {"acknowledged, TCP_NODELAY, group commit", AckPolicy::kOne, true, 64, true, duration},
      {"acknowledged, TCP_NODELAY, group commit, bulk transfer (not deployed)", AckPolicy::kOne,
       true, 1, true, duration, true},
      {"acknowledged, TCP_NODELAY, group commit, bulk transfer (not deployed)", AckPolicy::kOne,
       true, 8, true, duration, true},
      {"acknowledged, TCP_NODELAY, group commit, bulk transfer (not deployed)", AckPolicy::kOne,
       true, 64, true, duration, true},
  };
  printf("| configuration | writers | group commit | median ms | p99 ms | commits/s | failed |\n");
  printf("|---|---:|---|---:|---:|---:|---:|\n");
  for (const Config& config : configs) {
    Result r = run(config);
    printf("| %s | %d | %s | %.3f | %.3f | %.0f | %zu |\n", config.name, config.writers,
           config.groupCommit ? "yes" : "no", r.medianMs, r.p99Ms, r.perSecond, r.failures);
    fflush(stdout);
  }
  return 0;
}
