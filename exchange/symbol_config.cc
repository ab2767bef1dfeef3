#include "exchange/symbol_config.h"

#include <charconv>
#include <optional>
#include <sstream>

#include "exchange/decimal_text.h"

namespace triad::exchange {
namespace {

std::optional<int64_t> parseWhole(const std::string& text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

SymbolLiquidity liquidity(std::string symbol, int64_t referenceMicros) {
  return {.symbol = std::move(symbol),
          .referencePriceMicros = referenceMicros,
          .tickMicros = kDefaultTickMicros,
          .levels = kDefaultLevels,
          .quantityPerLevel = kDefaultQuantityPerLevel};
}

}  // namespace

std::variant<SymbolLiquidity, std::string> parseSymbolLine(std::string_view text) {
  const std::string where = "symbol '" + std::string(text) + "': ";
  std::istringstream words{std::string(text)};
  std::vector<std::string> parts;
  for (std::string word; words >> word;) parts.push_back(word);
  if (parts.size() < 2 || parts.size() > 5) {
    return where + "expected SYMBOL REFERENCE [TICK [LEVELS [QUANTITY]]]";
  }
  SymbolLiquidity config = liquidity(parts[0], 0);
  if (!parseDecimalMicros(parts[1], config.referencePriceMicros)) {
    return where + "reference price '" + parts[1] + "' is not a decimal with at most 6 places";
  }
  if (parts.size() > 2 && !parseDecimalMicros(parts[2], config.tickMicros)) {
    return where + "tick '" + parts[2] + "' is not a decimal with at most 6 places";
  }
  if (parts.size() > 3) {
    const std::optional<int64_t> levels = parseWhole(parts[3]);
    if (!levels || *levels < 1 || *levels > 1000) {
      return where + "levels '" + parts[3] + "' is not a whole number from 1 to 1000";
    }
    config.levels = static_cast<int>(*levels);
  }
  if (parts.size() > 4) {
    const std::optional<int64_t> quantity = parseWhole(parts[4]);
    if (!quantity) return where + "quantity '" + parts[4] + "' is not a whole number";
    config.quantityPerLevel = *quantity;
  }
  if (std::optional<std::string> fault = LiquidityProvider::checkConfig(config)) {
    return where + *fault;
  }
  return config;
}

std::vector<SymbolLiquidity> defaultSymbols() {
  constexpr int64_t kDollar = 1'000'000;
  return {liquidity("ACME", 100 * kDollar), liquidity("MEME", 20 * kDollar),
          liquidity("GLOBX", 250 * kDollar), liquidity("BOLT", 42 * kDollar + kDollar / 2),
          liquidity("NOVA", 7 * kDollar + kDollar / 4)};
}

}  // namespace triad::exchange
