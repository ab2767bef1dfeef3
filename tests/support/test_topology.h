// A valid topology for a test: the named customer and street utilities, the
// firm, both brokers and one exchange, on fresh addresses in
// 127.1.<n>.0/24 and 127.2.<n>.0/24 (n random) with ports the kernel says
// are free, so tests can run side by side.

#pragma once

#include <functional>
#include <string>
#include <vector>

namespace triad::testing {

struct TestTopologyOptions {
  std::vector<std::string> customers{"cf1"};  // group indexes 0..
  std::vector<std::string> streets{"ss1"};    // then these
  // The firm utility ("firm") comes last.

  // Where the hosts are. Empty: 127.1.<n>.<host> (customer-facing) and
  // 127.2.<n>.<host> (firm-side), with ports probed free on them. Set (both),
  // e.g. for addresses that exist only in network namespaces the test makes:
  // host numbers are 1.. for the utilities in group order, 41 for the
  // exchange, 250 for the customer bus and 251 for the firm bus; the ports
  // are then drawn at random (distinct per address), not probed.
  std::function<std::string(int host)> customerAddress{};
  std::function<std::string(int host)> firmAddress{};
  // The exchange's section: what the simulator (triad-exchanged) does by
  // default; a test of a venue that behaves otherwise says so here.
  bool venueHonoursPossResend = true;
  bool venueAnswersStatusRequests = true;
  unsigned venueAnswerTimeoutSeconds = 10;
  std::string customerNetwork = "127.1.0.0/16";
  std::string firmNetwork = "127.2.0.0/16";
};

std::string makeTestTopology(const TestTopologyOptions& options = {});

}  // namespace triad::testing
