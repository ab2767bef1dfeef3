#include "utilities/common/daemon.h"

#include <capnp/rpc-twoparty.h>
#include <kj/async-unix.h>
#include <kj/debug.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>
#include <variant>

#include "base/systemd_notifier.h"
#include "utilities/common/admin_listener.h"
#include "utilities/common/crash_point.h"
#include "utilities/common/data_lock.h"
#include "utilities/common/operator_access.h"
#include "utilities/common/tls_options.h"

#ifndef TRIAD_VERSION
#error "TRIAD_VERSION must be defined (the CMake project version)"
#endif

namespace triad::common {

kj::Own<AdminServer> DaemonRole::makeAdmin() {
  return kj::heap<AdminServer>(context_.identity, context_.storage, context_.health);
}

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Where this daemon runs, from the topology.
struct Site {
  std::string role;
  std::string firmAddress;
  uint16_t adminPort = 0;
  const topology::Utility* utility = nullptr;
  const topology::Broker* broker = nullptr;

  std::string adminEndpoint() const { return firmAddress + ":" + std::to_string(adminPort); }
};

std::string rolesText(const std::vector<topology::Role>& roles) {
  std::string text;
  for (size_t i = 0; i < roles.size(); ++i) {
    if (i > 0) text += i + 1 == roles.size() ? " or " : ", ";
    text += topology::roleName(roles[i]);
  }
  return text;
}

// The site `id` names, or why this daemon cannot run it.
std::variant<Site, std::string> findSite(const topology::Topology& topology, const std::string& id,
                                         const DaemonSpec& spec) {
  Site site;
  topology::Role role;
  if (const topology::Utility* utility = topology.findUtility(id)) {
    site.utility = utility;
    site.firmAddress = utility->firmAddress;
    site.adminPort = utility->adminPort;
    role = utility->role;
  } else {
    auto broker = std::find_if(topology.brokers().begin(), topology.brokers().end(),
                               [&id](const topology::Broker& b) { return b.id == id; });
    if (broker == topology.brokers().end()) {
      return "the topology has no utility or broker '" + id + "'";
    }
    site.broker = &*broker;
    site.firmAddress = broker->firmAddress;
    site.adminPort = broker->adminPort;
    role = topology::Role::kBroker;
  }
  site.role = topology::roleName(role);
  if (std::find(spec.roles.begin(), spec.roles.end(), role) == spec.roles.end()) {
    return "'" + id + "' is a " + site.role + "; " + spec.name + " runs " + rolesText(spec.roles) +
           " only";
  }
  return site;
}

// Waits on its own thread (the storage's wait blocks) for a replica of the
// owned group, and resolves on the event loop: true if one acknowledged a
// commit in time. Destruction stops the wait within one short step.
class ReplicaWait {
 public:
  ReplicaWait() = default;
  ~ReplicaWait() { stop(); }
  ReplicaWait(const ReplicaWait&) = delete;
  ReplicaWait& operator=(const ReplicaWait&) = delete;

  kj::Promise<bool> start(bdb::OwnershipGroup& group, std::chrono::milliseconds timeout) {
    KJ_REQUIRE(!thread_.joinable(), "a replica wait runs once");
    auto pair = kj::newPromiseAndCrossThreadFulfiller<bool>();
    fulfiller_ = kj::mv(pair.fulfiller);
    thread_ = std::thread([this, &group, timeout] {
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      bool reached = false;
      // Short steps, so that a stop during the wait is not held up by it.
      while (!reached && !stop_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        reached = group.waitForReplicas(1, std::min(left, std::chrono::milliseconds(200)));
      }
      const kj::CrossThreadPromiseFulfiller<bool>& fulfiller = *fulfiller_;
      fulfiller.fulfill(kj::cp(reached));
    });
    return kj::mv(pair.promise);
  }

  // Ends the wait (the promise resolves false unless a replica was reached).
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  kj::Own<kj::CrossThreadPromiseFulfiller<bool>> fulfiller_;  // outlives the thread
  std::thread thread_;
};

// A background task failed: the daemon cannot go on, so it stops with exit 1.
class FatalTaskHandler : public kj::TaskSet::ErrorHandler {
 public:
  FatalTaskHandler(base::Logger& logger, kj::Own<kj::PromiseFulfiller<int>> stop)
      : logger_(logger), stop_(kj::mv(stop)) {}

  void taskFailed(kj::Exception&& exception) override {
    logger_.error("failed", {{"reason", exception.getDescription().cStr()}});
    if (stop_->isWaiting()) stop_->fulfill(int{kExitFailure});
  }

