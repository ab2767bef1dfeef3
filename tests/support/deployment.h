// Multi-process test deployments: Triad daemons started as separate
// processes on a topology written for the test (tests/support/test_topology.h),
// and Admin RPC connections to them with their own time limits.

#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/topology.h"
#include "idl/admin.capnp.h"
#include "tests/support/child_process.h"
#include "tests/support/site_certificates.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_topology.h"

namespace triad::testing {

using namespace std::chrono_literals;

// Daemons as processes on a topology written for the test, each with its own
// data folder and log; every process still running is killed and reaped by
// the destructor.
class Deployment {
 public:
  explicit Deployment(const TestTopologyOptions& options = {}) {
    std::ofstream(topologyPath_ = dir_ / "topology.conf") << makeTestTopology(options);
    auto loaded = topology::Topology::load(topologyPath_);
    if (auto* error = std::get_if<topology::TopologyError>(&loaded)) {
      throw std::runtime_error("the test's topology is refused: " + error->message);
    }
    topology_.emplace(std::get<topology::Topology>(std::move(loaded)));
    makeSiteCertificates(tlsPath(), *topology_);
    makeAdminCertificates(adminTlsPath(), *topology_);
  }

  // Starts `program` (relative to the build folder) for site `id`, with the
  // daemon's own `options` after the common ones. Starting an id again
  // (a restart) replaces its process, which must have exited.
  void start(const std::string& program, const std::string& id,
             const std::vector<std::string>& options = {}) {
    std::vector<std::string> args{"--topology",
                                  topologyPath_.string(),
                                  "--id",
                                  id,
                                  "--data",
                                  dataRoot(id).string(),
                                  "--ack-timeout-ms",
                                  "1000",
                                  "--replica-wait-ms",
                                  "60000",
                                  "--replication-tls",
                                  tlsPath().string(),
                                  "--admin-tls",
                                  adminTlsPath().string(),
                                  "--operators",
                                  operatorsPath().string()};
    args.insert(args.end(), options.begin(), options.end());
    launch(id, builtProgram(program), args);
  }

  // Starts triad-exchanged for exchange `id` of the topology, with its data
  // in dataRoot(id) and `options` (e.g. --symbol) after the common ones; from
  // `topology` instead of the deployment's when given (e.g. on another FIX
  // port, behind a test's proxy).
  void startExchange(const std::string& id, const std::vector<std::string>& options = {},
                     const std::filesystem::path& topology = {}) {
    std::filesystem::create_directories(dataRoot(id));
    const std::string topologyFile = (topology.empty() ? topologyPath_ : topology).string();
    std::vector<std::string> args{"--topology", topologyFile, "--id",
                                  id,           "--data",     dataRoot(id).string()};
    args.insert(args.end(), options.begin(), options.end());
    launch(id, builtProgram("exchange/triad-exchanged"), args);
  }

  // Starts triad-brokerd for `bus` ("firm" or "customer"), as process
  // "bus-<bus>".
  void startBroker(const std::string& bus) {
    const std::string id = "bus-" + bus;
    launch(id, builtProgram("brokers/triad-brokerd"),
           {"--topology", topologyPath_.string(), "--bus", bus});
  }

  // Process `id` (a site, "xtst", "bus-firm"...) is started from now on
  // inside network namespace `name`, through `ip netns exec` (which execs
  // the daemon: the process's pid is the daemon's).
  void placeIn(const std::string& id, const std::string& name) { namespaces_[id] = name; }

  ChildProcess& process(const std::string& id) { return *processes_.at(id); }
  const std::filesystem::path& topologyPath() const { return topologyPath_; }
  // Every utility's CURVE key pair (replication, and the firm bus if a test
  // turns CURVE on there).
  std::filesystem::path tlsPath() const { return dir_ / "replication-tls"; }
  // Admin's mutual TLS (makeAdminCertificates) and the role map the daemons read.
  std::filesystem::path adminTlsPath() const { return dir_ / "admin-tls"; }
  std::filesystem::path operatorsPath() const { return adminTlsPath() / "operators.conf"; }
  const topology::Topology& topology() const { return *topology_; }
  const topology::Utility& site(const std::string& id) const { return *topology_->findUtility(id); }
  std::filesystem::path dataRoot(const std::string& id) const { return dir_ / ("data-" + id); }

