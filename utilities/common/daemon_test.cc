// triad-utilityd as separate processes: three sites (cf1, ss1, firm) on
// loopback with a topology written for the test (fresh addresses, free
// ports), each reached over Cap'n Proto RPC on its Admin port, each telling
// "systemd" it is ready on a notification socket the test binds.

#include <arpa/inet.h>
#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "idl/admin.capnp.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"
#include "tests/support/site_certificates.h"
#include "tests/support/temp_dir.h"

namespace triad::common {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

const std::vector<std::string> kSites = {"cf1", "ss1", "firm"};

// ---- The test's side of sd_notify: a unix datagram socket ----

// Bound at `path`; unless told not to, a thread reads it all the time, as
// systemd does.
class NotifySocket {
 public:
  explicit NotifySocket(std::filesystem::path path, bool read = true) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string text = path_.string();
    if (fd_ < 0 || text.size() >= sizeof address.sun_path) {
      throw std::runtime_error("cannot make a notify socket at " + text);
    }
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind " + text + ": " + std::strerror(errno));
    }
    if (read) reader_ = std::thread([this] { readUntilStopped(); });
  }
  ~NotifySocket() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Waits for an assignment line ("READY=1") in any datagram so far.
  bool waitFor(const std::string& line, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return received_cv_.wait_for(lock, timeout, [&] {
      return std::find(received_.begin(), received_.end(), line) != received_.end();
    });
  }

  bool saw(const std::string& line) {
    std::lock_guard lock(mutex_);
    return std::find(received_.begin(), received_.end(), line) != received_.end();
  }

  // How many times `line` ("WATCHDOG=1") came so far.
  size_t count(const std::string& line) {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count(received_.begin(), received_.end(), line));
  }

  // Waits until `line` came more than `than` times.
  bool waitForMore(const std::string& line, size_t than, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return received_cv_.wait_for(lock, timeout, [&] {
      return static_cast<size_t>(std::count(received_.begin(), received_.end(), line)) > than;
    });
  }

 private:
  void readUntilStopped() {
    while (!stop_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      std::istringstream lines(std::string(buffer, static_cast<size_t>(n)));
      std::lock_guard lock(mutex_);
      for (std::string line; std::getline(lines, line);) received_.push_back(line);
      received_cv_.notify_all();
    }
  }

  std::filesystem::path path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // guards received_
  std::condition_variable received_cv_;
  std::vector<std::string> received_;
  std::thread reader_;
};

// ---- The test's side of Admin: one connection per question ----

struct HealthView {
  std::string id, role, version;
  int64_t startedAtNanos = 0;
  bool ready = false;
  std::vector<std::string> problems;
};

struct GroupView {
  std::string group, site, master;
  idl::ReplicationRole role;
  std::vector<std::string> connectedPeers;
};

class AdminProbe {
 public:
  AdminProbe() : io_(kj::setupAsyncIo()) {}

  std::optional<HealthView> health(const std::string& host, uint16_t port) {
    std::optional<HealthView> view;
    ask(host, port, [&](idl::Admin::Client& admin) {
      auto response = timed(admin.healthRequest().send()).wait(io_.waitScope);
      idl::Health::Reader h = response.getHealth();
      view = HealthView{h.getId(),    h.getRole(), h.getVersion(), h.getStartedAtNanos(),
                        h.getReady(), {}};
      for (capnp::Text::Reader p : h.getProblems()) view->problems.emplace_back(p);
    });
    return view;
  }

  std::optional<std::vector<GroupView>> groups(const std::string& host, uint16_t port) {
    std::optional<std::vector<GroupView>> views;
    ask(host, port, [&](idl::Admin::Client& admin) {
      auto response = timed(admin.groupsRequest().send()).wait(io_.waitScope);
      views.emplace();
      for (idl::GroupStatus::Reader g : response.getGroups()) {
        GroupView view{g.getGroup(), g.getSite(), g.getMaster(), g.getRole(), {}};
        for (idl::PeerLink::Reader peer : g.getPeers()) {
          if (peer.getConnected()) view.connectedPeers.emplace_back(peer.getSite());
        }
        views->push_back(std::move(view));
      }
    });
    return views;
  }

  std::string lastError() const { return lastError_; }

