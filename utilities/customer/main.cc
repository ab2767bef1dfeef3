// triad-customerd: a customer-facing utility (DESIGN §3).
#include "utilities/common/daemon.h"
#include "utilities/common/tls_options.h"
#include "utilities/customer/customer_role.h"
#include "utilities/customer/login_guard.h"

int main(int argc, char** argv) {
  triad::common::Daemon daemon({
      .name = "triad-customerd",
      .roles = {triad::topology::Role::kCustomer},
      .addOptions =
          [](boost::program_options::options_description& options) {
            triad::customer::addLoginOptions(options);
            triad::customer::CustomerRole::addOptions(options);
            triad::common::addTlsServerOptions(options);
          },
      .makeRole = [](triad::common::DaemonContext& context) -> kj::Own<triad::common::DaemonRole> {
        return kj::heap<triad::customer::CustomerRole>(context);
      },
  });
  return daemon.run(argc, argv);
}
