// The symbols a venue lists and the liquidity kept around each, as written
// in triad-exchanged's options (on the command line or in a --symbols file,
// one `symbol` line each):
//
//   symbol = ACME 100.00               # reference price; the rest defaults
//   symbol = MEME 20.00 0.05 3 1000    # reference, tick, levels per side, shares per level
//
// Prices are decimals with at most six places; defaults: tick 0.01, 5
// levels per side, 500 shares per level.

#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "exchange/liquidity_provider.h"

namespace triad::exchange {

inline constexpr int64_t kDefaultTickMicros = 10'000;  // 0.01
inline constexpr int kDefaultLevels = 5;
inline constexpr int64_t kDefaultQuantityPerLevel = 500;

// One `symbol` value, checked as the liquidity provider would; a fault names
// the value and what is wrong with it.
[[nodiscard]] std::variant<SymbolLiquidity, std::string> parseSymbolLine(std::string_view text);

// What a venue lists when it is given no symbols: a handful of made-up
// names around plausible prices.
std::vector<SymbolLiquidity> defaultSymbols();

}  // namespace triad::exchange
