// Named moments at which a daemon can be made to die, for the fault tests:
// `--crash-at NAME[:N]` makes the process SIGKILL itself the N-th time
// (default: the first) it passes crashPoint(NAME). The kill is the same as
// an operator's `kill -9` or a power cut to the process: no destructor, no
// flush beyond what the code already made durable.
//
// Unarmed (every production run), a crash point is one atomic load.
//
// The moments, and what recovery must show afterwards:
//   customer.after-commit      an order committed and replicated, not yet
//                              announced on the firm bus
//   street.after-store-write   a message in QuickFIX's store, not yet sent
//   street.before-record       an execution report received, not recorded
//   firm.mid-batch             some of a pass's executions booked, not all

#pragma once

#include <string>

namespace triad::common {

// Arms the crash point that `spec` ("NAME" or "NAME:N", N ≥ 1) names; an
// empty spec arms none. False (and nothing armed) when `spec` is malformed,
// with the reason in `error`.
bool armCrashPoint(const std::string& spec, std::string& error);

// Dies by SIGKILL if this is the armed point's N-th pass. (Plain C++14: the
// street's QuickFIX side includes it.)
void crashPoint(const char* name);

}  // namespace triad::common
