// triad-daemon-testd: the frame with a role, as a real daemon plugs one in,
// for daemon_test: its own option (--halt-prefix), its own Admin method
// (halt), a problem reported to health, and a start that takes a while.
// Built with the tests only.

#include <boost/program_options/value_semantic.hpp>

#include "utilities/common/daemon.h"

namespace triad::common {
namespace {

class HaltingAdmin : public AdminServer {
 public:
  HaltingAdmin(DaemonContext& context, std::string prefix)
      : AdminServer(context.identity, context.storage, context.health),
        prefix_(std::move(prefix)) {}

 protected:
  kj::Promise<void> halt(HaltContext context) override {
    const std::string answer = prefix_ + context.getParams().getSymbol().cStr();
    context.getResults().initResult().setOk(answer);
    return kj::READY_NOW;
  }

 private:
  std::string prefix_;
};

class TestRole : public DaemonRole {
 public:
  using DaemonRole::DaemonRole;

  kj::Own<AdminServer> makeAdmin() override {
    return kj::heap<HaltingAdmin>(context(), context().variables["halt-prefix"].as<std::string>());
  }

  kj::Promise<void> start() override {
    context().health.report("test-role", "test role: nothing to do");
    return context().io.provider->getTimer().afterDelay(200 * kj::MILLISECONDS);
  }
};

}  // namespace
}  // namespace triad::common

int main(int argc, char** argv) {
  using triad::topology::Role;
  triad::common::Daemon daemon({
      .name = "triad-daemon-testd",
      .roles = {Role::kCustomer, Role::kStreet, Role::kFirm},
      .addOptions =
          [](boost::program_options::options_description& own) {
            own.add_options()(
                "halt-prefix",
                boost::program_options::value<std::string>()->default_value("halted "),
                "what halt answers before the symbol");
          },
      .makeRole =
          [](triad::common::DaemonContext& context) {
            return kj::heap<triad::common::TestRole>(context);
          },
  });
  return daemon.run(argc, argv);
}
