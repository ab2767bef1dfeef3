// triad-firmd: the firm-side utility (DESIGN §2, §3 step 5): the only writer
// of the firm's books, served to operators over Admin on its firm-side address.
//
//   triad-firmd --topology /etc/triad/topology.conf --id firm --data /var/lib/triad
//               [--settle-at 06:00 | --settle-every SECONDS] [--settlement-days 1]
//               [--four-eyes-above AMOUNT] [--withdrawal-request-ttl-s SECONDS]

#include "utilities/common/daemon.h"
#include "utilities/firm/firm_admin.h"
#include "utilities/firm/firm_role.h"
#include "utilities/firm/settlement_schedule.h"

int main(int argc, char** argv) {
  triad::common::Daemon daemon({
      .name = "triad-firmd",
      .roles = {triad::topology::Role::kFirm},
      .addOptions =
          [](boost::program_options::options_description& options) {
            triad::firm::addSettlementOptions(options);
            triad::firm::addFourEyesOptions(options);
          },
      .makeRole = [](triad::common::DaemonContext& context) -> kj::Own<triad::common::DaemonRole> {
        return kj::heap<triad::firm::FirmRole>(context);
      },
  });
  return daemon.run(argc, argv);
}