 private:
  base::Logger& logger_;
  kj::Own<kj::PromiseFulfiller<int>> stop_;
};

kj::Promise<void> pingWatchdog(kj::Timer& timer, base::SystemdNotifier& notifier,
                               std::chrono::microseconds interval) {
  return timer.afterDelay(interval.count() * kj::MICROSECONDS)
      .then([&timer, &notifier, interval]() {
        notifier.watchdog();
        return pingWatchdog(timer, notifier, interval);
      });
}

// Berkeley DB repeats some messages every few milliseconds for as long as a
// condition lasts ("BDB3509 Operation locked out" while the owner's lockout
// runs): log a line once, and how often it repeated when another comes.
class ReplicationLog {
 public:
  explicit ReplicationLog(base::Logger& logger) : logger_(logger) {}
  ~ReplicationLog() {
    std::lock_guard lock(mutex_);
    flushRepeats();
  }

  void operator()(std::string_view line) {
    std::lock_guard lock(mutex_);
    if (line == last_) {
      ++repeats_;
      return;
    }
    flushRepeats();
    last_ = line;
    logger_.info("replication", {{"detail", line}});
  }

 private:
  void flushRepeats() {  // REQUIRES: mutex_ held
    if (repeats_ > 0) logger_.info("replication", {{"detail", last_}, {"repeated", repeats_}});
    repeats_ = 0;
  }

  base::Logger& logger_;
  std::mutex mutex_;  // guards last_ and repeats_
  std::string last_;
  uint64_t repeats_ = 0;
};

// Opens the site's storage, retrying a lock conflict: the owner creates its
// tables while replicas join, and Berkeley DB's deadlock detector may pick
// the creation as the loser of a clash with the membership update a join
// makes. Any other failure is final.
bdb::Status openStorage(const topology::Topology& topology, const std::string& id,
                        const SiteStorageOptions& options, base::Logger& logger,
                        std::unique_ptr<SiteStorage>* storage) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    bdb::Status s = SiteStorage::open(topology, id, options, storage);
    if (s.code() != bdb::Status::Code::kConflict || attempt == kAttempts) return s;
    logger.warning("storage-retry", {{"attempt", attempt}, {"reason", s.toString()}});
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
  }
}

// Fails (so the daemon stops with exit 1, and its supervisor restarts it)
// once Berkeley DB has panicked one of the site's environments: a panicked
// environment answers nothing until recovery, which runs at start-up.
kj::Promise<void> watchStorage(kj::Timer& timer, SiteStorage& storage) {
  return timer.afterDelay(200 * kj::MILLISECONDS).then([&timer, &storage]() {
    for (const auto& group : storage.groups()) {
      KJ_REQUIRE(!group->panicked(), "storage-panic: Berkeley DB panicked the environment of group",
                 group->name(), "(e.g. a write failed on a full disk); restart to recover");
    }
    return watchStorage(timer, storage);
  });
}

std::string millisText(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }

int64_t wallClockNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reloads the role map at each SIGHUP; a refused map leaves the old one in
// force (logged as an alarm, counted in accessStats).
kj::Promise<void> reloadOnHangup(kj::UnixEventPort& port, OperatorAccess& access,
                                 base::Logger& logger) {
  return port.onSignal(SIGHUP).then([&port, &access, &logger](siginfo_t) {
    if (auto error = access.reload()) {
      logger.warning("operators-reload-refused", {{"alarm", true}, {"reason", error->message}});
    } else {
      logger.info("operators-reloaded",
                  {{"file", access.source().string()}, {"digest", access.map().digest()}});
    }
    return reloadOnHangup(port, access, logger);
  });
}