  // "ok <text>" or "error <code> <reason>" from halt(symbol) or resume(symbol).
  std::optional<std::string> haltOrResume(const std::string& host, uint16_t port, bool halt,
                                          const std::string& symbol) {
    std::optional<std::string> answer;
    ask(host, port, [&](idl::Admin::Client& admin) {
      auto describe = [&](idl::AdminResult::Reader result) {
        if (result.isOk()) return "ok " + std::string(result.getOk());
        return "error " + std::to_string(static_cast<int>(result.getError().getCode())) + " " +
               std::string(result.getError().getReason());
      };
      if (halt) {
        auto request = admin.haltRequest();
        request.setSymbol(symbol);
        answer = describe(timed(request.send()).wait(io_.waitScope).getResult());
      } else {
        auto request = admin.resumeRequest();
        request.setSymbol(symbol);
        answer = describe(timed(request.send()).wait(io_.waitScope).getResult());
      }
    });
    return answer;
  }

 private:
  // Generous: under the sanitizers, with other tests running, a site's
  // first answers can wait on Berkeley DB's replication start-up (its
  // client-side lockouts sleep in 5 s steps), and 10 s was seen to be short.
  template <typename T>
  kj::Promise<T> timed(kj::Promise<T> promise) {
    return io_.provider->getTimer().timeoutAfter(30 * kj::SECONDS, kj::mv(promise));
  }

  void ask(const std::string& host, uint16_t port,
           const std::function<void(idl::Admin::Client&)>& question) {
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                   auto address = io_.provider->getNetwork()
                                      .parseAddress(host.c_str(), port)
                                      .wait(io_.waitScope);
                   // Mutual TLS as the tests' operator; the daemon's
                   // certificate names its firm-side address too.
                   kj::Own<kj::TlsContext> tls =
                       testing::operatorTls(testing::testAdminOperator(),
                                            testing::testOperatorsAuthority().certificate());
                   kj::Own<kj::AsyncIoStream> stream =
                       timed(address->connect().then([&](kj::Own<kj::AsyncIoStream> plain) {
                         return tls->wrapClient(kj::mv(plain), host.c_str());
                       })).wait(io_.waitScope);
                   capnp::TwoPartyClient client(*stream);
                   idl::Admin::Client admin = client.bootstrap().castAs<idl::Admin>();
                   question(admin);
                 })) {
      lastError_ = exception->getDescription().cStr();
    }
  }

  kj::AsyncIoContext io_;
  std::string lastError_;
};

