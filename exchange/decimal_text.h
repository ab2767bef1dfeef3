// Prices and quantities as text, the way FIX and the venue's configuration
// write them ("100.01", "250", "100.0"), converted exactly to and from the
// integers the exchange computes with (CONVENTIONS §8): never through double.
//
// Compiled as C++14 as well as C++20: the FIX boundary, which must be C++14
// because of QuickFIX 1.15.1's headers (see fix_venue.h), uses it too.

#pragma once

#include <cstdint>
#include <string>

namespace triad {
namespace exchange {

// Parses a non-negative decimal with at most six places ("100", "100.5",
// "0.000001", ".5" is refused) into micros. No sign, exponent or spaces.
// Returns false, leaving `micros` alone, when the text is not such a number
// or exceeds 10^12 (far above any price the engine accepts).
bool parseDecimalMicros(const std::string& text, int64_t& micros);

// Parses a whole, non-negative number of shares. FIX's Qty is a float, so
// "100", "100." and "100.000" are accepted, "100.5" is not. Returns false
// when the text is not a whole number or exceeds 10^15.
bool parseWholeQuantity(const std::string& text, int64_t& quantity);

// The shortest exact decimal for an amount of micros: 100010000 -> "100.01",
// 250000000 -> "250", -500000 -> "-0.5".
std::string formatMicros(int64_t micros);

}  // namespace exchange
}  // namespace triad
