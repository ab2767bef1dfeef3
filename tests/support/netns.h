// Network namespaces a test makes and removes itself (issue 7, faults and
// security): hosts joined by veth pairs to bridges in a hub namespace, so
// that links can be cut (nft) and the test can move its own thread into any
// namespace to connect from there.
//
// Names are "tn<pid>-<name>": a run removes, when it starts, the namespaces
// left by runs whose process is gone (a crash skips destructors), never
// those of a run still going. The destructor removes every namespace it made
// (and with it every veth end and bridge inside), even when a test fails,
// and kills whatever still runs in the namespaces it removes.

#pragma once

#include <sched.h>

#include <string>
#include <vector>

namespace triad::testing {

// Runs a program (no shell) and returns its exit status; its output goes to
// `output` when given. Throws when it cannot be started.
int runCommand(const std::vector<std::string>& argv, std::string* output = nullptr);

class NetnsLab {
 public:
  // Removes the leftovers of dead runs; throws when namespaces cannot be made
  // here (not root, no CAP_SYS_ADMIN), with the reason.
  NetnsLab();
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  // The full name of namespace `name` ("tn<pid>-<name>").
  std::string full(const std::string& name) const;

  // Makes namespace `name` with its loopback up.
  void add(const std::string& name);
  // A bridge `bridge` (up) in namespace `ns`.
  void addBridge(const std::string& ns, const std::string& bridge);
  // A veth pair: `hostIf` in namespace `host` with `address` ("10.1.2.3/24")
  // and `hubIf` in namespace `hub`, enslaved to `bridge` there; both up.
  void link(const std::string& host, const std::string& hostIf, const std::string& address,
            const std::string& hub, const std::string& hubIf, const std::string& bridge);
  // An address on an interface (up) of namespace `ns`.
  void addAddress(const std::string& ns, const std::string& interface, const std::string& address);

  // Runs `argv` inside namespace `ns` (through ip netns exec); throws with its
  // output when it fails.
  void exec(const std::string& ns, const std::vector<std::string>& argv);
  // Applies an nft script inside namespace `ns`.
  void nft(const std::string& ns, const std::string& script);

  // Moves the calling thread into namespace `ns` until the scope ends:
  // sockets made meanwhile belong to it.
  class Inside {
   public:
    Inside(const NetnsLab& lab, const std::string& ns);
    ~Inside();
    Inside(const Inside&) = delete;
    Inside& operator=(const Inside&) = delete;

   private:
    int previous_ = -1;
  };

 private:
  std::string prefix_;
  std::vector<std::string> made_;
};

// /usr/sbin/ip or /usr/bin/ip.
std::string ipProgram();

}  // namespace triad::testing
