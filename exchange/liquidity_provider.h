// A market maker for demos and tests: it keeps resting orders around a
// reference price in each configured symbol, so that customers' orders find
// something to trade with.
//
// For each symbol it holds `levels` bids at reference - k * tick and `levels`
// asks at reference + k * tick (k = 1..levels), each for quantityPerLevel
// shares, all GTC so that end-of-day expiry leaves them. When one of its
// orders is filled in full (or cancelled by someone), that level is placed
// again, unless the new order would cross the other side's best price: the
// provider only ever provides liquidity, never takes it, so it cannot chase a
// customer's order. A level skipped that way is retried on the next call.
//
// Everything is deterministic: no randomness, no clock.
//
// The provider does not see the engine's events by itself: whoever drives the
// engine passes each batch of events to onEvents(), which appends the events
// of the orders it places to the same vector.
//
// Thread-safety: none; it runs on the engine's thread.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "exchange/book_event.h"
#include "exchange/matching_engine.h"
#include "exchange/order.h"

namespace triad::exchange {

struct SymbolLiquidity {
  std::string symbol;
  int64_t referencePriceMicros = 0;
  int64_t tickMicros = 0;
  int levels = 0;  // per side
  int64_t quantityPerLevel = 0;
};

struct LiquidityProviderOptions {
  std::vector<SymbolLiquidity> symbols;
  // Client order ids of the provider's orders are base, base + 1, ...; the
  // default keeps them apart from any id the FIX acceptor hands out.
  uint64_t clientOrderIdBase = uint64_t{1} << 63;
};

class LiquidityProvider {
 public:
  // The engine must outlive the provider.
  LiquidityProvider(MatchingEngine& engine, LiquidityProviderOptions options);

  LiquidityProvider(const LiquidityProvider&) = delete;
  LiquidityProvider& operator=(const LiquidityProvider&) = delete;

  // A person-readable fault in the configuration (tick not positive, lowest
  // bid not above zero, ...), or nullopt when it is usable.
  static std::optional<std::string> checkConfig(const SymbolLiquidity& config);

  // Places every configured order; call once. Returns an error, and places
  // nothing, if any symbol's configuration is faulty. Returns an error naming
  // the symbol and the reason if the engine rejects an order (e.g. symbol not
  // listed); the orders placed before it stay.
  [[nodiscard]] std::optional<std::string> start(std::vector<BookEvent>& events);

  // Looks at events[from, end) for fills, cancels and expiries of the
  // provider's orders, re-places the levels that emptied, and appends the
  // events of those new orders to `events`.
  void onEvents(std::vector<BookEvent>& events, size_t from = 0);

  // Re-places every missing level that would not cross, in every symbol.
  void replenish(std::vector<BookEvent>& events);

  bool owns(OrderId id) const { return openOrders_.contains(id); }
  // Orders of the provider resting in the engine.
  size_t openOrderCount() const { return openOrders_.size(); }

 private:
  // One price the provider keeps an order at.
  struct Quote {
    Side side;
    int64_t priceMicros;
    OrderId orderId = kNoOrderId;  // kNoOrderId while missing
  };
  struct SymbolState {
    SymbolLiquidity config;
    std::vector<Quote> quotes;   // bids nearest first, then asks nearest first
    bool listedMissing = false;  // in missingSymbols_
  };
  struct QuoteRef {
    uint32_t symbol;
    uint32_t quote;
  };

  // Places one missing quote unless it would cross (then it stays missing).
  // Returns the engine's rejection reason, or kNone.
  Reason place(uint32_t symbolIndex, uint32_t quoteIndex, std::vector<BookEvent>& events);
  // Lists the symbol in missingSymbols_ if a quote of it has no order.
  void noteMissing(uint32_t symbolIndex);
  // An order of the provider is done: its quote becomes missing.
  void forget(OrderId id);

  MatchingEngine& engine_;
  const uint64_t clientOrderIdBase_;
  uint64_t placed_ = 0;
  std::vector<SymbolState> symbols_;
  std::vector<uint32_t> missingSymbols_;              // symbols with a quote that has no order
  std::unordered_map<OrderId, QuoteRef> openOrders_;  // open orders of the provider
};

}  // namespace triad::exchange
