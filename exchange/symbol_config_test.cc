#include "exchange/symbol_config.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace triad::exchange {
namespace {

TEST(SymbolConfigTest, ReferencePriceAloneTakesTheDefaults) {
  auto parsed = parseSymbolLine("ACME 100.00");
  ASSERT_TRUE(std::holds_alternative<SymbolLiquidity>(parsed)) << std::get<std::string>(parsed);
  const SymbolLiquidity& config = std::get<SymbolLiquidity>(parsed);
  EXPECT_EQ(config.symbol, "ACME");
  EXPECT_EQ(config.referencePriceMicros, 100'000'000);
  EXPECT_EQ(config.tickMicros, kDefaultTickMicros);
  EXPECT_EQ(config.levels, kDefaultLevels);
  EXPECT_EQ(config.quantityPerLevel, kDefaultQuantityPerLevel);
}

TEST(SymbolConfigTest, EveryFieldCanBeGiven) {
  auto parsed = parseSymbolLine("  MEME 20.5 0.05 3 1000 ");
  ASSERT_TRUE(std::holds_alternative<SymbolLiquidity>(parsed)) << std::get<std::string>(parsed);
  const SymbolLiquidity& config = std::get<SymbolLiquidity>(parsed);
  EXPECT_EQ(config.referencePriceMicros, 20'500'000);
  EXPECT_EQ(config.tickMicros, 50'000);
  EXPECT_EQ(config.levels, 3);
  EXPECT_EQ(config.quantityPerLevel, 1000);
}

TEST(SymbolConfigTest, FaultsNameTheValueAndTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"ACME", "expected SYMBOL REFERENCE"},
      {"ACME abc", "reference price 'abc'"},
      {"ACME 100 0.01 0", "levels '0'"},
      {"ACME 100 0.01 5 many", "quantity 'many'"},
      {"acme 100", "symbol is not well-formed"},
      {"ACME 0.02 0.01 5", "lowest bid"},
      {"ACME 100 0.01 5 100 extra", "expected SYMBOL REFERENCE"},
  };
  for (const auto& [line, expected] : cases) {
    auto parsed = parseSymbolLine(line);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << line;
    const std::string& fault = std::get<std::string>(parsed);
    EXPECT_NE(fault.find(line), std::string::npos) << fault;
    EXPECT_NE(fault.find(expected), std::string::npos) << fault;
  }
}

TEST(SymbolConfigTest, DefaultsAreUsableAndDistinct) {
  std::set<std::string> names;
  for (const SymbolLiquidity& config : defaultSymbols()) {
    EXPECT_EQ(LiquidityProvider::checkConfig(config), std::nullopt) << config.symbol;
    EXPECT_TRUE(names.insert(config.symbol).second) << config.symbol;
  }
  EXPECT_TRUE(names.contains("ACME"));
  EXPECT_GE(names.size(), 3u);
}

}  // namespace
}  // namespace triad::exchange
