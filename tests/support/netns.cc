#include "tests/support/netns.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace triad::testing {

std::string ipProgram() {
  return std::filesystem::exists("/usr/sbin/ip") ? "/usr/sbin/ip" : "/usr/bin/ip";
}

int runCommand(const std::vector<std::string>& argv, std::string* output) {
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipeFds[1]);
  if (error != 0) {
    ::close(pipeFds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + strerror(error));
  }
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipeFds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipeFds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

void mustRun(const std::vector<std::string>& argv) {
  std::string output;
  if (runCommand(argv, &output) != 0) {
    std::string line;
    for (const std::string& arg : argv) line += arg + " ";
    throw std::runtime_error("failed: " + line + "\n" + output);
  }
}

// Kills what still runs in namespace `name` (daemons a killed test run left
// behind: a SIGKILLed test runs no destructor), then deletes it.
void removeNamespace(const std::string& name) {
  std::string pids;
  runCommand({ipProgram(), "netns", "pids", name}, &pids);
  std::istringstream lines(pids);
  for (std::string pid; lines >> pid;) {
    if (pid.find_first_not_of("0123456789") == std::string::npos) ::kill(std::stoi(pid), SIGKILL);
  }
  runCommand({ipProgram(), "netns", "delete", name});
}

}  // namespace

NetnsLab::NetnsLab() : prefix_("tn" + std::to_string(getpid()) + "-") {
  if (geteuid() != 0) throw std::runtime_error("network namespaces need root");
  // Leftovers of runs whose process has gone.
  std::string listed;
  runCommand({ipProgram(), "netns", "list"}, &listed);
  std::istringstream lines(listed);
  for (std::string line; std::getline(lines, line);) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.rfind("tn", 0) != 0) continue;
    const size_t dash = name.find('-');
    if (dash == std::string::npos) continue;
    const std::string pid = name.substr(2, dash - 2);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(std::stoi(pid), 0) == 0 || errno == EPERM) continue;  // still running
    removeNamespace(name);
  }
}

NetnsLab::~NetnsLab() {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) removeNamespace(*it);
}

std::string NetnsLab::full(const std::string& name) const { return prefix_ + name; }

void NetnsLab::add(const std::string& name) {
  mustRun({ipProgram(), "netns", "add", full(name)});
  made_.push_back(full(name));
  mustRun({ipProgram(), "-n", full(name), "link", "set", "lo", "up"});
}

void NetnsLab::addBridge(const std::string& ns, const std::string& bridge) {
  mustRun({ipProgram(), "-n", full(ns), "link", "add", bridge, "type", "bridge"});
  mustRun({ipProgram(), "-n", full(ns), "link", "set", bridge, "up"});
}

void NetnsLab::link(const std::string& host, const std::string& hostIf, const std::string& address,
                    const std::string& hub, const std::string& hubIf, const std::string& bridge) {
  // Both ends are made inside their namespaces: nothing appears in the
  // test's own namespace, even for a moment.
  mustRun({ipProgram(), "-n", full(host), "link", "add", hostIf, "type", "veth", "peer", "name",
           hubIf, "netns", full(hub)});
  mustRun({ipProgram(), "-n", full(hub), "link", "set", hubIf, "master", bridge});
  mustRun({ipProgram(), "-n", full(hub), "link", "set", hubIf, "up"});
  addAddress(host, hostIf, address);
}

void NetnsLab::addAddress(const std::string& ns, const std::string& interface,
                          const std::string& address) {
  mustRun({ipProgram(), "-n", full(ns), "address", "add", address, "dev", interface});
  mustRun({ipProgram(), "-n", full(ns), "link", "set", interface, "up"});
}

void NetnsLab::exec(const std::string& ns, const std::vector<std::string>& argv) {
  std::vector<std::string> all{ipProgram(), "netns", "exec", full(ns)};
  all.insert(all.end(), argv.begin(), argv.end());
  mustRun(all);
}

void NetnsLab::nft(const std::string& ns, const std::string& script) {
  const std::string path = "/tmp/" + full(ns) + ".nft";
  std::ofstream(path) << script;
  try {
    exec(ns, {"/usr/sbin/nft", "-f", path});
  } catch (...) {
    std::filesystem::remove(path);
    throw;
  }
  std::filesystem::remove(path);
}

NetnsLab::Inside::Inside(const NetnsLab& lab, const std::string& ns) {
  previous_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = ::open(("/run/netns/" + lab.full(ns)).c_str(), O_RDONLY | O_CLOEXEC);
  if (previous_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
    const std::string reason = strerror(errno);
    if (target >= 0) ::close(target);
    if (previous_ >= 0) ::close(previous_);
    throw std::runtime_error("cannot enter network namespace " + lab.full(ns) + ": " + reason);
  }
  ::close(target);
}

NetnsLab::Inside::~Inside() {
  setns(previous_, CLONE_NEWNET);
  ::close(previous_);
}

}  // namespace triad::testing
