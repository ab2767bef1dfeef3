// The storage floor (issue 15): acknowledged commits per second, commit
// latency, and the CPU time and context switches every process of the group
// spends per commit, for the new stack (Berkeley DB's Base API over Triad's
// ReplicationTransport, group commit on: bdb/) beside Replication Manager
// (the baseline, bench/repmgr_baseline.h), in one run.
//
// One master with 2 and with 5 replicas, each site a process of its own on
// 127.0.0.1 (this program run again with --site); 1, 8 and 64 writer
// threads in the master, each committing transactions of four ~200-byte
// idl::Order records back to back. A commit counts once it is acknowledged
// per policy one: durable at the master and on one replica's disk. CPU and
// context switches are every process's own (getrusage in each, before and
// after the measured window), master and replicas summed.
//
//   replicated_commit_bench [--seconds N] [--warmup N] [--writers 1,8,64]
//       [--replicas 2,5] [--stack new|repmgr|both] [--json] [--time-limit N]
//       [--batches-in-flight N]   (the new stack's group commit pacing: 0 none)
//       [--verbose]
//
// Prints a Markdown table, a row per configuration as it is measured, and
// the ratios issue 15 asks about (new / Replication Manager at 5 replicas
// and 64 writers); with --json, one JSON document with every figure instead
// (the rows go to stderr as they come).

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/site_processes.h"
#include "bench/site_role.h"
#include "bench/writer_pool.h"
#include "tests/support/temp_dir.h"

namespace triad::bench {
namespace {

using namespace std::chrono_literals;

// Issue 15's targets, at 5 replicas and 64 writers.
constexpr int kTargetReplicas = 5;
constexpr int kTargetWriters = 64;
constexpr double kTargetThroughputRatio = 4.0;  // new / repmgr, at least
constexpr double kTargetCpuRatio = 0.25;        // new / repmgr, at most

struct Options {
  double seconds = 5;
  double warmup = -1;  // -1: min(1 s, seconds / 2)
  std::vector<int> writers{1, 8, 64};
  std::vector<int> replicas{2, 5};
  std::vector<Stack> stacks{Stack::kRepmgr, Stack::kNew};
  bool json = false;
  bool verbose = false;
  double timeLimit = 0;      // 0: from the configurations
  int batchesInFlight = -1;  // the new stack's group commit pacing; -1: its default
};

void usage(FILE* out) {
  fprintf(out,
          "usage: replicated_commit_bench [--seconds N] [--warmup N] [--writers 1,8,64]\n"
          "           [--replicas 2,5] [--stack new|repmgr|both] [--json] [--time-limit N]\n"
          "           [--batches-in-flight N] [--verbose]\n");
}

std::optional<std::vector<int>> parseList(const char* text) {
  std::vector<int> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    char* end = nullptr;
    const long value = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || value < 1 || value > 1024) return std::nullopt;
    values.push_back(static_cast<int>(value));
  }
  if (values.empty()) return std::nullopt;
  return values;
}

std::optional<Options> parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    auto number = [&](double* out) {
      if (value == nullptr) return false;
      char* end = nullptr;
      *out = std::strtod(value, &end);
      ++i;
      return *end == '\0' && *out > 0;
    };
    if (arg == "--seconds") {
      if (!number(&options.seconds)) return std::nullopt;
    } else if (arg == "--warmup") {
      if (!number(&options.warmup)) return std::nullopt;
    } else if (arg == "--time-limit") {
      if (!number(&options.timeLimit)) return std::nullopt;
    } else if (arg == "--writers" || arg == "--replicas") {
      if (value == nullptr) return std::nullopt;
      auto list = parseList(value);
      ++i;
      if (!list) return std::nullopt;
      (arg == "--writers" ? options.writers : options.replicas) = *list;
    } else if (arg == "--stack") {
      if (value == nullptr) return std::nullopt;
      ++i;
      if (std::strcmp(value, "new") == 0) {
        options.stacks = {Stack::kNew};
      } else if (std::strcmp(value, "repmgr") == 0) {
        options.stacks = {Stack::kRepmgr};
      } else if (std::strcmp(value, "both") == 0) {
        options.stacks = {Stack::kRepmgr, Stack::kNew};
      } else {
        return std::nullopt;
      }
    } else if (arg == "--batches-in-flight") {
      if (value == nullptr) return std::nullopt;
      ++i;
      options.batchesInFlight = std::atoi(value);
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else {
      return std::nullopt;
    }
  }
  if (options.warmup < 0) options.warmup = std::min(1.0, options.seconds / 2);
  return options;
}

