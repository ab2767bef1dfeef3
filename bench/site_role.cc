#include "bench/site_role.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "bench/bench_site.h"
#include "bench/process_usage.h"
#include "bench/writer_pool.h"

namespace triad::bench {
namespace {

using namespace std::chrono_literals;

// One line to the coordinator, in one write.
void reply(const std::string& line) {
  std::string data = line + "\n";
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data() + written, data.size() - written);
    if (n <= 0) _exit(1);  // the coordinator is gone
    written += static_cast<size_t>(n);
  }
}

std::string usageLine() { return "usage " + nlohmann::json(ProcessUsage::ofThisProcess()).dump(); }

nlohmann::json toJson(const WindowResult& result) {
  return {{"seconds", result.seconds},
          {"acknowledged", result.acknowledged},
          {"failed", result.failed},
          {"firstFailure", result.firstFailure},
          {"transactions", result.transactions},
          {"slow", result.slow},
          {"p50Ms", result.p50Ms},
          {"p90Ms", result.p90Ms},
          {"p99Ms", result.p99Ms},
          {"p999Ms", result.p999Ms},
          {"maxMs", result.maxMs}};
}

// The master's small commits while replicas join.
class Prober {
 public:
  explicit Prober(BenchSite& site)
      : thread_([this, &site] {
          for (uint64_t n = 0; !stopping_; ++n) {
            OrderRecord probe;
            fillOrder(probe, "probe", 0, n);
            (void)site.commit({&probe, 1});  // refused or unacknowledged while replicas join
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~Prober() {
    stopping_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

int runSiteRole(pid_t coordinator) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != coordinator) return 1;  // it died before we asked
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string line;
  if (!std::getline(std::cin, line)) return 1;
  const BenchSiteConfig config = siteConfigFromJson(nlohmann::json::parse(line));
  std::unique_ptr<BenchSite> site;
  if (bdb::Status s = openBenchSite(config, &site); !s.isOk()) {
    reply("error " + s.toString());
    return 1;
  }
  reply("open");

  std::unique_ptr<Prober> prober;
  std::unique_ptr<WriterPool> writers;
  while (std::getline(std::cin, line)) {
    const size_t space = line.find(' ');
    const std::string command = line.substr(0, space);
    const std::string argument = space == std::string::npos ? "" : line.substr(space + 1);
    if (command == "usage") {
      reply(usageLine());
    } else if (command == "await-caught-up") {
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(std::stol(argument));
      while (!site->caughtUp() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
      }
      reply(site->caughtUp() ? "ready" : "timeout");
    } else if (command == "probe-start") {
      prober = std::make_unique<Prober>(*site);
      reply("ok");
    } else if (command == "probe-stop") {
      prober.reset();
      reply("connected " + std::to_string(site->connectedReplicas()));
    } else if (command == "run") {
      writers = std::make_unique<WriterPool>(*site, config.id, std::stoi(argument));
      reply("running");
    } else if (command == "mark" && writers) {
      writers->openWindow();
      reply(usageLine());
    } else if (command == "stop" && writers) {
      writers->closeWindow();
      reply(usageLine());
      nlohmann::json result = toJson(writers->finish());
      writers.reset();
      result["diagnostics"] = site->diagnostics();
      reply("result " + result.dump());
    } else if (command == "quit") {
      prober.reset();
      writers.reset();
      site.reset();
      reply("bye");
      return 0;
    } else {
      reply("error unknown command: " + line);
    }
  }
  _exit(0);  // the coordinator is gone: no orderly close to wait for
}

}  // namespace triad::bench
