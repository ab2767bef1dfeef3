// Berkeley DB's Replication Manager, as the storage floor benchmark's
// baseline (issue 15). It was Triad's first replication transport and was
// measured out (DESIGN §2a); it lives on only here, so that every run of the
// benchmark compares the new stack against it. Nothing that ships uses it.
//
// A minimal site, configured as Triad ran it: a static master (elections
// off, clients at priority 0, joining with the master as their bootstrap
// helper), ack policy ONE, commits synced at the master (so each commit
// record carries REPCTL_FLUSH and a replica flushes it before it
// acknowledges: an acknowledgement means on the replica's disk), two
// message threads per site, and TCP_NODELAY forced on its sockets
// (bench/tcp_nodelay.cc). No group commit: each commit() is its own
// transaction, as Replication Manager's commit waits for its
// acknowledgement inside txn->commit().
//
// Thread-safety: as BenchSite.

#pragma once

#include <db_cxx.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bench/bench_site.h"

namespace triad::bench {

class RepmgrSite final : public BenchSite {
 public:
  // Opens the environment and starts Replication Manager; a client keeps
  // retrying its join until the master answers or `joinTimeout` passes.
  static bdb::Status open(const BenchSiteConfig& config, std::chrono::milliseconds joinTimeout,
                          std::unique_ptr<RepmgrSite>* out);
  ~RepmgrSite() override = default;

  bdb::Status commit(std::span<OrderRecord> records) override;
  uint64_t transactions() override { return transactions_; }
  size_t connectedReplicas() override;
  bool caughtUp() override { return startupDone_; }
  nlohmann::json diagnostics() override;

 private:
  explicit RepmgrSite(const BenchSiteConfig& config);
  bdb::Status start(std::chrono::milliseconds joinTimeout);
  bdb::Status failure(int ret, std::string_view what) const;
  void log(std::string_view line) const;
  // TCP sockets of this process without TCP_NODELAY (should be none).
  static int socketsWithoutNoDelay();

  static void onEvent(DbEnv* env, u_int32_t event, void* info);
  static void onError(const DbEnv* env, const char* prefix, const char* message);

  struct EnvCloser {
    void operator()(DbEnv* env) const;
  };
  struct DbCloser {
    void operator()(Db* db) const;
  };

  const BenchSiteConfig config_;
  const std::string errorPrefix_;
  std::unique_ptr<DbEnv, EnvCloser> env_;
  std::unique_ptr<Db, DbCloser> db_;  // the master's table of orders; closed before env_
  std::atomic<bool> startupDone_{false};
  std::atomic<uint64_t> transactions_{0};
  std::atomic<uint64_t> permFailures_{0};
  std::atomic<uint64_t> deadlocks_{0};
};

}  // namespace triad::bench