// Opens the storage, serves Admin and the role until a stop signal or a
// failure, then stops everything in order. Returns the exit code.
int serve(const DaemonSpec& spec, const ParsedOptions& parsed, const topology::Topology& topology,
          const Site& site, const DaemonIdentity& identity, base::Logger& logger,
          base::SystemdNotifier& notifier) {
  const DaemonOptions& options = parsed.common;
  try {
    kj::AsyncIoContext io = kj::setupAsyncIo();

    ReplicationLog replicationLog(logger);  // outlives the storage that calls it
    DataLock dataLock;                      // held until the storage has closed
    std::unique_ptr<SiteStorage> storage;
    if (site.utility != nullptr) {
      // One instance per data folder, before anything in it is opened.
      if (std::string why; !dataLock.acquire(options.dataRoot, &why)) {
        logger.error("data-locked", {{"data", options.dataRoot.string()}, {"reason", why}});
        return kExitFailure;
      }
      notifier.status("opening storage in " + options.dataRoot.string());
      SiteStorageOptions storageOptions;
      storageOptions.dataRoot = options.dataRoot;
      storageOptions.tls = options.replicationTls;
      storageOptions.ackPolicy = options.ackPolicy;
      storageOptions.ackTimeout = options.ackTimeout;
      storageOptions.log = [&replicationLog](std::string_view line) { replicationLog(line); };
      bdb::Status s = openStorage(topology, options.id, storageOptions, logger, &storage);
      if (!s.isOk()) {
        logger.error("storage-failed",
                     {{"data", options.dataRoot.string()}, {"reason", s.toString()}});
        return kExitFailure;
      }
      logger.info("storage-open", {{"data", options.dataRoot.string()},
                                   {"groups", static_cast<uint64_t>(storage->groups().size())}});
    }
    std::optional<brokers::CurveClient> firmBusCurve;
    if (!options.firmBusKeys.empty()) {
      auto loaded = brokers::loadCurveClient(
          options.firmBusKeys, brokers::curveBusName(topology::busName(topology::Bus::kFirm)),
          options.id);
      if (auto* error = std::get_if<brokers::CurveError>(&loaded)) {
        logger.error("firm-bus-keys-failed", {{"reason", error->message}});
        return kExitFailure;
      }
      firmBusCurve = std::get<brokers::CurveClient>(std::move(loaded));
      logger.info("firm-bus-curve", {{"keys", options.firmBusKeys.string()}});
    }
    // Joined (and so stopped) before the storage closes.
    ReplicaWait replicaWait;

    ServiceHealth health;
    DaemonContext context{
        .spec = spec,
        .options = options,
        .variables = parsed.variables,
        .topology = topology,
        .identity = identity,
        .utility = site.utility,
        .broker = site.broker,
        .storage = storage.get(),
        .firmBusCurve = firmBusCurve ? &*firmBusCurve : nullptr,
        .logger = logger,
        .health = health,
        .io = io,
    };
    kj::Own<DaemonRole> role =
        spec.makeRole ? spec.makeRole(context) : kj::heap<DaemonRole>(context);
    // Who may call Admin: refused before anything listens.
    auto opened = OperatorAccess::open(options.operatorsPath, wallClockNanos);
    if (auto* error = std::get_if<access::RoleMapError>(&opened)) {
      logger.error("operators-refused", {{"reason", error->message}});
      return kExitUsage;
    }
    OperatorAccess access = std::get<OperatorAccess>(std::move(opened));
    logger.info("operators-loaded",
                {{"file", options.operatorsPath.string()},
                 {"operators", static_cast<uint64_t>(access.map().operators().size())},
                 {"digest", access.map().digest()}});
    kj::Own<kj::TlsContext> adminTls;
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                   adminTls = makeServerTls(TlsServerFiles{
                       .certificate = (options.adminTls / (options.id + ".crt")).string(),
                       .privateKey = (options.adminTls / (options.id + ".key")).string(),
                       .clientCa = (options.adminTls / "ca.crt").string()});
                 })) {
      logger.error("admin-tls-failed", {{"folder", options.adminTls.string()},
                                        {"reason", exception->getDescription().cStr()}});
      return kExitFailure;
    }

    // Dropped before the role: a subclass's Admin may use the role's parts.
    kj::Own<AdminServer> adminServer = role->makeAdmin();
    adminServer->setAccess(&access);
    if (storage != nullptr) {
      for (const topology::Utility& utility : topology.utilities()) {
        if (utility.role != topology::Role::kFirm) continue;
        for (const auto& group : storage->groups()) {
          if (group->name() == utility.id) adminServer->setFirmGroup(group.get());
        }
      }
    }
    AdminServer& adminRef = *adminServer;
    kj::Maybe<idl::Admin::Client> admin = idl::Admin::Client(kj::mv(adminServer));

    // The firm-side address only: Admin must never be reachable from the
    // customer-facing network.
    kj::Own<kj::ConnectionReceiver> listener;
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                   listener = io.provider->getNetwork()
                                  .parseAddress(site.firmAddress, site.adminPort)
                                  .wait(io.waitScope)
                                  ->listen();
                 })) {
      logger.error("admin-listen-failed", {{"address", site.adminEndpoint()},
                                           {"reason", exception->getDescription().cStr()}});
      return kExitFailure;
    }
    auto server = kj::heap<AdminListener>(kj::mv(listener), *adminTls, io.provider->getTimer(),
                                          adminRef, access, logger);
    logger.info("admin-listening", {{"address", site.adminEndpoint()}, {"tls", "mutual"}});

    auto stopOnFailure = kj::newPromiseAndFulfiller<int>();
    FatalTaskHandler fatal(logger, kj::mv(stopOnFailure.fulfiller));
    auto tasks = kj::heap<kj::TaskSet>(fatal);
    tasks->add(server->run());
    tasks->add(reloadOnHangup(io.unixEventPort, access, logger));
    if (storage != nullptr) tasks->add(watchStorage(io.provider->getTimer(), *storage));

    if (auto interval = notifier.watchdogInterval()) {
      notifier.watchdog();
      tasks->add(pingWatchdog(io.provider->getTimer(), notifier, *interval));
    }

    kj::Promise<bool> replicas = true;
    if (storage != nullptr && options.replicaWait.count() > 0) {
      notifier.status("waiting up to " + millisText(options.replicaWait) +
                      " ms for a replica of group " + options.id);
      logger.info("waiting-for-replica",
                  {{"group", options.id}, {"timeout-ms", options.replicaWait.count()}});
      replicas = replicaWait.start(storage->owned(), options.replicaWait);
    }
    tasks->add(replicas
                   .then([&](bool reached) {
                     if (storage != nullptr) {
                       if (reached) {
                         logger.info("replica-joined", {{"group", options.id}});
                       } else {
                         logger.warning("no-replica",
                                        {{"group", options.id},
                                         {"waited-ms", options.replicaWait.count()},
                                         {"detail",
                                          "going on without one; its commits are refused until "
                                          "a replica joins"}});
                       }
                     }
                     return role->start();
                   })
                   .then([&]() {
                     health.setReady(true);
                     logger.info("started", {{"admin", site.adminEndpoint()}, {"ready", true}});
                     notifier.ready("serving; admin on " + site.adminEndpoint());
                   }));

    auto& port = io.unixEventPort;
    int code = port.onSignal(SIGTERM)
                   .exclusiveJoin(port.onSignal(SIGINT))
                   .then([&](siginfo_t info) {
                     const char* name = sigabbrev_np(info.si_signo);
                     logger.info("stopping", {{"signal", std::string("SIG") + name}});
                     return 0;
                   })
                   .exclusiveJoin(kj::mv(stopOnFailure.promise))
                   .wait(io.waitScope);

    health.setReady(false);
    notifier.stopping("stopping");
    tasks = nullptr;   // the start-up chain, the watchdog, accepting connections
    server = nullptr;  // every Admin connection, and the listening socket
    admin = nullptr;
    role = nullptr;
    replicaWait.stop();
    if (storage != nullptr) {
      const auto closing = std::chrono::steady_clock::now();
      storage.reset();
      logger.info("storage-closed", {{"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - closing)
                                                .count()}});
    }
    logger.info("stopped", {{"exit-code", code}});
    return code;
  } catch (const kj::Exception& e) {
    logger.error("failed", {{"reason", e.getDescription().cStr()}});
    return kExitFailure;
  }
}

}  // namespace