  std::string log(const std::string& id) const {
    std::ifstream in(logPath(id));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::filesystem::path logPath(const std::string& id) const { return dir_ / (id + ".log"); }

  void launch(const std::string& id, const std::string& program, std::vector<std::string> args) {
    std::string binary = program;
    if (auto found = namespaces_.find(id); found != namespaces_.end()) {
      args.insert(args.begin(), {"netns", "exec", found->second, program});
      binary = std::filesystem::exists("/usr/sbin/ip") ? "/usr/sbin/ip" : "/usr/bin/ip";
    }
    processes_[id] = std::make_unique<ChildProcess>(binary, args, logPath(id).string());
  }

  TempDir dir_;
  std::filesystem::path topologyPath_;
  std::optional<topology::Topology> topology_;
  std::map<std::string, std::string> namespaces_;                   // process id -> netns
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;  // killed if still running
};

// The operator's side of Admin: one connection to one daemon, over mutual
// TLS as `who` (default: kTestAdminOperator, every role), trusting the
// daemon's certificate from `authority` (default: the operators' CA every
// test deployment uses).

class AdminConnection {
 public:
  AdminConnection(kj::AsyncIoContext& io, const topology::Utility& site)
      : AdminConnection(io, site.id, site.firmAddress, site.adminPort, testAdminOperator()) {}
  AdminConnection(kj::AsyncIoContext& io, const topology::Utility& site,
                  const IssuedCertificate& who)
      : AdminConnection(io, site.id, site.firmAddress, site.adminPort, who) {}
  AdminConnection(kj::AsyncIoContext& io, const std::string& id, const std::string& host,
                  uint16_t port, const IssuedCertificate& who,
                  const std::string& authority = testOperatorsAuthority().certificate())
      : io_(io),
        tls_(operatorTls(who, authority)),
        stream_(timed(io.provider->getNetwork()
                          .parseAddress(host, port)
                          .then([](kj::Own<kj::NetworkAddress> a) { return a->connect(); })
                          .then([this, id](kj::Own<kj::AsyncIoStream> plain) {
                            return tls_->wrapClient(kj::mv(plain), id.c_str());
                          }))
                    .wait(io.waitScope)),
        client_(*stream_),
        admin_(client_.bootstrap().castAs<idl::Admin>()) {}

  idl::Admin::Client& operator*() { return admin_; }
  idl::Admin::Client* operator->() { return &admin_; }

  // Sends and waits, at most 30 s (createAccount pays for an Argon2id hash).
  template <typename Params, typename Results>
  capnp::Response<Results> call(capnp::Request<Params, Results>&& request) {
    kj::Promise<capnp::Response<Results>> sent = request.send();
    return timed(kj::mv(sent)).wait(io_.waitScope);
  }

 private:
  template <typename T>
  kj::Promise<T> timed(kj::Promise<T> promise) {
    return io_.provider->getTimer().timeoutAfter(30 * kj::SECONDS, kj::mv(promise));
  }

  kj::AsyncIoContext& io_;
  kj::Own<kj::TlsContext> tls_;
  kj::Own<kj::AsyncIoStream> stream_;
  capnp::TwoPartyClient client_;
  idl::Admin::Client admin_;
};

// Waits until the daemon's Admin answers health with ready, and connects.
inline std::unique_ptr<AdminConnection> connectWhenReady(kj::AsyncIoContext& io,
                                                         const topology::Utility& site,
                                                         std::chrono::seconds timeout,
                                                         std::string* lastError) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<AdminConnection> connection;
    bool ready = false;
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                   connection = std::make_unique<AdminConnection>(io, site);
                   ready = connection->call((*connection)->healthRequest()).getHealth().getReady();
                 })) {
      *lastError = exception->getDescription().cStr();
    } else if (ready) {
      return connection;
    } else {
      *lastError = "not ready yet";
    }
    std::this_thread::sleep_for(200ms);
  }
  return nullptr;
}

}  // namespace triad::testing
