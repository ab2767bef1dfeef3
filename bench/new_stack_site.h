// The new stack's site for the storage floor benchmark: this process's
// ReplicationTransport (ZeroMQ with CURVE, bdb/replication_transport.h) and
// its copy of the one ownership group, opened as a daemon opens its groups
// (bdb/ownership_group.h): group commit on, ack policy one. Only
// checkpoints are off, as they are in the baseline.
//
// Thread-safety: as BenchSite.

#pragma once

#include <memory>

#include "bdb/ownership_group.h"
#include "bdb/replication_transport.h"
#include "bench/bench_site.h"

namespace triad::bench {

class NewStackSite final : public BenchSite {
 public:
  static bdb::Status open(const BenchSiteConfig& config, std::unique_ptr<NewStackSite>* out);
  ~NewStackSite() override;

  bdb::Status commit(std::span<OrderRecord> records) override;
  uint64_t transactions() override;
  size_t connectedReplicas() override;
  bool caughtUp() override;
  nlohmann::json diagnostics() override;

 private:
  NewStackSite() = default;

  std::unique_ptr<bdb::ReplicationTransport> transport_;  // outlives group_
  std::unique_ptr<bdb::OwnershipGroup> group_;
};

}  // namespace triad::bench
