// The CURVE keys of a test deployment's sites (replication authenticates
// every site, bdb/replication_transport.h): one pair per utility of the
// topology, in one folder, as triad-bus-keys makes them.

#pragma once

#include <filesystem>

#include "base/topology.h"

namespace triad::testing {

// Makes <id>.secret and <id>.public in `folder` for every utility of
// `topology` that has none yet. Throws std::runtime_error on failure.
void makeSiteKeys(const std::filesystem::path& folder, const topology::Topology& topology);

}  // namespace triad::testing
