// triadctl bus: what every utility's bus subscriber has seen (Admin
// busStats): per publisher (origin), the last sequence number received, the
// gaps and duplicates detected and the catch-up scans run to fill gaps from
// the replicas. Every utility is asked at once.
//
// A utility that answers UNIMPLEMENTED runs no bus subscriber: shown as
// such, not as a fault. Exit 0 when every utility answered, 1 when one did
// not (it is listed as down).

#pragma once

#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <string>
#include <vector>

#include "base/topology.h"
#include "tools/triadctl/command_options.h"
#include "tools/triadctl/outcome.h"

namespace triad::ctl {

struct BusOriginStat {
  std::string bus;  // "customer" or "firm"
  std::string origin;
  uint64_t lastSequence = 0, gaps = 0, duplicates = 0, catchUps = 0;
};

// One utility's answer.
struct BusAnswer {
  enum class State { kAnswered, kNoSubscriber, kDown } state = State::kDown;
  std::string error;  // kDown: why
  std::vector<BusOriginStat> origins;
};

std::vector<BusAnswer> gatherBus(kj::AsyncIoContext& io, const topology::Topology& topology,
                                 kj::Duration timeout, kj::TlsContext* tls);

// Pure: tests hand it their own answers (in topology.utilities() order).
Outcome busReport(const topology::Topology& topology, const std::vector<BusAnswer>& answers);

}  // namespace triad::ctl