int Daemon::run(int argc, const char* const* argv) {
  // Before any thread exists (Berkeley DB starts several), so that every
  // thread inherits the blocked mask and only the event loop takes them.
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  kj::UnixEventPort::captureSignal(SIGHUP);  // reloads the operators' role map
  // A peer that goes away mid-write must be an error on that connection
  // (kj's and Replication Manager's), not the end of the process.
  ::signal(SIGPIPE, SIG_IGN);

  auto parsedOrExit = parseDaemonOptions(spec_.name, argc, argv, spec_.addOptions);
  if (auto* exit = std::get_if<OptionsExit>(&parsedOrExit)) {
    (exit->code == 0 ? std::cout : std::cerr) << exit->message << std::flush;
    return exit->code;
  }
  const ParsedOptions& parsed = std::get<ParsedOptions>(parsedOrExit);
  const DaemonOptions& options = parsed.common;
  if (std::string error; !armCrashPoint(options.crashAt, error)) {
    std::cerr << spec_.name << ": " << error << "\n";
    return kExitUsage;
  }

  base::Logger logger(spec_.name, options.id, {.minimum = options.logLevel});
  base::SystemdNotifier notifier;
  logger.info("starting", {{"version", TRIAD_VERSION},
                           {"topology", options.topologyPath.string()},
                           {"pid", static_cast<int64_t>(::getpid())}});
  if (!options.crashAt.empty()) logger.warning("crash-point-armed", {{"at", options.crashAt}});

  auto loaded = topology::Topology::load(options.topologyPath);
  if (const auto* error = std::get_if<topology::TopologyError>(&loaded)) {
    logger.error("topology-refused", {{"reason", error->message}});
    notifier.status("topology refused: " + error->message);
    return kExitUsage;
  }
  const topology::Topology& topology = std::get<topology::Topology>(loaded);
  auto siteOrError = findSite(topology, options.id, spec_);
  if (const auto* error = std::get_if<std::string>(&siteOrError)) {
    logger.error("id-refused", {{"reason", *error}});
    return kExitUsage;
  }
  const Site& site = std::get<Site>(siteOrError);
  if (site.utility != nullptr && options.dataRoot.empty()) {
    logger.error("options-refused", {{"reason", "--data is required for a " + site.role}});
    return kExitUsage;
  }
  const DaemonIdentity identity{spec_.name, options.id, site.role, TRIAD_VERSION, nowNanos()};
  return serve(spec_, parsed, topology, site, identity, logger, notifier);
}

}  // namespace triad::common