// True if something accepts TCP connections at host:port.
bool accepts(const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// ---- The deployment: a topology with every utility, both brokers, a venue ----

struct SiteAddresses {
  std::string firmHost;
  std::optional<std::string> customerHost;
  uint16_t adminPort = 0;
};

class UtilityCluster {
 public:
  UtilityCluster() {
    std::mt19937 random(std::random_device{}());
    const std::string net = std::to_string(std::uniform_int_distribution<int>(1, 250)(random));
    auto firmSide = [&net](int host) { return "127.2." + net + "." + std::to_string(host); };
    auto customerSide = [&net](int host) { return "127.1." + net + "." + std::to_string(host); };
    // Distinct free ports per address: two calls may otherwise return one port.
    std::map<std::string, std::set<uint16_t>> taken;
    auto port = [&taken](const std::string& host) {
      for (;;) {
        uint16_t candidate = testing::freePort(host);
        if (taken[host].insert(candidate).second) return candidate;
      }
    };
    // Each site's replication transport listens on one port for every group.
    auto replicationBase = [&port](const std::string& host) { return port(host); };

    sites_["cf1"] = {firmSide(1), customerSide(1), 0};
    sites_["ss1"] = {firmSide(21), std::nullopt, 0};
    sites_["firm"] = {firmSide(10), std::nullopt, 0};
    for (auto& [id, site] : sites_) site.adminPort = port(site.firmHost);

    std::ofstream out(topology_ = dir_ / "topology.conf");
    out << "[network]\ncustomer-facing = 127.1.0.0/16\nfirm-side = 127.2.0.0/16\n\n";
    out << "[cf1]\nrole = customer\ngroup-index = 0\ncustomer-address = "
        << *sites_["cf1"].customerHost << "\nfirm-address = " << sites_["cf1"].firmHost
        << "\ngateway-port = " << port(*sites_["cf1"].customerHost)
        << "\nadmin-port = " << sites_["cf1"].adminPort
        << "\nreplication-port = " << replicationBase(sites_["cf1"].firmHost) << "\n\n";
    out << "[ss1]\nrole = street\ngroup-index = 1\nfirm-address = " << sites_["ss1"].firmHost
        << "\nadmin-port = " << sites_["ss1"].adminPort
        << "\nreplication-port = " << replicationBase(sites_["ss1"].firmHost)
        << "\nvenue = xtst\n\n";
    out << "[firm]\nrole = firm\ngroup-index = 2\nfirm-address = " << sites_["firm"].firmHost
        << "\nadmin-port = " << sites_["firm"].adminPort
        << "\nreplication-port = " << replicationBase(sites_["firm"].firmHost) << "\n\n";
    out << "[bus-customer]\nrole = broker\nbus = customer\naddress = " << customerSide(250)
        << "\npublish-port = " << port(customerSide(250))
        << "\nsubscribe-port = " << port(customerSide(250)) << "\nfirm-address = " << firmSide(250)
        << "\nadmin-port = " << port(firmSide(250)) << "\n\n";
    busFirm_ = {firmSide(251), port(firmSide(251))};
    out << "[bus-firm]\nrole = broker\nbus = firm\naddress = " << busFirm_.first
        << "\npublish-port = " << port(firmSide(251)) << "\nsubscribe-port = " << busFirm_.second
        << "\nfirm-address = " << firmSide(251) << "\nadmin-port = " << port(firmSide(251))
        << "\n\n";
    venue_ = {firmSide(41), port(firmSide(41))};
    out << "[xtst]\nrole = exchange\nfirm-address = " << venue_.first
        << "\nfix-port = " << venue_.second << "\nfix-version = FIX.4.4\n";
    out.close();
    auto loaded = topology::Topology::load(topology_);
    testing::makeSiteCertificates(dir_ / "replication-tls", std::get<topology::Topology>(loaded));
    testing::makeAdminCertificates(dir_ / "admin-tls", std::get<topology::Topology>(loaded));
  }

  // Starts triad-utilityd for `id`, with NOTIFY_SOCKET (and WATCHDOG_USEC
  // when given) in its environment only.
  void start(const std::string& id, const std::vector<std::string>& extraArgs = {},
             std::optional<std::chrono::microseconds> watchdog = std::nullopt,
             bool readNotifications = true,
             const std::string& program = "utilities/common/triad-utilityd") {
    std::vector<std::string> args = {"--topology",
                                     topology_.string(),
                                     "--id",
                                     id,
                                     "--data",
                                     (dir_ / ("data-" + id)).string(),
                                     "--ack-timeout-ms",
                                     "1000",
                                     "--replication-tls",
                                     (dir_ / "replication-tls").string(),
                                     "--admin-tls",
                                     (dir_ / "admin-tls").string(),
                                     "--operators",
                                     (dir_ / "admin-tls" / "operators.conf").string()};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    startProgram(id, program, args, watchdog, readNotifications);
  }

  // Starts `program` with exactly `args` as `name`, under "systemd": with
  // NOTIFY_SOCKET (and WATCHDOG_USEC when given) in its environment only.
  void startProgram(const std::string& name, const std::string& program,
                    const std::vector<std::string>& args,
                    std::optional<std::chrono::microseconds> watchdog,
                    bool readNotifications = true) {
    if (!notify_.count(name)) {
      notify_[name] = std::make_unique<NotifySocket>(dir_ / ("notify-" + name), readNotifications);
    }
    ::setenv("NOTIFY_SOCKET", notify_[name]->path().c_str(), 1);
    if (watchdog) ::setenv("WATCHDOG_USEC", std::to_string(watchdog->count()).c_str(), 1);
    processes_[name] = std::make_unique<ChildProcess>(testing::builtProgram(program), args,
                                                      logPath(name).string());
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
  }

  // Runs triad-utilityd to its exit with `args` and returns its exit status.
  std::optional<int> runToExit(const std::string& name, const std::vector<std::string>& args) {
    ChildProcess child(testing::builtProgram("utilities/common/triad-utilityd"), args,
                       logPath(name).string());
    return child.wait(30s);
  }

  ChildProcess& process(const std::string& id) { return *processes_.at(id); }
  NotifySocket& notifications(const std::string& id) { return *notify_.at(id); }
  const SiteAddresses& site(const std::string& id) { return sites_.at(id); }
  const std::pair<std::string, uint16_t>& busFirmSubscribe() const { return busFirm_; }
  const std::pair<std::string, uint16_t>& venueFix() const { return venue_; }
  const std::filesystem::path& topology() const { return topology_; }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }

  std::filesystem::path logPath(const std::string& name) const { return dir_ / (name + ".log"); }
  std::string log(const std::string& name) const {
    std::ifstream in(logPath(name));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  testing::TempDir dir_;
  std::filesystem::path topology_;
  std::map<std::string, SiteAddresses> sites_;
  std::pair<std::string, uint16_t> busFirm_;  // bus-firm's XPUB (subscribe) endpoint
  std::pair<std::string, uint16_t> venue_;    // xtst's FIX acceptor
  std::map<std::string, std::unique_ptr<NotifySocket>> notify_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;  // killed if still running
};

std::string describe(const std::vector<GroupView>& groups) {
  std::string text;
  for (const GroupView& g : groups) {
    text += g.group + "@" + g.site + "=" + std::to_string(static_cast<int>(g.role)) + "(master " +
            g.master + ") ";
  }
  return text;
}

// Every group at this site: master here for its own, a client following the
// owner for every other.
bool replicationUp(const std::string& site, const std::vector<GroupView>& groups) {
  if (groups.size() != kSites.size()) return false;
  for (const GroupView& g : groups) {
    if (g.site != site || g.master != g.group) return false;
    const auto expected =
        g.group == site ? idl::ReplicationRole::MASTER : idl::ReplicationRole::CLIENT;
    if (g.role != expected) return false;
  }
  return true;
}

// ---- Tests ----

TEST(DaemonTest, ThreeSitesServeAdminReplicateAndStopCleanly) {
  UtilityCluster cluster;
  for (const std::string& id : kSites) {
    cluster.start(id, {"--replica-wait-ms", "60000"},
                  id == "ss1" ? std::optional(300'000us) : std::nullopt);
  }
  AdminProbe probe;

  // READY=1 only once the Admin port answers, and health then says ready.
  for (const std::string& id : kSites) {
    ASSERT_TRUE(cluster.notifications(id).waitFor("READY=1", 120s)) << id << " never said READY=1\n"
                                                                    << cluster.log(id);
    std::optional<HealthView> health =
        probe.health(cluster.site(id).firmHost, cluster.site(id).adminPort);
    ASSERT_TRUE(health) << id << ": " << probe.lastError();
    EXPECT_TRUE(health->ready) << id;
    EXPECT_EQ(health->id, id);
    EXPECT_EQ(health->role, id == "cf1" ? "customer" : id == "ss1" ? "street" : "firm");
    EXPECT_EQ(health->version, TRIAD_VERSION);
    EXPECT_GT(health->startedAtNanos, 0);
  }

  // Every group at every site, with the right roles, once replication is up.
  for (const std::string& id : kSites) {
    std::optional<std::vector<GroupView>> groups;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    do {
      groups = probe.groups(cluster.site(id).firmHost, cluster.site(id).adminPort);
      if (groups && replicationUp(id, *groups)) break;
      std::this_thread::sleep_for(200ms);
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(groups) << id << ": " << probe.lastError();
    EXPECT_TRUE(replicationUp(id, *groups)) << id << ": " << describe(*groups);
    for (const GroupView& g : *groups) {
      if (g.group == id) {
        EXPECT_FALSE(g.connectedPeers.empty()) << id << " has no replica";
      }
    }
  }
  // With every replica joined, health has nothing to complain about.
  for (const std::string& id : kSites) {
    std::optional<HealthView> health;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    do {
      health = probe.health(cluster.site(id).firmHost, cluster.site(id).adminPort);
      if (health && health->problems.empty()) break;
      std::this_thread::sleep_for(200ms);
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(health) << id << ": " << probe.lastError();
    EXPECT_TRUE(health->problems.empty()) << id << ": " << health->problems.front();
  }

  // Admin listens on the firm-side address only.
  const SiteAddresses& cf1 = cluster.site("cf1");
  EXPECT_TRUE(accepts(cf1.firmHost, cf1.adminPort));
  EXPECT_FALSE(accepts(*cf1.customerHost, cf1.adminPort))
      << "cf1's Admin answers on its customer-facing address";
  EXPECT_FALSE(probe.health(*cf1.customerHost, cf1.adminPort));

  // The unit asked for a watchdog: pings arrive at half its interval.
  EXPECT_TRUE(cluster.notifications("ss1").waitFor("WATCHDOG=1", 5s));

  // SIGTERM: every site stops cleanly, closing its storage, with exit 0.
  for (const std::string& id : kSites) cluster.process(id).kill(SIGTERM);
  for (const std::string& id : kSites) {
    EXPECT_EQ(cluster.process(id).wait(60s), std::optional<int>(0)) << id << "\n"
                                                                    << cluster.log(id);
    EXPECT_TRUE(cluster.notifications(id).waitFor("STOPPING=1", 1s)) << id;
    EXPECT_NE(cluster.log(id).find("event=stopped exit-code=0"), std::string::npos) << id;
  }
}

TEST(DaemonTest, ALoneSiteStartsWithoutAReplicaFromAConfigFile) {
  UtilityCluster cluster;
  std::ofstream(cluster.path("firm.conf"))
      << "# triad-utilityd options, as in /etc/triad/\ntopology = " << cluster.topology().string()
      << "\nid = firm\ndata = " << cluster.path("data-firm").string()
      << "\nreplica-wait-ms = 1500\nack-timeout-ms = 500\n";
  cluster.start("firm", {"--config", cluster.path("firm.conf").string()});
  ASSERT_TRUE(cluster.notifications("firm").waitFor("READY=1", 60s)) << cluster.log("firm");

  AdminProbe probe;
  std::optional<HealthView> health =
      probe.health(cluster.site("firm").firmHost, cluster.site("firm").adminPort);
  ASSERT_TRUE(health) << probe.lastError();
  EXPECT_TRUE(health->ready);
  bool saysNoReplica = false;
  for (const std::string& problem : health->problems) {
    saysNoReplica |= problem.find("group firm: no replica is connected") != std::string::npos;
  }
  EXPECT_TRUE(saysNoReplica);
  EXPECT_NE(cluster.log("firm").find("event=no-replica group=firm"), std::string::npos);

  cluster.process("firm").kill(SIGTERM);
  EXPECT_EQ(cluster.process("firm").wait(60s), std::optional<int>(0)) << cluster.log("firm");
}

TEST(DaemonTest, StopsPromptlyWhileWaitingForAReplica) {
  UtilityCluster cluster;
  cluster.start("cf1", {"--replica-wait-ms", "600000"});
  AdminProbe probe;
  std::optional<HealthView> health;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!health && std::chrono::steady_clock::now() < deadline) {
    health = probe.health(cluster.site("cf1").firmHost, cluster.site("cf1").adminPort);
    if (!health) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(health) << probe.lastError() << "\n" << cluster.log("cf1");
  EXPECT_FALSE(health->ready) << "ready before a replica joined or the wait ran out";

  cluster.process("cf1").kill(SIGTERM);
  // Bounded by the storage's close (a client's can take ~5 s), not the wait.
  EXPECT_EQ(cluster.process("cf1").wait(30s), std::optional<int>(0)) << cluster.log("cf1");
  EXPECT_FALSE(cluster.notifications("cf1").saw("READY=1"));
}

// What a role daemon plugs into the frame: its own option, Admin method,
// health problem and start.
TEST(DaemonTest, ARolePlugsInItsOptionsAdminMethodsAndStart) {
  UtilityCluster cluster;
  cluster.start("ss1", {"--replica-wait-ms", "0", "--halt-prefix", "stopped:"}, std::nullopt, true,
                "utilities/common/triad-daemon-testd");
  ASSERT_TRUE(cluster.notifications("ss1").waitFor("READY=1", 60s)) << cluster.log("ss1");

  AdminProbe probe;
  const SiteAddresses& ss1 = cluster.site("ss1");
  std::optional<HealthView> health = probe.health(ss1.firmHost, ss1.adminPort);
  ASSERT_TRUE(health) << probe.lastError();
  EXPECT_TRUE(health->ready);
  EXPECT_NE(std::find(health->problems.begin(), health->problems.end(), "test role: nothing to do"),
            health->problems.end());
  EXPECT_EQ(probe.haltOrResume(ss1.firmHost, ss1.adminPort, true, "ACME"),
            std::optional<std::string>("ok stopped:ACME"));
  EXPECT_EQ(probe.haltOrResume(ss1.firmHost, ss1.adminPort, false, "ACME"),
            std::optional<std::string>(
                "error " + std::to_string(static_cast<int>(idl::ErrorCode::UNAVAILABLE)) +
                " resume is not served by triad-daemon-testd"));

  cluster.process("ss1").kill(SIGTERM);
  EXPECT_EQ(cluster.process("ss1").wait(30s), std::optional<int>(0)) << cluster.log("ss1");
}

// sd_notify() blocks while the manager's queue is full; the daemon's event
// loop once hung in it when a watchdog ping found the queue full.
TEST(DaemonTest, AManagerThatStopsReadingDoesNotStallAdmin) {
  UtilityCluster cluster;
  cluster.start("firm", {"--replica-wait-ms", "0"}, 10'000us, /*readNotifications=*/false);
  AdminProbe probe;
  const SiteAddresses& firm = cluster.site("firm");
  std::optional<HealthView> health;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!(health && health->ready) && std::chrono::steady_clock::now() < deadline) {
    health = probe.health(firm.firmHost, firm.adminPort);
    if (!(health && health->ready)) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(health && health->ready) << probe.lastError() << "\n" << cluster.log("firm");
  // Pings every 5 ms fill the unread queue (10 datagrams) long before this.
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(probe.health(firm.firmHost, firm.adminPort)) << i << ": " << probe.lastError();
  }
  cluster.process("firm").kill(SIGTERM);
  EXPECT_EQ(cluster.process("firm").wait(30s), std::optional<int>(0)) << cluster.log("firm");
}

// ---- Supervision as systemd does it: READY, the watchdog, a hung daemon ----

constexpr std::chrono::microseconds kWatchdog = 200'000us;  // pings every 100 ms

// With the daemon running, pings come at half of WATCHDOG_USEC; once it is
// stopped (SIGSTOP: a hung daemon) they stop, so systemd would kill and
// restart it; after SIGCONT they come again.
void expectWatchdogPingsOnlyWhileRunning(UtilityCluster& cluster, const std::string& name) {
  NotifySocket& notify = cluster.notifications(name);
  ChildProcess& process = cluster.process(name);
  const size_t before = notify.count("WATCHDOG=1");
  std::this_thread::sleep_for(1s);
  const size_t running = notify.count("WATCHDOG=1") - before;
  EXPECT_GE(running, 5u) << name << ": " << running << " pings in 1 s at a 100 ms interval";
  EXPECT_LE(running, 20u) << name << ": pinging far more often than asked";

  process.kill(SIGSTOP);
  std::this_thread::sleep_for(300ms);  // a ping already in flight
  const size_t hung = notify.count("WATCHDOG=1");
  std::this_thread::sleep_for(1500ms);  // more than WatchdogSec: systemd would act
  EXPECT_EQ(notify.count("WATCHDOG=1"), hung) << name << " pinged while stopped";

  process.kill(SIGCONT);
  EXPECT_TRUE(notify.waitForMore("WATCHDOG=1", hung, 2s)) << name << ": no ping after SIGCONT";
}

void expectCleanStop(UtilityCluster& cluster, const std::string& name) {
  cluster.process(name).kill(SIGTERM);
  EXPECT_EQ(cluster.process(name).wait(60s), std::optional<int>(0)) << name << "\n"
                                                                    << cluster.log(name);
  EXPECT_TRUE(cluster.notifications(name).waitFor("STOPPING=1", 1s)) << name;
}

// triad-firmd under "systemd": it pings while it waits for a replica of its
// group, but says READY=1 only after one joined (started later by the test)
// and its Admin already reports that replica connected.
TEST(DaemonTest, FirmdIsReadyOnlyOnceReplicatedAndAHungOneStopsPinging) {
  UtilityCluster cluster;
  cluster.start("firm", {"--replica-wait-ms", "120000"}, kWatchdog, true,
                "utilities/firm/triad-firmd");
  NotifySocket& firm = cluster.notifications("firm");
  const SiteAddresses& site = cluster.site("firm");
  AdminProbe probe;

  // Alive (pinging, Admin answering) but not ready: no replica yet.
  ASSERT_TRUE(firm.waitFor("WATCHDOG=1", 60s)) << cluster.log("firm");
  std::optional<HealthView> health;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!health && std::chrono::steady_clock::now() < deadline) {
    health = probe.health(site.firmHost, site.adminPort);
    if (!health) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(health) << probe.lastError() << "\n" << cluster.log("firm");
  EXPECT_FALSE(health->ready);
  std::this_thread::sleep_for(1s);
  ASSERT_FALSE(firm.saw("READY=1")) << "READY=1 before any replica of group firm existed";
  EXPECT_TRUE(firm.saw("STATUS=waiting up to 120000 ms for a replica of group firm"));

  // A replica joins: only now does READY=1 come.
  cluster.start("ss1", {"--replica-wait-ms", "0"});
  ASSERT_TRUE(firm.waitFor("READY=1", 120s)) << cluster.log("firm");
  std::optional<std::vector<GroupView>> groups = probe.groups(site.firmHost, site.adminPort);
  ASSERT_TRUE(groups) << probe.lastError();
  bool replicated = false;
  for (const GroupView& g : *groups) {
    if (g.group == "firm") {
      EXPECT_EQ(g.role, idl::ReplicationRole::MASTER);
      replicated = std::find(g.connectedPeers.begin(), g.connectedPeers.end(), "ss1") !=
                   g.connectedPeers.end();
    }
  }
  EXPECT_TRUE(replicated) << "READY=1 but group firm has no connected replica: "
                          << describe(*groups);
  health = probe.health(site.firmHost, site.adminPort);
  ASSERT_TRUE(health) << probe.lastError();
  EXPECT_TRUE(health->ready);

  expectWatchdogPingsOnlyWhileRunning(cluster, "firm");
  // Still serving after the pause.
  EXPECT_TRUE(probe.health(site.firmHost, site.adminPort)) << probe.lastError();
  expectCleanStop(cluster, "firm");
  expectCleanStop(cluster, "ss1");
}

// triad-brokerd is not on the frame: READY=1 once both proxy sockets are
// bound (the subscribe port accepts at once), pings while the proxy answers.
TEST(DaemonTest, BrokerdIsReadyOnceBoundAndAHungOneStopsPinging) {
  UtilityCluster cluster;
  cluster.startProgram("bus-firm", "brokers/triad-brokerd",
                       {"--topology", cluster.topology().string(), "--bus", "firm"}, kWatchdog);
  ASSERT_TRUE(cluster.notifications("bus-firm").waitFor("READY=1", 30s)) << cluster.log("bus-firm");
  const auto& [host, port] = cluster.busFirmSubscribe();
  EXPECT_TRUE(accepts(host, port)) << "READY=1 before " << host << ":" << port << " was bound";
  EXPECT_TRUE(cluster.notifications("bus-firm").waitFor("WATCHDOG=1", 2s));

  expectWatchdogPingsOnlyWhileRunning(cluster, "bus-firm");
  expectCleanStop(cluster, "bus-firm");
}

// triad-exchanged too: READY=1 once its FIX acceptor listens.
TEST(DaemonTest, ExchangedIsReadyOnceListeningAndAHungOneStopsPinging) {
  UtilityCluster cluster;
  cluster.startProgram("xtst", "exchange/triad-exchanged",
                       {"--topology", cluster.topology().string(), "--id", "xtst", "--data",
                        cluster.path("data-xtst").string()},
                       kWatchdog);
  ASSERT_TRUE(cluster.notifications("xtst").waitFor("READY=1", 30s)) << cluster.log("xtst");
  const auto& [host, port] = cluster.venueFix();
  EXPECT_TRUE(accepts(host, port)) << "READY=1 before " << host << ":" << port << " listened";

  expectWatchdogPingsOnlyWhileRunning(cluster, "xtst");
  expectCleanStop(cluster, "xtst");
}

TEST(DaemonTest, RefusesWhatItCannotRunWithExit2) {
  UtilityCluster cluster;
  const std::string topology = cluster.topology().string();
  const std::string data = cluster.path("data").string();

  EXPECT_EQ(cluster.runToExit("broker", {"--topology", topology, "--id", "bus-firm"}),
            std::optional<int>(2));
  EXPECT_NE(cluster.log("broker").find("'bus-firm' is a broker"), std::string::npos)
      << cluster.log("broker");

  EXPECT_EQ(cluster.runToExit("unknown", {"--topology", topology, "--id", "cf9", "--data", data}),
            std::optional<int>(2));
  EXPECT_NE(cluster.log("unknown").find("no utility or broker 'cf9'"), std::string::npos);

  EXPECT_EQ(cluster.runToExit("no-data", {"--topology", topology, "--id", "cf1"}),
            std::optional<int>(2));

  std::ofstream(cluster.path("bad.conf"), std::ios::app)
      << "[network]\ncustomer-facing = 127.1.0.0/16\nfirm-side = 127.2.0.0/16\n\n"
      << "[firm]\nrole = firm\ngroup-index = 0\nfirm-address = 127.2.0.10\nadmin-port = 99999\n";
  EXPECT_EQ(cluster.runToExit("bad-topology", {"--topology", cluster.path("bad.conf").string(),
                                               "--id", "firm", "--data", data}),
            std::optional<int>(2));
  const std::string log = cluster.log("bad-topology");
  EXPECT_NE(log.find("event=topology-refused"), std::string::npos) << log;
  EXPECT_NE(log.find("bad.conf:"), std::string::npos) << log;

  EXPECT_EQ(cluster.runToExit("bad-option", {"--id", "cf1", "--ack-timeout-ms", "never"}),
            std::optional<int>(2));
}

TEST(DaemonTest, AFirmBusKeyFolderItCannotReadStopsItWithExit1NamingTheFile) {
  UtilityCluster cluster;
  EXPECT_EQ(
      cluster.runToExit("curve", {"--topology", cluster.topology().string(), "--id", "firm",
                                  "--data", cluster.path("data").string(), "--replication-tls",
                                  cluster.path("replication-tls").string(), "--firm-bus-keys",
                                  cluster.path("no-keys").string()}),
      std::optional<int>(1));
  const std::string log = cluster.log("curve");
  EXPECT_NE(log.find("event=firm-bus-keys-failed"), std::string::npos) << log;
  EXPECT_NE(log.find("no-keys/firm-bus.public"), std::string::npos) << log;
}

// Replication is mutual TLS: a utility without the deployment's CA, or
// without its own certificate or key, does not start, and says which file
// and how to make it.
TEST(DaemonTest, AReplicationCertificateItCannotReadStopsItWithExit1NamingTheFile) {
  UtilityCluster cluster;
  EXPECT_EQ(cluster.runToExit("no-folder", {"--topology", cluster.topology().string(), "--id",
                                            "firm", "--data", cluster.path("data").string(),
                                            "--replication-tls", cluster.path("none").string()}),
            std::optional<int>(1));
  std::string log = cluster.log("no-folder");
  EXPECT_NE(log.find("event=storage-failed"), std::string::npos) << log;
  EXPECT_NE(log.find("none/ca.crt"), std::string::npos) << log;
  EXPECT_NE(log.find("make-ca --site"), std::string::npos) << log;

  std::filesystem::remove(cluster.path("replication-tls") / "firm.key");
  EXPECT_EQ(
      cluster.runToExit("no-key", {"--topology", cluster.topology().string(), "--id", "firm",
                                   "--data", cluster.path("data").string(), "--replication-tls",
                                   cluster.path("replication-tls").string()}),
      std::optional<int>(1));
  log = cluster.log("no-key");
  EXPECT_NE(log.find("replication-tls/firm.key"), std::string::npos) << log;
}

}  // namespace
}  // namespace triad::common
