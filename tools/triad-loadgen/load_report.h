// triad-loadgen's final report: a readable summary, or one JSON object
// (--json) for scripts such as scripts/bench.

#pragma once

#include <ostream>

#include "tools/triad-loadgen/load_driver.h"

namespace triad::loadgen {

void printText(std::ostream& out, const LoadResult& result);
void printJson(std::ostream& out, const LoadResult& result);

}  // namespace triad::loadgen
