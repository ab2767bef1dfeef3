// triadctl orders [--account A] [--symbol S] [--status STATE] [--utility ID]:
// the operator's search for orders across every customer group, asked of one
// customer utility's Admin (customer_admin.h), which derives each status
// from its replicas. --utility picks the utility; by default the first
// customer utility of the topology that answers. STATE is a status name
// (pending-new, new, partially-filled, filled, pending-cancel, cancelled,
// rejected, expired), or `open` (not yet done) or `done`.
//
// Exit 0 with the orders (none found is not an error), 1 if the utility
// fails the search, 2 for a bad --status, 3 if no customer utility answers.

#pragma once

#include <kj/async-io.h>

#include "base/topology.h"
#include "tools/triadctl/command_options.h"
#include "tools/triadctl/outcome.h"

namespace triad::ctl {

Outcome ordersReport(kj::AsyncIoContext& io, const topology::Topology& topology,
                     const CommandOptions& options);

}  // namespace triad::ctl