std::string loadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string selfPath() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "replicated_commit_bench";
}

// One configuration's figures, as the table and the JSON show them.
nlohmann::json figures(const Measurement& m, const std::string& load) {
  const nlohmann::json& w = m.window;
  const double commits = w.at("acknowledged").get<double>();
  const double seconds = w.at("seconds").get<double>();
  const double transactions = w.at("transactions").get<double>();
  auto perCommit = [&](double total) { return commits > 0 ? total / commits : 0.0; };
  const ProcessUsage& master = m.master;
  const ProcessUsage& replicas = m.replicaProcesses;
  const double ownSeconds = static_cast<double>(master.cpuNanos() + replicas.cpuNanos()) / 1e9;
  // Cores busy with everything else on the machine meanwhile (other users'
  // builds and tests share these cores).
  const double otherCores =
      m.machineSeconds > 0 ? std::max(0.0, m.machineBusySeconds - ownSeconds) / m.machineSeconds
                           : 0.0;
  return {
      {"stack", stackName(m.stack)},
      {"replicas", m.replicas},
      {"writers", m.writers},
      {"seconds", seconds},
      {"acknowledged", w.at("acknowledged")},
      {"failed", w.at("failed")},
      {"firstFailure", w.at("firstFailure")},
      {"commitsPerSecond", seconds > 0 ? commits / seconds : 0.0},
      {"latencyMs",
       {{"p50", w.at("p50Ms")},
        {"p90", w.at("p90Ms")},
        {"p99", w.at("p99Ms")},
        {"p999", w.at("p999Ms")},
        {"max", w.at("maxMs")}}},
      {"slowCommits", w.at("slow")},
      {"transactions", w.at("transactions")},
      {"commitsPerTransaction", transactions > 0 ? commits / transactions : 0.0},
      {"cpuMsPerCommit",
       perCommit(static_cast<double>(master.cpuNanos() + replicas.cpuNanos()) / 1e6)},
      {"masterCpuMsPerCommit", perCommit(static_cast<double>(master.cpuNanos()) / 1e6)},
      {"replicasCpuMsPerCommit", perCommit(static_cast<double>(replicas.cpuNanos()) / 1e6)},
      {"contextSwitchesPerCommit",
       perCommit(static_cast<double>(master.switches() + replicas.switches()))},
      {"masterContextSwitchesPerCommit", perCommit(static_cast<double>(master.switches()))},
      {"usage", {{"master", master}, {"replicas", replicas}}},
      {"coresBusy", m.machineSeconds > 0 ? m.machineBusySeconds / m.machineSeconds : 0.0},
      {"otherCoresBusy", otherCores},
      {"loadAverageBefore", load},
      {"masterCountersSinceStart", w.at("diagnostics")},
  };
}

constexpr const char* kTableHeader =
    "| stack | replicas | writers | commits/s | p50 ms | p99 ms | max ms | CPU ms/commit (master + "
    "replicas) | context switches/commit | commits/txn | failed | other load (cores) |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";

