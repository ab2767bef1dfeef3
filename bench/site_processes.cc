#include "bench/site_processes.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <variant>

#include "tests/support/free_port.h"
#include "tests/support/site_certificates.h"

namespace triad::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartTimeout = 60s;  // a site opening, a replica catching up
constexpr auto kReplyTimeout = 10s;  // any other answer

std::optional<ProcessUsage> usageFrom(const std::string& line) {
  if (line.rfind("usage ", 0) != 0) return std::nullopt;
  return nlohmann::json::parse(line.substr(6)).get<ProcessUsage>();
}

// CPU time every core of the machine has been busy (not idle, not waiting
// for I/O), from /proc/stat, in seconds.
double machineBusySeconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  static const double ticksPerSecond = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(user + nice + system + irq + softirq + steal) / ticksPerSecond;
}

}  // namespace

std::unique_ptr<SiteProcesses> SiteProcesses::start(const Options& options, RunLimit& limit,
                                                    std::string* error) {
  std::unique_ptr<SiteProcesses> processes(new SiteProcesses(options, limit));
  std::vector<BenchPeer> peers;
  std::vector<std::string> ids;
  for (int i = 0; i <= options.replicas; ++i) {
    peers.push_back({i == 0 ? "m" : "r" + std::to_string(i), i, testing::freePort("127.0.0.1")});
    ids.push_back(peers.back().id);
  }
  testing::SiteCertificates certificates;
  if (options.stack == Stack::kNew) certificates = testing::issueSiteCertificates(ids);
  // The master first: Replication Manager's clients join through it.
  for (size_t i = 0; i < peers.size(); ++i) {
    BenchSiteConfig config{.stack = options.stack,
                           .id = peers[i].id,
                           .home = options.folder / peers[i].id,
                           .sites = peers,
                           .tlsAuthority = certificates.authority,
                           .tlsCertificate = certificates.sites[peers[i].id].certificate,
                           .tlsKey = certificates.sites[peers[i].id].privateKey,
                           .ackTimeout = options.ackTimeout,
                           .verbose = options.verbose,
                           .batchesInFlight = options.batchesInFlight};
    if (!processes->spawn(config, error)) return nullptr;
    if (i == 0 && !processes->expect(processes->sites_[0], "open", kStartTimeout, error)) {
      return nullptr;
    }
  }
  for (size_t i = 1; i < processes->sites_.size(); ++i) {
    if (!processes->expect(processes->sites_[i], "open", kStartTimeout, error)) return nullptr;
  }
  // Replicas catch up once they see the master's live log: it commits small
  // transactions meanwhile.
  Site& master = processes->sites_[0];
  master.process->send("probe-start");
  if (!processes->expect(master, "ok", kReplyTimeout, error)) return nullptr;
  for (size_t i = 1; i < processes->sites_.size(); ++i) {
    processes->sites_[i].process->send(
        "await-caught-up " + std::to_string(std::chrono::milliseconds(kStartTimeout).count()));
  }
  for (size_t i = 1; i < processes->sites_.size(); ++i) {
    if (!processes->expect(processes->sites_[i], "ready", kStartTimeout + 5s, error)) {
      return nullptr;
    }
  }
  master.process->send("probe-stop");
  auto connected = processes->expect(master, "connected ", kReplyTimeout, error);
  if (!connected) return nullptr;
  if (std::stoi(connected->substr(10)) != options.replicas) {
    *error = "the master has " + connected->substr(10) + " replicas connected, not " +
             std::to_string(options.replicas);
    return nullptr;
  }
  return processes;
}

SiteProcesses::~SiteProcesses() {
  for (Site& site : sites_) reap(site);
}

bool SiteProcesses::spawn(const BenchSiteConfig& config, std::string* error) {
  auto process = std::make_unique<testing::ChildProcess>(
      options_.program, std::vector<std::string>{"--site", std::to_string(getpid()), config.id});
  limit_.watch(process->pid());
  sites_.push_back({config.id, std::move(process)});
  if (!sites_.back().process->send(toJson(config).dump())) {
    *error = "site " + config.id + " did not take its configuration";
    return false;
  }
  return true;
}

