// triad-utilityd: the server frame alone, for any customer, street or firm
// utility id. It opens the site's storage and serves Admin (health, groups)
// on the utility's firm-side address; the role daemons (triad-customerd,
// triad-streetd, triad-firmd) replace it with their own parts.
//
//   triad-utilityd --topology /etc/triad/topology.conf --id cf1 --data /var/lib/triad

#include "utilities/common/daemon.h"

int main(int argc, char** argv) {
  using triad::topology::Role;
  triad::common::Daemon daemon({
      .name = "triad-utilityd",
      .roles = {Role::kCustomer, Role::kStreet, Role::kFirm},
  });
  return daemon.run(argc, argv);
}
