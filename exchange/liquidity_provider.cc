#include "exchange/liquidity_provider.h"

#include <cassert>
#include <utility>

namespace triad::exchange {
namespace {

constexpr int kMaxLevels = 1000;

}  // namespace

LiquidityProvider::LiquidityProvider(MatchingEngine& engine, LiquidityProviderOptions options)
    : engine_(engine), clientOrderIdBase_(options.clientOrderIdBase) {
  symbols_.reserve(options.symbols.size());
  for (SymbolLiquidity& config : options.symbols) {
    SymbolState& state = symbols_.emplace_back();
    state.config = std::move(config);
  }
}

std::optional<std::string> LiquidityProvider::checkConfig(const SymbolLiquidity& config) {
  const std::string where = "liquidity for '" + config.symbol + "': ";
  if (!MatchingEngine::isValidSymbol(config.symbol)) return where + "symbol is not well-formed";
  if (config.levels < 1 || config.levels > kMaxLevels) {
    return where + "levels must be 1 to " + std::to_string(kMaxLevels);
  }
  if (config.tickMicros <= 0 || config.tickMicros > kMaxPriceMicros) {
    return where + "tick must be above zero";
  }
  if (config.quantityPerLevel <= 0 || config.quantityPerLevel > kMaxOrderQuantity) {
    return where + "quantity per level must be 1 to " + std::to_string(kMaxOrderQuantity);
  }
  if (config.referencePriceMicros <= 0 || config.referencePriceMicros > kMaxPriceMicros) {
    return where + "reference price must be above zero";
  }
  // Both products fit: levels <= 1000 and tick <= 1e15, reference <= 1e15.
  const int64_t spread = config.levels * config.tickMicros;
  if (config.referencePriceMicros - spread <= 0) {
    return where + "the lowest bid (reference - levels * tick) must be above zero";
  }
  if (config.referencePriceMicros + spread > kMaxPriceMicros) {
    return where + "the highest ask (reference + levels * tick) is above the price limit";
  }
  return std::nullopt;
}

std::optional<std::string> LiquidityProvider::start(std::vector<BookEvent>& events) {
  for (const SymbolState& state : symbols_) {
    if (std::optional<std::string> fault = checkConfig(state.config)) return fault;
  }
  for (uint32_t s = 0; s < symbols_.size(); ++s) {
    SymbolState& state = symbols_[s];
    const SymbolLiquidity& config = state.config;
    state.quotes.clear();
    for (Side side : {Side::kBuy, Side::kSell}) {
      const int64_t direction = side == Side::kBuy ? -1 : 1;
      for (int k = 1; k <= config.levels; ++k) {
        state.quotes.push_back(
            {side, config.referencePriceMicros + direction * k * config.tickMicros});
      }
    }
    for (uint32_t q = 0; q < state.quotes.size(); ++q) {
      if (Reason reason = place(s, q, events); reason != Reason::kNone) {
        return "liquidity for '" + config.symbol + "': " + std::string(describe(reason));
      }
    }
    noteMissing(s);
  }
  return std::nullopt;
}

Reason LiquidityProvider::place(uint32_t symbolIndex, uint32_t quoteIndex,
                                std::vector<BookEvent>& events) {
  SymbolState& state = symbols_[symbolIndex];
  Quote& quote = state.quotes[quoteIndex];
  assert(quote.orderId == kNoOrderId);
  // Only ever add liquidity: skip a price that a customer's order now reaches.
  if (std::optional<BestBidOffer> bbo = engine_.bestBidOffer(state.config.symbol)) {
    const bool crosses = quote.side == Side::kBuy
                             ? bbo->ask && bbo->ask->priceMicros <= quote.priceMicros
                             : bbo->bid && bbo->bid->priceMicros >= quote.priceMicros;
    if (crosses) return Reason::kNone;
  }
  const OrderRequest request{
      .side = quote.side,
      .type = OrderType::kLimit,
      .timeInForce = TimeInForce::kGoodTillCancel,
      .priceMicros = quote.priceMicros,
      .quantity = state.config.quantityPerLevel,
      .clientOrderId = clientOrderIdBase_ + placed_++,
  };
  const size_t before = events.size();
  const OrderId id = engine_.submit(state.config.symbol, request, events);
  if (id == kNoOrderId) return events[before].reason;
  quote.orderId = id;
  openOrders_.emplace(id, QuoteRef{symbolIndex, quoteIndex});
  return Reason::kNone;
}

void LiquidityProvider::forget(OrderId id) {
  auto it = openOrders_.find(id);
  if (it == openOrders_.end()) return;
  const QuoteRef ref = it->second;
  openOrders_.erase(it);
  symbols_[ref.symbol].quotes[ref.quote].orderId = kNoOrderId;
  noteMissing(ref.symbol);
}

void LiquidityProvider::noteMissing(uint32_t symbolIndex) {
  SymbolState& state = symbols_[symbolIndex];
  if (state.listedMissing) return;
  for (const Quote& quote : state.quotes) {
    if (quote.orderId == kNoOrderId) {
      state.listedMissing = true;
      missingSymbols_.push_back(symbolIndex);
      return;
    }
  }
}

void LiquidityProvider::onEvents(std::vector<BookEvent>& events, size_t from) {
  const size_t end = events.size();
  for (size_t i = from; i < end; ++i) {
    const BookEvent& event = events[i];
    switch (event.type) {
      case EventType::kFill:
        if (event.restingLeavesQuantity == 0) forget(event.restingOrderId);
        if (event.leavesQuantity == 0) forget(event.orderId);
        break;
      case EventType::kCancelled:
      case EventType::kExpired:
        forget(event.orderId);
        break;
      case EventType::kAccepted:
      case EventType::kRejected:
      case EventType::kCancelRejected:
        break;
    }
  }
  replenish(events);
}

void LiquidityProvider::replenish(std::vector<BookEvent>& events) {
  // Placing never crosses, so it causes no fills and nothing to re-examine.
  std::vector<uint32_t> pending = std::exchange(missingSymbols_, {});
  for (uint32_t symbolIndex : pending) {
    SymbolState& state = symbols_[symbolIndex];
    state.listedMissing = false;
    for (uint32_t q = 0; q < state.quotes.size(); ++q) {
      // A rejection cannot happen for a configuration start() accepted; if
      // one does, the quote stays missing and is tried again next time.
      if (state.quotes[q].orderId == kNoOrderId) (void)place(symbolIndex, q, events);
    }
    noteMissing(symbolIndex);
  }
}

}  // namespace triad::exchange
