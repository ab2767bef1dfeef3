// Money as people read it: integer micros shown in currency units with
// thousands separators, at least two decimals and no more than it needs
// (1'000'000'000 micros is "1,000.00"; 1'234'567 is "1.234567"). Never double.

#pragma once

#include <cstdint>
#include <string>

namespace triad::firm {

std::string formatMicros(int64_t micros);

}  // namespace triad::firm