std::optional<std::string> SiteProcesses::expect(Site& site, const std::string& prefix,
                                                 std::chrono::milliseconds timeout,
                                                 std::string* error) {
  std::optional<std::string> line = site.process->readLine(timeout);
  if (line && line->rfind(prefix, 0) == 0) return line;
  if (limit_.stopped()) {
    *error = limit_.reason();
  } else if (!line) {
    *error = "site " + site.id + " did not answer '" + prefix + "' (it exited or took too long)";
  } else {
    *error = "site " + site.id + " answered '" + *line + "', not '" + prefix + "'";
  }
  return std::nullopt;
}

std::optional<Measurement> SiteProcesses::measure(int writers, std::chrono::nanoseconds warmup,
                                                  std::chrono::nanoseconds seconds,
                                                  std::string* error) {
  Site& master = sites_[0];
  master.process->send("run " + std::to_string(writers));
  if (!expect(master, "running", kReplyTimeout, error)) return std::nullopt;
  if (!limit_.sleepFor(warmup)) {
    *error = limit_.reason();
    return std::nullopt;
  }
  // Every process's usage at the window's two ends: all asked at once.
  auto readUsage = [&](const std::string& masterCommand, ProcessUsage* masterUsage,
                       ProcessUsage* replicaUsage, double* machineBusy,
                       std::chrono::steady_clock::time_point* at) {
    *machineBusy = machineBusySeconds();
    *at = std::chrono::steady_clock::now();
    for (size_t i = 1; i < sites_.size(); ++i) sites_[i].process->send("usage");
    master.process->send(masterCommand);
    *replicaUsage = {};
    for (size_t i = 0; i < sites_.size(); ++i) {
      auto line = expect(sites_[i], "usage ", kReplyTimeout, error);
      if (!line) return false;
      ProcessUsage usage = *usageFrom(*line);
      if (i == 0) {
        *masterUsage = usage;
      } else {
        *replicaUsage += usage;
      }
    }
    return true;
  };
  ProcessUsage masterBefore, replicasBefore, masterAfter, replicasAfter;
  double machineBefore = 0, machineAfter = 0;
  std::chrono::steady_clock::time_point openedAt, closedAt;
  if (!readUsage("mark", &masterBefore, &replicasBefore, &machineBefore, &openedAt)) {
    return std::nullopt;
  }
  if (!limit_.sleepFor(seconds)) {
    *error = limit_.reason();
    return std::nullopt;
  }
  if (!readUsage("stop", &masterAfter, &replicasAfter, &machineAfter, &closedAt)) {
    return std::nullopt;
  }
  // The writers finish the commits they are in: at most the ack timeout.
  auto result = expect(master, "result ", options_.ackTimeout + 30s, error);
  if (!result) return std::nullopt;
  Measurement measurement;
  measurement.stack = options_.stack;
  measurement.replicas = options_.replicas;
  measurement.writers = writers;
  measurement.window = nlohmann::json::parse(result->substr(7));
  measurement.master = masterAfter - masterBefore;
  measurement.replicaProcesses = replicasAfter - replicasBefore;
  measurement.machineBusySeconds = machineAfter - machineBefore;
  measurement.machineSeconds = std::chrono::duration<double>(closedAt - openedAt).count();
  return measurement;
}

void SiteProcesses::stop() {
  for (Site& site : sites_) site.process->send("quit");
  for (Site& site : sites_) {
    std::optional<std::string> line = site.process->readLine(30s);
    if (!line || *line != "bye") {
      fprintf(stderr, "replicated_commit_bench: site %s did not close in time; killed\n",
              site.id.c_str());
    }
  }
  for (Site& site : sites_) reap(site);
}

void SiteProcesses::reap(Site& site) {
  if (!site.process) return;
  // No longer the watchdog's to kill: once reaped, its pid may be reused.
  limit_.unwatch(site.process->pid());
  if (!site.process->wait(5s)) site.process->kill(SIGKILL);
  site.process.reset();  // kills it if it still runs, and reaps it
}

}  // namespace triad::bench