std::string tableRow(const nlohmann::json& f) {
  char row[512];
  snprintf(row, sizeof row,
           "| %s | %d | %d | %.0f | %.2f | %.2f | %.1f | %.3f (%.3f + %.3f) | %.1f | %.1f | %llu | "
           "%.2f |\n",
           f["stack"].get<std::string>().c_str(), f["replicas"].get<int>(), f["writers"].get<int>(),
           f["commitsPerSecond"].get<double>(), f["latencyMs"]["p50"].get<double>(),
           f["latencyMs"]["p99"].get<double>(), f["latencyMs"]["max"].get<double>(),
           f["cpuMsPerCommit"].get<double>(), f["masterCpuMsPerCommit"].get<double>(),
           f["replicasCpuMsPerCommit"].get<double>(), f["contextSwitchesPerCommit"].get<double>(),
           f["commitsPerTransaction"].get<double>(),
           static_cast<unsigned long long>(f["failed"].get<uint64_t>()),
           f["otherCoresBusy"].get<double>());
  return row;
}

// new / repmgr at the target configuration; null when either is missing.
nlohmann::json ratios(const nlohmann::json& rows) {
  const nlohmann::json* ofStack[2] = {nullptr, nullptr};
  for (const nlohmann::json& row : rows) {
    if (row["replicas"] != kTargetReplicas || row["writers"] != kTargetWriters) continue;
    ofStack[row["stack"] == "new" ? 0 : 1] = &row;
  }
  nlohmann::json json = {{"replicas", kTargetReplicas},
                         {"writers", kTargetWriters},
                         {"commitsPerSecondTarget", kTargetThroughputRatio},
                         {"cpuPerCommitTarget", kTargetCpuRatio},
                         {"commitsPerSecond", nullptr},
                         {"cpuPerCommit", nullptr}};
  if (ofStack[0] == nullptr || ofStack[1] == nullptr) return json;
  const nlohmann::json& fresh = *ofStack[0];
  const nlohmann::json& baseline = *ofStack[1];
  if (baseline["commitsPerSecond"].get<double>() > 0) {
    json["commitsPerSecond"] =
        fresh["commitsPerSecond"].get<double>() / baseline["commitsPerSecond"].get<double>();
  }
  if (baseline["cpuMsPerCommit"].get<double>() > 0) {
    json["cpuPerCommit"] =
        fresh["cpuMsPerCommit"].get<double>() / baseline["cpuMsPerCommit"].get<double>();
  }
  return json;
}

std::string ratioLines(const nlohmann::json& r) {
  if (r["commitsPerSecond"].is_null() || r["cpuPerCommit"].is_null()) {
    return "new / Replication Manager at 5 replicas and 64 writers: not measured in this run\n";
  }
  const double throughput = r["commitsPerSecond"].get<double>();
  const double cpu = r["cpuPerCommit"].get<double>();
  char lines[512];
  snprintf(lines, sizeof lines,
           "- new / Replication Manager, acknowledged commits/s at %d replicas and %d writers: "
           "**%.2f×** (issue 15: at least %.0f×, %s)\n"
           "- new / Replication Manager, CPU per commit at %d replicas and %d writers: **%.2f** "
           "(issue 15: at most %.2f, %s)\n",
           kTargetReplicas, kTargetWriters, throughput, kTargetThroughputRatio,
           throughput >= kTargetThroughputRatio ? "met" : "missed", kTargetReplicas, kTargetWriters,
           cpu, kTargetCpuRatio, cpu <= kTargetCpuRatio ? "met" : "missed");
  return lines;
}

