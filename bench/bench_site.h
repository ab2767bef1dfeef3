// One site of the storage floor benchmark's group, in its own process: the
// master, which commits the writers' transactions, or a replica. Two
// stacks implement it: the new one (bdb/: Berkeley DB's Base API over
// Triad's ReplicationTransport, new_stack_site.h) and the baseline
// (Replication Manager, repmgr_baseline.h).
//
// Thread-safety: commit() may be called from many threads at once; the
// other methods from any thread.

#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bdb/status.h"
#include "bench/order_record.h"

namespace triad::bench {

enum class Stack { kNew, kRepmgr };
std::string_view stackName(Stack stack);

struct BenchPeer {
  std::string id;  // "m" (the master), "r1", "r2", ...
  int eid = 0;     // the master is 0
  uint16_t port = 0;
};

// What the coordinator tells a site process, on its standard input.
struct BenchSiteConfig {
  Stack stack = Stack::kNew;
  std::string id;
  std::filesystem::path home;
  std::vector<BenchPeer> sites;  // every site, this one included; sites[0] is the master
  // The new stack's mutual TLS: the run's CA and this site's certificate and
  // key, PEM.
  std::string tlsAuthority, tlsCertificate, tlsKey;
  std::chrono::milliseconds ackTimeout{2000};
  bool verbose = false;      // the stacks' diagnostics to stderr
  int batchesInFlight = -1;  // the new stack's group commit pacing; -1: its default

  bool master() const { return id == sites.front().id; }
  const BenchPeer& self() const;
};

nlohmann::json toJson(const BenchSiteConfig& config);
BenchSiteConfig siteConfigFromJson(const nlohmann::json& json);

class BenchSite {
 public:
  virtual ~BenchSite() = default;

  // Master: one transaction putting every record, answered once it is
  // durable here and a replica acknowledged it (ack policy one); a commit
  // that was not acknowledged in time is NotReplicated.
  virtual bdb::Status commit(std::span<OrderRecord> records) = 0;
  // Master: Berkeley DB transactions committed so far (fewer than commit()
  // calls when the stack gathers them: group commit).
  virtual uint64_t transactions() = 0;
  // Master: replicas whose connection is up.
  virtual size_t connectedReplicas() = 0;
  // Replica: has synchronised with the master and applies its live log.
  virtual bool caughtUp() = 0;
  // Counters worth a look after a run (failures, drops), by name.
  virtual nlohmann::json diagnostics() = 0;
};

// Opens this process's site of `config`'s stack.
bdb::Status openBenchSite(const BenchSiteConfig& config, std::unique_ptr<BenchSite>* site);

}  // namespace triad::bench
