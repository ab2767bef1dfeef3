// A valid topology for a test: the named customer and street utilities, the
// firm, both brokers and one exchange, on fresh addresses in
// 127.1.<n>.0/24 and 127.2.<n>.0/24 (n random) with ports the kernel says
// are free, so tests can run side by side.

#pragma once

#include <string>
#include <vector>

namespace triad::testing {

struct TestTopologyOptions {
  std::vector<std::string> customers{"cf1"};  // group indexes 0..
  std::vector<std::string> streets{"ss1"};    // then these
  // The firm utility ("firm") comes last.
};

std::string makeTestTopology(const TestTopologyOptions& options = {});

}  // namespace triad::testing