int runCoordinator(const Options& options) {
  const auto configurations =
      options.replicas.size() * options.stacks.size() * options.writers.size();
  const double limitSeconds =
      options.timeLimit > 0
          ? options.timeLimit
          : static_cast<double>(options.replicas.size() * options.stacks.size()) * 150 +
                static_cast<double>(configurations) * (options.warmup + options.seconds + 40);
  RunLimit limit(std::chrono::seconds(static_cast<int64_t>(std::ceil(limitSeconds))));
  signal(SIGPIPE, SIG_IGN);  // a site that died is an error we report, not our end

  size_t recordBytes = 0;
  {
    OrderRecord sample;
    fillOrder(sample, "m", 0, 0);
    recordBytes = serializedBytes(sample);
  }
  const std::string loadBefore = loadAverage();
  FILE* rows = options.json ? stderr : stdout;
  fprintf(rows,
          "Every site a process on 127.0.0.1; transactions of %d idl::Order records of %zu bytes; "
          "ack policy one; %.1f s measured per configuration after %.1f s of warm-up; load "
          "average before: %s\n\n%s",
          kOrdersPerCommit, recordBytes, options.seconds, options.warmup, loadBefore.c_str(),
          kTableHeader);
  fflush(rows);

  nlohmann::json results = nlohmann::json::array();
  std::string failure;
  for (int replicas : options.replicas) {
    for (Stack stack : options.stacks) {
      testing::TempDir folder;
      SiteProcesses::Options siteOptions{.program = selfPath(),
                                         .stack = stack,
                                         .replicas = replicas,
                                         .folder = folder.path(),
                                         .verbose = options.verbose,
                                         .batchesInFlight = options.batchesInFlight};
      std::unique_ptr<SiteProcesses> sites = SiteProcesses::start(siteOptions, limit, &failure);
      if (!sites) {
        failure = std::string(stackName(stack)) + " with " + std::to_string(replicas) +
                  " replicas did not start: " + failure;
        break;
      }
      for (int writers : options.writers) {
        const std::string load = loadAverage();
        auto measured = sites->measure(writers,
                                       std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::duration<double>(options.warmup)),
                                       std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::duration<double>(options.seconds)),
                                       &failure);
        if (!measured) {
          failure = std::string(stackName(stack)) + ", " + std::to_string(replicas) +
                    " replicas, " + std::to_string(writers) + " writers: " + failure;
          break;
        }
        results.push_back(figures(*measured, load));
        fputs(tableRow(results.back()).c_str(), rows);
        if (!results.back()["firstFailure"].get<std::string>().empty()) {
          fprintf(stderr, "  first failure: %s\n",
                  results.back()["firstFailure"].get<std::string>().c_str());
        }
        fflush(rows);
      }
      if (failure.empty()) sites->stop();
      if (!failure.empty()) break;
    }
    if (!failure.empty()) break;
  }

  const nlohmann::json ratio = ratios(results);
  const std::string loadAfter = loadAverage();
  if (options.json) {
    nlohmann::json document = {
        {"seconds", options.seconds},
        {"warmupSeconds", options.warmup},
        {"ordersPerCommit", kOrdersPerCommit},
        {"recordBytes", recordBytes},
        {"ackPolicy", "one"},
        {"loadAverage", {{"before", loadBefore}, {"after", loadAfter}}},
        {"configurations", results},
        {"ratios", ratio},
        {"complete", failure.empty()},
    };
    if (!failure.empty()) document["error"] = failure;
    printf("%s\n", document.dump(2).c_str());
  } else {
    printf("\n%s\nLoad average after: %s\n", ratioLines(ratio).c_str(), loadAfter.c_str());
  }
  if (!failure.empty()) {
    fprintf(stderr, "replicated_commit_bench: %s\n", failure.c_str());
    return limit.stopped() ? 124 : 1;
  }
  return 0;
}

}  // namespace
}  // namespace triad::bench

int main(int argc, char** argv) {
  using namespace triad::bench;
  if (argc == 4 && std::strcmp(argv[1], "--site") == 0) {
    return runSiteRole(static_cast<pid_t>(std::atol(argv[2])));  // argv[3]: the site, for ps
  }
  std::optional<Options> options = parseOptions(argc, argv);
  if (!options) {
    usage(stderr);
    return 2;
  }
  try {
    return runCoordinator(*options);
  } catch (const std::exception& e) {  // unwinds: every site process is killed and reaped
    fprintf(stderr, "replicated_commit_bench: %s\n", e.what());
    return 1;
  }
}
