// Three storage sites (cf1, ss1, firm) as three triad-site processes on
// loopback, each owning one ownership group, with a topology written for the
// test: fresh addresses in 127.2.<random>.0/24 and free ports, so tests can
// run side by side. Every process is killed and reaped by the destructor.

#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace triad::testing {

class StorageCluster {
 public:
  struct Options {
    int ackTimeoutMs = 1000;
    int logFileKiB = 8192;
    int checkpointSeconds = 0;  // tests checkpoint explicitly
  };

  StorageCluster() : StorageCluster(Options()) {}
  explicit StorageCluster(Options options);

  static const std::vector<std::string>& siteIds();

  // Starts (or restarts) a site and waits for its "ok started" line; with
  // its replication certificates from `tls` instead of the cluster's.
  void start(const std::string& site, const std::filesystem::path& tls = {});
  void startAll();
  // SIGKILL, and reap.
  void kill(const std::string& site);
  // Sends one command and returns its final "ok ..."/"error ..." line; lines
  // before it (status) go to `details` if given.
  std::string ask(const std::string& site, const std::string& command,
                  std::vector<std::string>* details = nullptr, int timeoutMs = 60000);

  const std::filesystem::path& dataRoot(const std::string& site) { return data_.at(site); }
  const std::filesystem::path& topologyPath() const { return topology_; }
  // The cluster's replication certificates (ca.crt, <id>.crt, <id>.key).
  std::filesystem::path tlsPath() const { return dir_ / "replication-tls"; }
  // What a site wrote to its standard error (--verbose: replication events).
  std::string log(const std::string& site) const;

 private:
  Options options_;
  TempDir dir_;
  std::filesystem::path topology_;
  std::map<std::string, std::filesystem::path> data_;
  std::map<std::string, std::unique_ptr<ChildProcess>> sites_;
};

}  // namespace triad::testing
