// triad-streetd: a street utility (DESIGN §3 step 4): routes the orders
// routed to it to its exchanges over FIX and records what they answer.
//
//   triad-streetd --topology /etc/triad/topology.conf --id ss1 --data /var/lib/triad

#include "utilities/common/daemon.h"
#include "utilities/street/street_role.h"

int main(int argc, char** argv) {
  triad::common::Daemon daemon({
      .name = "triad-streetd",
      .roles = {triad::topology::Role::kStreet},
      .addOptions = triad::street::StreetRole::addOptions,
      .makeRole = [](triad::common::DaemonContext& context) -> kj::Own<triad::common::DaemonRole> {
        return kj::heap<triad::street::StreetRole>(context);
      },
  });
  return daemon.run(argc, argv);
}
